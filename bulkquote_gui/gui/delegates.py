"""Status badges: rounded coloured pills painted in the status column of every table."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from bulkquote_gui.gui.roles import STATUS_ROLE
from bulkquote_gui.gui.style import current_theme

H_PAD = 10
V_PAD = 3


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setBold(True)
    font.setPointSizeF(max(7.0, base.pointSizeF() * 0.9))
    return font


def badge_width(base: QFont, text: str) -> int:
    return QFontMetrics(badge_font(base)).horizontalAdvance(text) + 2 * H_PAD


def paint_badge(painter: QPainter, cell: QRect | QRectF, base: QFont, text: str, status: str, *,
                right: bool = False) -> QRectF:
    """A pill coloured for `status`, vertically centred in `cell`, at its left (or right) edge."""
    cell = QRectF(cell)
    colours = current_theme().badge(status)
    font = badge_font(base)
    metrics = QFontMetrics(font)
    height = min(cell.height() - 2 * V_PAD, metrics.height() + 6)
    width = min(metrics.horizontalAdvance(text) + 2 * H_PAD, cell.width() - 8)
    x = cell.right() - 6 - width if right else cell.x() + 6
    pill = QRectF(x, cell.y() + (cell.height() - height) / 2, width, height)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colours.fill))
    painter.drawRoundedRect(pill, height / 2, height / 2)
    painter.setPen(QColor(colours.text))
    painter.setFont(font)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter,
                     metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(pill.width()) - 4))
    painter.restore()
    return pill


def paint_item_background(delegate: QStyledItemDelegate, painter: QPainter,
                          option: QStyleOptionViewItem, index: QModelIndex) -> None:
    """The cell's selection/hover background, drawn the way the style would, without its text."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    style = opt.widget.style() if opt.widget else None
    if style is not None:
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the cell's DisplayRole text inside a pill coloured by its STATUS_ROLE."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        status = index.data(STATUS_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not status or not text:
            super().paint(painter, option, index)
            return
        paint_item_background(self, painter, option, index)
        paint_badge(painter, option.rect, option.font, str(text), str(status))

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        font = option.font
        font.setBold(True)
        width = QFontMetrics(font).horizontalAdvance(str(text)) + 2 * H_PAD + 16
        return QSize(max(base.width(), width), max(base.height(), QFontMetrics(font).height() + 12))


@dataclass(frozen=True)
class JobRowLayout:
    top: QRectF      # line 1: title, date at the right
    bottom: QRectF   # line 2: counts, badge at the right
    bold: QFont
    small: QFont
    title: str       # "#2  branch_offi…" — only the file name is ever shortened
    when: str
    counts: str
    badge: str
    status: str


class JobRowDelegate(QStyledItemDelegate):
    """A whole recent-jobs row drawn in its first cell, on two lines, like a mail list:

        #2  branch_offices_q4.csv           Nov 28, 09:12
        19/21 priced, 2 failed                [Complete]

    Only the file name is ever shortened (at its end; the tooltip has it whole); the number,
    date, counts and badge are always shown whole.
    """

    def __init__(self, status_column: int, counts_column: int, date_column: int, parent=None) -> None:
        super().__init__(parent)
        self._status_column = status_column
        self._counts_column = counts_column
        self._date_column = date_column

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        paint_item_background(self, painter, option, index)
        layout = self.layout_row(option, index)
        theme = current_theme()
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        top, bottom = layout.top, layout.bottom
        painter.save()
        # Line 1: the date at the right, the title in the rest.
        painter.setFont(layout.small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(top, right, layout.when)
        painter.setFont(layout.bold)
        painter.setPen(theme.colour("text"))
        painter.drawText(top, flags, layout.title)
        # Line 2: the counts, whole, and the status badge at the right.
        painter.setFont(layout.small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(bottom, flags, layout.counts)
        painter.restore()
        if layout.badge and layout.status:
            paint_badge(painter, bottom.adjusted(0, -2, 6, 2), option.font, layout.badge, layout.status,
                        right=True)

    def layout_row(self, option: QStyleOptionViewItem, index: QModelIndex) -> JobRowLayout:
        """What goes where in a row of `option.rect`'s width (the painting is then mechanical)."""
        number, _, name = str(index.data() or "").partition("  ")
        status_index = index.siblingAtColumn(self._status_column)
        counts = str(index.siblingAtColumn(self._counts_column).data() or "")
        when = str(index.siblingAtColumn(self._date_column).data() or "")
        rect = QRectF(option.rect.adjusted(10, 6, -4, -6))
        top = QRectF(rect.x(), rect.y(), rect.width(), rect.height() / 2)
        bottom = QRectF(rect.x(), rect.y() + rect.height() / 2, rect.width(), rect.height() / 2)
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.9))
        bold_metrics = QFontMetrics(bold)
        date_room = QFontMetrics(small).horizontalAdvance(when) + 12 if when else 0
        if not name:  # not "#id  name": show the text as it is
            number, name = "", number
        prefix = f"{number}  " if number else ""
        name_room = max(0, int(top.width() - date_room - bold_metrics.horizontalAdvance(prefix)))
        title = prefix + bold_metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_room)
        return JobRowLayout(top, bottom, bold, small, title, when, counts,
                            str(status_index.data() or ""), str(status_index.data(STATUS_ROLE) or ""))

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), QFontMetrics(option.font).height() * 2 + 18)
