"""One batch: progress, stat cards, ETA, live results table and the batch's commands.

The page is a view: it loads the batch's rows once (`show_batch`), then patches one row per
QuoteEvent (`apply_quote_event`) and its header per BatchEvent; a WaitEvent shows why the
account's line stands still (`show_wait`). Button clicks become signals that the main window
carries out (it owns the worker, the operations on the store and the dialogs).

The table is the whole sheet (rows not quoted too), sortable by any header, filtered by a
reason with its count. The buttons are always the same six in the same places, enabled when
they apply, so nothing moves under the rep's pointer between running, finished and cancelled.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QTabBar, QTableView, QTabWidget,
                               QVBoxLayout, QWidget)

from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.gui.widgets.deal_summary_view import DealSummaryView
from bulkquote_gui.gui.widgets.rule_bar import RuleBar
from bulkquote_gui.gui.widgets.delegates import StatusBadgeDelegate
from bulkquote_gui.gui.models.eta import EtaEstimator
from bulkquote_gui.core.output.reasons import batch_word
from bulkquote_gui.core.states import (BATCH_FINISHED, BATCH_OPEN, BATCH_UNFINISHED, ROW_TERMINAL,
                                       BatchStatus, RowState)
from bulkquote_gui.gui.models.results_model import (COLUMNS, PROVIDER_COLUMN, REASON_COLUMN,
                                                    STATUS_COLUMN, ResultsFilter, ResultsModel)
from bulkquote_gui.gui.pages.results_map import ResultsMap
from bulkquote_gui.gui.style import current_theme
from bulkquote_gui.gui.widgets.wait_banner import WaitBanner
from bulkquote_gui.gui.widgets.blocks import Banner, StackPage, StatCard, TwoGroupRow
from bulkquote_gui.gui.qt_compat import emit

ERROR_MIN = 320  # px: room for the gist of a failure ("manual pricing required: the carriers…")
ADDRESS_MIN = 240  # px: a street and its city, before the table scrolls sideways
COMPACT_BELOW = 700  # px of window height: below, the count cards take one line each


# The keys of the batch's commands, shown in tooltips here and in the window's Batch menu.
SHORTCUTS = {"pause": "Ctrl+P", "rush": "Ctrl+U", "cancel": "Ctrl+Shift+X", "retry": "Ctrl+R",
             "rest": "Ctrl+Shift+R", "export": "Ctrl+E", "filter": "Ctrl+F"}


def finished_summary(status: str, counts: dict[str, int]) -> str:
    done, failed = counts.get(RowState.COMPLETE, 0), counts.get(RowState.FAILED, 0)
    cancelled = counts.get(RowState.CANCELLED, 0)
    text = f"{done:,} of {counts.get('total', 0):,} sites priced"
    if failed:
        text += f", {failed:,} failed"
    if cancelled:
        text += f", {cancelled:,} not sent"
    if status == BatchStatus.CANCELLED:
        more = " \"Quote the rest\" sends them." if cancelled else ""
        return f"Batch cancelled: {text}.{more}"
    return f"Batch finished: {text}. Export the prices to Excel or CSV."


def page_title(batch_id: int, source_name: str, deal: Any = None) -> str:
    """A batch by its number and file; a deal (issue 18) by its number and what it asks."""
    if deal is None:
        return f"Batch #{batch_id}  ·  {source_name}"
    providers = f"{deal.providers} provider{'s' if deal.providers != 1 else ''}"
    terms = f"{deal.terms} term{'s' if deal.terms != 1 else ''}"
    return f"Deal #{deal.deal_id}  ·  {providers}  ·  {terms}"


def _tip(text: str, key: str) -> str:
    return f"{text} ({SHORTCUTS[key]})"


class _TabsBeside(QTabBar):
    """Tabs as tall as the widget beside them (the reason filter): Qt cuts a corner widget to
    the tab bar's height."""

    def __init__(self, beside: QWidget) -> None:
        super().__init__()
        self._beside = beside

    def tabSizeHint(self, index: int) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().tabSizeHint(index)
        return QSize(hint.width(), max(hint.height(), self._beside.sizeHint().height() + 2))


