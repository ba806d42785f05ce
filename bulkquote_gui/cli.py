"""Command line: no subcommand opens the window; subcommands drive the same core headless.

Each subcommand is carried out by a function in `bulkquote_gui.commands`, imported only when
it runs, so `bulkquote check` never loads Qt and `bulkquote` alone never loads the engine twice.
Exit codes: 0 done, 1 a batch-level stop (bad key, cancelled), 2 unreadable input or bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import re
import sys
from typing import Callable

from bulkquote_gui.core.engine.policy import POLL_INTERVAL_RANGE_S, QUOTE_TIMEOUT_RANGE_S

# subcommand -> "module:function"; the function takes the parsed args and returns an exit code.
HANDLERS: dict[str, str] = {
    "gui": "bulkquote_gui.commands.gui:run_gui",
    "check": "bulkquote_gui.commands.check:run_check",
    "submit": "bulkquote_gui.commands.deals:run_submit",
    "resume": "bulkquote_gui.commands.batch:run_resume",
    "status": "bulkquote_gui.commands.batch:run_status",
    "cancel": "bulkquote_gui.commands.batch:run_cancel",
    "retry": "bulkquote_gui.commands.batch:run_retry",
    "quote-rest": "bulkquote_gui.commands.batch:run_quote_rest",
    "export": "bulkquote_gui.commands.batch:run_export",
    "proposal": "bulkquote_gui.commands.proposal:run_proposal",
    "simulator": "bulkquote_gui.commands.simulator:run_simulator",
    "worker": "bulkquote_gui.commands.team:run_worker",
    "unblock": "bulkquote_gui.commands.team:run_unblock",
    "rush": "bulkquote_gui.commands.team:run_rush",
    "find": "bulkquote_gui.commands.batch:run_find",
    "diff": "bulkquote_gui.commands.diff:run_diff",
    "requote": "bulkquote_gui.commands.requote:run_requote",
    "choose": "bulkquote_gui.commands.choose:run_choose",
    "providers": "bulkquote_gui.commands.providers:run_providers",
}
GLOBAL_OPTIONS_WITH_VALUE = ("--db", "--api-url", "--poll-interval", "--quote-timeout")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number greater than 0")
    return value


def _seconds_between(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds in [low, high], as Settings accept.

    BULKQUOTE_TEST_TIMING=1 lowers the floor for the test suite, which polls a local simulator
    every 0.05 s; nothing else should set it.
    """
    if os.environ.get("BULKQUOTE_TEST_TIMING") == "1":
        low = min(low, 0.01)

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {low:g} and {high:g} "
                                             "seconds")
        return value

    return seconds


def _mapping_item(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"--map takes FIELD=COLUMN, got {text!r}")
    return field.strip(), column.strip()


def _name_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("--set-order takes NAME,NAME,...")
    return names


def _add_import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="spreadsheet: CSV, TSV, XLSX, XLS or ODS")
    p.add_argument("--sheet", help="worksheet name (default: the first sheet)")
    p.add_argument("--map", dest="mapping", action="append", type=_mapping_item, default=[],
                   metavar="FIELD=COLUMN", help="map a field to a column, e.g. street=PHSTREET")


