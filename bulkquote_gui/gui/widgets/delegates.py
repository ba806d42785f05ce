"""Status badges: rounded coloured pills painted in the status column of every table."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from bulkquote_gui.gui.roles import OWNER_ROLE, RUSH_ROLE, STATUS_ROLE
from bulkquote_gui.gui.style import current_theme

H_PAD = 10
V_PAD = 3
RUSH_TEXT = "Rush"
BADGE_GAP = 4      # between two badges side by side


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
    owner: str = ""    # "  ·  Dana Rep" in the team's view, shortened to the room left; else ""
    rush: bool = False  # a "Rush" badge left of the status badge
    badges_on_top: bool = False  # the counts need line 2 whole: the badges go up, by the date
    badges_width: float = 0.0    # the badges and their margins, at the right of their line

    @property
    def badges_line(self) -> QRectF:
        return self.top if self.badges_on_top else self.bottom


class JobRowDelegate(QStyledItemDelegate):
    """A whole recent-jobs row drawn in its first cell, on two lines, like a mail list:

        #2  branch_offices_q4.csv           Nov 28, 09:12
        19/21 priced, 2 failed  ·  Dana       [Rush] [Running]

    Only the file name and the owner (team view) are ever shortened (at their end; the tooltip
    has them whole); the number, date, counts and badges are always shown whole. Counts too long
    to share line 2 with the badges keep it to themselves; the badges go up, right of the date.
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
        # Line 1: the date at the right (left of the badges when they are up here), the title.
        painter.setFont(layout.small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(top.adjusted(0, 0, -layout.badges_width if layout.badges_on_top else 0, 0),
                         right, layout.when)
        painter.setFont(layout.bold)
        painter.setPen(theme.colour("text"))
        painter.drawText(top, flags, layout.title)
        # Line 2: the counts, whole, and the status badge at the right.
        painter.setFont(layout.small)
        painter.setPen(theme.colour("muted"))
        painter.drawText(bottom, flags, layout.counts)
        if layout.owner:
            counts_width = QFontMetrics(layout.small).horizontalAdvance(layout.counts)
            painter.drawText(bottom.adjusted(counts_width, 0, 0, 0), flags, layout.owner)
        painter.restore()
        badges = layout.badges_line.adjusted(0, -2, 6, 2)
        if layout.badge and layout.status:
            pill = paint_badge(painter, badges, option.font, layout.badge, layout.status, right=True)
            badges.setRight(pill.left() - BADGE_GAP + 6)  # paint_badge keeps 6 px from the right edge
        if layout.rush:
            paint_badge(painter, badges, option.font, RUSH_TEXT, "rush", right=True)

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
        small_metrics = QFontMetrics(small)
        date_room = small_metrics.horizontalAdvance(when) + 12 if when else 0
        if not name:  # not "#id  name": show the text as it is
            number, name = "", number
        prefix = f"{number}  " if number else ""
        badge = str(status_index.data() or "")
        rush = bool(index.data(RUSH_ROLE))
        badges_room = (badge_width(option.font, badge) + 6 if badge else 0) \
            + (badge_width(option.font, RUSH_TEXT) + BADGE_GAP if rush else 0) + 8
        # Long counts ("12,100/20,000 priced, 795 failed, 7,105 not sent") would run under the
        # badges: they go up to line 1, where only the file name gives way.
        on_top = small_metrics.horizontalAdvance(counts) + badges_room > bottom.width()
        if on_top:
            date_room += badges_room
        name_room = max(0, int(top.width() - date_room - bold_metrics.horizontalAdvance(prefix)))
        title = prefix + bold_metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_room)
        owner = str(index.data(OWNER_ROLE) or "")
        if owner:
            # The owner gets what the counts and the badges leave; too little room: not shown.
            room = int(bottom.width() - small_metrics.horizontalAdvance(counts)
                       - (0 if on_top else badges_room))
            owner = small_metrics.elidedText(f"  ·  {owner}", Qt.TextElideMode.ElideRight, room)
            if room < small_metrics.horizontalAdvance("  ·  Ab…"):
                owner = ""
        return JobRowLayout(top, bottom, bold, small, title, when, counts, badge,
                            str(status_index.data(STATUS_ROLE) or ""), owner, rush, on_top,
                            badges_room)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), QFontMetrics(option.font).height() * 2 + 18)
