"""The arrivals panel (issue 16 item 4): members who checked in at the door by the store's
QR, within seconds, so staff can greet and advise them before the checkout — name, tier,
tags, complaints in red, suggestions with their reasons (the member view of
pos.services.member_view, as the member panel shows it). Ctrl+G attaches the selected
arrival (the newest by default) to the sale.

`ArrivalsPoller` asks HQ's small feed (sync.arrivals.ArrivalFeed) every 3 s on a worker
while the background sync says HQ is online (the 30 s sync round is too slow for a
greeting); an arrival whose member the till has not pulled yet starts a sync round.
`install(screen, poller)` puts the panel under the checkout screen's member panel and
binds the key; the panel hides itself while nobody has arrived today.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter, QVBoxLayout, QWidget

from pos.rules import phones
from pos.rules.money import yuan
from pos.services import members
from sync.arrivals import POLL_S, Arrival, ArrivalFeed

from . import i18n, labels
from .operations import Operation

ATTACH_KEY = "Ctrl+G"


class ArrivalsPoller(QObject):
    """Polls HQ's arrivals feed off the GUI thread; `arrived` carries the new ones."""

    arrived = Signal(list)
    need_sync = Signal()  # an arrival's member is not in this till yet: pull now

    def __init__(self, db, parent: QObject | None = None, interval_s: float = POLL_S, feed: ArrivalFeed | None = None):
        super().__init__(parent)
        self.feed = feed or ArrivalFeed(db)
        self.online = False
        self._op: Operation | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(int(interval_s * 1000))
        self._timer.timeout.connect(self.poll_now)

    def start(self) -> None:
        self._timer.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._timer.stop()
        if self._op is not None:
            self._op.wait(timeout)
        self.feed.close()

    def set_sync_state(self, state: str, _waiting: int = 0, _detail: str = "") -> None:
        """The background sync's state: poll only while HQ answers."""
        was, self.online = self.online, state in ("online", "rejected")
        if self.online and not was:
            self.poll_now()

    def sync_done(self) -> None:
        """After a sync round (a pull): arrivals waiting for their member may show it now."""
        found = self.feed.refresh_local()
        if found:
            self.arrived.emit([])

    def poll_now(self) -> None:
        if not self.online or (self._op is not None and self._op.running):
            return
        self._op = Operation(self, self.feed.poll, name="arrivals", pool="arrivals").success(self._got).failure(self._failed)
        self._op.run_in_background()

    def _got(self, new: list) -> None:
        if new:
            self.arrived.emit(new)
            if any(not a.local for a in new):
                self.need_sync.emit()

    def _failed(self, _why) -> None:
        self.online = False  # until the next sync round finds HQ again


