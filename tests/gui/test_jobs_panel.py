"""Recent jobs: long file names are shortened at their end, counts and dates never; Mine / Team
(with each batch's owner), remembered; Rush from the list's menu and the progress page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyleOptionViewItem

from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.roles import OWNER_ROLE, RUSH_ROLE
from bulkquote_gui.gui.widgets.jobs_panel import MINE, TEAM, JobsPanel

from .conftest import SAMPLE, store_batch

LONG = "Northeast expansion - customer sites for renewal (final v3).xlsx"


def batch(id_: int, name: str, counts: dict[str, int], days_ago: int = 0) -> SimpleNamespace:
    created = datetime.now(timezone.utc) - timedelta(days=days_ago)
    return SimpleNamespace(id=id_, source_name=name, created_at=created, status="complete",
                           counts=counts, finished_at=created)


def row_layout(panel: JobsPanel, row: int):
    view = panel.view
    index = panel.model.index(row, 0)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    return view.itemDelegateForColumn(0).layout_row(option, index), option


def test_long_names_are_cut_at_their_end_and_counts_and_dates_stay_whole(qtbot, window):
    panel = window.upload_page.jobs_panel  # in the real window, at its real width
    panel.show_batches([
        batch(1234, LONG, {"total": 1250, "complete": 1234, "failed": 16}, days_ago=3),
        batch(2, "sites.csv", {"total": 21, "complete": 21, "failed": 0}),
    ])
    long_row, option = row_layout(panel, 0)
    assert long_row.title.startswith("#1234  Northeast") and long_row.title.endswith("…")
    assert long_row.counts == "1,234/1,250 priced, 16 failed"
    assert "," in long_row.when  # "Nov 26, 09:12": an older batch shows its day too
    used = QFontMetrics(long_row.bold).horizontalAdvance(long_row.title) \
        + QFontMetrics(long_row.small).horizontalAdvance(long_row.when)
    assert used <= long_row.top.width()  # the title stops before the date
    short_row, _ = row_layout(panel, 1)
    assert short_row.title == "#2  sites.csv" and short_row.counts == "21/21 priced"
    assert short_row.badge == "Complete" and short_row.status == "complete"
    assert LONG in panel.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)  # ToolTipRole: the whole name


# ---------------------------------------------------------------- Mine / Team, and Rush
def _ids(panel) -> list[int]:
    return panel.model.batch_ids()


def _row_of(panel, batch_id: int) -> int:
    return _ids(panel).index(batch_id)


@pytest.fixture
def db_url(request, tmp_path):
    """SQLite (one rep's own database) unless a test asks for "postgresql" (a team's)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{(tmp_path / 'bulkquote.sqlite').as_posix()}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def team(context):
    """Three reps' batches on the shared database (paused, so the window's start runs none)."""
    context.settings.rep_name = "Dana Rep"
    return {"dana": store_batch(context, owner="Dana Rep"),
            "lee": store_batch(context, owner="Lee Ames"),
            "nobody": store_batch(context, owner="", rushed=True)}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a team's shared database
def test_mine_lists_the_reps_batches_team_everyones_with_their_owner(qtbot, make_window, team):
    window = make_window()
    panel = window.upload_page.jobs_panel
    with qtbot.waitSignal(window.jobs_shown, timeout=10_000):
        window.start()
    assert panel.scope == MINE and panel.scope_buttons[MINE].isChecked()
    assert _ids(panel) == [team["dana"]]
    assert panel.model.index(0, 0).data(OWNER_ROLE) == ""  # their own name on every row says nothing
    assert row_layout(panel, 0)[0].owner == ""

    with qtbot.waitSignal(window.jobs_shown, timeout=10_000):
        qtbot.mouseClick(panel.scope_buttons[TEAM], Qt.MouseButton.LeftButton)
    assert panel.scope_buttons[TEAM].isChecked() and not panel.scope_buttons[MINE].isChecked()
    assert _ids(panel) == [team["nobody"], team["lee"], team["dana"]]  # newest first
    lee, _ = row_layout(panel, _row_of(panel, team["lee"]))
    assert lee.owner.strip().lstrip("·").strip() == "Lee Ames" and not lee.rush
    assert lee.counts.endswith("priced")  # the counts stay whole beside the owner
    nobody, _ = row_layout(panel, _row_of(panel, team["nobody"]))
    assert nobody.rush and "no name" in nobody.owner
    assert "by Lee Ames" in panel.model.index(_row_of(panel, team["lee"]), 0).data(Qt.ItemDataRole.ToolTipRole)

    # Remembered: the next window opens on the team's list.
    second = make_window()
    with qtbot.waitSignal(second.jobs_shown, timeout=10_000):
        second.start()
    assert second.upload_page.jobs_panel.scope == TEAM
    assert len(_ids(second.upload_page.jobs_panel)) == 3


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_mine_keeps_the_batches_from_before_the_name_on_a_personal_database(qtbot, make_window,
                                                                            context, db_url):
    before = store_batch(context, owner="")  # submitted before the rep entered a name
    context.settings.rep_name = "Dana Rep"
    after = store_batch(context, owner="Dana Rep")
    store_batch(context, owner="Lee Ames")
    window = make_window()
    with qtbot.waitSignal(window.jobs_shown, timeout=10_000):
        window.start()
    personal = db_url.startswith("sqlite")
    # A batch without a name on a team's database could be anyone's: Mine leaves it out there.
    assert _ids(window.upload_page.jobs_panel) == ([after, before] if personal else [after])


