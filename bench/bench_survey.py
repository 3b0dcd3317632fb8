"""Survey reader benchmark: rows/s of read_delimited and read_xlsx, as ratios to the bare
parsers (csv.reader over the same file, openpyxl read-only iteration) in the same run.

    python bench/bench_survey.py                  # 10k and 100k rows CSV, 10k rows XLSX
    python bench/bench_survey.py --sizes 10000 --xlsx 0
    python bench/bench_survey.py --fft ../shared/data/nhs-fft/fft_dev.csv

The reader does the work the bare parser does not: encoding detection, column matching,
placeholders, attributes, dates and codes. Best of --repeat runs for each figure.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_survey  # noqa: E402

from rapidreview.ingest import ImportOptions  # noqa: E402
from rapidreview.ingest.survey import read_delimited, read_xlsx  # noqa: E402

OPTIONS = ImportOptions(text=["What was good?", "What could be better?", "Anything else?"], id="Respondent ID",
                        attrs=["Service", "Area", "Age group"], date="Date submitted")
FFT = ImportOptions(text=["FFT answer"], id="Comment ID", respondent="Respondent ID", question_col="FFT question",
                    date="Date", attrs=["Trust", "Service type 1", "Service type 2", "FFT categorical answer",
                                        "Comment sentiment"], codes=["Not assigned.."])


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bare_csv(path: Path) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        for _ in csv.reader(f):
            pass


def bare_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    for _ in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    with open(csv_path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    book.save(xlsx_path)


def report(label: str, rows: int, ours: float, bare: float) -> None:
    print(f"{label:<22} {rows:>8} rows  reader {rows / ours:>9,.0f} rows/s  bare parser {rows / bare:>9,.0f} rows/s"
          f"  ratio {bare / ours:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="CSV row counts")
    parser.add_argument("--xlsx", type=int, default=10000, help="XLSX row count (0: skip)")
    parser.add_argument("--fft", type=Path, help="also time the FFT export with its README options")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            path = Path(tmp) / f"survey-{n}.csv"
            gen_survey.write_csv(path, n)
            ours = best(lambda: sum(1 for _ in read_delimited(path, OPTIONS)), args.repeat)
            report(f"csv {n}", n, ours, best(lambda: bare_csv(path), args.repeat))
        if args.xlsx:
            source = Path(tmp) / "x.csv"
            gen_survey.write_csv(source, args.xlsx)
            path = Path(tmp) / "survey.xlsx"
            write_xlsx(source, path)
            ours = best(lambda: sum(1 for _ in read_xlsx(path, OPTIONS)), args.repeat)
            report(f"xlsx {args.xlsx}", args.xlsx, ours, best(lambda: bare_xlsx(path), args.repeat))
        if args.fft:
            rows = sum(1 for _ in read_delimited(args.fft, FFT))
            ours = best(lambda: sum(1 for _ in read_delimited(args.fft, FFT)), args.repeat)
            report("fft_dev.csv", rows, ours, best(lambda: bare_csv(args.fft), args.repeat))


if __name__ == "__main__":
    main()
