"""Daily use in the window (issue 11): the finished page's deal summary and chart, re-quoting
stale rows, the search over past batches, reusing valid quotes in the preview, and a corrected
column mapping offered again. All through the real window over a temp store and the simulator."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import insert, select, update

from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import search as search_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store.models import BatchJob, BatchQuote, Quote, QuoteOption
from bulkquote_gui.gui.models.preview_model import STATUS_COLUMN as PREVIEW_STATUS
from bulkquote_gui.gui.roles import STATUS_ROLE
from bulkquote_gui.services.mapping_memory import MappingMemory

from .conftest import store_batch
from .test_progress_page import submit, write_sites

D = Decimal


def price_batch(context, batch_id: int, prices: list[tuple[str, str, str, int]], *,
                valid_until: date | None = None) -> None:
    """The batch's rows priced as the API would have (carrier, MRC, NRC, term; one recommended
    option each plus a dearer alternative), and the batch complete."""
    valid_until = valid_until or date.today() + timedelta(days=30)
    with context.session_factory.begin() as session:
        rows = session.execute(select(BatchQuote.id, BatchQuote.quote_id)
                               .where(BatchQuote.batch_id == batch_id)
                               .order_by(BatchQuote.position)).all()
        assert len(rows) >= len(prices)
        for (row_id, quote_id), (carrier, mrc, nrc, term) in zip(rows, prices):
            session.execute(update(Quote).where(Quote.id == quote_id).values(
                status="complete", carrier=carrier, mrc=D(mrc), nrc=D(nrc), currency="USD",
                valid_until=valid_until, term_months=term))
            session.execute(insert(QuoteOption), [
                dict(quote_id=quote_id, position=0, recommended=True, carrier=carrier, product="DIA",
                     bandwidth_mbps=100, term_months=term, mrc=D(mrc), nrc=D(nrc), currency="USD"),
                dict(quote_id=quote_id, position=1, recommended=False, carrier="Dearer Co",
                     product="DIA", bandwidth_mbps=100, term_months=term, mrc=D(mrc) * 2,
                     nrc=D(nrc), currency="USD")])
            session.execute(update(BatchQuote).where(BatchQuote.id == row_id).values(status="complete"))
        for row_id, _q in rows[len(prices):]:
            session.execute(update(BatchQuote).where(BatchQuote.id == row_id)
                            .values(status="failed", error_code="no_coverage", error_message="none"))
        session.execute(update(BatchJob).where(BatchJob.id == batch_id).values(status="complete"))


def open_finished(qtbot, window, batch_id: int) -> None:
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000) as shown:
        window.open_batch(batch_id)
    assert shown.args == [batch_id]


# ---------------------------------------------------------------- 1. deal summary and chart

def test_the_finished_page_shows_the_deal_summary_of_a_hand_computed_batch(qtbot, window, context,
                                                                           tmp_path):
    path = write_sites(tmp_path / "four.csv", ["100 Congress Ave", "200 Congress Ave",
                                               "300 Congress Ave", "400 Congress Ave"])
    batch_id = store_batch(context, path=path)
    price_batch(context, batch_id, [("Lumen", "1204.00", "500.00", 36),
                                    ("Lumen", "99.50", "0.00", 36),
                                    ("Zayo", "750.25", "1000.00", 24)])   # the 4th row failed
    open_finished(qtbot, window, batch_id)
    view = window.progress_page.deal_view
    assert view.isVisible()
    # By hand: Lumen MRC 1204 + 99.50 = 1303.50, NRC 500, CV 1204*36+500 + 99.50*36 = 47426.00;
    # Zayo MRC 750.25, NRC 1000, CV 750.25*24 + 1000 = 19006.00; overall CV 66432.00.
    assert view.text("Lumen", "Sites") == "2"
    assert view.text("Lumen", "MRC / month") == "$1,303.50"
    assert view.text("Lumen", "NRC") == "$500.00"
    assert view.text("Lumen", "Contract value") == "$47,426.00"
    assert view.text("Zayo", "MRC / month") == "$750.25"
    assert view.text("Zayo", "Contract value") == "$19,006.00"
    assert view.text("Total", "Sites") == "3"
    assert view.text("Total", "MRC / month") == "$2,053.75"
    assert view.text("Total", "NRC") == "$1,500.00"
    assert view.text("Total", "Contract value") == "$66,432.00"
    assert "Dearer Co" not in {k[0] for k in view.cells}   # the rule's choice counts
    assert view.choice_label.text() == (
        "Chosen by the rule: Lowest contract value\n"
        "Other rules: lowest MRC $2,053.75/mo (the same); on-net first $2,053.75/mo (the same)")
    assert "3 priced sites" in view.note.text()
    # The chart: one bar per carrier, the monthly price of each, the dearest first.
    assert view.chart.bars == [("Lumen", D("1303.50")), ("Zayo", D("750.25"))]
    assert view.chart.isVisible() and view.chart.height() > 0
    image = view.chart.grab().toImage()
    assert not image.isNull()
    # Same figures as the XLSX Summary sheet / `status --json` (core/output/deal_summary.py).
    from bulkquote_gui.core.output.deal_summary import summarise
    with context.session_factory() as session:
        deal = summarise(choice_store.read_deal(session, batch_id))
    assert f"${deal.overall.contract_value:,.2f}" == view.text("Total", "Contract value")
    assert not view.stale_row.isVisible()   # every price still valid
    # Folded (a short screen starts so): the totals on the title line, the rows kept in sight.
    assert view.details.isVisible()
    qtbot.mouseClick(view.toggle_button, Qt.MouseButton.LeftButton)
    assert not view.details.isVisible() and view.toggle_button.text() == "Show details"
    assert view.note.text() == ("3 priced sites, 1 failed, USD  ·  MRC $2,053.75/mo  ·  "
                                "NRC $1,500.00  ·  "
                                "contract value $66,432.00")


def test_the_deal_summary_counts_the_reps_own_pick(qtbot, window, context, tmp_path):
    batch_id = store_batch(context, path=write_sites(tmp_path / "two.csv", ["100 Congress Ave",
                                                                          "200 Congress Ave"]))
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 12), ("Zayo", "200.00", "0.00", 12)])
    with context.session_factory.begin() as session:
        (dearer,) = [o for o in choice_store.deal_offers(session, batch_id)[2]
                     if o.carrier == "Dearer Co"]
        choice_store.set_override(session, batch_id, 2, dearer.option_id, "Alice")
    open_finished(qtbot, window, batch_id)
    view = window.progress_page.deal_view
    # Row 2 at the rep's Dearer Co (200.00 a month), row 3 at the rule's Zayo (200.00).
    assert view.text("Dearer Co", "MRC / month") == "$200.00"
    assert view.text("Total", "MRC / month") == "$400.00"
    assert view.choice_label.text().splitlines()[0] == (
        "Chosen by the rule: Lowest contract value; 1 chosen by hand")


def test_the_deal_summary_starts_folded_on_a_short_window(qtbot, window, context, tmp_path):
    window.resize(1024, 576)                 # 1280x720 at 125 %
    batch_id = store_batch(context, path=write_sites(tmp_path / "one.csv", ["100 Congress Ave"]))
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 12)])
    open_finished(qtbot, window, batch_id)
    view = window.progress_page.deal_view
    assert view.isVisible() and not view.details.isVisible()
    assert "contract value $1,200.00" in view.note.text()


def test_a_batch_finishing_live_shows_its_deal_summary(qtbot, window):
    with qtbot.waitSignal(window.daily.deal_shown, timeout=60_000):
        batch_id = submit(qtbot, window)
    page = window.progress_page
    assert page.deal_view.batch_id == batch_id and page.deal_view.isVisible()
    priced = page.counts["complete"]
    assert page.deal_view.text("Total", "Sites") == f"{priced:,}"
    assert len(page.deal_view.chart.bars) == len(page.deal_view.summary.by_carrier) >= 1


# ---------------------------------------------------------------- 4. re-quote stale rows

def test_requote_stale_rows_asks_then_opens_the_new_batch(qtbot, window, context, dialogs, tmp_path):
    path = write_sites(tmp_path / "stale.csv", ["100 Congress Ave", "200 Congress Ave"])
    batch_id = store_batch(context, path=path)
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 36), ("Zayo", "200.00", "0.00", 36)],
                valid_until=date.today() - timedelta(days=3))
    open_finished(qtbot, window, batch_id)
    view = window.progress_page.deal_view
    assert view.stale_row.isVisible() and view.requote_button.isEnabled()
    assert view.stale_label.text().startswith("2 prices are past their valid-until date")
    dialogs.confirms.append(False)          # No: nothing is stored
    qtbot.mouseClick(view.requote_button, Qt.MouseButton.LeftButton)
    assert dialogs.asked[-1] == ("confirm", f"Re-quote the stale rows of batch #{batch_id}?")
    with context.session_factory() as session:
        assert len(view_store.list_batches(session)) == 1
    dialogs.confirms.append(True)
    with qtbot.waitSignal(window.daily.requoted, timeout=10_000) as requoted:
        qtbot.mouseClick(view.requote_button, Qt.MouseButton.LeftButton)
    new_id = requoted.args[1]
    assert requoted.args[0] == batch_id and new_id != batch_id
    qtbot.waitUntil(lambda: window.progress_page.batch_id == new_id, timeout=10_000)
    assert f"re-quote of #{batch_id}" in window.progress_page.title.text()
    # The new batch is quoted (the worker was told) and each row remembers the price it replaces.
    qtbot.waitUntil(lambda: window.progress_page.status == "complete", timeout=60_000)
    with context.session_factory() as session:
        rows = view_store.batch_rows(session, new_id)
    assert len(rows) == 2 and all(r.requote_of is not None for r in rows)
    assert sorted(r.previous_mrc for r in rows) == [D("100.00"), D("200.00")]


def test_requote_of_a_deal_asks_again_the_stale_term_of_every_batch(qtbot, window, context,
                                                                    dialogs, tmp_path):
    """A deal of 36 and 60 months opened at its first batch (36 months, still valid): its 60
    month prices had expired, but the page counted the first batch's alone (none stale, no
    button) and a re-quote asked only that batch."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.core.store import engine as engine_store

    path = write_sites(tmp_path / "deal.csv", ["100 Congress Ave", "200 Congress Ave"])
    with engine_store.in_transaction(context.session_factory) as session:
        first, second = deal_store.create_deal(
            session, import_file(path), defaults=BatchDefaults(), source_name=path.name,
            asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (60,))])
        for batch_id in (first, second):
            batch_store.mark_paused(session, batch_id, "paused")
    price_batch(context, first, [("Lumen", "100.00", "0.00", 36), ("Zayo", "200.00", "0.00", 36)])
    price_batch(context, second, [("Lumen", "90.00", "0.00", 60), ("Zayo", "180.00", "0.00", 60)],
                valid_until=date.today() - timedelta(days=3))
    open_finished(qtbot, window, first)
    view = window.progress_page.deal_view
    assert view.stale == 2 and view.requote_button.isEnabled()
    dialogs.confirms.append(False)   # the question names the deal and its batches, not one batch
    qtbot.mouseClick(view.requote_button, Qt.MouseButton.LeftButton)
    assert dialogs.asked[-1] == ("confirm", f"Re-quote the stale quotes of deal #{first}?")
    dialogs.confirms.append(True)
    with qtbot.waitSignal(window.daily.requoted, timeout=10_000) as requoted:
        qtbot.mouseClick(view.requote_button, Qt.MouseButton.LeftButton)
    new_id = requoted.args[1]
    with context.session_factory() as session:
        asked = [(b.id, deal_store.batch_terms(b), b.total)
                 for b in deal_store.deal_batches(session, new_id)]
        again = view_store.batch_rows(session, new_id)
    assert asked == [(new_id, [60], 2)]
    assert sorted(r.previous_mrc for r in again) == [D("90.00"), D("180.00")]


