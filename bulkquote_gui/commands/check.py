"""`bulkquote check FILE`: read and validate a spreadsheet, print what was found.

Exit 0 when the file was read (whatever its rows), 2 when it could not be.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bulkquote_gui.core.importer import ImportResult, SpreadsheetError, import_file

SHOWN_PROBLEMS = 20


def run_check(args: argparse.Namespace) -> int:
    overrides = dict(args.mapping or [])
    try:
        result = import_file(args.file, sheet=args.sheet, mapping=overrides)
    except SpreadsheetError as exc:
        if args.json:
            print(json.dumps({"file": args.file, "error": str(exc)}))
        print(f"bulkquote check: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result.summary_json(), ensure_ascii=False) if args.json else render_summary(result)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `bulkquote check big.csv | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def render_summary(result: ImportResult) -> str:
    counts = result.counts()
    name = result.path.name + (f" (sheet {result.sheet})" if result.sheet else "")
    lines = [
        f"{name}: {counts['rows']} rows read"
        + ("" if result.has_header else " (no header row)"),
        f"  valid      {counts['valid']}",
        f"  repaired   {counts['repaired']}",
        f"  invalid    {counts['invalid']}",
        f"  duplicates {counts['duplicates']}",
        f"  quotable   {counts['quotable']}",
        "columns: " + (", ".join(f"{field}={column}" for field, column in result.mapping.items())
                       or "none recognised (use --map FIELD=COLUMN)"),
    ]
    reasons = result.invalid_by_reason()
    if reasons:
        lines.append("invalid by reason:")
        lines += [f"  {count:>6}  {reason}" for reason, count in reasons.items()]
    invalid = [i for i in range(len(result)) if result.status_at(i) == "invalid"]
    if invalid:
        lines.append(f"first invalid rows ({min(len(invalid), SHOWN_PROBLEMS)} of {len(invalid)}):")
        for i in invalid[:SHOWN_PROBLEMS]:
            for problem in result.problems_at(i):
                lines.append(f"  row {problem.row}, {problem.field}: {problem.message}")
    return "\n".join(lines)
