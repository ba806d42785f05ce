"""Status badges: rounded coloured pills painted in the status column of every table."""

from __future__ import annotations

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


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the cell's DisplayRole text inside a pill coloured by its STATUS_ROLE."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        status = index.data(STATUS_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not status or not text:
            super().paint(painter, option, index)
            return
        # Selection/hover background first, the way the style would draw it, without the text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

        paint_badge(painter, option.rect, option.font, str(text), str(status))

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        font = option.font
        font.setBold(True)
        width = QFontMetrics(font).horizontalAdvance(str(text)) + 2 * H_PAD + 16
        return QSize(max(base.width(), width), max(base.height(), QFontMetrics(font).height() + 12))


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
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        number, _, name = title.partition("  ")
        status_index = index.siblingAtColumn(self._status_column)
        badge_text = str(status_index.data() or "")
        status = str(status_index.data(STATUS_ROLE) or "")
        counts = str(index.siblingAtColumn(self._counts_column).data() or "")
        when = str(index.siblingAtColumn(self._date_column).data() or "")

        theme = current_theme()
        rect = QRectF(option.rect.adjusted(10, 6, -4, -6))
        top = QRectF(rect.x(), rect.y(), rect.width(), rect.height() / 2)
        bottom = QRectF(rect.x(), rect.y() + rect.height() / 2, rect.width(), rect.height() / 2)
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.9))
        bold_metrics, small_metrics = QFontMetrics(bold), QFontMetrics(small)

        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.save()
        # Line 1: the date at the right, the title in the rest.
        painter.setFont(small)
        painter.setPen(theme.colour("muted"))
        date_width = small_metrics.horizontalAdvance(when)
        painter.drawText(top, right, when)
        painter.setFont(bold)
        painter.setPen(theme.colour("text"))
        prefix = f"{number}  " if name else ""
        prefix_width = bold_metrics.horizontalAdvance(prefix)
        painter.drawText(top, flags, prefix)
        name_room = max(0, int(top.width() - prefix_width - (date_width + 12 if when else 0)))
        painter.drawText(QRectF(top.x() + prefix_width, top.y(), name_room, top.height()), flags,
                         bold_metrics.elidedText(name or title, Qt.TextElideMode.ElideRight, name_room))
        # Line 2: the counts, whole, and the status badge at the right.
        painter.setFont(small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(bottom, flags, counts)
        painter.restore()
        if badge_text and status:
            paint_badge(painter, bottom.adjusted(0, -2, 6, 2), option.font, badge_text, status, right=True)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), QFontMetrics(option.font).height() * 2 + 18)