def test_expired_prices_are_marked_in_the_results(qtbot, window, context, tmp_path):
    from bulkquote_gui.gui.models.results_model import CATEGORY_ROLE, EXPIRED, REASON_COLUMN

    path = write_sites(tmp_path / "old.csv", ["100 Congress Ave", "200 Congress Ave"])
    batch_id = store_batch(context, path=path)
    expired_on = date.today() - timedelta(days=3)
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 36)], valid_until=expired_on)
    open_finished(qtbot, window, batch_id)
    model = window.progress_page.model
    reasons = [model.index(r, REASON_COLUMN).data() for r in range(model.rowCount())]
    assert reasons[0] == (f"Price expired on {expired_on:%b %d %Y}: re-quote before putting it "
                          "in a proposal")
    assert not reasons[1].startswith("Price expired")   # the failed row keeps its own reason
    assert model.index(0, 0).data(CATEGORY_ROLE) == EXPIRED


# ---------------------------------------------------------------- 2. search over past batches

def test_search_finds_past_rows_debounced_and_opens_the_batch(qtbot, window, context, tmp_path):
    path = write_sites(tmp_path / "search.csv", ["100 Congress Ave", "742 Evergreen Terrace"])
    first = store_batch(context, path=path)
    price_batch(context, first, [("Lumen", "1204.00", "0.00", 36)])
    store_batch(context, path=write_sites(tmp_path / "other.csv", ["9 Elm St"]))
    search = window.upload_page.jobs_panel.search
    jobs_view = window.upload_page.jobs_panel.view
    window.refresh_jobs()                   # stored by "another app": read the list again
    qtbot.waitUntil(lambda: jobs_view.isVisible(), timeout=10_000)
    # Typed one key at a time: one search once the rep pauses, not one per key.
    with qtbot.waitSignal(search.results_shown, timeout=10_000) as shown:
        qtbot.keyClicks(search.field, "congress")
    assert shown.args == ["congress"] and search.searches == 1
    assert not jobs_view.isVisible()        # the results stand in for the recent jobs
    assert search.results.count() == 1
    text = search.results.item(0).text()
    assert text.startswith(f"#{first}  ·  row 2  ·  search.csv")
    assert "100 Congress Ave" in text and "$1,204.00/mo" in text and "Site 0" in text
    # By company and by ZIP too, as `bulkquote find` does; nothing found is said.
    with qtbot.waitSignal(search.results_shown, timeout=10_000):
        search.field.setText("site 1")
    assert search.results.count() == 1 and "Evergreen" in search.results.item(0).text()
    with qtbot.waitSignal(search.results_shown, timeout=10_000):
        search.field.setText("78701")
    assert search.results.count() == 3
    with qtbot.waitSignal(search.results_shown, timeout=10_000):
        search.field.setText("no such place")
    assert search.results.count() == 0 and "Nothing found" in search.state.text()
    with qtbot.waitSignal(search.results_shown, timeout=10_000):
        search.field.setText("evergreen")
    item = search.results.item(0)
    rect = search.results.visualItemRect(item)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000) as opened:
        qtbot.mouseClick(search.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [first]
    search.field.clear()                    # the recent jobs come back
    window.show_upload()
    qtbot.waitUntil(lambda: jobs_view.isVisible(), timeout=10_000)


def test_search_runs_off_the_gui_thread_and_an_old_answer_is_not_shown(qtbot, window, context,
                                                                       tmp_path, monkeypatch):
    import threading


    path = write_sites(tmp_path / "slow.csv", ["100 Congress Ave", "200 Main St"])
    store_batch(context, path=path)
    threads, release = [], threading.Event()
    real = search_store.find_rows

    def slow(session, text, **kw):
        threads.append(threading.current_thread() is threading.main_thread())
        if text == "congress":
            release.wait(5)              # the first search is slow: the rep types on
        return real(session, text, **kw)

    monkeypatch.setattr(search_store, "find_rows", slow)
    search = window.upload_page.jobs_panel.search
    search.field.setText("congress")
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=10_000)
    search.field.setText("main st")     # while the first is in flight
    qtbot.wait(400)                      # the window goes on painting meanwhile
    release.set()
    with qtbot.waitSignal(search.results_shown, timeout=10_000) as shown:
        pass
    assert shown.args == ["main st"] and threads == [False, False]
    assert search.results.count() == 1 and "200 Main St" in search.results.item(0).text()