def _add_set_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set-order", metavar="NAME,NAME", type=_name_list,
                   help="try the address sets in this order (names as check prints them)")
    p.add_argument("--pin-set", metavar="NAME", help="quote every row from this address set only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulkquote", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL of the store (default: a SQLite file in the "
                        "user data folder; env BULKQUOTE_DB)")
    parser.add_argument("--api-url", help="Momentum API base URL (env BULKQUOTE_API_URL); "
                        "none configured = demo mode against the built-in simulator")
    parser.add_argument("--poll-interval", type=_seconds_between(*POLL_INTERVAL_RANGE_S),
                        metavar="S", help="seconds between polls when the server gives no "
                        "Retry-After (1-3600, default 15)")
    parser.add_argument("--quote-timeout", type=_seconds_between(*QUOTE_TIMEOUT_RANGE_S),
                        metavar="S", help="seconds before giving up on one quote (10-86400, "
                        "default 300)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the window (the default)")
    p.add_argument("file", nargs="?", help="spreadsheet to load into the preview")

    p = sub.add_parser("check", help="read and validate a spreadsheet, print a summary")
    _add_import_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--rows", metavar="OUT.csv", help="write one line per row: number, status, "
                   "reason, the street/unit/city/state/ZIP that would be sent, the address set")
    _add_set_options(p)
    p.add_argument("--fix-list", metavar="OUT.xlsx", help="write the invalid rows, their own "
                   "columns as in the file, the reason first and the cells at fault in red: fix "
                   "them in Excel and drop the file back in")
    p.add_argument("--provider", dest="providers", action="append", metavar="NAME",
                   help="say what submitting to this provider would cost (again for each one)")
    p.add_argument("--terms", metavar="MONTHS,...", help="say what asking each of these terms "
                   "would cost: quotes per provider and the time, from its quote times so far")

    p = sub.add_parser("submit", help="store a batch of quotes from a spreadsheet")
    _add_import_options(p)
    _add_set_options(p)
    p.add_argument("--speed", type=int, metavar="MBPS", help="default bandwidth (1000)")
    p.add_argument("--term", type=int, metavar="MONTHS", help="default term (36)")
    p.add_argument("--product", help="default product: DIA, BROADBAND or ETHERNET (DIA)")
    p.add_argument("--company", help="customer company for rows that have none")
    p.add_argument("--terms", metavar="MONTHS,...", help="ask every site for each of these "
                   "terms (12,36,60): a deal, one batch per provider (per term for Momentum)")
    p.add_argument("--wait", action="store_true", help="process the batch to the end")
    p.add_argument("--provider", dest="providers", action="append", metavar="NAME",
                   help="quote through this provider (`bulkquote providers`; default: the first "
                   "one added, or --api-url's Momentum); give it again for each provider of a deal")
    p.add_argument("--no-reuse", action="store_true",
                   help="ask the API again even for sites with a still-valid earlier quote")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("resume", help="process every unfinished batch, in fair turns")
    _add_provider_option(p)
    p.add_argument("--wait", action="store_true", help="(accepted for symmetry; resume always waits)")

    p = sub.add_parser("status", help="one batch with its rows, or the recent batches")
    p.add_argument("batch", nargs="?", type=int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("cancel", help="cancel a batch")
    p.add_argument("batch", type=int)

    p = sub.add_parser("retry", help="queue a batch's failed rows again (those a retry can "
                       "change: timeouts, the API busy or losing the quote)")
    p.add_argument("batch", type=int)
    p.add_argument("--wait", action="store_true")

    p = sub.add_parser("quote-rest", help="go on with a cancelled batch: its unsent rows (and "
                       "retryable failures) are quoted")
    p.add_argument("batch", type=int)
    p.add_argument("--wait", action="store_true")

    p = sub.add_parser("export", help="write a batch's results to .xlsx or .csv")
    p.add_argument("batch", type=int)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.xlsx or OUT.csv")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--priced-only", action="store_true",
                      help="only the rows that got a price (default: every row of the sheet)")
    only.add_argument("--fix-list", action="store_true",
                      help="only the rows to fix (invalid, duplicate, failed), as the rep's own "
                      "columns with the reason first and the cells at fault in red (.xlsx)")
    p.add_argument("--compare", metavar="OLD", type=_compared_batch,
                   help="add a Changes sheet (.xlsx): what changed since batch OLD, site by site; "
                   "`previous` = the latest earlier batch of the same file (none by default)")

    p = sub.add_parser("proposal", help="write a finished batch's proposal for the customer "
                       "(.pdf or .xlsx)")
    p.add_argument("batch", type=int)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.pdf or OUT.xlsx")
    p.add_argument("--page", choices=("a4", "letter"), default=None,
                   help="the PDF's paper (default: the locale's, else letter)")
    p.add_argument("--customer", default="", metavar="NAME", help="who the proposal is for")
    p.add_argument("--all-offers", action="store_true",
                   help="add an appendix of every offer received, with the providers' quote ids")

    p = sub.add_parser("worker", help="quote every open batch of every account with a key, "
                       "taking new ones as they come (a team's always-on runner)")
    p.add_argument("--until-idle", action="store_true",
                   help="stop once no batch is left instead of waiting for more")

    p = sub.add_parser("unblock", help="cancel another client's quote that blocks the account")
    p.add_argument("quote_id", metavar="QUOTE_ID")

    p = sub.add_parser("rush", help="move a batch to the front of its account's line")
    p.add_argument("batch", type=int)
    p.add_argument("--off", action="store_true", help="put it back in line")

    p = sub.add_parser("requote", help="a new batch asking again for a batch's stale quotes "
                       "(of every batch of its deal, every term each asked)")
    p.add_argument("batch", type=int)
    p.add_argument("--wait", action="store_true")

    p = sub.add_parser("diff", help="what changed from batch OLD to batch NEW, site by site "
                       "(price up or down, carrier, newly or no longer priced, expired)")
    p.add_argument("old", type=int, metavar="OLD")
    p.add_argument("new", type=int, metavar="NEW")
    p.add_argument("--json", action="store_true", help="every site's change and the totals")
    _add_choose_parser(sub)

    p = sub.add_parser("find", help="rows of past batches by address, company or site id")
    p.add_argument("text")
    p.add_argument("--json", action="store_true")

    _add_providers_parser(sub)

    p = sub.add_parser("simulator", help="run the built-in Momentum simulator over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--time-scale", type=_positive_float, default=1.0, metavar="X",
                   help="multiply every simulated delay by X (0.01 = a hundred times faster)")
    p.add_argument("--api-key", default=None, help="key the simulator accepts (default: any non-empty)")
    p.add_argument("--sonata", action="store_true",
                   help="be a MEF LSO Sonata seller instead (token endpoint and Quote Management v8)")
    return parser


