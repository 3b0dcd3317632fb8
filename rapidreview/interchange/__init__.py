"""Moving whole reviews between rapidreview and other qualitative analysis tools.

    from rapidreview.interchange import export_project
    result = export_project(db, "review.qdpx")       # NVivo, ATLAS.ti, MAXQDA, QualCoder
    print(result.message())

Importing a project goes through the ordinary import (`rapidreview import review.db
project.qdpx`, or `ingest.import_files`), so it is one transaction, refuses the same
file twice, and reports what it skipped like every other format.
"""

from __future__ import annotations

from .qdpx import ExportOptions, ExportResult, export_project, read_project

__all__ = ["ExportOptions", "ExportResult", "export_project", "read_project"]
