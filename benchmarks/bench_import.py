"""Time import + validation of a 100,000-row CSV and XLSX against a bare read of the same file.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 3] [--out benchmarks/import_results.md]

The files are generated (20 columns shaped like the CMS hospital export: quoted text, ZIPs with
leading zeros, a few PO boxes, lost zeros, duplicates, blanks) into a temporary folder. The
baseline is what any reader must pay: `pandas.read_csv(dtype=str)` for the CSV and
python-calamine's `to_python()` for the XLSX. Best of N runs is recorded for each.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from bulkquote_gui.core.intake.importer import import_file

COLUMNS = ["Provider ID", "Hospital Name", "Address", "City", "State", "ZIP Code", "County Name",
           "Phone Number", "Hospital Type", "Hospital Ownership", "Emergency Services",
           "Speed", "Term", "Overall rating", "Rating footnote", "Mortality comparison",
           "Safety comparison", "Readmission comparison", "Patient experience", "Notes"]
CITIES = [("DOTHAN", "AL", "36301"), ("BOSTON", "MA", "02134"), ("AUSTIN", "TX", "78701"),
          ("PRINCETON", "NJ", "08540"), ("SAN JUAN", "PR", "00901"), ("CHICAGO", "IL", "60601"),
          ("SEATTLE", "WA", "98101"), ("HARTFORD", "CT", "06103"), ("DENVER", "CO", "80202")]
STREETS = ["ROSS CLARK CIRCLE", "U S HIGHWAY 431 NORTH", "MAIN STREET", "CONGRESS AVE",
           "HOSPITAL DRIVE", "N LASALLE ST", "OAK AVENUE", "MEDICAL PARK DR"]


def _rows(n: int, seed: int = 7):
    rnd = random.Random(seed)
    for i in range(n):
        city, state, zip_code = rnd.choice(CITIES)
        street = f"{rnd.randint(1, 99999)} {rnd.choice(STREETS)}"
        roll = rnd.random()
        if roll < 0.01:
            street = f"PO BOX {rnd.randint(1, 999)}"
        elif roll < 0.02:
            street += f", PO BOX {rnd.randint(1, 999)}"
        elif roll < 0.03 and zip_code.startswith("0"):
            zip_code = zip_code.lstrip("0")
        elif roll < 0.04:
            zip_code = ""
        elif roll < 0.06:
            street += f" SUITE {rnd.randint(100, 999)}"
        yield [f"{i:06d}", f"GENERAL HOSPITAL {i % 5000}", street, city, state, zip_code,
               "COUNTY", f"{rnd.randint(200, 999)}555{rnd.randint(1000, 9999)}",
               "Acute Care Hospitals", "Voluntary non-profit - Private", rnd.choice(["Yes", "No"]),
               rnd.choice(["", "1G", "500M", "100 Mbps", "1 Gbps"]), rnd.choice(["", "36", "3 years", "60"]),
               str(rnd.randint(1, 5)), "", "Same as the National average",
               "Above the National average", "Below the National average",
               "Same as the National average", rnd.choice(["", "call first", "loading dock at rear"])]


def make_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(_rows(n))


def make_xlsx(path: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sites")
    ws.append(COLUMNS)
    for row in _rows(n):
        ws.append(row)
    wb.save(path)


def bare_csv(path: Path) -> None:
    pd.read_csv(path, dtype=str)


def bare_xlsx(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    wb.get_sheet_by_index(0).to_python()
    wb.close()


def ours(path: Path) -> None:
    result = import_file(path)
    result.counts()


def timings(fns, path: Path, repeat: int) -> list[list[float]]:
    """Times of each function per round; rounds interleave the functions so a busy spell on
    the (shared) machine hits both sides alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn(path)
            times[k].append(time.perf_counter() - start)
    return times


def best_of(fns, path: Path, repeat: int) -> list[float]:
    return [min(t) for t in timings(fns, path, repeat)]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, pandas {pd.__version__}")


NOTES_HEADING = "## Notes"


def _kept_notes(out: Path) -> str:
    """The hand-written notes section of the previous results (what changed, earlier figures),
    carried over so a re-run only replaces the measured part."""
    try:
        previous = out.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = previous.find("\n" + NOTES_HEADING)
    return "" if at == -1 else previous[at:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("import_results.md"))
    args = parser.parse_args(argv)

    lines = []
    with tempfile.TemporaryDirectory() as folder:
        for kind, make, bare in (("CSV", make_csv, bare_csv), ("XLSX", make_xlsx, bare_xlsx)):
            path = Path(folder) / f"sites.{kind.lower()}"
            start = time.perf_counter()
            make(path, args.rows)
            made = time.perf_counter() - start
            bare_times, our_times = timings((bare, ours), path, args.repeat)
            base, full = min(bare_times), min(our_times)
            per_round = statistics.median(o / b for o, b in zip(our_times, bare_times))
            result = import_file(path)
            counts = result.counts()
            line = (f"| {kind} | {args.rows:,} | {path.stat().st_size / 1e6:.1f} MB | {base:.2f} s "
                    f"| {full:.2f} s | {full / base:.2f}x | {per_round:.2f}x | {counts['valid']:,} / {counts['repaired']:,} "
                    f"/ {counts['invalid']:,} / {counts['duplicates']:,} |")
            print(line, f"(file generated in {made:.1f} s)", flush=True)
            lines.append(line)

    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    corpus_lines = []
    for path in sorted(corpus.glob("*.csv")) if corpus.is_dir() else []:
        (full,) = best_of((ours,), path, args.repeat)
        counts = import_file(path).counts()
        corpus_lines.append(f"| {path.name} | {counts['rows']:,} | {full:.3f} s | "
                            f"{counts['rows'] / full:,.0f} rows/s |")
        print(corpus_lines[-1], flush=True)

    command = "python " + " ".join([str(Path(sys.argv[0]))] + (argv if argv is not None else sys.argv[1:]))
    report = "\n".join([
        "# Import benchmark",
        "",
        f"Command: `{command}`  ",
        f"Run: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, best of {args.repeat}  ",
        f"Machine: {machine()}  ",
        "Note: the machine was shared with other jobs while this ran; figures vary run to run.",
        "",
        "Baseline: CSV = `pandas.read_csv(path, dtype=str)`; XLSX = python-calamine "
        "`get_sheet_by_index(0).to_python()`. Ours = `import_file(path)` (read, header detection, "
        "mapping, validation of every row, duplicate flags; CheckedRows built lazily).",
        "",
        "| file | rows | size | bare read (best) | import + validate (best) | ratio of bests "
        "| median ratio per round | valid / repaired / invalid / duplicates |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        "Target: ratio at most 2x.",
        "",
        "The real files of shared/corpus (import + validate, best of the same runs):",
        "",
        "| file | rows | import + validate | speed |",
        "|---|---|---|---|",
        *corpus_lines,
        "",
    ])
    args.out.write_text(report + _kept_notes(args.out), encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