def test_list_batches_filters_on_the_owner(context, team):
    with context.session_factory() as session:
        assert [b.id for b in view_store.list_batches(session, owner=" Dana Rep ")] == [team["dana"]]
        assert [b.id for b in view_store.list_batches(session, owner="")] == [team["nobody"]]
        assert len(view_store.list_batches(session)) == 3
        assert view_store.list_batches(session, owner="dana rep") == []  # as stored, exactly
        assert [b.id for b in view_store.list_batches(session, owner="Dana Rep", unnamed_too=True)] \
            == [team["nobody"], team["dana"]]


def test_rush_from_the_context_menu_shows_the_badge(qtbot, window, context, team):
    panel = window.upload_page.jobs_panel
    with qtbot.waitSignal(window.jobs_shown, timeout=10_000):
        panel.scope_buttons[TEAM].click()
    menu = panel.context_menu(_row_of(panel, team["lee"]))
    rush = next(a for a in menu.actions() if a.text() == "Rush")
    assert rush.isEnabled()
    assert not next(a for a in panel.context_menu(_row_of(panel, team["nobody"])).actions()
                    if a.text() == "Rush").isEnabled()  # rushed already
    with qtbot.waitSignal(window.commanded, timeout=10_000) as done:
        rush.trigger()
    assert done.args == ["rush", team["lee"]]
    with context.session_factory() as session:
        assert view_store.get_batch(session, team["lee"]).priority > 0
    qtbot.waitUntil(lambda: panel.model.index(_row_of(panel, team["lee"]), 0).data(RUSH_ROLE) is True,
                    timeout=10_000)
    assert row_layout(panel, _row_of(panel, team["lee"]))[0].rush


def test_rush_on_the_progress_page(qtbot, window, context, team):
    page = window.progress_page
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(team["dana"])
    assert page.rush_button.isEnabled() and page.rush_button.text() == "Rush"
    assert page.rush_badge.isHidden()
    with qtbot.waitSignal(window.commanded, timeout=10_000):
        qtbot.mouseClick(page.rush_button, Qt.MouseButton.LeftButton)
    assert page.rush_button.text() == "Rushed" and not page.rush_button.isEnabled()
    assert page.rush_badge.isVisible()
    with context.session_factory() as session:
        assert view_store.get_batch(session, team["dana"]).priority > 0


def test_a_submitted_batch_is_the_reps(qtbot, window, context):
    context.settings.rep_name = "Dana Rep"
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
            qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    assert not window.progress_page.rush_button.isEnabled()  # nothing left to rush
    with context.session_factory() as session:
        assert view_store.get_batch(session, opened.args[0]).owner == "Dana Rep"


def test_a_cancelled_batchs_counts_are_never_under_its_badge(qtbot, window):
    """Issue 15: "7,105 not ser" under the Cancelled badge. In the panel as a laptop shows it (the window
    at 1024x576, 1280x720 at 125 %) the counts stay whole and the badges move up beside the date."""
    window.resize(1024, 576)
    qtbot.waitUntil(lambda: window.upload_page.side.width() <= 360)
    panel = window.upload_page.jobs_panel
    cancelled = batch(7, LONG, {"total": 20000, "complete": 12100, "failed": 795, "cancelled": 7105})
    cancelled.status = "cancelled"
    panel.show_batches([cancelled, batch(2, "sites.csv", {"total": 21, "complete": 21})])
    for row in (0, 1):
        layout, option = row_layout(panel, row)
        small, bold = QFontMetrics(layout.small), QFontMetrics(layout.bold)
        line = layout.badges_line
        badges = line.right() - layout.badges_width
        if line == layout.bottom:
            assert layout.bottom.x() + small.horizontalAdvance(layout.counts + layout.owner) <= badges
        else:
            assert line == layout.top
            assert layout.top.x() + bold.horizontalAdvance(layout.title) \
                + small.horizontalAdvance(layout.when) <= badges
        assert small.horizontalAdvance(layout.counts) <= layout.bottom.width()
    assert row_layout(panel, 0)[0].counts == "12,100/20,000 priced, 795 failed, 7,105 not sent"
    assert row_layout(panel, 0)[0].badges_line == row_layout(panel, 0)[0].top   # moved up
    assert row_layout(panel, 1)[0].badges_line == row_layout(panel, 1)[0].bottom  # room enough
