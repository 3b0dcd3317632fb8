"""Themes: the inductive half of a rapid review. What are people saying that the
codebook did not anticipate?

    from rapidreview.themes import Selection, ThemeOptions, find_themes, get_run
    run_id = find_themes(db, Selection(within="access"), ThemeOptions(k="auto", seed=0))
    for theme in get_run(db, run_id)["themes"]:
        print(theme["number"], theme["label"], theme["size"], theme["quotes"][0]["text"])

TF-IDF over lemmas + LSA + spherical k-means with a seeded consensus (no torch);
every segment gets a theme or an explicit small bucket ('other': no content words;
'not English': set aside and reported). Runs are stored with their parameters and
library versions; merges, splits and renames are kept and re-applied to later runs.
"""

from .cluster import SphericalKMeans, choose_k
from .compare import compare_runs
from .edits import merge, rename, split
from .promote import promote
from .run import ThemeError, ThemeOptions, find_themes
from .runs import export_rows, get_run, latest_run_id, list_runs
from .select import Selection, parse_where
from .vectorize import ThemeVectorizer, looks_non_english

__all__ = [
    "Selection", "SphericalKMeans", "ThemeError", "ThemeOptions", "ThemeVectorizer", "choose_k", "compare_runs",
    "export_rows", "find_themes", "get_run", "latest_run_id", "list_runs", "looks_non_english", "merge",
    "parse_where", "promote", "rename", "split",
]
