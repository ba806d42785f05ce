"""`bulkquote choose`: the rule that picks each site's offer of a deal, and the rep's own pick
for a site (parsed in bulkquote_gui/cli.py). `status --json` shows the same offers and choices
(core/output/deal_report.py).

Any batch id of a deal names the whole deal. A rule replaces the deal's rule (its name kept when
only --prefer, --exclude or --firm-only are given) and recomputes every site the rep did not
choose by hand; `--row N --offer K` takes the K-th offer of the site as `status --json` lists
them; `--row N --clear` gives the site back to the rule.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from bulkquote_gui.commands.batch import EXIT_OK, _command, _Fail, _runtime
from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.rules import Choice, Rule, RuleError
from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import engine as engine_store


def _money(value: Any) -> str:
    return f"{value:.2f}"


def _rep(runtime: Any) -> str:
    """Who chose: the rep's name from Settings, else the computer's user name."""
    name = runtime.settings.rep_name.strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):   # no user name in the environment or the password database
        return "the rep"


def _offer_text(offer: Offer) -> str:
    caveat = f" ({offer.caveat()})" if offer.caveat() else ""
    return (f"{one_line(offer.provider)} / {one_line(offer.carrier)} {offer.term_months} mo  "
            f"MRC {_money(offer.mrc)}  NRC {_money(offer.nrc)}  contract "
            f"{_money(offer.contract_value)} {offer.currency}{caveat}")


def _choice_text(deal: choice_store.DealChoices, row: int, choice: Choice) -> str:
    if choice.offer is not None:
        by = "the rule" if choice.chosen_by == "rule" else one_line(choice.chosen_by)
        text = f"offer {deal.offer_number(row, choice.offer)}: {_offer_text(choice.offer)}, by {by}"
    else:
        text = "nothing chosen"
    if choice.needs_review:
        suggested = deal.offer_number(row, choice.suggestion)
        text += f"  NEEDS REVIEW: {choice.reason}" + (
            f" (suggested: offer {suggested})" if suggested and choice.offer is None else "")
    return text


def _print_deal(deal: choice_store.DealChoices) -> None:
    set_by = f" (set by {one_line(deal.rule_set_by)})" if deal.rule_set_by else ""
    print(f"deal {deal.deal_id}: {one_line(deal.rule.describe())}{set_by}")
    for row, choice in deal.choices.items():
        print(f"  row {row:>5}  {_choice_text(deal, row, choice)}")
    by_rep = sum(c.chosen_by != "rule" for c in deal.choices.values())
    review = sum(c.needs_review for c in deal.choices.values())
    print(f"  {len(deal.choices)} sites priced: {by_rep} chosen by the rep, "
          f"{review} need{'s' if review == 1 else ''} review")


def _new_rule(args: argparse.Namespace, current: Rule) -> Rule:
    try:
        return Rule(name=args.rule or current.name, prefer=tuple(args.prefer or ()),
                    exclude=tuple(args.exclude or ()), firm_only=args.firm_only)
    except RuleError as exc:
        raise _Fail(str(exc)) from None


def _chosen_offer(deal: choice_store.DealChoices, args: argparse.Namespace) -> Offer:
    offers = deal.offers.get(args.row)
    if not offers:
        raise _Fail(f"row {args.row} of deal {deal.deal_id} has no offer to choose (not priced, "
                    f"or not a row of the sheet; see `bulkquote status {args.batch} --json`)")
    if not 1 <= args.offer <= len(offers):
        raise _Fail(f"row {args.row} has {len(offers)} offer{'s' if len(offers) != 1 else ''}: "
                    f"--offer must be 1 to {len(offers)} (see `bulkquote status {args.batch} --json`)")
    return offers[args.offer - 1]


def _check_usage(args: argparse.Namespace) -> None:
    rule_given = args.rule or args.prefer or args.exclude or args.firm_only
    if args.row is not None and rule_given:
        raise _Fail("choose either a rule (--rule, --prefer, --exclude, --firm-only) or one "
                    "row's offer (--row), not both")
    if args.row is not None and (args.offer is None) == (not args.clear):
        raise _Fail(f"--row {args.row} needs either --offer K or --clear")
    if args.row is None and (args.offer is not None or args.clear):
        raise _Fail("--offer and --clear need --row N (the sheet's row number)")


@_command("choose")
def run_choose(args: argparse.Namespace) -> int:
    """Set a deal's rule, or the rep's offer for one site; print each site's choice."""
    _check_usage(args)
    with _runtime(args, with_api=False) as runtime:
        sf = runtime.session_factory
        with sf() as session:
            deal = choice_store.read_deal(session, args.batch)
        if deal is None:
            raise _Fail(f"no batch {args.batch} in this database (see `bulkquote status`)")
        rep = _rep(runtime)
        if args.row is not None and args.clear:
            with engine_store.in_transaction(sf) as session:
                choice_store.clear_override(session, deal.deal_id, args.row)
        elif args.row is not None:
            offer = _chosen_offer(deal, args)
            with engine_store.in_transaction(sf) as session:
                choice_store.set_override(session, deal.deal_id, args.row, offer.option_id, rep)
        elif args.rule or args.prefer or args.exclude or args.firm_only:
            rule = _new_rule(args, deal.rule)
            with engine_store.in_transaction(sf) as session:
                choice_store.set_rule(session, deal.deal_id, rule, rep)
        with sf() as session:
            deal = choice_store.read_deal(session, args.batch)
    _print_deal(deal)
    return EXIT_OK