class ArrivalsPanel(QFrame):
    attach_requested = Signal(str)  # member id

    def __init__(self, feed: ArrivalFeed, program_of, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.program_of = program_of  # () -> the program the till prices with
        self.setObjectName("arrivalsPanel")
        self.setFrameShape(QFrame.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("section")
        head.addWidget(self.title, 1)
        self.attach_btn = QPushButton()
        self.attach_btn.setObjectName("attachArrival")
        self.attach_btn.setFocusPolicy(Qt.NoFocus)
        self.attach_btn.clicked.connect(self.attach_selected)
        head.addWidget(self.attach_btn)
        lay.addLayout(head)
        self.list = QListWidget()
        self.list.setObjectName("arrivals")
        self.list.setFocusPolicy(Qt.NoFocus)  # the scan input keeps the keyboard
        self.list.setMaximumHeight(60)
        self.list.currentRowChanged.connect(lambda _row: self.show_detail())
        lay.addWidget(self.list)
        self.detail = QLabel()
        self.detail.setObjectName("arrivalDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.RichText)
        lay.addWidget(self.detail)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self.attach_btn.setText(self.tr("{0}: attach to sale").format(ATTACH_KEY))
        self.title.setText(self.tr("Arrivals today ({0})").format(self.list.count()))

    def arrivals(self) -> list[Arrival]:
        return self.feed.today()

    def refresh(self, _new: list | None = None) -> None:
        """Show today's arrivals, newest first; a new arrival becomes the selected one."""
        rows = self.arrivals()
        keep = self.selected()
        select_new = bool(_new)
        self.list.blockSignals(True)
        self.list.clear()
        for a in rows:
            tier = labels.tier_name(self.program_of(), a.tier) if a.tier else ""
            who = members.mask_name(a.name) if a.name else a.member_code
            when = self.feed.db.clock.local(a.at).strftime("%H:%M")
            item = QListWidgetItem(f"{'✓ ' if a.attached else ''}{when}  {who}  {tier}".rstrip())
            item.setData(Qt.UserRole, a.id)
            self.list.addItem(item)
        row = 0
        if keep is not None and not select_new:
            row = next((i for i, a in enumerate(rows) if a.id == keep.id), 0)
        self.list.setCurrentRow(row if rows else -1)
        self.list.blockSignals(False)
        self.setVisible(bool(rows))
        self.retranslate()
        self.show_detail()

    def selected(self) -> Arrival | None:
        item = self.list.currentItem()
        if item is None:
            return None
        return next((a for a in self.arrivals() if a.id == item.data(Qt.UserRole)), None)

    def show_detail(self) -> None:
        a = self.selected()
        if a is None:
            self.detail.setText("")
            return
        lang = i18n.current()
        p = self.feed.view(a, self.program_of(), "en" if lang == "en" else "zh_CN")
        esc = html.escape
        if p is None:  # not pulled yet: what HQ sent
            tags = ", ".join(labels.member_tag(t) for t in a.tags) or "-"
            self.detail.setText(
                f"<b>{esc(members.mask_name(a.name) if a.name else a.member_code)}</b> {esc(a.phone_masked or '')}<br>"
                + esc(self.tr("Tags: {0}").format(tags)) + "<br><i>"
                + esc(self.tr("Member details arrive with the next sync…")) + "</i>")
            return
        t = p.tier
        parts = [f"<b>{esc(members.mask_name(p.name) if p.name else p.member_code)}</b> {esc(p.phone_masked)} · "
                 f"{esc(t.name_en if lang == 'en' else t.name_zh)}"]
        parts.append(esc(self.tr("Tags: {0}").format(", ".join(labels.member_tag(x) for x in p.tags) or "-")))
        for n in p.notes:
            if n["kind"] == "complaint":
                parts.append('<span style="color:#c00000;font-weight:600">'
                             + esc(self.tr("Complaint {0}: {1}").format(n["at"], n["text"])) + "</span>")
        for s in p.suggestions[:2]:
            parts.append(esc(self.tr("Suggest {0} ¥{1} — {2}").format(s["name"], yuan(s["price_fen"]), s["why"])))
        self.detail.setText("<br>".join(parts))

    def attach_selected(self) -> None:
        a = self.selected()
        if a is not None:
            self.attach_requested.emit(a.member_id)


def install(screen, poller: ArrivalsPoller) -> ArrivalsPanel:
    """Put the arrivals panel under the checkout screen's member panel, fed by `poller`,
    with the attach key (Ctrl+G) on the screen."""
    panel = ArrivalsPanel(poller.feed, lambda: screen.till.program)
    split = screen.panel.parentWidget()
    if isinstance(split, QSplitter):
        idx = split.indexOf(screen.panel)
        box = QSplitter(Qt.Vertical)
        box.setChildrenCollapsible(False)
        split.insertWidget(idx, box)  # the splitter owns it; the member panel moves into it
        box.addWidget(screen.panel)
        box.addWidget(panel)
        split.setStretchFactor(idx, 2)
        box.setStretchFactor(0, 3)
        box.setStretchFactor(1, 1)
    poller.arrived.connect(panel.refresh)
    def attach_and_tick(member_id: str) -> None:
        if attach(screen, member_id):
            poller.feed.mark_attached(member_id)
            panel.refresh()

    panel.attach_requested.connect(attach_and_tick)
    def key() -> None:
        if panel.selected() is None:
            return screen.say(QCoreApplication.translate("ArrivalsPanel", "Nobody has checked in at the door today"))
        panel.attach_selected()

    guarded = screen._guarded(key)
    QShortcut(QKeySequence(ATTACH_KEY), screen, activated=guarded)
    screen.input.reserved.add(QKeySequence(ATTACH_KEY)[0].toCombined())
    screen.arrivals = panel
    return panel


def attach(screen, member_id: str) -> bool:
    """The arrival becomes the sale's member (asking first if the sale has another one);
    whether they are on the sale now."""
    from pos.errors import DomainError

    screen.settle()
    try:
        p = screen.till.panel(with_suggestions=False)
        if p is not None and p.id == member_id:
            screen.focus_input()
            return True
        with screen.till.db.read() as s:
            m = members.get_active(s, member_id)
            summary = members.MemberSummary(str(m.id), m.member_code, m.name,
                                            phones.mask(m.phone_masked or m.phone), m.tier_code, m.status)
    except DomainError:
        screen.say(QCoreApplication.translate(
            "ArrivalsPanel", "This member is not at this till yet; it arrives with the next sync."), error=True)
        return False
    out = screen._replace_member(summary) if screen.till.member_id else screen.till.attach(summary)
    if out is not None:
        screen.phone_shown = None
        screen.say(QCoreApplication.translate("CheckoutScreen", "Member: {0}").format(out.message))
        screen.refresh()
    screen.focus_input()
    return out is not None
