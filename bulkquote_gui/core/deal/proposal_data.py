"""What a proposal says, read from a finished batch: the narrow contract its PDF and XLSX write.

Each site shows the offer chosen for it, and only that (carrier, speed, term, MRC, NRC, how firm
the price is); a site without a price says why in the rep's words. The offer is the deal's
choice (`chosen_offers`: the rule's, or the rep's own pick), over every provider and term the
deal asked. Money stays Decimal to the cent; sites priced in
another currency than the proposal's main one are listed but never added into its totals.
Internal data (the provider's quote ids, the other offers) is held only when the rep asked for
the appendix of all offers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.deal.logo import read_logo
from bulkquote_gui.core.geo.price_bands import OTHER_CURRENCY, price_bands
from bulkquote_gui.core.geo.site_points import MapSite, site_point
from bulkquote_gui.core.intake.rows import RowStatus
from bulkquote_gui.core.output.reasons import batch_word, quote_level_word, reason_text
from bulkquote_gui.core.quoting.provider import QuoteOption as Offer
from bulkquote_gui.core.states import BatchStatus, RowState
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import options as option_store
from bulkquote_gui.core.store import views as view_store

__all__ = ["AppendixOffer", "Proposal", "ProposalError", "ProposalSite", "Totals", "UnpricedSite",
           "build_proposal", "chosen_offers", "level_note", "speed_words"]

CENT = Decimal("0.01")
NOT_PRICED = "Not priced"      # the map's group of a site without a chosen offer
ALTERNATE = "alternate offer"   # a price for something else than was asked (Sonata)


class ProposalError(ValueError):
    """A batch a proposal cannot be made of (unknown, unfinished); the message says which."""


@dataclass(frozen=True)
class ProposalSite:
    row_number: int
    address: str
    carrier: str
    speed: str                 # "1 Gbps"
    term_months: int
    mrc: Decimal
    nrc: Decimal
    currency: str
    level: str                 # "" for a firm price, else "Budgetary", "Estimate", ...
    valid_until: date | None

    @property
    def contract_value(self) -> Decimal:
        """MRC x term + NRC, to the cent."""
        return (self.mrc * self.term_months + self.nrc).quantize(CENT)


@dataclass(frozen=True)
class UnpricedSite:
    row_number: int
    address: str
    reason: str                # in the rep's words ("No coverage: ...")


@dataclass(frozen=True)
class Totals:
    currency: str
    sites: int
    monthly: Decimal
    one_time: Decimal
    over_term: Decimal         # every site's MRC x its term + NRC


@dataclass(frozen=True)
class AppendixOffer:
    """One offer of a site as the provider gave it: internal data, only in the appendix."""

    row_number: int
    provider: str
    quote_id: str              # the provider's id of the quote
    carrier: str
    speed: str
    term_months: int
    mrc: Decimal
    nrc: Decimal
    currency: str
    level: str
    access: str
    chosen: bool

    @property
    def contract_value(self) -> Decimal:
        return (self.mrc * self.term_months + self.nrc).quantize(CENT)


@dataclass(frozen=True)
class Proposal:
    company_name: str
    logo: bytes | None         # PNG or JPEG (core/deal/logo.py checked it)
    customer: str
    date: date
    earliest_expiry: date | None
    sites: tuple[ProposalSite, ...]
    unpriced: tuple[UnpricedSite, ...]
    totals: Totals
    notes: tuple[str, ...]
    map_png: bytes | None = None
    all_offers: tuple[AppendixOffer, ...] | None = None   # None: no appendix


def chosen_offers(deal: choice_store.DealChoices | None, options: list[option_store.OptionView]
                  ) -> dict[int, tuple[Offer, date | None]]:
    """{row number: the offer the site is sold at, and until when its price holds}: the one
    the deal's rule chose, or the rep's own pick (core/deal/overrides.py), over every
    provider and term of the deal. A site with nothing chosen is not in it."""
    by_id = {o.option_id: o.offer for o in options}
    return {n: (by_id[c.offer.option_id], c.offer.valid_until)
            for n, c in (deal.choices.items() if deal else ())
            if c.offer is not None and c.offer.option_id in by_id}


def speed_words(mbps: int) -> str:
    return f"{mbps // 1000} Gbps" if mbps >= 1000 and mbps % 1000 == 0 else f"{mbps} Mbps"


def level_note(offer: Offer) -> str:
    """How firm a price is, as the customer reads it ("" for a firm price)."""
    if offer.quote_level and offer.quote_level != "firm":
        words = quote_level_word(offer.quote_level)
        note = words[:1].upper() + words[1:]
    elif offer.quote_level is None and offer.is_estimate:
        note = "Estimate"
    else:
        note = ""
    if offer.alternate:
        note = f"{note}, {ALTERNATE}" if note else ALTERNATE.capitalize()
    return note


def build_proposal(session_factory: sessionmaker[Session], batch_id: int, *, customer: str = "",
                   company_name: str = "", logo: bytes | str | Path | None = None,
                   today: date | None = None, map_png: bytes | None = None,
                   all_offers: bool = False,
                   draw_map: Callable[[Sequence[MapSite]], bytes] | None = None) -> Proposal:
    """The proposal of a finished batch. `logo` as bytes, or a file read and checked here
    (LogoError names it); ProposalError for an unknown or unfinished batch. `draw_map` makes
    the map's picture of the sites, each in the price band of its chosen offer's MRC
    (core/geo/price_bands; a painter the caller gives: core draws nothing itself)."""
    today = today or date.today()
    if logo is not None and not isinstance(logo, bytes):
        logo = read_logo(logo) if str(logo).strip() else None
    with session_factory() as session:
        batch = view_store.get_batch(session, batch_id)
        if batch is None:
            raise ProposalError(f"no batch {batch_id} in this database")
        batches = deal_store.deal_batches(session, batch_id)
        for b in sorted(batches, key=lambda b: b.id != batch_id):   # the one named first
            if not BatchStatus(b.status).finished:
                whose = "" if b.id == batch_id else " of this deal"
                raise ProposalError(f"batch {b.id}{whose} is not finished yet "
                                    f"({batch_word(b.status).lower()}): a proposal is made of "
                                    "a finished batch")
        providers = {b.id: b.provider_name or choice_store.UNNAMED_PROVIDER for b in batches}
        rows = view_store.batch_rows(session, batch_id)
        skipped = view_store.batch_skipped(session, batch_id)
        deal = choice_store.read_deal(session, batch_id)
        options = option_store.batches_options(session, list(providers))
        remote_ids = {r.quote_id: r.remote_id for b in providers
                      for r in (rows if b == batch_id else view_store.batch_rows(session, b))
                      } if all_offers else {}
    chosen = chosen_offers(deal, options)
    sites, unpriced, points = [], [], {}
    for row in rows:
        offer, valid_until = chosen.get(row.row_number, (None, None))
        point = site_point(row.original, row.quoted[3]) if draw_map else None
        if point is not None:
            points[row.row_number] = point
        if offer is None:
            unpriced.append(UnpricedSite(row.row_number, row.address, _unpriced_reason(row)))
            continue
        sites.append(ProposalSite(
            row_number=row.row_number, address=row.address, carrier=offer.carrier,
            speed=speed_words(offer.bandwidth_mbps), term_months=offer.term_months,
            mrc=offer.mrc.quantize(CENT), nrc=offer.nrc.quantize(CENT), currency=offer.currency,
            level=level_note(offer), valid_until=valid_until))
    # An invalid row of the sheet is a site the customer asked about; a duplicate is not.
    unpriced += [UnpricedSite(s.row_number, s.address, s.reason)
                 for s in skipped if s.status == RowStatus.INVALID]
    unpriced.sort(key=lambda u: u.row_number)
    totals = _totals(sites)
    if draw_map is not None and map_png is None and points:
        map_png = draw_map(_map_sites(points, chosen))
    expiries = [s.valid_until for s in sites if s.valid_until is not None]
    return Proposal(
        company_name=company_name.strip(), logo=logo or None, customer=customer.strip(), date=today,
        earliest_expiry=min(expiries, default=None), sites=tuple(sites), unpriced=tuple(unpriced),
        totals=totals, notes=tuple(_notes(sites, unpriced, totals, today)), map_png=map_png,
        all_offers=_appendix(options, chosen, providers, remote_ids) if all_offers else None)


def _map_sites(points: dict[int, tuple[float, float]],
               chosen: dict[int, tuple[Offer, date | None]]) -> list[MapSite]:
    """The map's dots: each site by the price band of its chosen offer's MRC."""
    bands = price_bands({n: (chosen[n][0].mrc, chosen[n][0].currency) for n in points
                         if n in chosen})
    dots = []
    for n, point in points.items():
        band = bands.get(n)
        group = band.label if band else OTHER_CURRENCY if n in chosen else NOT_PRICED
        dots.append(MapSite(n, *point, group, band.rank if band else None))
    return dots


def _unpriced_reason(row: view_store.RowView) -> str:
    if row.status == RowState.COMPLETE:
        return "No offer chosen"
    return reason_text(row.error_code, row.error_message) or "Not priced"


def _totals(sites: list[ProposalSite]) -> Totals:
    currency = Counter(s.currency for s in sites).most_common(1)[0][0] if sites else "USD"
    same = [s for s in sites if s.currency == currency]
    return Totals(currency=currency, sites=len(same),
                  monthly=sum((s.mrc for s in same), Decimal("0.00")),
                  one_time=sum((s.nrc for s in same), Decimal("0.00")),
                  over_term=sum((s.contract_value for s in same), Decimal("0.00")))


def _rows_text(numbers: list[int]) -> str:
    words = ", ".join(str(n) for n in numbers)
    return f"site {words}" if len(numbers) == 1 else f"sites {words}"


def _notes(sites: list[ProposalSite], unpriced: list[UnpricedSite], totals: Totals,
           today: date) -> list[str]:
    """What the customer must know about the prices, said plainly (sites by sheet row)."""
    notes = []
    by_level: dict[str, list[int]] = {}
    alternates = []
    for s in sites:
        level = s.level
        if level.lower().endswith(ALTERNATE):   # "Alternate offer", "Budgetary, alternate offer"
            alternates.append(s.row_number)
            level = level[:-len(ALTERNATE)].removesuffix(", ")
        if level:
            by_level.setdefault(level, []).append(s.row_number)
    for level, numbers in sorted(by_level.items()):
        lower = level[:1].lower() + level[1:]
        if len(numbers) == 1:
            words = "an estimate" if level == "Estimate" else lower
            notes.append(f"The price of {_rows_text(numbers)} is {words}: it may change once "
                         "the provider confirms it.")
        else:
            words = "estimates" if level == "Estimate" else lower
            notes.append(f"The prices of {_rows_text(numbers)} are {words}: they may change "
                         "once the provider confirms them.")
    if alternates:
        one = len(alternates) == 1
        notes.append(f"The offer{'' if one else 's'} for {_rows_text(alternates)} "
                     f"{'is an alternate' if one else 'are alternates'} to what was asked (for "
                     "example another term): please check before signing.")
    expired = [s.row_number for s in sites if s.valid_until is not None and s.valid_until < today]
    if expired:
        one = len(expired) == 1
        notes.append(f"The price{'' if one else 's'} of {_rows_text(expired)} "
                     f"{'has' if one else 'have'} passed {'its' if one else 'their'} valid-until "
                     "date and must be confirmed again.")
    other = sorted({s.currency for s in sites} - {totals.currency})
    if other:
        notes.append(f"Sites priced in {', '.join(other)} are not added into the totals "
                     f"(in {totals.currency}).")
    for u in unpriced:
        notes.append(f"Site {u.row_number} ({u.address or 'no address'}) could not be priced: "
                     f"{u.reason.rstrip('.')}.")
    return notes


def _appendix(options: list[option_store.OptionView],
              chosen: dict[int, tuple[Offer, date | None]], providers: dict[int, str],
              remote_ids: dict[int, str | None]) -> tuple[AppendixOffer, ...]:
    out = []
    for o in options:
        picked = chosen.get(o.row_number)
        out.append(AppendixOffer(
            row_number=o.row_number, provider=providers.get(o.batch_id, ""),
            quote_id=remote_ids.get(o.row_id) or "", carrier=o.carrier,
            speed=speed_words(o.bandwidth_mbps), term_months=o.term_months,
            mrc=o.mrc.quantize(CENT), nrc=o.nrc.quantize(CENT), currency=o.currency,
            level=level_note(o.offer) or "Firm", access=o.access or "",
            chosen=picked is not None and picked[0] is o.offer))
    return tuple(out)
