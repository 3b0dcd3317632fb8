"""rapidreview: rapid qualitative reviews of lived-experience evidence.

The library is the product; the CLI and the Datasette plugins are thin layers over it.

    import rapidreview as rr
    db = rr.open_review("review.db")
    rr.import_files(db, ["export.csv"], rr.ImportOptions(text=["What was good?"], id="ID"))
"""

from .errors import InputError, RapidReviewError
from .ingest import ImportOptions, ImportResult, import_files
from .store import open_review, transaction

__version__ = "0.1.0"

__all__ = [
    "ImportOptions", "ImportResult", "InputError", "RapidReviewError",
    "import_files", "open_review", "transaction", "__version__",
]
