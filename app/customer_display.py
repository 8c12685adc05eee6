"""The customer screen (issue 16): a window facing the customer, beside the 2x20 pole
display — full screen and frameless on the till's second monitor, or an ordinary window
to try it out (device setting `customer_screen`: off / screen N / window; Ctrl+Shift+D).

* Idle (no sale in progress): the store's join QR, large — the very signed link HQ prints
  with `hq store qr`, which the till gets from HQ with its sync and keeps for offline days
  (sync/join_link.py) — with 扫码入会，首单立享优惠. A till that never had the link (not
  synced yet) or whose link expired shows the store's name and a welcome, never a QR
  that would not open.
* During a sale: the latest lines, the member greeted by a masked name (王**) with tier and
  points, the totals and what was saved; a guest sees a small join QR: join now and the
  welcome gift goes on this purchase.
* After payment: thank you, the points earned and the balance, for `THANKS_MS`, then the
  QR again (or the next customer's basket at their first scan).

It follows the till's change events (app/events.py: `basket`, `sales`, `members`, `sync`);
nothing polls. It never takes the keyboard: scans stay with the till's window.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QStackedWidget, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from devices.config import CustomerScreenSettings
from pos.errors import DomainError
from pos.rules.money import yuan
from pos.services.members import mask_name
from pos.store import settings as store_settings
from sync import join_link

from . import events, i18n

log = logging.getLogger(__name__)

THANKS_MS = 6000  # the thank-you stays this long, then the join QR again
MAX_LINES = 10  # the latest lines shown; the rest counted above them
QR_BORDER = 4  # modules of white quiet zone around the QR (what a phone's reader needs)


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR symbol of `text` (dark = True), without the quiet zone, as `hq store qr`
    makes it (segno, error correction M)."""
    import segno

    return [[bool(v) for v in row] for row in segno.make(text, error="m").matrix]


