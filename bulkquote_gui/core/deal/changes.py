"""What changed between two batches of the same sites (OLD, then NEW): per site, the price up or
down and by how much, the carrier changed, newly priced, no longer priced, OLD's offer expired,
or unchanged; the totals of the change and how many sites of each kind.

Sites are matched by their normalised address (the key reuse matches sites by:
store.reuse.address_key_of), the k-th row of an address in OLD with the k-th in NEW; a row left
over is then matched by its site id (an address corrected between the two files). A site in
one batch only is compared with nothing.

Up or down is the monthly price's way; when MRC is the same, the one-time price's. The totals
of the change add up the sites priced in both (like for like); a site newly or no longer
priced is counted apart, its price in the old and new totals. Prices in two currencies are
never subtracted: such a site's change is "currency changed", and when the two sides are priced
in different currencies (`Changes.currency` None) the totals say so instead of a difference.

Each side is named as the rep knows it (`Side`): "deal 1" when its batch is one of a deal of
several batches (the offers compared are the deal's choices), else "batch 3".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.store import comparisons as comparison_store
from bulkquote_gui.core.store import deals as deal_store

__all__ = ["Changes", "Kind", "Side", "SiteChange", "compare", "compare_batches",
           "compared_offer", "earlier_sides", "side_of"]

CENT = Decimal("0.01")


class Kind(StrEnum):
    """What happened to one site; a site may be several (up and carrier changed)."""

    UP = "price up"
    DOWN = "price down"
    CARRIER = "carrier changed"
    NEWLY_PRICED = "newly priced"
    NO_LONGER_PRICED = "no longer priced"
    CURRENCY = "currency changed"   # priced both times, in two currencies: not subtracted
    EXPIRED = "expired"          # OLD's offer was past its valid-until date
    UNCHANGED = "unchanged"


def compared_offer(site: comparison_store.SiteRow) -> Offer | None:
    """The offer of a site that a comparison reads: the one its deal chose (the rule's, or the
    rep's pick), as the proposal sells it, so a pick changes the diff as it changes the price."""
    return site.chosen


@dataclass(frozen=True)
class Side:
    """One side of a comparison as the rep knows it: a batch, or the deal it is one of."""

    batch_id: int
    deal_id: int | None = None   # the deal's id when the batch is one of several batches

    @property
    def noun(self) -> str:
        return "batch" if self.deal_id is None else "deal"

    def name(self, mark: str = "") -> str:
        """"deal 1" or "batch 3" ("deal #1" with mark="#")."""
        return f"{self.noun} {mark}{self.batch_id if self.deal_id is None else self.deal_id}"


def side_of(session: Session, batch_id: int) -> Side:
    """The batch as one side: its deal's when the deal has more than one batch."""
    batches = deal_store.deal_batches(session, batch_id)
    return Side(batch_id, batches[0].id if len(batches) > 1 else None)


def earlier_sides(session: Session, batch_id: int, limit: int = 20) -> list[Side]:
    """What a batch is compared with first: the batches (a deal once, named by its first batch)
    of a file of the same name stored before its deal, newest first; never a batch of its own
    deal, which would compare the deal's choices with themselves."""
    own = deal_store.deal_batches(session, batch_id)
    if not own:
        return []
    found: list[Side] = []
    seen: set[int] = set()
    for earlier in comparison_store.earlier_batches(session, own[0].id, limit=limit * 8):
        side = side_of(session, earlier)
        first = side.deal_id if side.deal_id is not None else earlier
        if first not in seen:
            seen.add(first)
            found.append(Side(first, side.deal_id))
    return found[:limit]


@dataclass(frozen=True)
class SiteChange:
    old: comparison_store.SiteRow | None              # None: the site is in NEW only
    new: comparison_store.SiteRow | None              # None: in OLD only
    old_offer: Offer | None
    new_offer: Offer | None
    kinds: tuple[Kind, ...]
    mrc_change: Decimal | None       # NEW - OLD, when priced in both
    nrc_change: Decimal | None

    @property
    def row_number(self) -> int:
        """The site's row in NEW (in OLD when NEW has no row for it)."""
        return (self.new or self.old).row_number   # type: ignore[union-attr]

    @property
    def site(self) -> comparison_store.SiteRow:
        return self.new or self.old   # type: ignore[return-value]


@dataclass(frozen=True)
class Changes:
    sites: tuple[SiteChange, ...]
    monthly_change: Decimal          # the sites priced in both, NEW - OLD
    one_time_change: Decimal
    old_monthly: Decimal             # every priced site of OLD that is compared
    new_monthly: Decimal
    old_one_time: Decimal
    new_one_time: Decimal
    counts: dict[Kind, int]          # sites of each kind (every kind, 0 too)
    old_currencies: tuple[str, ...] = ()   # the currencies each side's compared offers are in
    new_currencies: tuple[str, ...] = ()
    old_side: Side | None = None
    new_side: Side | None = None

    @property
    def currency(self) -> str | None:
        """The one currency both sides are priced in ("USD" when neither is priced); None
        when they differ: then the totals are each side's own and their difference is not
        a number to read."""
        both = set(self.old_currencies) | set(self.new_currencies)
        return "USD" if not both else next(iter(both)) if len(both) == 1 else None

    def currency_words(self) -> str:
        """"priced in USD before, CAD now" when the sides' currencies differ, else ""."""
        if self.currency is not None:
            return ""
        return (f"priced in {', '.join(self.old_currencies) or 'nothing'} before, "
                f"{', '.join(self.new_currencies) or 'nothing'} now")

    def changed(self) -> list[SiteChange]:
        """The sites with something to tell."""
        return [s for s in self.sites if s.kinds != (Kind.UNCHANGED,)]


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT)