def _compared_batch(text: str) -> int | str:
    """A batch id, or `previous` (the latest earlier batch of the same file)."""
    if text == "previous":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a batch id (or `previous`)") from None


def _add_choose_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("choose", help="the rule that picks each site's offer of a deal, or your "
                       "own pick for one site; prints each site's choice")
    p.add_argument("batch", type=int, help="any batch of the deal")
    p.add_argument("--rule", choices=("lowest-tcv", "lowest-mrc", "on-net-first"),
                   help="lowest contract value (the default), lowest MRC, or on-net first; "
                   "replaces the deal's rule (its name is kept when only the options below are "
                   "given); your own picks stay")
    p.add_argument("--prefer", action="append", metavar="CARRIER",
                   help="rank this carrier first (again for the next; in the order given)")
    p.add_argument("--exclude", action="append", metavar="CARRIER", help="never this carrier")
    p.add_argument("--firm-only", action="store_true",
                   help="never pick a budgetary, estimate or alternate offer (such a site needs review)")
    p.add_argument("--row", type=int, metavar="N", help="the sheet's row number of one site")
    p.add_argument("--offer", type=int, metavar="K",
                   help="take the K-th offer of the row, as `status --json` lists them")
    p.add_argument("--clear", action="store_true", help="give the row back to the rule")


def _add_provider_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", metavar="NAME", help="quote through this provider (`bulkquote "
                   "providers`; default: the first one added, or --api-url's Momentum)")


def _add_providers_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("providers", help="the named quote providers: list (no action), add, "
                       "test, remove")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    # No abbreviations: `--secret VALUE` must be refused, not taken as --secret-env's value.
    add = actions.add_parser("add", allow_abbrev=False,
                             help="add a provider; its secret is asked for (not shown) and kept "
                             "in the keyring, unless --secret-env names its variable")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--kind", required=True, help="sonata (a MEF LSO Sonata seller) or momentum")
    add.add_argument("--url", required=True, metavar="BASE", help="the API's base URL (Sonata: "
                     "the Quote Management root, e.g. https://seller.example/mefApi/sonata/"
                     "quoteManagement/v8)")
    add.add_argument("--token-url", metavar="URL", help="Sonata: the OAuth 2.0 token endpoint")
    add.add_argument("--client-id", metavar="ID", help="Sonata: the OAuth 2.0 client id")
    add.add_argument("--secret-env", metavar="VAR", help="read the secret from this environment "
                     "variable instead of the keyring (a team's worker)")
    add.add_argument("--lanes", type=int, default=1, metavar="N",
                     help="quotes the seller allows in progress at once (default 1; Momentum: 1)")
    add.add_argument("--instant", action="store_true",
                     help="Sonata: ask for an instant answer (instantSyncQuote)")
    add.add_argument("--level", default="firm", help="Sonata: firm (default) or budgetary")
    add.add_argument("--offering", action="append", default=[], metavar="PRODUCT=ID",
                     help="Sonata: the seller's product offering id for DIA, ETHERNET or "
                     "BROADBAND (repeat for each)")
    test = actions.add_parser("test", help="prove the credentials (a token and a harmless "
                              "call; no quote is made)")
    test.add_argument("name", metavar="NAME")
    remove = actions.add_parser("remove", help="forget a provider and its keyring entry "
                                "(refused while a batch sent to it is unfinished)")
    remove.add_argument("name", metavar="NAME")


def _with_default_command(argv: list[str]) -> list[str]:
    """Insert `gui` when no subcommand is given: `bulkquote [FILE]` opens the window."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in GLOBAL_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if token.startswith("-"):
            if token in ("-h", "--help"):
                return argv
            i += 1
            continue
        if token in HANDLERS:
            return argv
        break
    return argv[:i] + ["gui"] + argv[i:]


def _warn_if_password_in(db_url: str) -> None:
    """A password in --db is readable by every user of this computer (ps, /proc): say where
    it belongs instead. The command still runs: the rep may be on a machine of their own."""
    from bulkquote_gui.core.store.engine import public_url

    # (a URL SQLAlchemy cannot parse, e.g. with a bad port, may hold one all the same)
    if public_url(db_url) != db_url or re.search(r"://[^/@:]*:[^/@]*@", db_url):
        print("bulkquote: warning: the password in --db can be seen by every user of this "
              "computer (ps); keep it in PGPASSWORD, ~/.pgpass or the keyring (Settings) "
              "instead", file=sys.stderr, flush=True)


def _load(handler: str) -> Callable[[argparse.Namespace], int]:
    module_name, func_name = handler.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_with_default_command(argv))
    if args.db:
        _warn_if_password_in(args.db)
    try:
        return int(_load(HANDLERS[args.command])(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `bulkquote status 1 | head`: the reader has what it wanted. Point stdout at devnull so
        # the interpreter's last flush does not fail again, and exit as a SIGPIPE'd tool would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13


if __name__ == "__main__":
    sys.exit(main())
