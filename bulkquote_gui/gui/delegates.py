"""Status badges: rounded coloured pills painted in the status column of every table."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from bulkquote_gui.gui.roles import STATUS_ROLE, SUBTITLE_ROLE
from bulkquote_gui.gui.style import current_theme

H_PAD = 10
V_PAD = 3


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

        colours = current_theme().badge(status)
        font = option.font
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + 2 * H_PAD
        height = min(option.rect.height() - 2 * V_PAD, metrics.height() + 6)
        x = option.rect.x() + 6
        y = option.rect.y() + (option.rect.height() - height) / 2
        pill = QRectF(x, y, min(width, option.rect.width() - 8), height)

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

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        font = option.font
        font.setBold(True)
        width = QFontMetrics(font).horizontalAdvance(str(text)) + 2 * H_PAD + 16
        return QSize(max(base.width(), width), max(base.height(), QFontMetrics(font).height() + 12))


class TwoLineDelegate(QStyledItemDelegate):
    """The cell's text in bold with its SUBTITLE_ROLE in a muted line below (a compact list row)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, subtitle = opt.text, index.data(SUBTITLE_ROLE) or ""
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        theme = current_theme()
        rect = option.rect.adjusted(10, 6, -6, -6)
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.9))
        top = QRectF(rect.x(), rect.y(), rect.width(), rect.height() / 2)
        bottom = QRectF(rect.x(), rect.y() + rect.height() / 2, rect.width(), rect.height() / 2)
        painter.save()
        painter.setFont(bold)
        painter.setPen(theme.colour("text"))
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideMiddle, int(top.width())))
        painter.setFont(small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(small).elidedText(str(subtitle), Qt.TextElideMode.ElideRight,
                                                        int(bottom.width())))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), QFontMetrics(option.font).height() * 2 + 16)
