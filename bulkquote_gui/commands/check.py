"""`bulkquote check FILE`: read and validate a spreadsheet, print what was found (with
`--rows OUT.csv`, also what each row would send: core/output/cleaned_rows.py; with `--fix-list
OUT.xlsx`, the invalid rows to fix: core/output/fix_list.py).

Exit 0 when the file was read (whatever its rows), 2 when it could not be: then one sentence
naming the file and the problem, never a traceback. File names are printed with undecodable
bytes as U+FFFD, so --json is always valid UTF-8.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bulkquote_gui.core.intake.importer import (
    ImportResult,
    SpreadsheetError,
    import_file,
)
from bulkquote_gui.core.intake.limits import display_name
from bulkquote_gui.core.safe_text import one_line

SHOWN_PROBLEMS = 20


def run_check(args: argparse.Namespace) -> int:
    overrides = dict(args.mapping or [])
    shown = display_name(args.file)
    try:
        result = import_file(args.file, sheet=args.sheet, mapping=overrides,
                             set_order=getattr(args, "set_order", None),
                             pin_set=getattr(args, "pin_set", None))
    except SpreadsheetError as exc:
        return _refuse(args, shown, str(exc))
    except MemoryError:
        return _refuse(args, shown, f"{shown} is too large to read in the memory available")
    except Exception as exc:  # noqa: BLE001 - a reader bug must still end in a sentence
        return _refuse(args, shown, f"{shown} could not be read ({type(exc).__name__}: {exc})")
    rows_out = getattr(args, "rows", None)
    if rows_out:
        # Imported when asked for: they bring the store and the export (SQLAlchemy), a third
        # of a plain check's start-up.
        from bulkquote_gui.core.output.cleaned_rows import write_cleaned_rows
        try:
            written = write_cleaned_rows(result, rows_out)
        except OSError as exc:
            return _refuse(args, shown, f"cannot write {display_name(rows_out)}: "
                           f"{exc.strerror or exc}")
    fix_out = getattr(args, "fix_list", None)
    if fix_out:
        from bulkquote_gui.core.output.fix_list import write_preview_fix_list
        try:
            to_fix = write_preview_fix_list(result, fix_out)
        except ValueError as exc:
            return _refuse(args, shown, str(exc))
        except OSError as exc:
            return _refuse(args, shown, f"cannot write {display_name(fix_out)}: "
                           f"{exc.strerror or exc}")
    cost = None
    if getattr(args, "providers", None) or getattr(args, "terms", None) is not None:
        # What the deal would cost: opens the store only when asked (a plain check never does).
        from sqlalchemy.exc import SQLAlchemyError

        from bulkquote_gui.commands.batch import _Fail
        from bulkquote_gui.commands.deals import deal_cost
        from bulkquote_gui.core.store.schema import SchemaError
        from bulkquote_gui.services.runtime import UnknownProvider, UnusableDatabase
        try:
            cost = deal_cost(args, result.counts()["quotable"])
        except (_Fail, UnknownProvider, UnusableDatabase) as exc:
            return _refuse(args, shown, str(exc))
        except (SchemaError, SQLAlchemyError) as exc:
            return _refuse(args, shown, f"cannot read the quote times: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}")
    if args.json:
        summary = result.summary_json()
        if cost is not None:
            summary["cost"] = _cost_json(cost[0])
        text = json.dumps(summary, ensure_ascii=False)
    else:
        text = render_summary(result)
        if cost is not None:
            text += "\nwhat it will cost:\n" + "\n".join(f"  {line}" for line in cost[1])
    if rows_out and not args.json:
        text += f"\nrows written to {display_name(rows_out)} ({written})"
    if fix_out and not args.json:
        text += (f"\nfix list written to {display_name(fix_out)} "
                 f"({to_fix} row{'s' if to_fix != 1 else ''} to fix)" if to_fix
                 else f"\nnothing to fix: {display_name(fix_out)} holds the header only")
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `bulkquote check big.csv | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _cost_json(costs: list) -> dict:
    from bulkquote_gui.core.deal.estimate import deal_seconds

    return {"providers": [c.as_json() for c in costs], "quotes": sum(c.quotes for c in costs),
            "seconds": deal_seconds(costs)}


def _refuse(args: argparse.Namespace, shown: str, message: str) -> int:
    """Exit 2 with the sentence on stderr (and in --json); never a traceback."""
    if args.json:
        print(json.dumps({"file": shown, "error": message}))
    print(f"bulkquote check: {one_line(message)}", file=sys.stderr)
    return 2


def render_summary(result: ImportResult) -> str:
    counts = result.counts()
    # The file's, sheet's and columns' names are the sheet author's: one safe line each.
    name = one_line(display_name(result.path.name)) + (f" (sheet {one_line(result.sheet)})"
                                                       if result.sheet else "")
    lines = [
        f"{name}: {counts['rows']} rows read"
        + ("" if result.has_header else " (no header row)"),
        f"  valid      {counts['valid']}",
        f"  repaired   {counts['repaired']}",
        f"  invalid    {counts['invalid']}",
        f"  duplicates {counts['duplicates']}",
        f"  quotable   {counts['quotable']}",
        "columns: " + (", ".join(f"{field}={one_line(column)}"
                                 for field, column in result.mapping.items())
                       or "none recognised (use --map FIELD=COLUMN)"),
    ]
    if result.sheet_note:
        lines.insert(1, f"  ({result.sheet_note})")
    for column in result.ignored_columns:
        lines.append(f"ignored: column {column!r} (a fix list's reasons: never mapped or sent)")
    by_set = result.counts_by_set()
    if by_set:
        pinned = f", pinned to {result.pinned_set}" if result.pinned_set else ""
        lines.append(f"address sets, in the order tried{pinned} (--set-order, --pin-set):")
        lines += [f"  {by_set[s.name]:>6}  {s.describe()}" for s in result.address_sets]
    reasons = result.invalid_by_reason()
    if reasons:
        lines.append("invalid by reason:")
        lines += [f"  {count:>6}  {reason}" for reason, count in reasons.items()]
    invalid = [i for i in range(len(result)) if result.status_at(i) == "invalid"]
    if invalid:
        lines.append(f"first invalid rows ({min(len(invalid), SHOWN_PROBLEMS)} of {len(invalid)}):")
        for i in invalid[:SHOWN_PROBLEMS]:
            for problem in result.problems_at(i):
                lines.append(f"  row {problem.row}, {problem.field}: {one_line(problem.message)}")
    return "\n".join(lines)