class ProgressPage(StackPage):
    back_requested = Signal()
    pause_requested = Signal(int)
    resume_requested = Signal(int)
    cancel_requested = Signal(int)
    retry_requested = Signal(int)
    quote_rest_requested = Signal(int)   # a cancelled batch goes on with its unsent rows
    export_requested = Signal(int)
    fix_list_requested = Signal(int)     # the rows not priced that the rep can fix, to Excel
    compare_requested = Signal(int)      # "Compare with…": what changed since an earlier batch
    proposal_requested = Signal(int)     # "Create proposal…": the customer's PDF or XLSX
    rush_requested = Signal(int)
    unblock_requested = Signal(str)  # the id of another client's quote that blocks the account
    finished = Signal(int, str)  # batch id, status: the batch reached complete/cancelled while shown
    state_changed = Signal()     # buttons enabled or not: the window's menu follows

    def __init__(self, monotonic: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch_id: int | None = None
        self.source_name = ""
        self.deal: Any = None   # operations.batches.DealShape of the batch shown, if a deal's
        self.status = ""
        self.priority = 0  # > 0: rushed to the front of its account's line
        self._address_width = 380  # what the addresses need (fitted when a batch opens)
        self._rep_paused = False  # the rep pressed Pause: the engine's "paused by the user" adds nothing
        self.counts: dict[str, int] = {}
        self.eta = EtaEstimator(monotonic)

        head, *running = self._build_top()
        self._build_commands()
        filters = self._build_results()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 12, 20, 8)   # the status bar is under it: no more
        layout.setSpacing(8)
        layout.addLayout(head)
        # The buttons under the title, above what comes and goes: the bar and the cards of a
        # running batch, the banners. Nothing above them changes, so they never move.
        layout.addWidget(self.button_row)
        # A finished batch's bar and cards say no more than its banner, and took the room of
        # the table's rows on a small screen (1280x720 at 125 %): they show while it runs.
        self.running_panel = QWidget()
        running_layout = QVBoxLayout(self.running_panel)
        running_layout.setContentsMargins(0, 0, 0, 0)
        running_layout.setSpacing(8)
        for part in running:
            running_layout.addLayout(part)
        layout.addWidget(self.running_panel)
        layout.addWidget(self.wait_banner)
        layout.addWidget(self.message_banner)
        layout.addWidget(self.done_banner)
        layout.addWidget(self.deal_view)
        layout.addWidget(self.rule_bar)
        # The rows as a table or as dots on a map; the filter beside the tabs shows the same rows
        # in both (on a line of its own it took a row of the table).
        self.results_map = ResultsMap(self.model, self.proxy, self.view)
        self.results_map.row_clicked.connect(self.show_row)
        self.result_tabs = QTabWidget()
        self.result_tabs.setTabBar(_TabsBeside(filters))
        self.result_tabs.setDocumentMode(True)
        self.result_tabs.tabBar().setDrawBase(False)   # its line stopped where the filter starts
        self.result_tabs.addTab(self.view, "Table")
        self.result_tabs.addTab(self.results_map, "Map")
        self.result_tabs.setCornerWidget(filters, Qt.Corner.TopRightCorner)
        layout.addWidget(self.result_tabs, 1)
        self.view.setMinimumHeight(32 * 4 + 40)  # a few rows even on a small screen (the page scrolls)

    def _build_top(self) -> list[QHBoxLayout]:
        """The title and badges, the progress bar and time left, the count cards."""
        back = QPushButton("← New batch")
        back.setObjectName("link")
        back.clicked.connect(self.back_requested)
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.badge = QLabel("")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rush_badge = QLabel("Rush")
        self.rush_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rush_badge.setToolTip("Rushed: this batch goes before the account's other batches")
        self.rush_badge.hide()
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.badge)
        head.addWidget(self.rush_badge)
        head.addStretch()
        head.addWidget(back)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.percent_label = QLabel("0%")
        self.percent_label.setObjectName("sectionTitle")
        self.percent_label.setMinimumWidth(56)
        self.percent_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.eta_label = QLabel("")
        self.eta_label.setObjectName("muted")
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.percent_label)
        eta_row = QHBoxLayout()
        eta_row.addWidget(self.eta_label)
        eta_row.addStretch()

        self.cards = {key: StatCard(caption, tone) for key, caption, tone in
                      (("total", "Total", ""), ("succeeded", "Succeeded", "ok"), (RowState.FAILED, "Failed", "bad"),
                       ("remaining", "Remaining", ""))}
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in self.cards.values():
            cards.addWidget(card, 1)
        return [head, bar, eta_row, cards]

    def _build_commands(self) -> None:
        """The batch's command buttons, the exports, and the banners under them."""
        self.pause_button = QPushButton("&Pause")
        self.pause_button.setToolTip(_tip("Stop sending; Resume carries on where it stopped", "pause"))
        self.pause_button.clicked.connect(self._pause_or_resume)
        # As wide as its longer caption, so "Pause" <-> "Resume" never shifts the buttons.
        self.pause_button.setMinimumWidth(max(self.pause_button.fontMetrics().horizontalAdvance(t)
                                              for t in ("Pause", "Resume")) + 40)
        self.rush_button = QPushButton("R&ush")
        self.rush_button.setToolTip(_tip("Send this batch's quotes before the account's other "
                                         "batches", "rush"))
        self.rush_button.clicked.connect(lambda: self._emit(self.rush_requested))
        self.cancel_button = QPushButton("&Cancel batch")
        self.cancel_button.setObjectName("danger")
        self.cancel_button.setToolTip(_tip("Stop the batch for good; prices received are kept",
                                           "cancel"))
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.retry_button = QPushButton("Re&try failed")
        self.retry_button.setToolTip(_tip("Send again the failures a retry can change", "retry"))
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        self.rest_button = QPushButton("&Quote the rest")
        self.rest_button.setToolTip(_tip("Go on with this cancelled batch: send the quotes it did "
                                         "not send", "rest"))
        self.rest_button.clicked.connect(lambda: self._emit(self.quote_rest_requested))
        self.export_button = QPushButton("E&xport…")
        self.export_button.setObjectName("primary")
        self.export_button.setToolTip(_tip("Write every row of the sheet with its status, reason "
                                           "and prices to Excel or CSV", "export"))
        self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        self.fix_list_button = QPushButton("Export f&ix list…")
        self.fix_list_button.setToolTip("The rows not priced (invalid, duplicate, failed) with "
                                        "their own columns, the reason first and the cells at "
                                        "fault in red: fix them in Excel and drop the file back in")
        self.fix_list_button.setEnabled(False)
        self.fix_list_button.clicked.connect(lambda: self._emit(self.fix_list_requested))
        self.compare_button = QPushButton("Co&mpare with…")
        self.compare_button.setToolTip("What changed since an earlier batch of the same sites: "
                                       "prices up or down, carriers, sites newly or no longer priced")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(lambda: self._emit(self.compare_requested))
        self.proposal_button = QPushButton("Create pr&oposal…")
        self.proposal_button.setToolTip("A PDF or Excel proposal for the customer: every site "
                                        "with its offer, the totals and notes")
        self.proposal_button.setEnabled(False)
        self.proposal_button.clicked.connect(lambda: self._emit(self.proposal_requested))
        # The exports go under the commands on a narrow window (1280x720 at 150 %).
        self.button_row = TwoGroupRow([self.pause_button, self.rush_button, self.cancel_button,
                                       self.retry_button, self.rest_button],
                                      [self.compare_button, self.proposal_button,
                                       self.fix_list_button,
                                       self.export_button])

        self.message_banner = Banner("infoBanner")
        self.message_banner.hide()
        self.done_banner = Banner("doneBanner")
        self.done_banner.hide()
        self.deal_view = DealSummaryView()  # a finished batch's totals (the window reads them)
        self.deal_view.installEventFilter(self)   # shown or hidden: the banner gives way to it
        self.rule_bar = RuleBar()   # which rule chose each site's offer (a finished deal's)
        self.wait_banner = WaitBanner()
        self.wait_banner.unblock_requested.connect(self.unblock_requested)

    def _build_results(self) -> QWidget:
        """The rows' table and the reason filter (returned, to sit beside the tabs)."""
        self.model = ResultsModel(self)
        self.proxy = ResultsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        self.view.setObjectName("resultsView")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setTabKeyNavigation(False)  # one tab stop; the arrows move inside it
        self.view.setItemDelegateForColumn(STATUS_COLUMN, StatusBadgeDelegate(self.view))
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(32)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        widths = {"Row": 64, "Status": 124, "Carrier": 150, "MRC": 100, "NRC": 100, "Install": 86, "Reason": 260}
        for column, name in enumerate(COLUMNS):
            if name in widths:
                header.resizeSection(column, widths[name])
        header.resizeSection(COLUMNS.index("Address"), 380)
        header.setStretchLastSection(False)
        # Reason takes the width left over, but never less than ERROR_MIN: on a narrow window the
        # table scrolls sideways instead of squeezing the reason a quote failed to "manual …".
        self.view.viewport().installEventFilter(self)

        # ---- the reason filter, with each reason's count (as `bulkquote check` prints them)
        self.filter_combo = QComboBox()
        self.filter_combo.setObjectName("reasonFilter")
        self.filter_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter_combo.setToolTip(_tip("Show only the rows with one outcome or reason", "filter"))
        self.filter_combo.currentIndexChanged.connect(self._filter_chosen)
        filter_label = QLabel("&Show")
        filter_label.setBuddy(self.filter_combo)
        self.shown_label = QLabel("")
        self.shown_label.setObjectName("muted")
        filters_widget = QWidget()
        filters = QHBoxLayout(filters_widget)
        filters.setContentsMargins(24, 0, 0, 2)
        filters.addWidget(filter_label)
        filters.addWidget(self.filter_combo)
        filters.addWidget(self.shown_label)
        filters.addStretch()
        sort_hint = QLabel("Click a column header to sort.")
        sort_hint.setObjectName("hint")
        filters.addWidget(sort_hint)
        self._filter_refresh = QTimer(self)  # counts change per event: recounted at most 4x a second
        self._filter_refresh.setSingleShot(True)
        self._filter_refresh.setInterval(250)
        self._filter_refresh.timeout.connect(self._refresh_filter)
        return filters_widget

    # ------------------------------------------------------------ showing a batch
    def show_batch(self, batch_id: int, source_name: str, status: str, counts: dict[str, int],
                   rows: list[Any], *, priority: int = 0, skipped: list[Any] = (),
                   mapping: dict[str, str] | None = None, deal: Any = None) -> None:
        """Load a batch once (RowView list from the store, and the sheet's rows it did not
        quote); events keep it current from then on. `deal` (operations.batches.DealShape):
        the deal it is part of, which the title names."""
        self.batch_id = batch_id
        self.source_name = source_name
        self.deal = deal
        self.priority = priority
        self._rep_paused = False
        self.wait_banner.show_wait(None)  # the window shows the new batch's wait, if any
        self.title.setText(page_title(batch_id, source_name, deal))
        self.title.setToolTip(f"Batch #{batch_id} of {source_name}" if deal is not None else "")
        self.eta.reset()
        self.message_banner.hide()
        self.deal_view.clear()
        self.rule_bar.hide()
        self.model.load(rows, skipped, mapping)
        self.show_provider_column()
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.horizontalScrollBar().setValue(0)
        self.view.verticalScrollBar().setValue(0)
        self.proxy.set_category("")
        self._refresh_filter()
        self._fit_address_column()
        self._set_status(status)
        self._set_counts(counts)

    def show_row(self, row_number: int) -> bool:
        """Select the sheet's row `row_number` and scroll it into the middle of the table (a
        search result opened); every row is shown again if the filter hid it."""
        row = self.model.row_of_sheet_row(row_number)
        if row is None:
            return False
        source = self.model.index(row, 0)
        if not self.proxy.mapFromSource(source).isValid():
            self.proxy.set_category("")
            self._refresh_filter()
        index = self.proxy.mapFromSource(source)
        self.view.selectRow(index.row())
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_cards()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit_cards()

    def _fit_cards(self) -> None:
        """Compact counts on a short window: the table then shows rows without scrolling."""
        compact = self.window().height() < COMPACT_BELOW
        for card in self.cards.values():
            card.set_compact(compact)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_error_column()
        if watched is self.deal_view and event.type() in (QEvent.Type.ShowToParent,
                                                           QEvent.Type.HideToParent):
            self._sync_done_banner()
        return super().eventFilter(watched, event)

    def _fit_error_column(self) -> None:
        """Error gets what is left. Addresses stay whole where they fit (they say which site a
        row is); else they give way to Error's minimum, down to ADDRESS_MIN (elided, the tooltip
        has them whole), before the table scrolls sideways."""
        header = self.view.horizontalHeader()
        error, address = REASON_COLUMN, COLUMNS.index("Address")
        fixed = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c not in (error, address))
        room = self.view.viewport().width() - fixed
        header.resizeSection(address, max(ADDRESS_MIN, min(self._address_width, room - ERROR_MIN)))
        header.resizeSection(error, max(ERROR_MIN, room - header.sectionSize(address)))

    def show_provider_column(self) -> None:
        """Provider only when the offers shown have two: one provider says nothing per row, and
        its column pushed Reason off a 1440 px window. Again when a deal's choices are shown."""
        providers = self.model.providers()
        self.view.setColumnHidden(PROVIDER_COLUMN, len(providers) < 2)
        widest = max((self.view.fontMetrics().horizontalAdvance(p) for p in providers), default=0)
        self.view.horizontalHeader().resizeSection(PROVIDER_COLUMN, max(96, min(widest + 24, 150)))

    def _fit_address_column(self) -> None:
        """Addresses as wide as the longest of the first rows need, so Error gets the rest."""
        column = COLUMNS.index("Address")
        metrics = self.view.fontMetrics()
        texts = [str(self.model.index(r, column).data() or "") for r in range(min(self.model.rowCount(), 200))]
        widest = max((metrics.horizontalAdvance(t) for t in texts), default=0) + 28
        self._address_width = max(ADDRESS_MIN, min(widest, 420))
        self._fit_error_column()

    def apply_quote_event(self, event: QuoteEvent) -> None:
        if event.batch_id != self.batch_id:
            return
        self.model.apply(event)
        if event.status in ROW_TERMINAL:
            self.eta.quote_finished()
            self._filter_refresh.start()
        if event.counts:
            self._set_counts(event.counts)
        if self.status not in (BatchStatus.RUNNING, BatchStatus.PAUSED):
            self._set_status(BatchStatus.RUNNING)

    def apply_batch_event(self, event: BatchEvent) -> None:
        if event.batch_id != self.batch_id:
            return
        previous = self.status
        if event.counts:
            self.counts = dict(event.counts)
        self._set_status(event.status)
        self._set_counts(self.counts)
        rep_paused = event.status == BatchStatus.PAUSED and self._rep_paused
        if event.status != BatchStatus.PAUSED:
            self._rep_paused = False
        if rep_paused:
            self.message_banner.hide()  # their own pause: the line under the bar says it already
        elif event.message and event.status not in BATCH_FINISHED:  # the done banner says it
            self.show_message(event.message)
        elif event.status == BatchStatus.RUNNING:
            self.message_banner.hide()
        self._refresh_filter()
        if event.status in BATCH_FINISHED and previous != event.status:
            emit(self.finished, event.batch_id, event.status)

    def show_message(self, text: str) -> None:
        self.message_banner.set_text(text[:1].upper() + text[1:])  # the engine's messages are clauses
        self.message_banner.show()

    def set_priority(self, priority: int) -> None:
        self.priority = priority
        self._sync()

    def show_wait(self, event: WaitEvent | None) -> None:
        """Why the account's line stands still (None: it does not); not for a finished batch."""
        self.wait_banner.show_wait(event if self.status not in BATCH_FINISHED else None)
        self._time_quotes()
        self._sync()  # the ETA line says the batch is on hold

    def rows_requeued(self, how: str) -> None:
        """The store queued rows again ("retry" or "rest"): the table shows them pending."""
        if how == "rest":
            self.model.requeue_rest()
        else:
            self.model.requeue_failed()
        self._refresh_filter()
        self._sync()

    # ------------------------------------------------------------ the reason filter
    def _refresh_filter(self) -> None:
        """Categories with their counts, the chosen one kept (while it still has rows)."""
        counts = self.model.category_counts()
        chosen = self.proxy.category
        combo = self.filter_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(f"All rows ({self.model.rowCount():,})", "")
        for category, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            combo.addItem(f"{category} ({n:,})", category)
        at = combo.findData(chosen)
        combo.setCurrentIndex(max(0, at))
        combo.blockSignals(False)
        if at < 0 and chosen:
            self.proxy.set_category("")
        self._show_shown()

    def _filter_chosen(self, _index: int) -> None:
        self.proxy.set_category(str(self.filter_combo.currentData() or ""))
        self._show_shown()

    def _show_shown(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText("" if shown == total else f"{shown:,} of {total:,} rows shown")

    def focus_filter(self) -> None:
        self.filter_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_combo.showPopup()

    # ------------------------------------------------------------ internals
    def _set_status(self, status: str) -> None:
        self.status = status
        colours = current_theme().badge(status)
        self.badge.setText(batch_word(status))
        self.model.set_paused(status == BatchStatus.PAUSED)
        self.results_map.set_done(status in BATCH_FINISHED)
        self._time_quotes()
        self.badge.setStyleSheet(f"background: {colours.fill}; color: {colours.text}; border-radius: 11px;"
                                 " padding: 3px 14px; font-weight: 600;")
        rush = current_theme().badge("rush")
        self.rush_badge.setStyleSheet(f"background: {rush.fill}; color: {rush.text}; border-radius: 11px;"
                                      " padding: 3px 12px; font-weight: 600;")
        if status in BATCH_FINISHED:
            self.wait_banner.show_wait(None)  # a finished batch waits for nothing
        else:
            self.deal_view.clear()  # running again (a retry): its totals are read when it ends
        self._sync()

    def _set_counts(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        total = counts.get("total", 0)
        # Sites with an answer (priced or failed): a cancelled row has none, so a cancelled
        # batch's bar says how far it got, never 100 %.
        done = counts.get(RowState.COMPLETE, 0) + counts.get(RowState.FAILED, 0)
        self.progress.setValue(int(1000 * done / total) if total else 0)
        self.percent_label.setText(f"{(100 * done // total) if total else 0}%")
        self.cards["total"].set_value(total)
        self.cards["succeeded"].set_value(counts.get(RowState.COMPLETE, 0))
        self.cards[RowState.FAILED].set_value(counts.get(RowState.FAILED, 0))
        self._sync()

    def _sync(self) -> None:
        """Buttons enabled only when they apply; the ETA and the finished summary."""
        status, counts = self.status, self.counts
        remaining = counts.get(RowState.PENDING, 0) + counts.get("active", 0)
        active = status in BATCH_UNFINISHED
        # A cancelled batch has nothing remaining but rows never sent: the card says those.
        card = self.cards["remaining"]
        cancelled = status == BatchStatus.CANCELLED
        card.caption.setText("Not sent" if cancelled else "Remaining")
        card.set_value(counts.get(RowState.CANCELLED, 0) if cancelled else remaining)
        paused = status == BatchStatus.PAUSED
        self.pause_button.setText("&Resume" if paused else "&Pause")
        self.pause_button.setEnabled(status in BATCH_OPEN)
        self.cancel_button.setEnabled(status in BATCH_OPEN)
        rushed = self.priority > 0
        self.rush_badge.setVisible(rushed)
        self.rush_button.setText("Rushed" if rushed else "Rush")
        self.rush_button.setEnabled(status in BATCH_OPEN and not rushed)
        retryable, failed = self.model.retryable_count(), counts.get(RowState.FAILED, 0)
        self.retry_button.setEnabled(retryable > 0 and not active and not cancelled)
        self.retry_button.setToolTip(_tip(retry_tip(self.status, retryable, failed), "retry"))
        unsent = counts.get(RowState.CANCELLED, 0) + retryable
        self.rest_button.setEnabled(cancelled and unsent > 0)
        self.export_button.setEnabled(counts.get("total", 0) > 0)
        model = self.model
        to_fix = model.failed_count() + model.rowCount() - model.quoted_count()
        self.fix_list_button.setEnabled(status in BATCH_FINISHED and to_fix > 0)
        self.compare_button.setEnabled(status in BATCH_FINISHED)
        priced = counts.get(RowState.COMPLETE, 0)
        self.proposal_button.setEnabled(status in BATCH_FINISHED and priced > 0)
        if paused:
            self.eta_label.setText("Paused. Resume to carry on where it stopped.")
        elif active and self.wait_banner.event is not None:
            self.eta_label.setText("On hold: nothing is sent until the wait below is over.")
        elif active:
            self.eta_label.setText(self.eta.describe(remaining) or "Finishing…")
        else:
            self.eta_label.setText("")
        # Always there while the batch runs (blank when there is nothing to say): the line never
        # pushes the rest down. A finished batch has no time left: no empty band under the bar.
        self.eta_label.setMinimumHeight(self.eta_label.fontMetrics().lineSpacing())
        self.running_panel.setVisible(status not in BATCH_FINISHED)
        if status in BATCH_FINISHED:
            self.done_banner.set_text(finished_summary(status, counts))
            kind = "stoppedBanner" if cancelled else "doneBanner"
            if self.done_banner.objectName() != kind:  # a cancelled batch is not a green success
                self.done_banner.setObjectName(kind)
                self.done_banner.setStyleSheet("/* */")  # re-polish: the sheet matches by name
                self.done_banner.setStyleSheet("")
        # A deal's summary counts every batch's sites; this batch's failures would not add up
        # with them ("20 priced sites, 2 failed" of 21): it says them for a batch alone.
        self.deal_view.set_failed(counts.get(RowState.FAILED, 0) if self.deal is None else 0)
        self._sync_done_banner()
        tone = "stopped" if cancelled else ""
        if self.progress.property("tone") != tone:
            self.progress.setProperty("tone", tone)
            self.progress.style().unpolish(self.progress)
            self.progress.style().polish(self.progress)
        emit(self.state_changed)

    def _sync_done_banner(self) -> None:
        """A finished batch's sentence; a complete one's deal summary says it instead (its
        priced and failed sites): the banner above it took a row of the table at 1024x576."""
        finished = self.status in BATCH_FINISHED
        summarised = self.status == BatchStatus.COMPLETE and not self.deal_view.isHidden()
        self.done_banner.setVisible(finished and not summarised)

    def _time_quotes(self) -> None:
        """The ETA counts only time the batch runs: paused or on hold is nobody's quote."""
        if self.status == BatchStatus.PAUSED or (self.status in BATCH_UNFINISHED
                                                  and self.wait_banner.event is not None):
            self.eta.hold()
        elif self.status in BATCH_UNFINISHED:
            self.eta.go_on()

    def _pause_or_resume(self) -> None:
        if not self.pause_button.isEnabled():
            return
        self._rep_paused = self.status != BatchStatus.PAUSED
        self._emit(self.resume_requested if self.status == BatchStatus.PAUSED else self.pause_requested)

    def _emit(self, signal) -> None:
        if self.batch_id is not None:
            emit(signal, self.batch_id)


def retry_tip(status: str, retryable: int, failed: int) -> str:
    """What "Retry failed" would send again, and what it would not change."""
    if status == BatchStatus.CANCELLED:
        return "This batch was cancelled: \"Quote the rest\" sends its unsent quotes and retries its failures"
    kept = failed - retryable
    if not failed:
        return "No failed quotes"
    text = (f"Send again the {retryable:,} failure{'s' if retryable != 1 else ''} a retry can "
            "change (timeouts, the API busy or losing the quote)") if retryable else \
        "None of the failures can change with a retry"
    if kept:
        text += (f"; {kept:,} other{'s' if kept != 1 else ''} (no coverage, manual pricing, "
                 "address not found) would come back the same")
    return text
