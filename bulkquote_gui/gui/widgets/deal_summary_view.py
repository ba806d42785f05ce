"""The finished page's deal summary: what a rep puts in a proposal, and a chart of it.

Figures come from core/output/deal_summary.py as they are (the XLSX "Summary" sheet and
`status --json` show the same): total MRC, NRC and contract value (MRC x term + NRC) over the
priced sites at their chosen offers (the deal's rule, or the rep's own pick), by carrier and
overall; under them the rule that chose and what the other rules would cost. `PriceChart` draws the monthly price by carrier with
QPainter (no chart library: the bundle ships only QtCore/QtGui/QtWidgets/QtNetwork).

Under it, when some prices are past their valid-until date, a line says how many with a
"Re-quote stale rows…" button (`bulkquote requote BATCH`). The view is a view: the window
reads the figures (operations.batches.deal) and carries out the re-quote.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from bulkquote_gui.gui.models.results_model import format_money
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.style import current_theme

HEADERS = ("Carrier", "Sites", "MRC / month", "NRC", "Contract value")
BAR_HEIGHT = 18
BAR_GAP = 4
FOLD_BELOW = 800   # px of window height: below, the card starts with its totals on one line
MAX_BARS = 8   # carriers beyond these are summed as "Others" in the chart (never in the table)


class PriceChart(QWidget):
    """Horizontal bars: the monthly price (total MRC) of each carrier, with its amount."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("priceChart")
        self.bars: list[tuple[str, Decimal]] = []
        self.currency = "USD"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Monthly price (total MRC) by carrier, over the priced sites")

    def set_bars(self, bars: list[tuple[str, Decimal]], currency: str) -> None:
        ordered = sorted(bars, key=lambda b: (-b[1], b[0]))
        if len(ordered) > MAX_BARS:
            rest = sum((v for _n, v in ordered[MAX_BARS - 1:]), Decimal("0"))
            ordered = ordered[:MAX_BARS - 1] + [("Others", rest)]
        self.bars = ordered
        self.currency = currency
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        n = max(1, len(self.bars))
        return QSize(360, n * BAR_HEIGHT + (n - 1) * BAR_GAP + 4)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        if not self.bars:
            return
        theme = current_theme()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        label_w = min(max(metrics.horizontalAdvance(n) for n, _v in self.bars) + 10, self.width() // 3)
        amounts = [format_money(v, self.currency) + "/mo" for _n, v in self.bars]
        amount_w = max(metrics.horizontalAdvance(a) for a in amounts) + 10
        track_w = max(10, self.width() - label_w - amount_w)
        top = max((v for _n, v in self.bars), default=Decimal("0")) or Decimal("1")
        for i, ((name, value), amount) in enumerate(zip(self.bars, amounts)):
            y = 2 + i * (BAR_HEIGHT + BAR_GAP)
            painter.setPen(theme.colour("text"))
            painter.drawText(QRectF(0, y, label_w - 8, BAR_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 8))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.colour("track"))
            painter.drawRoundedRect(QRectF(label_w, y + 2, track_w, BAR_HEIGHT - 4), 4, 4)
            painter.setBrush(QColor(theme.colour("accent")))
            width = max(3.0, float(track_w) * float(value / top))
            painter.drawRoundedRect(QRectF(label_w, y + 2, width, BAR_HEIGHT - 4), 4, 4)
            painter.setPen(theme.colour("muted"))
            painter.drawText(QRectF(label_w + track_w + 8, y, amount_w, BAR_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, amount)
        painter.end()


class DealSummaryView(QFrame):
    requote_requested = Signal(int)   # the batch whose stale rows the rep wants asked again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.batch_id: int | None = None
        self.stale = 0
        self.summary: Any = None
        self.failed = 0   # the batch's failed quotes, said beside the priced sites (the page's)
        head = self._build_head()
        self._build_details()
        self._build_stale_row()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)   # folded, one line over the results table
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.details)
        layout.addWidget(self.stale_row)
        self._expanded = True
        self._chosen: bool | None = None   # the rep's Show/Hide details, kept for the session
        self.hide()

    def _build_head(self) -> QHBoxLayout:
        """The title, the folded totals and Show/Hide details."""
        title = QLabel("Deal summary")
        title.setObjectName("cardTitle")
        self.note = QLabel("")
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)  # the folded totals wrap on a narrow window, never run off it
        self.toggle_button = QPushButton("Hide details")
        self.toggle_button.setObjectName("link")
        self.toggle_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.toggle_button.clicked.connect(lambda: self.set_expanded(not self.is_expanded(), chosen=True))
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.note, 1)
        head.addWidget(self.toggle_button)
        return head

    def _build_details(self) -> None:
        """The totals by carrier (a grid filled per deal) beside the price chart."""
        self.table = QWidget()
        self.grid = QGridLayout(self.table)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(3)
        self.cells: dict[tuple[str, str], QLabel] = {}   # (carrier or "Total", header) -> label
        self.chart = PriceChart()
        chart_box = QVBoxLayout()
        chart_box.setContentsMargins(0, 0, 0, 0)
        chart_box.setSpacing(4)
        chart_title = QLabel("Monthly price by carrier")
        chart_title.setObjectName("muted")
        chart_box.addWidget(chart_title, 0, Qt.AlignmentFlag.AlignTop)
        chart_box.addWidget(self.chart, 0, Qt.AlignmentFlag.AlignTop)
        chart_box.addStretch(1)
        # How the offers were chosen, and what the other rules would cost (the rep's trade-off).
        self.choice_label = QLabel("")
        self.choice_label.setObjectName("muted")
        self.choice_label.setTextFormat(Qt.TextFormat.PlainText)   # carrier names: never markup
        self.choice_label.setWordWrap(True)
        self.details = QWidget()
        outer = QVBoxLayout(self.details)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(28)
        body.addWidget(self.table, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(chart_box, 1)
        outer.addLayout(body)
        outer.addWidget(self.choice_label)

    def _build_stale_row(self) -> None:
        """What is past its valid-until date, and Re-quote stale rows…."""
        self.stale_label = QLabel("")
        self.stale_label.setObjectName("hint")
        self.requote_button = QPushButton("Re-quote stale rows…")
        self.requote_button.setToolTip("A new batch asking again for the quotes whose valid-until "
                                       "date has passed; its export shows the old price beside "
                                       "the new (bulkquote requote)")
        self.requote_button.clicked.connect(
            lambda: self.batch_id is not None and emit(self.requote_requested, self.batch_id))
        self.stale_row = QWidget()
        stale_layout = QHBoxLayout(self.stale_row)
        stale_layout.setContentsMargins(0, 0, 0, 0)
        stale_layout.addWidget(self.stale_label, 1)
        stale_layout.addWidget(self.requote_button)
        self.stale_row.hide()
        self.stale_label.setWordWrap(True)

    # ------------------------------------------------------------ folding
    def is_expanded(self) -> bool:
        return self._expanded

    def set_expanded(self, expanded: bool, *, chosen: bool = False) -> None:
        """The table and chart, or only the totals on the title line (a short screen keeps the
        rows in sight: the card starts folded when the window is under FOLD_BELOW high)."""
        if chosen:
            self._chosen = expanded
        self._expanded = expanded
        self.details.setVisible(expanded)
        self.toggle_button.setText("Hide details" if expanded else "Show details")
        self.toggle_button.setToolTip("Only the totals, on one line" if expanded
                                      else "The totals by carrier and the chart of monthly prices")
        self._sync_note()

    def _sync_note(self) -> None:
        summary = self.summary
        if summary is None:
            self.note.setText("")
            return
        overall, currency = summary.overall, summary.currency
        failed = f", {self.failed:,} failed" if self.failed else ""
        sites = f"{overall.sites:,} priced site{'s' if overall.sites != 1 else ''}{failed}, {currency}"
        if self._expanded:
            text = f"{sites}; contract value = MRC × term + NRC"
        else:
            text = (f"{sites}  ·  MRC {format_money(overall.mrc, currency)}/mo  ·  NRC "
                    f"{format_money(overall.nrc, currency)}  ·  contract value "
                    f"{format_money(overall.contract_value, currency)}")
        if summary.other_currency_sites:
            text += f"; {summary.other_currency_sites:,} priced in another currency, not added"
        self.note.setText(text)

    def set_failed(self, failed: int) -> None:
        """How many of the batch's quotes failed: the card stands in for the page's banner."""
        if failed != self.failed:
            self.failed = failed
            self._sync_note()

    def clear(self) -> None:
        """Another batch, or this one running again: nothing to show until its figures are read."""
        self.batch_id, self.summary, self.stale = None, None, 0
        self.hide()

    def show_deal(self, batch_id: int, summary: Any, stale: int) -> None:
        """core.deal_summary.DealSummary of the batch, and how many of its quotes are stale."""
        self.batch_id, self.summary, self.stale = batch_id, summary, stale
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cells.clear()
        currency = summary.currency
        for column, header in enumerate(HEADERS):
            self._cell(0, column, header, ("", header), header=True)
        carriers = sorted(summary.by_carrier.items())
        for row, (carrier, totals) in enumerate(carriers, start=1):
            self._totals_row(row, carrier, totals, currency)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("dealRule")
        line.setStyleSheet(f"color: {current_theme().tokens['border_strong']};")
        self.grid.addWidget(line, len(carriers) + 1, 0, 1, len(HEADERS))
        self._totals_row(len(carriers) + 2, "Total", summary.overall, currency, bold=True)
        window = self.window()
        roomy = window is self or window.height() >= FOLD_BELOW
        self.set_expanded(self._chosen if self._chosen is not None else roomy)
        self.chart.set_bars([(c, t.mrc) for c, t in carriers], currency)
        lines = [summary.choice_line()]
        if summary.other_rules:
            lines.append(summary.other_rules_line(lambda amount: format_money(amount, currency)))
        self.choice_label.setText("\n".join(lines))
        self.stale_label.setText(
            f"{stale:,} price{'s are' if stale != 1 else ' is'} past {'their' if stale != 1 else 'its'} "
            "valid-until date: ask the API again before putting "
            f"{'them' if stale != 1 else 'it'} in a proposal (the totals above include "
            f"{'them' if stale != 1 else 'it'}).")
        self.stale_row.setVisible(stale > 0)
        self.requote_button.setEnabled(stale > 0)
        self.setVisible(summary.overall.sites > 0 or stale > 0)

    def text(self, carrier: str, header: str) -> str:
        """What a cell shows (tests, screen readers): e.g. text("Total", "Contract value")."""
        label = self.cells.get((carrier, header))
        return label.text() if label is not None else ""

    def _totals_row(self, row: int, name: str, totals: Any, currency: str, *, bold: bool = False) -> None:
        values = (name, f"{totals.sites:,}", format_money(totals.mrc, currency),
                  format_money(totals.nrc, currency), format_money(totals.contract_value, currency))
        for column, (header, value) in enumerate(zip(HEADERS, values)):
            self._cell(row, column, value, (name, header), bold=bold)

    def _cell(self, row: int, column: int, text: str, key: tuple[str, str], *,
              header: bool = False, bold: bool = False) -> None:
        label = QLabel(text)
        if header:
            label.setObjectName("muted")
        if bold:   # the card's sheet sets labels' weight: bold from a sheet of the label's own
            label.setStyleSheet("font-weight: 700;")
        align = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
        label.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid.addWidget(label, row, column)
        self.cells[key] = label