# ---------------------------------------------------------------- 3. reuse in the preview

def load(qtbot, window, path: Path) -> None:
    with qtbot.waitSignal(window.daily.reuse_shown, timeout=20_000):
        window.load_file(path)


def preview_status(window, row: int) -> tuple[str, str, str]:
    index = window.upload_page.model.index(row, PREVIEW_STATUS)
    return index.data(), index.data(STATUS_ROLE), index.data(Qt.ItemDataRole.ToolTipRole)


def submit_again(qtbot, window) -> int:
    """Submit the loaded file a second time ("Submit again?" answered yes), to the end."""
    window.dialogs.confirms.append(True)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    # Every row reused: the batch is complete as stored, and no quote runs.
    qtbot.waitUntil(lambda: window.progress_page.status == "complete", timeout=60_000)
    return opened.args[0]


def test_reused_rows_are_shown_and_cost_no_api_call_unless_unticked(qtbot, window, simulator, tmp_path):
    path = write_sites(tmp_path / "again.csv", ["100 Congress Ave", "200 Congress Ave",
                                                 "300 Congress Ave"])
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        first = submit(qtbot, window, path)
    with window.context.session_factory() as session:
        priced = [r for r in view_store.batch_rows(session, first) if r.status == "complete"]
    assert priced, "the simulator prices Congress Ave"
    window.show_upload()
    load(qtbot, window, path)
    upload = window.upload_page
    assert upload.reuse_box.isChecked() and upload.reuse_box.isVisible()
    assert set(upload.model.reusable()) == {r.row_number for r in priced}
    row = next(i for i in range(upload.model.rowCount())
               if upload.model.result.row_number_at(i) == priced[0].row_number)
    text, status, tip = preview_status(window, row)
    assert (text, status) == ("Reuse", "reuse")
    assert tip.startswith(f"Quoted in batch #{first} (row {priced[0].row_number}), "
                          f"{priced[0].carrier} ${priced[0].mrc:,.2f}/mo, valid until ")
    assert "no new API call" in tip
    assert upload.reuse_label.isVisible() and f"batch #{first}" in upload.reuse_label.text()

    # An edited street is another site: its mark goes (asked again off the GUI thread).
    street = upload.model.index(row, 1 + upload.model.result.columns.index("Address"))
    with qtbot.waitSignal(window.daily.reuse_shown, timeout=20_000):
        assert upload.model.setData(street, "999 Elsewhere Rd")
    assert preview_status(window, row)[1] != "reuse"
    assert priced[0].row_number not in upload.model.reusable()
    with qtbot.waitSignal(window.daily.reuse_shown, timeout=20_000):
        assert upload.model.setData(street, priced[0].address.split(",")[0])   # back again
    assert preview_status(window, row)[1] == "reuse"

    # Ticked: a second submit asks the API only for the rows not priced last time.
    posts = simulator.stats()["created"]
    second = submit_again(qtbot, window)
    assert simulator.stats()["created"] - posts == 3 - len(priced)
    with window.context.session_factory() as session:
        rows = view_store.batch_rows(session, second)
    assert sum(r.reused_from is not None for r in rows) == len(priced)

    # Unticked: every site is asked again; the preview says so.
    window.show_upload()
    load(qtbot, window, path)
    qtbot.mouseClick(upload.reuse_box, Qt.MouseButton.LeftButton)
    assert not upload.reuse_box.isChecked()
    text, status, tip = preview_status(window, row)
    assert text == "Valid" and status == "valid" and "asked again" in tip
    assert "will be asked again" in upload.reuse_label.text()
    posts = simulator.stats()["created"]
    third = submit_again(qtbot, window)
    assert simulator.stats()["created"] - posts == 3
    with window.context.session_factory() as session:
        assert all(r.reused_from is None for r in view_store.batch_rows(session, third))
    assert upload.reuse_box.isChecked()      # the next file reuses again by default