def _matched(old: Sequence[comparison_store.SiteRow], new: Sequence[comparison_store.SiteRow]) -> list[tuple[comparison_store.SiteRow | None, comparison_store.SiteRow | None]]:
    """Pairs of the same site, by address then site id; NEW's order, OLD's leftovers last."""
    by_key: dict[tuple[str, ...], list[comparison_store.SiteRow]] = defaultdict(list)
    for site in old:
        by_key[site.key].append(site)
    pairs: dict[int, comparison_store.SiteRow | None] = {}        # index in new -> its old row
    taken: set[int] = set()                      # id() of the old rows matched
    for i, site in enumerate(new):
        same = by_key.get(site.key)
        if same:
            pairs[i] = same.pop(0)
            taken.add(id(pairs[i]))
    by_site_id = {}
    for site in old:
        if id(site) not in taken and site.site_id:
            by_site_id.setdefault(site.site_id, site)
    for i, site in enumerate(new):
        if i not in pairs and site.site_id in by_site_id:
            pairs[i] = by_site_id.pop(site.site_id)
            taken.add(id(pairs[i]))
    out: list[tuple[comparison_store.SiteRow | None, comparison_store.SiteRow | None]] = [(pairs.get(i), s) for i, s in enumerate(new)]
    out.extend((s, None) for s in old if id(s) not in taken)
    return out


def _kinds(old: Offer | None, new: Offer | None, expired: bool) -> tuple[Kind, ...]:
    kinds: list[Kind] = []
    if old is not None and new is not None:
        way = (new.mrc - old.mrc) or (new.nrc - old.nrc)
        if old.currency != new.currency:
            kinds.append(Kind.CURRENCY)   # 100 USD to 100 CAD is neither up nor the same
        elif way:
            kinds.append(Kind.UP if way > 0 else Kind.DOWN)
        if (old.carrier or "").strip().casefold() != (new.carrier or "").strip().casefold():
            kinds.append(Kind.CARRIER)
    elif new is not None:
        kinds.append(Kind.NEWLY_PRICED)
    elif old is not None:
        kinds.append(Kind.NO_LONGER_PRICED)
    if expired:
        kinds.append(Kind.EXPIRED)
    return tuple(kinds) or (Kind.UNCHANGED,)


def _change(old: comparison_store.SiteRow | None, new: comparison_store.SiteRow | None, today: date) -> SiteChange:
    old_offer = compared_offer(old) if old else None
    new_offer = compared_offer(new) if new else None
    expired = (old_offer is not None and old is not None and old.valid_until is not None
               and old.valid_until < today)
    both = old_offer is not None and new_offer is not None \
        and old_offer.currency == new_offer.currency   # never a difference of two currencies
    return SiteChange(
        old=old, new=new, old_offer=old_offer, new_offer=new_offer,
        kinds=_kinds(old_offer, new_offer, expired),
        mrc_change=_money(new_offer.mrc - old_offer.mrc) if both else None,   # type: ignore[union-attr]
        nrc_change=_money(new_offer.nrc - old_offer.nrc) if both else None)   # type: ignore[union-attr]


def _total(values: Iterable[Decimal | None]) -> Decimal:
    return _money(sum((v for v in values if v is not None), Decimal(0)))


def compare(old: Sequence[comparison_store.SiteRow], new: Sequence[comparison_store.SiteRow], *,
            today: date, old_side: Side | None = None, new_side: Side | None = None) -> Changes:
    """OLD's sites against NEW's (store.comparisons.batch_sites of each); `today` says which
    of OLD's offers had expired."""
    sites = tuple(_change(o, n, today) for o, n in _matched(old, new))
    counts = Counter(kind for s in sites for kind in s.kinds)
    return Changes(
        old_currencies=tuple(sorted({s.old_offer.currency for s in sites if s.old_offer})),
        new_currencies=tuple(sorted({s.new_offer.currency for s in sites if s.new_offer})),
        old_side=old_side, new_side=new_side,
        sites=sites,
        monthly_change=_total(s.mrc_change for s in sites),
        one_time_change=_total(s.nrc_change for s in sites),
        old_monthly=_total(s.old_offer.mrc for s in sites if s.old_offer),
        new_monthly=_total(s.new_offer.mrc for s in sites if s.new_offer),
        old_one_time=_total(s.old_offer.nrc for s in sites if s.old_offer),
        new_one_time=_total(s.new_offer.nrc for s in sites if s.new_offer),
        counts={kind: counts.get(kind, 0) for kind in Kind})


def compare_batches(session: Session, old_batch: int, new_batch: int, *, today: date) -> Changes:
    """Two stored batches compared (read in the caller's session), each side named."""
    return compare(comparison_store.batch_sites(session, old_batch),
                   comparison_store.batch_sites(session, new_batch), today=today,
                   old_side=side_of(session, old_batch), new_side=side_of(session, new_batch))
