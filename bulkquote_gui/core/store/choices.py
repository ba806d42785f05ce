"""A deal's offers, its rule and the rep's own choices (schema v10, issue 18).

The offers of a site are every stored option of its row (its row number) in every priced row of
the deal's batches, read as core/deal/offers.py's Offer (like for like, whatever the provider).
The rule and the overrides are stored under the deal's id (its first batch's); the choice of
each site is computed when read (core/deal/overrides.py), never stored, so a change of rule
recomputes every site that has no override.

Each function takes the caller's Session and never commits (the store's convention).
Callers import the module: `from bulkquote_gui.core.store import choices as choice_store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bulkquote_gui.core.deal.offers import Offer, access_word, level_of, listing_order
from bulkquote_gui.core.deal.overrides import Override, choose_sites
from bulkquote_gui.core.deal.rules import Choice, Rule
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store.deals import deal_batches, deal_of
from bulkquote_gui.core.store.models import (
    BatchQuote,
    DealChoice,
    DealRule,
    Quote,
    QuoteOption,
    utcnow,
)

__all__ = ["UNNAMED_PROVIDER", "DealChoices", "clear_override", "deal_offers", "deal_rule",
           "overrides", "read_deal", "set_override", "set_rule"]

# The provider of a batch stored without a name: the unnamed Momentum of --api-url.
UNNAMED_PROVIDER = "Momentum"


def deal_offers(session: Session, batch_id: int) -> dict[int, list[Offer]]:
    """{row number: the site's offers in listing order} over every batch of the deal
    `batch_id` belongs to; a site with no priced row has no entry ({} for no such batch)."""
    providers = {b.id: b.provider_name or UNNAMED_PROVIDER for b in deal_batches(session, batch_id)}
    if not providers:
        return {}
    # Columns, not ORM objects: a big deal's every option is read (as views.batch_rows does).
    o = QuoteOption
    stmt = (select(BatchQuote.batch_id, BatchQuote.row_number, Quote.valid_until, o.id,
                   o.carrier, o.term_months, o.mrc, o.nrc, o.install_days, o.access,
                   o.quote_level, o.is_estimate, o.alternate, o.currency)
            .join(Quote, Quote.id == BatchQuote.quote_id)
            .join(o, o.quote_id == Quote.id)
            .where(BatchQuote.batch_id.in_(providers), BatchQuote.status == RowState.COMPLETE))
    by_site: dict[int, list[Offer]] = {}
    for r in session.connection().execute(stmt):   # plain rows: no ORM loading per row
        by_site.setdefault(r.row_number, []).append(Offer(
            option_id=r.id, provider=providers[r.batch_id], carrier=r.carrier,
            term_months=r.term_months, mrc=r.mrc, nrc=r.nrc, install_days=r.install_days,
            access=access_word(r.access), level=level_of(r.quote_level, r.is_estimate),
            alternate=bool(r.alternate), valid_until=r.valid_until, currency=r.currency))
    return {row: listing_order(offers) for row, offers in sorted(by_site.items())}


def deal_rule(session: Session, deal_id: int) -> tuple[Rule, str]:
    """The deal's rule and who set it (the default rule and "" when none was set)."""
    stored = session.get(DealRule, deal_id)
    return (Rule.from_json(stored.rule), stored.set_by) if stored else (Rule.from_json(None), "")


def set_rule(session: Session, deal_id: int, rule: Rule, set_by: str,
             now: datetime | None = None) -> None:
    """The deal's rule from now on; the rep's overrides stay."""
    stored = session.get(DealRule, deal_id) or DealRule(deal_id=deal_id)
    stored.rule, stored.set_by, stored.set_at = rule.as_json(), set_by, now or utcnow()
    session.add(stored)


def overrides(session: Session, deal_id: int) -> dict[int, Override]:
    """{row number: the rep's choice} of the deal."""
    stmt = select(DealChoice).where(DealChoice.deal_id == deal_id)
    return {c.row_number: Override(c.option_id, c.chosen_by, c.chosen_at)
            for c in session.scalars(stmt)}


def set_override(session: Session, deal_id: int, row_number: int, option_id: int,
                 chosen_by: str, now: datetime | None = None) -> None:
    """The rep chose this offer (a quote_option id of the site's offers) for the site."""
    stored = session.get(DealChoice, (deal_id, row_number)) or \
        DealChoice(deal_id=deal_id, row_number=row_number)
    stored.option_id, stored.chosen_by, stored.chosen_at = option_id, chosen_by, now or utcnow()
    session.add(stored)


def clear_override(session: Session, deal_id: int, row_number: int) -> bool:
    """The site goes back to the rule; False if the rep had not chosen for it."""
    done = session.execute(delete(DealChoice).where(DealChoice.deal_id == deal_id,
                                                    DealChoice.row_number == row_number))
    return bool(done.rowcount)


@dataclass(frozen=True)
class DealChoices:
    """A deal as the rep compares and chooses: its id (the first batch's), its rule and who set
    it, every site's offers in listing order, and each priced site's choice."""

    deal_id: int
    rule: Rule
    rule_set_by: str
    offers: dict[int, list[Offer]]
    choices: dict[int, Choice]

    def offer_number(self, row_number: int, offer: Offer | None) -> int | None:
        """The offer's place (1-based) in its site's list, as `choose --offer K` counts."""
        if offer is None:
            return None
        return 1 + [o.option_id for o in self.offers[row_number]].index(offer.option_id)


def read_deal(session: Session, batch_id: int) -> DealChoices | None:
    """The deal `batch_id` belongs to, with each site's choice (None: no such batch)."""
    deal_id = deal_of(session, batch_id)
    if deal_id is None:
        return None
    offers = deal_offers(session, deal_id)
    rule, set_by = deal_rule(session, deal_id)
    return DealChoices(deal_id, rule, set_by, offers,
                       choose_sites(rule, offers, overrides(session, deal_id)))
