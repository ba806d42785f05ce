"""A deal's offers, rule and choices as `status --json` gives them: money as strings to the cent,
each site's offers numbered as `bulkquote choose --offer K` counts them."""

from __future__ import annotations

from typing import Any, Protocol

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.rules import Choice, Rule

__all__ = ["deal_json", "offer_json", "rule_json"]


class ChosenDeal(Protocol):
    """What the report reads (core/store/choices.py's DealChoices)."""

    deal_id: int
    rule: Rule
    rule_set_by: str
    offers: dict[int, list[Offer]]
    choices: dict[int, Choice]

    def offer_number(self, row_number: int, offer: Offer | None) -> int | None: ...


def _money(value: Any) -> str:
    return f"{value:.2f}"


def offer_json(number: int, offer: Offer) -> dict[str, Any]:
    return {"offer": number, "option_id": offer.option_id, "provider": offer.provider,
            "carrier": offer.carrier, "term_months": offer.term_months, "mrc": _money(offer.mrc),
            "nrc": _money(offer.nrc), "contract_value": _money(offer.contract_value),
            "currency": offer.currency, "install_days": offer.install_days,
            "access": offer.access, "level": offer.level, "alternate": offer.alternate,
            "valid_until": offer.valid_until.isoformat() if offer.valid_until else None}


def rule_json(rule: Rule, set_by: str) -> dict[str, Any]:
    return {"name": rule.name, "prefer": list(rule.prefer), "exclude": list(rule.exclude),
            "firm_only": rule.firm_only, "reads": rule.describe(), "set_by": set_by or None}


def deal_json(deal: ChosenDeal) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The deal's own part of the report, and each priced site's offers and choice by row."""
    sites = {}
    for row, offers in deal.offers.items():
        choice = deal.choices[row]
        sites[row] = {"offers": [offer_json(n, o) for n, o in enumerate(offers, 1)],
                      "chosen": {"offer": deal.offer_number(row, choice.offer),
                                 "by": choice.chosen_by, "needs_review": choice.needs_review,
                                 "reason": choice.reason,
                                 "suggested": deal.offer_number(row, choice.suggestion)}}
    review = sum(c.needs_review for c in deal.choices.values())
    return {"id": deal.deal_id, "rule": rule_json(deal.rule, deal.rule_set_by),
            "sites_priced": len(deal.offers), "needs_review": review}, sites