# ---------------------------------------------------------------- 5. remembered mapping

HEADERS = ["Company", "Street", "Service Street", "City", "State", "ZIP"]


def two_street_file(path: Path, street: str) -> Path:
    path.write_text("Company,Street,Service Street,City,State,ZIP\n"
                    f"Acme,PO Box 7,{street},Austin,TX,78701\n", encoding="utf-8")
    return path


def test_a_corrected_mapping_is_remembered_and_offered_for_the_same_headers(qtbot, window, tmp_path):
    upload = window.upload_page
    panel = upload.mapping_panel
    note = panel.remembered_note
    first = two_street_file(tmp_path / "march.csv", "100 Congress Ave")
    with qtbot.waitSignal(upload.loaded, timeout=20_000):
        window.load_file(first)
    automatic = dict(upload.result.mapping)
    assert automatic["street"] == "Street" and not note.isVisible()
    assert upload.quotable_count() == 0              # a PO box is no service location
    with qtbot.waitSignal(upload.loaded, timeout=20_000):
        panel.set_field("street", "Service Street")            # the rep corrects it
    assert upload.result.mapping["street"] == "Service Street"
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        qtbot.mouseClick(upload.submit_button, Qt.MouseButton.LeftButton)
    assert MappingMemory().recall(HEADERS)["street"] == "Service Street"

    second = two_street_file(tmp_path / "april.csv", "200 Congress Ave")
    window.show_upload()
    with qtbot.waitSignal(upload.loaded, timeout=20_000):
        window.load_file(second)
    assert upload.result.mapping["street"] == "Service Street"
    assert panel.combos["street"].currentData() == "Service Street"
    assert note.isVisible()
    today = date.today()
    assert note.label.text() == ("Using the mapping you chose for a file with these columns on "
                                 f"{today:%b} {today.day}, {today.year}.")
    assert upload.quotable_count() == 1              # the site street, not the PO box

    # Back to the automatic mapping: the note goes, and submitting forgets the remembered one.
    with qtbot.waitSignal(upload.loaded, timeout=20_000):
        qtbot.mouseClick(note.automatic_button, Qt.MouseButton.LeftButton)
    assert upload.result.mapping == automatic and not note.isVisible()
    assert panel.combos["street"].currentData() == "Street"
    assert upload.quotable_count() == 0
    assert MappingMemory().recall(HEADERS) is not None   # remembered until a submit says otherwise
    upload.remember_mapping(upload.result)            # what a submit as automatic does after storing
    assert MappingMemory().recall(HEADERS) is None


def test_an_unchanged_mapping_is_not_remembered(qtbot, window, tmp_path):
    upload = window.upload_page
    path = tmp_path / "plain.csv"
    path.write_text("Company,Street,City,State,ZIP\nAcme,100 Congress Ave,"
                                        "Austin,TX,78701\n", encoding="utf-8")
    with qtbot.waitSignal(upload.loaded, timeout=20_000):
        window.load_file(path)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        qtbot.mouseClick(upload.submit_button, Qt.MouseButton.LeftButton)
    assert MappingMemory().recall(["Company", "Street", "City", "State", "ZIP"]) is None