def qr_pixmap(text: str, side: int) -> QPixmap:
    """The QR of `text` at most `side` px square: whole pixels per module (sharp edges for
    a phone's camera), black on white with a quiet zone of `QR_BORDER` modules."""
    m = qr_matrix(text)
    n = len(m) + 2 * QR_BORDER
    px = max(2, side // n)
    # one byte a module (white 255, dark 0) and one call into Qt: the image is made whole, then
    # scaled without smoothing (a Qt call per module costs time, and PySide leaks a reference each)
    quiet = bytes([255]) * n
    rows = [quiet] * QR_BORDER + [bytes([255] * QR_BORDER + [0 if d else 255 for d in row] + [255] * QR_BORDER)
                                  for row in m] + [quiet] * QR_BORDER
    img = QImage(b"".join(rows), n, n, n, QImage.Format_Grayscale8).copy()  # copy: Qt owns its bytes
    return QPixmap.fromImage(img.scaled(n * px, n * px, Qt.IgnoreAspectRatio, Qt.FastTransformation))


def _put(label: QLabel, text: str) -> None:
    """Set the text only when it changes (a scan changes a few of the screen's labels)."""
    if label.text() != text:
        label.setText(text)


def _vis(w: QWidget, on: bool) -> None:
    if w.isHidden() == bool(on):
        w.setVisible(bool(on))


def _label(name: str, align=Qt.AlignCenter, wrap: bool = True) -> QLabel:
    w = QLabel()
    w.setObjectName(name)
    w.setAlignment(align)
    w.setWordWrap(wrap)
    return w


class CustomerDisplay(QWidget):
    """`till_of()` is the till of the signed-in cashier (None before sign-in);
    `till_window` the cashier's window (its monitor is never covered)."""

    def __init__(self, db, till_of: Callable[[], object | None], till_window: QWidget | None = None):
        super().__init__(None)
        self.db = db
        self.till_of = till_of
        self.till_window = till_window
        self.setObjectName("customerDisplay")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setAttribute(Qt.WA_QuitOnClose, False)  # closing the till closes the app, whatever this shows
        self.setAttribute(Qt.WA_ShowWithoutActivating, True)  # scans stay with the till's window
        self.setFocusPolicy(Qt.NoFocus)
        self.settings = CustomerScreenSettings()
        self.mode = "off"  # what place() did: off / window / screen
        self.problem: str | None = None
        self.state = "idle"  # idle / sale / thanks
        self.qr_url: str | None = None  # what the QR on screen holds (idle page or the guest's corner)
        self._qr_keys: dict[str, tuple] = {}  # label -> (url, side) drawn on it
        self._member: tuple[str, str, str] | None = None  # (member id, language, greeting)
        self._thanks = None  # the SaleResult thanked for
        self._scale = 0
        self._headers = ""  # the language the table's headers are in
        self.pages = QStackedWidget(self)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(self.pages)
        self.pages.addWidget(self._idle_page())
        self.pages.addWidget(self._sale_page())
        self.pages.addWidget(self._thanks_page())
        self.thanks_timer = QTimer(self)
        self.thanks_timer.setSingleShot(True)
        self.thanks_timer.timeout.connect(self._thanks_over)
        events.listen(self, "basket", lambda _ids: self.refresh())
        events.listen(self, "sales", self._sales)
        events.listen(self, "members", self._members)
        events.listen(self, "sync", lambda _ids: self.refresh())  # a sync round may bring a new join link
        app = QGuiApplication.instance()
        app.screenAdded.connect(self._screens_changed)
        app.screenRemoved.connect(self._screens_changed)
        self.resize(800, 600)
        self._restyle()

    # --- pages ---------------------------------------------------------------------------------

    def _idle_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(24, 24, 24, 24)
        self.idle_store = _label("cdStore")
        self.idle_qr = _label("cdQr", wrap=False)
        self.idle_qr.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.idle_caption = _label("cdCaption")
        self.idle_hint = _label("cdHint")
        lay.addStretch(1)
        lay.addWidget(self.idle_store)
        lay.addWidget(self.idle_qr, 8)
        lay.addWidget(self.idle_caption)
        lay.addWidget(self.idle_hint)
        lay.addStretch(1)
        return page

    def _sale_page(self) -> QWidget:
        page = QWidget()
        h = QHBoxLayout(page)
        h.setContentsMargins(16, 16, 16, 16)
        h.setSpacing(16)
        left = QVBoxLayout()
        self.greeting = _label("cdGreeting", Qt.AlignLeft | Qt.AlignVCenter)
        self.greet_points = _label("cdPoints", Qt.AlignLeft | Qt.AlignVCenter)
        self.more = _label("cdMore", Qt.AlignLeft | Qt.AlignVCenter)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("cdLines")
        self.table.setFocusPolicy(Qt.NoFocus)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.Stretch)
        for col in (1, 2, 3):
            hh.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        left.addWidget(self.greeting)
        left.addWidget(self.greet_points)
        left.addWidget(self.more)
        left.addWidget(self.table, 1)
        h.addLayout(left, 3)
        box = QFrame()
        box.setObjectName("cdTotals")
        right = QVBoxLayout(box)
        self.t_count = _label("cdLine", Qt.AlignLeft)
        self.t_gross = _label("cdLine", Qt.AlignLeft)
        self.t_discount = _label("cdLine", Qt.AlignLeft)
        self.t_saved = _label("cdSaved", Qt.AlignLeft)
        self.t_due = _label("cdDue", Qt.AlignLeft)
        self.t_points = _label("cdPoints", Qt.AlignLeft)
        self.join_qr = _label("cdQrSmall", wrap=False)
        self.join_caption = _label("cdJoinCaption")
        for w in (self.t_count, self.t_gross, self.t_discount, self.t_saved, self.t_due, self.t_points):
            right.addWidget(w)
        right.addStretch(1)
        right.addWidget(self.join_qr)
        right.addWidget(self.join_caption)
        h.addWidget(box, 2)
        return page

    def _thanks_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(24, 24, 24, 24)
        self.th_title = _label("cdThanks")
        self.th_paid = _label("cdPaid")
        self.th_points = _label("cdSaved")
        self.th_tier = _label("cdCaption")
        self.th_bye = _label("cdHint")
        lay.addStretch(1)
        for w in (self.th_title, self.th_paid, self.th_points, self.th_tier, self.th_bye):
            lay.addWidget(w)
        lay.addStretch(1)
        return page

    # --- where it shows ------------------------------------------------------------------------

    def place(self, settings: CustomerScreenSettings | None = None) -> str | None:
        """Show (or hide) the window as the setting says; a sentence for the cashier when
        it cannot be (the monitor is not connected, or it is the till's own)."""
        if settings is not None:
            self.settings = settings
        s = self.settings
        self.problem = None
        if s.mode == "off":
            self.hide()
            self.mode = "off"
            return None
        if s.mode == "window":
            if self.mode != "window":
                self.hide()
                self._flags(Qt.Window | Qt.WindowDoesNotAcceptFocus)
                self.setWindowState(Qt.WindowNoState)
                self.resize(800, 600)
            self.mode = "window"
            self.show()
        else:
            screens = QGuiApplication.screens()
            if s.screen >= len(screens):
                self.hide()
                self.mode = "off"
                self.problem = self.tr("Customer screen: monitor {0} is not connected (the till has {1})").format(
                    s.screen + 1, len(screens))
                return self.problem
            target = screens[s.screen]
            if self.till_window is not None and self.till_window.screen() is target:
                self.hide()
                self.mode = "off"
                self.problem = self.tr(
                    "Customer screen: monitor {0} is the till's own screen; choose another monitor, or a window"
                ).format(s.screen + 1)
                return self.problem
            self.hide()
            self._flags(Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint | Qt.WindowDoesNotAcceptFocus)
            self.setScreen(target)
            self.setGeometry(target.geometry())
            self.mode = "screen"
            self.showFullScreen()
        self.setWindowTitle(self.tr("Customer screen"))
        self.refresh()
        return None

    def _flags(self, flags) -> None:
        if self.windowFlags() != flags:
            self.setWindowFlags(flags)

    def _screens_changed(self, _screen=None) -> None:
        """A monitor plugged in or out: the window goes where the setting says, if it can."""
        if self.settings.mode == "screen":
            QTimer.singleShot(0, self.place)

    # --- what it shows -------------------------------------------------------------------------

    def _till(self):
        try:
            return self.till_of()
        except RuntimeError:  # the window that knew the till is gone (closing)
            return None

    def refresh(self) -> None:
        """Show what the till is at now (called on its change events)."""
        if not self.isVisible():
            return
        till = self._till()
        if till is not None and (till.lines or till.member_id):
            self.thanks_timer.stop()
            self._thanks = None
            self._show_sale(till)
        elif self.thanks_timer.isActive() and self._thanks is not None:
            self._show_thanks(self._thanks)  # its few seconds are not over (a language switch redraws it)
        else:
            self._show_idle()

    def _page(self, i: int) -> None:
        if self.pages.currentIndex() != i:
            self.pages.setCurrentIndex(i)

    def _store_name(self) -> str:
        return store_settings.STORE_NAME.get(self.db) or ""

    def _show_idle(self) -> None:
        self.state = "idle"
        url = join_link.current(self.db)
        store = self._store_name()
        if url:
            _put(self.idle_store, store or self.tr("Welcome"))
            self._set_qr(self.idle_qr, url, self._idle_qr_side())
            self.idle_qr.show()
            _put(self.idle_caption, self.tr("Scan to join: a welcome gift on your first order"))
            _put(self.idle_hint, self.tr("Scan with WeChat or your phone's camera — no app, about 30 seconds"))
            self.qr_url = url
        else:  # never synced (or the link expired): a welcome, not a QR that would not open
            self.idle_qr.clear()
            self.idle_qr.hide()
            self._qr_keys.pop("idle", None)
            self.qr_url = None
            _put(self.idle_store, self.tr("Welcome"))
            _put(self.idle_caption, store)
            _put(self.idle_hint, self.tr("Thank you for shopping with us"))
        self._page(0)

    def _idle_qr_side(self) -> int:
        return max(120, int(min(self.width() * 0.6, self.height() * 0.55)))

    def _set_qr(self, label: QLabel, url: str, side: int) -> None:
        """Draw the QR on `label` unless it holds that one already (a scan does not redraw it)."""
        which = "idle" if label is self.idle_qr else "join"
        if self._qr_keys.get(which) == (url, side):
            return
        label.setPixmap(qr_pixmap(url, side))
        self._qr_keys[which] = (url, side)

    def _show_sale(self, till) -> None:
        self.state = "sale"
        lang = i18n.current()
        q = till.last_quote
        lines = list(q.lines) if q is not None else []
        hello, points = self._greeting(till, lang)
        _put(self.greeting, hello)
        _put(self.greet_points, points)
        _vis(self.greet_points, bool(points))
        shown = lines[-MAX_LINES:]
        hidden = len(lines) - len(shown)
        _put(self.more, self.tr("… and {0} more item(s) above").format(hidden) if hidden else "")
        _vis(self.more, bool(hidden))
        if self._headers != lang:
            self.table.setHorizontalHeaderLabels([self.tr("Item"), self.tr("Qty"), self.tr("Discount"), self.tr("Amount")])
            self._headers = lang
        if self.table.rowCount() != len(shown):
            self.table.setRowCount(len(shown))
        green = QColor("#2e7d32")
        for row, ln in enumerate(shown):
            name = (self.tr("[Gift] ") + ln.item.name) if ln.item.reward else ln.item.name
            off = ln.gross_fen - ln.net_fen
            cells = (name, f"×{ln.item.qty}", f"-¥{yuan(off)}" if off else "", f"¥{yuan(ln.net_fen)}")
            for col, text in enumerate(cells):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    item.setFlags(Qt.ItemIsEnabled)
                    item.setTextAlignment((Qt.AlignLeft if col == 0 else Qt.AlignRight) | Qt.AlignVCenter)
                    if col == 2:
                        item.setForeground(green)
                    self.table.setItem(row, col, item)
                if item.text() != text:
                    item.setText(text)
        if q is None:
            gross = net = saved = earned = qty = 0
        else:
            gross, net, saved, earned = q.gross_fen, q.net_fen, q.member_saved_fen, q.points_earned
            qty = sum(ln.item.qty for ln in lines if not ln.item.reward)
        _put(self.t_count, self.tr("{0} item(s)").format(qty))
        _put(self.t_gross, self.tr("Total ¥{0}").format(yuan(gross)))
        _put(self.t_discount, self.tr("Discounts -¥{0}").format(yuan(gross - net)))
        _vis(self.t_discount, gross != net)
        _put(self.t_saved, self.tr("Membership saved ¥{0}").format(yuan(saved)))
        _vis(self.t_saved, bool(saved))
        _put(self.t_due, self.tr("Due ¥{0}").format(yuan(net)))
        member = bool(till.member_id)
        _put(self.t_points, self.tr("Earns {0} points").format(f"{earned:,}"))
        _vis(self.t_points, member and earned > 0)
        url = None if member else join_link.current(self.db)
        if url:  # a guest: join now, and the welcome gift goes on this very purchase
            self._set_qr(self.join_qr, url, max(100, min(int(self.height() * 0.32), int(self.width() * 0.3))))
            _put(self.join_caption, self.tr("Not a member yet? Scan to join: the welcome gift goes on this purchase"))
        _vis(self.join_qr, bool(url))
        _vis(self.join_caption, bool(url))
        self.qr_url = url
        self._page(1)

    def _greeting(self, till, lang: str) -> tuple[str, str]:
        """(the greeting, the member's points line or "")."""
        mid = till.member_id
        if not mid:
            store = self._store_name()
            return (self.tr("Welcome to {0}").format(store) if store else self.tr("Welcome")), ""
        if self._member is not None and self._member[:2] == (mid, lang):
            return self._member[2]
        try:
            p = till.panel(with_suggestions=False)
        except DomainError:
            p = None
        if p is None:
            got = (self.tr("Hello, dear member"), "")
        else:
            name = mask_name(p.name)  # the screen faces the queue: 王**
            hello = self.tr("Hello, {0}").format(name) if name else self.tr("Hello, dear member")
            tier = p.tier.name_en if lang == "en" else p.tier.name_zh
            got = ("  ·  ".join(x for x in (hello, tier) if x),
                   self.tr("{0} points to use").format(f"{p.points_available:,}"))
        self._member = (mid, lang, got)
        return got

    def _members(self, ids: frozenset) -> None:
        if self._member is not None and (not ids or self._member[0] in ids):
            self._member = None  # points or tier changed: greet again from the store
            if self.state == "sale":
                self.refresh()

    def _sales(self, ids: frozenset) -> None:
        till = self._till()
        r = getattr(till, "last_paid", None) if till is not None else None
        if r is None or (ids and r.sale_id not in ids) or self._thanks is r:
            return
        self._member = None
        if till.lines or till.member_id:  # the next customer is already at it
            return self.refresh()
        self._thanks = r
        self.thanks_timer.start(THANKS_MS)
        if self.isVisible():
            self._show_thanks(r)

    def _show_thanks(self, r) -> None:
        self.state = "thanks"
        self.qr_url = None
        _put(self.th_title, self.tr("Thank you!"))
        change = r.totals.get("change_fen") or 0
        paid = self.tr("Paid ¥{0}").format(yuan(r.totals.get("net_fen", 0)))
        _put(self.th_paid, paid + ("  ·  " + self.tr("Change ¥{0}").format(yuan(change)) if change else ""))
        m = r.member
        if m:
            earned = int(r.points.get("earned") or 0)
            balance = int(r.points.get("balance_after") or 0)
            _put(self.th_points, (self.tr("+{0} points for this purchase").format(f"{earned:,}") + "  ·  " if earned else "")
                                   + self.tr("Points balance {0}").format(f"{balance:,}"))
            up = m.get("tier_after") and m.get("tier_after") != m.get("tier_before")
            _put(self.th_tier, self.tr("Congratulations: you are now {0}").format(self._tier_name(m["tier_after"]))
                                 if up else "")
            _vis(self.th_tier, bool(up))
        else:
            _put(self.th_points, "")
            _vis(self.th_tier, False)
        _vis(self.th_points, bool(m))
        _put(self.th_bye, self.tr("See you again soon"))
        self._page(2)

    def _tier_name(self, code: str) -> str:
        till = self._till()
        program = getattr(till, "program", None)
        for lv in (program.tiers.levels if program is not None else []):
            if lv.code == code:
                return lv.name.en if i18n.current() == "en" else lv.name.zh
        return code

    def _thanks_over(self) -> None:
        self._thanks = None
        self.refresh()

    # --- Qt ------------------------------------------------------------------------------------

    def _restyle(self) -> None:
        """Type in proportion to the screen: legible across a counter on 800x600 and on 1080p."""
        u = max(14, int(min(self.height() / 26, self.width() / 36)))
        if u == self._scale:
            return
        self._scale = u
        self.setStyleSheet(f"""
            #customerDisplay {{ background: #fffdf7; }}
            QLabel {{ color: #212121; font-size: {u}px; }}
            #cdStore {{ font-size: {int(u * 1.5)}px; font-weight: bold; color: #0d47a1; }}
            #cdCaption {{ font-size: {int(u * 1.6)}px; font-weight: bold; color: #c62828; }}
            #cdHint {{ font-size: {u}px; color: #616161; }}
            #cdGreeting {{ font-size: {int(u * 1.25)}px; font-weight: bold; color: #0d47a1; }}
            #cdMore {{ color: #757575; }}
            #cdLines {{ font-size: {u}px; background: white; border: 1px solid #e0e0e0; border-radius: 6px; }}
            #cdLines QHeaderView::section {{ font-size: {int(u * 0.8)}px; color: #616161; background: #fafafa;
                                             border: none; border-bottom: 1px solid #e0e0e0; padding: 4px; }}
            #cdTotals {{ background: #f5f5f5; border: 1px solid #e0e0e0; border-radius: 8px; }}
            #cdSaved {{ color: #2e7d32; font-weight: bold; font-size: {int(u * 1.15)}px; }}
            #cdDue {{ color: #0d47a1; font-weight: bold; font-size: {int(u * 1.6)}px; }}
            #cdPaid {{ font-size: {int(u * 1.3)}px; }}
            #cdPoints {{ color: #e65100; font-weight: bold; }}
            #cdJoinCaption {{ color: #c62828; font-weight: bold; font-size: {int(u * 0.9)}px; }}
            #cdThanks {{ font-size: {int(u * 2.6)}px; font-weight: bold; color: #0d47a1; }}
        """)
        self.table.verticalHeader().setDefaultSectionSize(int(u * 1.9))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._restyle()
        self._qr_keys.clear()  # drawn again for the new size
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.LanguageChange:
            self._member = None
            self.setWindowTitle(self.tr("Customer screen"))
            self.refresh()
        super().changeEvent(event)
