"""Who the member is, at a glance: tier and progress, points and what expires,
stored value, wallet coupons (click to apply), tags, last visit, notes and
complaints, and what to suggest with why."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton,
    QVBoxLayout, QWidget,
)

from pos.services.member_view import MemberPanel
from pos.rules.money import yuan

from . import i18n, labels


def _label(text: str = "", name: str = "", wrap: bool = False) -> QLabel:
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    return w


class MemberPanelWidget(QFrame):
    coupon_clicked = Signal(str)
    unmask_requested = Signal()
    detail_requested = Signal()
    convert_requested = Signal()  # points to stored value
    exchange_requested = Signal()  # points for a coupon
    lottery_requested = Signal()  # the points lottery
    checkin_requested = Signal()  # an arrival check-in (Ctrl+K; pos.services.member_bonuses)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("memberPanel")
        self.setFrameShape(QFrame.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)  # 6 made the panel 2 px too tall for 1024x768 with a CJK font (tests/ui/test_layout_ui.py)
        head = QHBoxLayout()
        self.title = _label(name="memberName")
        self.tier_badge = _label(name="tierBadge")
        head.addWidget(self.title, 1)
        head.addWidget(self.tier_badge)
        lay.addLayout(head)
        self.flags = _label(name="memberFlags", wrap=True)
        lay.addWidget(self.flags)
        self.progress = QProgressBar()
        self.progress.setObjectName("tierProgress")
        self.progress.setTextVisible(True)
        lay.addWidget(self.progress)
        self.keep = _label(name="tierKeep", wrap=True)
        lay.addWidget(self.keep)

        grid = QGridLayout()
        self.points = _label(name="points")
        self.expiring = _label(name="expiring", wrap=True)
        self.stored = _label(name="storedValue")
        self.coins = _label(name="shoppingCoins", wrap=True)  # issue 17: the alliance card's coins
        self.coins_caption = _label(self.tr("Shopping coins"), "caption")
        self.visits = _label(name="visits")
        self.tags = _label(name="tags", wrap=True)
        for row, (caption, widget) in enumerate([
            (self.tr("Points"), self.points), ("", self.expiring), (self.tr("Stored value"), self.stored),
            (self.tr("Last visit"), self.visits), (self.tr("Tags"), self.tags),
        ]):
            grid.addWidget(_label(caption, "caption"), row, 0, Qt.AlignTop)
            grid.addWidget(widget, row, 1)
        grid.addWidget(self.coins_caption, 5, 0, Qt.AlignTop)
        grid.addWidget(self.coins, 5, 1)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)

        lay.addWidget(_label(self.tr("Coupons (click to apply)"), "section"))
        self.coupons = QListWidget()
        self.coupons.setObjectName("walletCoupons")
        self.coupons.setMaximumHeight(90)
        self.coupons.itemActivated.connect(self._coupon)
        self.coupons.itemClicked.connect(self._coupon)
        lay.addWidget(self.coupons)
        self.notes = _label(name="notes", wrap=True)
        lay.addWidget(self.notes)
        lay.addWidget(_label(self.tr("Suggestions"), "section"))
        self.suggestions = QListWidget()
        self.suggestions.setObjectName("suggestions")
        self.suggestions.setWordWrap(True)
        lay.addWidget(self.suggestions, 1)
        buttons = QGridLayout()  # two a row: six in two rows made the screen wider than 1024 px in English
        self.unmask_btn = QPushButton(self.tr("Show phone (manager)"))
        self.unmask_btn.clicked.connect(self.unmask_requested)
        self.detail_btn = QPushButton(self.tr("Member detail (Ctrl+D)"))
        self.detail_btn.clicked.connect(self.detail_requested)
        self.checkin_btn = QPushButton(self.tr("Check in"))
        self.checkin_btn.setObjectName("checkinMember")
        self.checkin_btn.setToolTip("Ctrl+K")
        self.checkin_btn.setFocusPolicy(Qt.NoFocus)
        self.checkin_btn.clicked.connect(self.checkin_requested)
        # points outside the sale (issue 14); their keys are the checkout screen's
        self.convert_btn = QPushButton(self.tr("Points to stored value"))
        self.convert_btn.setObjectName("convertPoints")
        self.convert_btn.clicked.connect(self.convert_requested)
        self.exchange_btn = QPushButton(self.tr("Coupon for points"))
        self.exchange_btn.setObjectName("exchangeCoupon")
        self.exchange_btn.clicked.connect(self.exchange_requested)
        self.lottery_btn = QPushButton(self.tr("Points lottery"))
        self.lottery_btn.setObjectName("lotteryDraw")
        self.lottery_btn.clicked.connect(self.lottery_requested)
        for b, key in ((self.convert_btn, "Ctrl+Shift+V"), (self.exchange_btn, "Ctrl+Shift+E"),
                       (self.lottery_btn, "Ctrl+Shift+O")):
            b.setFocusPolicy(Qt.NoFocus)  # the keyboard stays in the one input
            b.setToolTip(key)
        for i, b in enumerate((self.unmask_btn, self.detail_btn, self.checkin_btn, self.convert_btn, self.exchange_btn,
                               self.lottery_btn)):
            buttons.addWidget(b, i // 2, i % 2)
        lay.addLayout(buttons)
        self.show_none()

    def _coupon(self, item: QListWidgetItem) -> None:
        self.coupon_clicked.emit(item.data(Qt.UserRole))

    def show_none(self) -> None:
        self.panel = None
        self.title.setText(self.tr("No member"))
        self.tier_badge.setText("")
        self.tier_badge.hide()  # an empty badge is an orange blob with nothing in it
        self.flags.setText(self.tr("Scan a member card or code, or type a phone number or its last 4 digits. F3: quick join."))
        self.progress.hide()
        self.keep.setText("")
        for w in (self.points, self.expiring, self.stored, self.visits, self.tags, self.notes, self.coins):
            w.setText("")
        self.coins_caption.hide()
        self.coins.hide()
        self.coupons.clear()
        self.suggestions.clear()
        self.unmask_btn.setEnabled(False)
        self.detail_btn.setEnabled(False)
        self.checkin_btn.setEnabled(False)
        self.set_point_uses(False, False, False)

    def set_point_uses(self, convert: bool, exchange: bool, lottery: bool) -> None:
        """Which points uses the program offers (a member is on the sale)."""
        self.convert_btn.setEnabled(convert)
        self.exchange_btn.setEnabled(exchange)
        self.lottery_btn.setEnabled(lottery)

    def mark_applied(self, applied) -> None:
        """Mark the wallet coupons this sale uses (✓ 本单已用), cheaply, after each re-pricing."""
        applied = set(applied or ())
        for i in range(self.coupons.count()):
            item = self.coupons.item(i)
            base = item.data(Qt.UserRole + 1) or item.text()
            on = item.data(Qt.UserRole) in applied
            item.setData(Qt.UserRole + 2, on)
            item.setText(("✓ " + self.tr("in this sale") + "  ·  " + base) if on else base)

    def mark_points(self, in_sale: int = 0) -> None:
        """The balance and what can still be used on this sale: the points the basket already
        takes (for cash and for gifts) are not usable twice (the F7 dialog's usable points less
        what it says is applied)."""
        p = self.panel
        if p is None:
            return
        in_sale = max(in_sale or 0, 0)
        if in_sale:
            self.points.setText(self.tr("{0} (usable {1}, {2} applied to this sale)").format(
                f"{p.points:,}", f"{max(p.points_available - in_sale, 0):,}", f"{in_sale:,}"))
        else:
            self.points.setText(self.tr("{0} (usable {1})").format(f"{p.points:,}", f"{p.points_available:,}"))

    def show_panel(self, p: MemberPanel, phone_shown: str | None = None, applied=(), points_in_sale: int = 0) -> None:
        self.panel = p
        en = i18n.current() == "en"
        t = p.tier
        self.title.setText((p.name or self.tr("(no name)")) + "  " + (phone_shown or p.phone_masked))
        self.tier_badge.setText(t.name_en if en else t.name_zh)
        self.tier_badge.show()
        flags = []
        if t.priority_service:
            flags.append(self.tr("Priority service"))
        if p.birthday_today:
            flags.append(self.tr("Birthday today!"))
        if p.inactive == "threshold":
            flags.append(self.tr("Not an active member yet: ¥{0} more").format(yuan(p.to_activate_fen or 0)))
        elif p.inactive == "card":
            flags.append(self.tr("Not an active member yet: sell the membership card"))
        self.flags.setText(" · ".join(flags))
        if t.next_at_fen:
            self.progress.show()
            self.progress.setRange(0, t.next_at_fen)
            self.progress.setValue(min(t.spend_fen, t.next_at_fen))
            self.progress.setFormat(self.tr("{0} more to {1}").format(
                "¥" + yuan(t.to_next_fen or 0), t.next_name_en if en else t.next_name_zh))
        else:
            self.progress.hide()
        keep = []
        if t.to_keep_fen:
            keep.append(self.tr("{0} more to keep the tier").format("¥" + yuan(t.to_keep_fen)))
        if t.expires:
            keep.append(self.tr("valid until {0}").format(t.expires))
        self.keep.setText(", ".join(keep))
        self.mark_points(points_in_sale)
        self.expiring.setText(self.tr("{0} points expire on {1}").format(f"{p.expiring_points:,}", p.expiring_on)
                              if p.expiring_points else "")
        self.stored.setText(f"¥{yuan(p.stored_value_fen)}")
        if p.coins is None:  # no alliance at this store
            self.coins_caption.hide()
            self.coins.hide()
        else:
            self.coins_caption.show()
            self.coins.show()
            self.coins.setText(self.tr("{0} (usable {1}) · {2} card, valid at every merchant").format(
                f"{p.coins:,}", f"{p.coins_available:,}", p.alliance_en if en else p.alliance_zh))
        self.visits.setText(self.tr("{0} (visits: {1})").format(p.last_visit or "-", p.visits))  # never "1 visits"
        self.tags.setText(", ".join(labels.member_tag(t) for t in p.tags) or "-")
        self.coupons.clear()
        for c in p.coupons:
            until = self.tr("until {0}").format(c.valid_to)
            text = (c.name_en if en else c.name_zh) + "  ·  " + until
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, c.code)
            item.setData(Qt.UserRole + 1, text)
            self.coupons.addItem(item)
        self.mark_applied(applied)
        complaints = [n for n in p.notes if n["kind"] == "complaint"]
        lines = [self.tr("Complaint {0}: {1}").format(n["at"], n["text"]) for n in complaints]
        lines += [self.tr("Note {0}: {1}").format(n["at"], n["text"]) for n in p.notes if n["kind"] != "complaint"][:2]
        self.notes.setText("\n".join(lines))
        self.notes.setProperty("complaint", bool(complaints))
        self.suggestions.clear()
        for sug in p.suggestions:
            item = QListWidgetItem(f"{sug['name']}  ¥{yuan(sug['price_fen'])}\n  {sug['why']}")
            item.setData(Qt.UserRole, sug["code"])
            self.suggestions.addItem(item)
        self.unmask_btn.setEnabled(True)
        self.detail_btn.setEnabled(True)
        self.checkin_btn.setEnabled(True)
