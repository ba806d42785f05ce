"""The proposal (issue 18): its data from a finished batch, its PDF and XLSX read back.

The PDF is read with pypdf: every site and every total must be in its text, for A4 and Letter;
no provider quote id unless the appendix of all offers was asked for; its fonts embedded.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pypdf
import pytest

from bulkquote_gui.core.deal.logo import MAX_LOGO_BYTES, LogoError, read_logo
from bulkquote_gui.core.deal.proposal_data import (
    Proposal,
    ProposalError,
    ProposalSite,
    Totals,
    UnpricedSite,
    build_proposal,
)
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.proposal_pdf import (
    money,
    render_proposal_pdf,
    write_proposal_pdf,
)
from bulkquote_gui.core.output.proposal_xlsx import write_proposal_xlsx
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.fakes import (
    VALID_UNTIL,
    FakeClock,
    FakeMomentum,
    Outcome,
    fake_import,
)

TODAY = date(2026, 12, 5)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a0e1b2a80000000049454e44ae426082")


def quoted(sf, n, outcomes=None, *, finish=True):
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(),
                                            source_name="sites.csv")
    for ref, outcome in (outcomes or {}).items():
        api.outcomes[f"batch-{batch_id}/{ref}"] = outcome
    if finish:
        Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(4)).run_batch(batch_id)
    return batch_id


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- the data

def test_the_proposal_holds_each_sites_recommended_offer_and_exact_totals(session_factory):
    sf = session_factory
    batch_id = quoted(sf, 3, {"row-3": Outcome(mrc="500.55"),
                              "row-4": Outcome(status="failed", error_code="no_coverage",
                                               error_message="no carrier reaches this address")})
    p = build_proposal(sf, batch_id, customer=" Globex ", company_name="Acme", today=TODAY)
    # FakeMomentum: Lumen at the row's MRC is recommended (on-net, firm, no install, 36 months).
    assert [(s.row_number, s.carrier, s.mrc, s.nrc, s.term_months, s.speed, s.level)
            for s in p.sites] == [(2, "Lumen", Decimal("899.00"), Decimal("0.00"), 36, "1 Gbps", ""),
                                  (3, "Lumen", Decimal("500.55"), Decimal("0.00"), 36, "1 Gbps", "")]
    assert p.totals == Totals("USD", 2, Decimal("1399.55"), Decimal("0.00"), Decimal("50383.80"))
    assert [(u.row_number, u.reason) for u in p.unpriced] == [
        (4, "No coverage: no carrier reaches this address")]
    assert any("Site 4" in n and "could not be priced: No coverage" in n for n in p.notes)
    assert (p.customer, p.company_name, p.earliest_expiry, p.all_offers) == (
        "Globex", "Acme", VALID_UNTIL, None)


def test_the_map_is_drawn_of_every_located_site_in_its_chosen_offers_price_band(session_factory):
    from bulkquote_gui.core.geo.site_points import site_point

    sf = session_factory
    batch_id = quoted(sf, 4, {"row-2": Outcome(mrc="300.00"), "row-3": Outcome(mrc="600.00"),
                              "row-4": Outcome(mrc="900.00"),
                              "row-5": Outcome(status="failed", error_code="no_coverage",
                                               error_message="no carrier reaches this address")})
    drawn = []

    def draw(sites):
        drawn.append(list(sites))
        return PNG_1PX

    p = build_proposal(sf, batch_id, today=TODAY, draw_map=draw)
    assert p.map_png == PNG_1PX
    austin = site_point({}, "78701")          # every fake row is in Austin's 78701
    assert austin is not None
    assert [(d.row_number, (d.x, d.y), d.group, d.band) for d in drawn[0]] == [
        (2, austin, "Low $300/mo", 0), (3, austin, "Mid $600/mo", 1),
        (4, austin, "High $900/mo", 2), (5, austin, "Not priced", None)]
    assert build_proposal(sf, batch_id, today=TODAY).map_png is None   # no painter, no map


def test_the_appendix_is_built_only_when_asked(session_factory):
    sf = session_factory
    batch_id = quoted(sf, 2)
    p = build_proposal(sf, batch_id, today=TODAY, all_offers=True)
    assert len(p.all_offers) == 4        # two options per site
    chosen = [(o.row_number, o.carrier) for o in p.all_offers if o.chosen]
    assert chosen == [(2, "Lumen"), (3, "Lumen")]
    assert all(o.quote_id.startswith("q_") for o in p.all_offers)
    spectrum = next(o for o in p.all_offers if o.carrier == "Spectrum")
    assert (spectrum.level, spectrum.contract_value) == ("Estimate", Decimal("27464.00"))


def test_an_unknown_or_unfinished_batch_is_refused_in_one_sentence(session_factory):
    sf = session_factory
    with pytest.raises(ProposalError, match="no batch 99"):
        build_proposal(sf, 99)
    unfinished = quoted(sf, 1, finish=False)
    with pytest.raises(ProposalError, match=f"batch {unfinished} is not finished yet"):
        build_proposal(sf, unfinished)


def test_estimates_and_budgetary_prices_are_said_plainly():
    from bulkquote_gui.core.deal.proposal_data import _notes

    site = ProposalSite(5, "1 Main St, Austin, TX 78701", "Zayo", "1 Gbps", 36, Decimal(1),
                        Decimal(0), "USD", "Budgetary", date(2026, 1, 1))
    notes = _notes([site], [], Totals("USD", 1, Decimal(1), Decimal(0), Decimal(36)), TODAY)
    assert notes[0] == "The price of site 5 is budgetary: it may change once the provider confirms it."
    assert "site 5 has passed its valid-until date" in notes[1]


# --------------------------------------------------------------------------- the logo

def test_a_logo_is_read_when_it_is_a_small_picture(tmp_path):
    path = tmp_path / "logo.png"
    path.write_bytes(PNG_1PX)
    assert read_logo(path) == PNG_1PX


@pytest.mark.parametrize("content, words", [
    (None, "cannot read logo file"),
    (b"GIF89a not ours", "is not a PNG or JPEG picture"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * MAX_LOGO_BYTES, "a logo must be at most 2 MB"),
])
def test_a_wrong_logo_file_gets_one_clear_sentence(tmp_path, content, words):
    path = tmp_path / "logo.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LogoError, match=re.escape(words)) as caught:
        read_logo(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


# --------------------------------------------------------------------------- the PDF

def big_proposal(n: int, *, with_offers: bool = False) -> Proposal:
    from bulkquote_gui.core.deal.proposal_data import AppendixOffer

    sites = tuple(ProposalSite(i, f"{i} Congress Ave, Austin, TX 78701", "Lumen", "1 Gbps", 36,
                               Decimal("899.10") + Decimal(i) / 100, Decimal("250.05"), "USD",
                               "Estimate" if i % 7 == 0 else "", date(2027, 1, 1))
                  for i in range(2, n + 2))
    unpriced = (UnpricedSite(n + 2, "1 Nowhere Rd, Reno, NV 89501", "No coverage"),)
    totals = Totals("USD", n, sum(s.mrc for s in sites), sum(s.nrc for s in sites),
                    sum(s.contract_value for s in sites))
    offers = tuple(AppendixOffer(s.row_number, "Momentum", f"q_{s.row_number:04d}", s.carrier,
                                 s.speed, 36, s.mrc, s.nrc, "USD", "Firm", "on_net", True)
                   for s in sites) if with_offers else None
    return Proposal("Acme Networks", PNG_1PX, "Globex Corp", TODAY, date(2027, 1, 1), sites,
                    unpriced, totals, ("Site 9 could not be priced: No coverage.",),
                    map_png=PNG_1PX, all_offers=offers)


@pytest.mark.parametrize("page, width_pt", [("a4", 595), ("letter", 612)])
def test_every_site_and_every_total_is_in_the_pdf(page, width_pt):
    p = big_proposal(500)
    data = render_proposal_pdf(p, page=page)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert round(float(reader.pages[0].mediabox.width)) == width_pt
    assert len(reader.pages) > 10
    text = flat(pdf_text(data))
    for s in p.sites:
        assert f"{s.row_number} {s.address} Lumen 1 Gbps 36 mo {money(s.mrc, 'USD')} $250.05" in text
    assert "1 Nowhere Rd, Reno, NV 89501" in text and "No coverage" in text
    for total in (p.totals.monthly, p.totals.one_time, p.totals.over_term):
        assert money(total, "USD") in text
    # by hand: MRC 500 x 899.10 + (2 + ... + 501) / 100 = 450,807.50 a month, x 36 months
    # = 16,229,070.00, plus 500 x 250.05 installation = 16,354,095.00
    assert money(p.totals.over_term, "USD") == "$16,354,095.00"
    # the table's header on every page of it, not only the first
    pages = [page.extract_text() for page in reader.pages[1:]]
    assert all("Row" in t and "Carrier" in t and "MRC" in t for t in pages if "Congress Ave" in t)
    assert "q_0002" not in text and "Appendix" not in text


def test_the_appendix_of_all_offers_carries_the_quote_ids():
    text = flat(pdf_text(render_proposal_pdf(big_proposal(3, with_offers=True))))
    assert "Appendix: every offer received" in text
    assert all(f"q_{n:04d}" in text for n in (2, 3, 4))


def test_the_pdf_embeds_its_fonts():
    reader = pypdf.PdfReader(io.BytesIO(render_proposal_pdf(big_proposal(2))))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descendant = descendant.get_object()
                fonts[str(font["/BaseFont"])] = descendant.get("/FontDescriptor")
    assert fonts
    for name, descriptor in fonts.items():
        assert descriptor is not None, f"{name} has no font descriptor (a standard, unembedded font)"
        descriptor = descriptor.get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, f"{name} not embedded"


def test_the_pdf_file_is_written_whole(tmp_path):
    out = tmp_path / "proposal.pdf"
    write_proposal_pdf(big_proposal(2), out, page="a4")
    assert out.read_bytes().startswith(b"%PDF") and [p.name for p in tmp_path.iterdir()] == [out.name]


# --------------------------------------------------------------------------- the XLSX

def test_the_xlsx_has_the_same_content_with_money_as_numbers(tmp_path):
    p = big_proposal(3)
    out = tmp_path / "proposal.xlsx"
    write_proposal_xlsx(p, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Proposal", "Sites", "Notes"]
    cover = {r[0]: r[1] for r in wb["Proposal"].iter_rows(values_only=True) if r[0]}
    assert cover["Prepared for"] == "Globex Corp" and cover["From"] == "Acme Networks"
    assert Decimal(str(cover["Over the term (MRC x term + NRC)"])) == p.totals.over_term
    rows = list(wb["Sites"].iter_rows(values_only=True))
    assert rows[0][:8] == ("Row", "Address", "Carrier", "Speed", "Term (months)", "MRC", "NRC",
                           "Contract value")
    assert [(r[0], Decimal(str(r[5])), Decimal(str(r[6]))) for r in rows[1:4]] == [
        (s.row_number, s.mrc, s.nrc) for s in p.sites]
    assert rows[4][0] == 5 and rows[4][9] == "No coverage"
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][7])) == p.totals.over_term
    assert wb["Sites"]["F2"].number_format == '"$"#,##0.00'
    assert [r[0] for r in wb["Notes"].iter_rows(values_only=True)][1:] == list(p.notes)


def test_an_outside_name_in_the_xlsx_is_text_never_a_formula(tmp_path):
    from dataclasses import replace

    p = replace(big_proposal(1), customer="=HYPERLINK(\"http://x\")")
    out = tmp_path / "p.xlsx"
    write_proposal_xlsx(p, out)
    cell = openpyxl.load_workbook(out)["Proposal"]["B3"]
    assert cell.data_type == "s" and cell.value == p.customer


@pytest.mark.parametrize("environ, page", [
    ({"LANG": "en_US.UTF-8"}, "letter"), ({"LANG": "en_GB.UTF-8"}, "a4"),
    ({"LANG": "en_US.UTF-8", "LC_PAPER": "de_DE.UTF-8"}, "a4"),
    ({"LC_ALL": "fr_CA.UTF-8", "LC_PAPER": "de_DE"}, "letter"), ({"LANG": "C.UTF-8"}, "letter"),
    ({}, "letter"),
])
def test_the_default_paper_follows_the_locale(environ, page):
    from bulkquote_gui.core.output.proposal_pdf import default_page_size

    assert default_page_size(environ) == page


def test_an_unpriced_site_sits_in_the_sheets_order_with_a_short_word():
    from dataclasses import replace

    p = big_proposal(3)
    p = replace(p, sites=(p.sites[0], p.sites[2]), unpriced=(UnpricedSite(3, "9 Elm St", "x"),))
    text = flat(pdf_text(render_proposal_pdf(p)))
    assert re.search(r"2 2 Congress Ave.* 3 9 Elm St Not priced: see the notes 4 4 Congress", text)


def test_an_unpriced_site_sits_in_the_sheets_order_in_the_xlsx_too(tmp_path):
    from dataclasses import replace

    p = big_proposal(3)
    p = replace(p, sites=(p.sites[0], p.sites[2]), unpriced=(UnpricedSite(3, "9 Elm St", "x"),))
    write_proposal_xlsx(p, tmp_path / "p.xlsx")
    rows = list(openpyxl.load_workbook(tmp_path / "p.xlsx")["Sites"].iter_rows(values_only=True))
    assert [(r[0], r[2]) for r in rows[1:4]] == [(2, "Lumen"), (3, "Not priced"), (4, "Lumen")]
    assert rows[3][5] == float(p.sites[1].mrc)   # money still numbers where priced


def test_several_estimates_are_said_in_the_plural():
    from bulkquote_gui.core.deal.proposal_data import _notes

    sites = [ProposalSite(n, "a", "Zayo", "1 Gbps", 36, Decimal(1), Decimal(0), "USD", "Estimate",
                          None) for n in (5, 9)]
    notes = _notes(sites, [], Totals("USD", 2, Decimal(2), Decimal(0), Decimal(72)), TODAY)
    assert notes == [("The prices of sites 5, 9 are estimates: they may change once the provider "
                      "confirms them.")]


def test_the_totals_are_never_split_over_two_pages():
    # Tables of 20 to 44 sites end at every height of an A4 page: one ends right at its foot.
    for n in range(20, 45):
        pages = [page.extract_text() for page in
                 pypdf.PdfReader(io.BytesIO(render_proposal_pdf(big_proposal(n), page="a4"))).pages]
        at = next(i for i, text in enumerate(pages) if "Totals" in text)
        assert "Over the term (MRC × term + NRC)" in pages[at], f"{n} sites: totals split"


def _images(page) -> int:
    xobjects = page["/Resources"].get("/XObject") or {}
    return sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")


def test_the_map_picture_is_drawn_when_given_and_only_then():
    from dataclasses import replace

    with_map = pypdf.PdfReader(io.BytesIO(render_proposal_pdf(replace(big_proposal(2), logo=None))))
    page = next(p for p in with_map.pages if "Where the sites are" in p.extract_text())
    assert _images(page) == 1
    without = pypdf.PdfReader(io.BytesIO(render_proposal_pdf(
        replace(big_proposal(2), logo=None, map_png=None))))
    assert not any("Where the sites are" in p.extract_text() for p in without.pages)
    assert sum(_images(p) for p in without.pages) == 0


def test_an_alternate_offer_is_said_apart_from_how_firm_its_price_is():
    from bulkquote_gui.core.deal.proposal_data import _notes, level_note
    from bulkquote_gui.core.quoting.provider import QuoteOption

    def site(n, **kw):
        offer = QuoteOption("Zayo", "DIA", 1000, 48, Decimal(1), Decimal(0), "USD", **kw)
        return ProposalSite(n, "a", "Zayo", "1 Gbps", 48, Decimal(1), Decimal(0), "USD",
                            level_note(offer), None)

    sites = [site(3, quote_level="budgetary", alternate=True), site(4, alternate=True),
             site(5, quote_level="firm")]
    assert [s.level for s in sites] == ["Budgetary, alternate offer", "Alternate offer", ""]
    notes = _notes(sites, [], Totals("USD", 3, Decimal(3), Decimal(0), Decimal(144)), TODAY)
    assert notes == [
        "The price of site 3 is budgetary: it may change once the provider confirms it.",
        "The offers for sites 3, 4 are alternates to what was asked (for example another "
        "term): please check before signing."]


# --------------------------------------------------------------------------- a deal's choice

def _finished_deal(sf):
    """tests/helpers/deals.make_deal with its row 4 failed and both batches finished."""
    from sqlalchemy import select, update

    from bulkquote_gui.core.store import rows as row_store
    from bulkquote_gui.core.store.models import BatchJob, BatchQuote, utcnow
    from tests.helpers.deals import make_deal

    ids = make_deal(sf)
    with engine_store.in_transaction(sf) as session:
        for batch_id in ids:
            row_id = session.scalar(select(BatchQuote.id).where(BatchQuote.batch_id == batch_id,
                                                                BatchQuote.row_number == 4))
            row_store.mark_failed(session, row_id, "no_coverage", "no carrier reaches it", utcnow())
        session.execute(update(BatchJob).where(BatchJob.id.in_(ids)).values(status="complete"))
    return ids


def test_a_deals_proposal_sells_each_site_at_its_chosen_offer_and_follows_a_pick(session_factory):
    from bulkquote_gui.core.store import choices as choice_store

    sf = session_factory
    sonata, momentum = _finished_deal(sf)
    # Lowest contract value among firm offers: row 2's Lumen (23,400; Acme's are budgetary and
    # Spectrum's an estimate), row 3's only offer. The proposal reads the same from either batch.
    p = build_proposal(sf, momentum, today=TODAY)
    assert p == build_proposal(sf, sonata, today=TODAY)
    assert [(s.row_number, s.carrier, s.mrc, s.nrc, s.term_months, s.level) for s in p.sites] == [
        (2, "Lumen", Decimal("650.00"), Decimal("0.00"), 36, ""),
        (3, "Lumen", Decimal("899.10"), Decimal("250.05"), 36, "")]
    assert p.totals.monthly == Decimal("1549.10") and p.totals.one_time == Decimal("250.05")
    assert [u.row_number for u in p.unpriced] == [4]

    with session_factory() as session:
        acme_12 = choice_store.deal_offers(session, sonata)[2][0]
    with engine_store.in_transaction(sf) as session:
        choice_store.set_override(session, sonata, 2, acme_12.option_id, "Dana")
    picked = build_proposal(sf, sonata, today=TODAY, all_offers=True)
    assert [(s.carrier, s.term_months, s.mrc, s.nrc, s.level, s.valid_until)
            for s in picked.sites][0] == ("Acme", 12, Decimal("700.00"), Decimal("100.00"),
                                          "Budgetary", date(2027, 2, 1))
    assert picked.totals.over_term == Decimal("8500.00") + Decimal("32617.65")
    # The appendix holds every offer of the deal, both providers', the pick marked.
    appendix = picked.all_offers
    assert sorted((a.row_number, a.provider, a.carrier, a.term_months, a.chosen)
                  for a in appendix) == [
        (2, "Acme Sonata", "Acme", 12, True), (2, "Acme Sonata", "Acme", 36, False),
        (2, "Momentum", "Lumen", 36, False), (2, "Momentum", "Spectrum", 36, False),
        (3, "Momentum", "Lumen", 36, True)]


def test_a_deals_proposal_waits_for_every_batch_of_the_deal(session_factory):
    from sqlalchemy import update

    from bulkquote_gui.core.store.models import BatchJob

    sf = session_factory
    sonata, momentum = _finished_deal(sf)
    with engine_store.in_transaction(sf) as session:
        session.execute(update(BatchJob).where(BatchJob.id == sonata).values(status="running"))
    with pytest.raises(ProposalError, match=f"batch {sonata} of this deal is not finished yet"):
        build_proposal(sf, momentum, today=TODAY)


def _png(width: int, height: int) -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (40, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def test_the_xlsx_places_the_map_on_the_proposal_sheet_and_only_when_given(tmp_path):
    import zipfile
    from dataclasses import replace

    map_png = _png(160, 99)
    out = tmp_path / "p.xlsx"
    write_proposal_xlsx(replace(big_proposal(2), map_png=map_png), out)
    sheet = openpyxl.load_workbook(out)["Proposal"]
    (picture,) = sheet._images
    label_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "Where the sites are")
    assert picture.anchor._from.row == label_row   # 0-based: the row under the label
    shown = picture.anchor.ext   # its size on the sheet, in EMU (9525 a pixel)
    assert (shown.width / 9525, shown.height / 9525) == (720, round(99 * 720 / 160))
    with zipfile.ZipFile(out) as z:
        assert [z.read(n) for n in z.namelist() if n.startswith("xl/media/")] == [map_png]

    write_proposal_xlsx(replace(big_proposal(2), map_png=None), out)
    assert openpyxl.load_workbook(out)["Proposal"]._images == []
