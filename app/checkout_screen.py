"""The checkout screen: one input for everything, the basket, the totals with
what membership saved, the member panel, and an F-key for every action.
Talks to the domain through `pos.services.till.Till` only."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox,
    QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget,
)

from pos.services import members
from pos.errors import DomainError
from pos.rules.money import yuan
from pos.services.till import Till

from . import events, i18n
from .basket_model import BasketModel
from .dialogs import (
    GiftDialog, ListDialog, ManagerDialog, PaymentDialog, PickMemberDialog, ReceiptDialog, RedeemDialog, TextDialog,
)
from . import labels
from .dialogs import HeldDialog, SearchDialog, manager_refusal
from .member_panel import MemberPanelWidget
from .operations import Operation
from .receipt_text import receipt_text


class ScanInput(QLineEdit):
    """The one input. The screen's keys (Delete, Ctrl+U, …) act from here: a plain
    line edit claims them for itself (delete a character, clear the line) and the
    screen's shortcut never fires while focus is here, which is nearly always."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.reserved: set[int] = set()  # key combinations that belong to the screen

    def event(self, ev) -> bool:
        if ev.type() == QEvent.ShortcutOverride and ev.keyCombination().toCombined() in self.reserved:
            ev.ignore()  # not ours: the screen's shortcut takes it
            return True
        return super().event(ev)


class CheckoutScreen(QWidget):
    sale_done = Signal(dict)
    reprint_requested = Signal(dict)
    lock_requested = Signal()
    sign_out_requested = Signal()
    returns_requested = Signal()
    reports_requested = Signal()  # Ctrl+R: the store manager's reports
    detail_requested = Signal(str)
    status = Signal(str)
    customer_display = Signal(str, str)  # two lines for the customer display, if one is configured

    def __init__(self, till: Till, parent: QWidget | None = None):
        super().__init__(parent)
        self.till = till
        self.phone_shown: str | None = None
        self.join_phone = ""  # a mobile that matched no member: F3 quick join starts with it (memory only)
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 4)

        top = QHBoxLayout()
        self.input = ScanInput()
        self.input.setObjectName("scanInput")
        self.placeholder = self.tr("Scan or type: barcode, member card/code, coupon, phone or last 4 digits — Enter")
        self.input.setPlaceholderText(self.placeholder)
        self.input.returnPressed.connect(self.on_enter)
        top.addWidget(self.input, 1)
        root.addLayout(top)
        self.message = QLabel(" ")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        root.addWidget(self.message)

        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        self.model = BasketModel(self)
        self.table = QTableView()
        self.table.setObjectName("basket")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setFocusPolicy(Qt.NoFocus)  # focus stays in the input: a scan always lands
        self.table.setWordWrap(False)  # one line per row: no text layout for wrapping on every paint
        hh = self.table.horizontalHeader()  # fixed widths: sizing to contents reads every cell on every scan
        for col, width in enumerate((36, 0, 52, 84, 84, 92, 64)):
            if width:
                hh.resizeSection(col, width)
        hh.setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(30)
        left_lay.addWidget(self.table, 1)
        left_lay.addWidget(self._totals())
        split.addWidget(left)
        self.panel = MemberPanelWidget()
        self.panel.coupon_clicked.connect(self.apply_coupon)
        self.panel.unmask_requested.connect(self.unmask)
        self.panel.detail_requested.connect(self.member_detail)
        self.panel.checkin_requested.connect(self._guarded(self.checkin))
        self.panel.convert_requested.connect(self._guarded(self.convert_points))
        self.panel.exchange_requested.connect(self._guarded(self.exchange_coupon))
        self.panel.lottery_requested.connect(self._guarded(self.lottery_draw))
        split.addWidget(self.panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(split, 1)
        root.addLayout(self._keys())
        self.reprice_timer = QTimer(self)
        self.reprice_timer.setSingleShot(True)
        self.reprice_timer.timeout.connect(self.reprice)
        self.paying: Operation | None = None  # a payment waiting for HQ's hold, in the background
        self.deferred: list[str] = []  # codes entered while it waits: taken, in order, once it is done
        self._asked_hq: str | None = None  # a dynamic member code HQ just answered for (not asked again)
        events.listen(self, "members", self._members_changed)  # a pull, a merge, a top-up elsewhere
        self.refresh()

    def reprice(self) -> None:
        """Save the basket (a crash resumes it) and show the new prices and totals."""
        self.reprice_timer.stop()
        self.till.changed()
        self.refresh(panel=False)

    def settle(self) -> None:
        """Before any action that reads the prices: finish a re-pricing still pending."""
        if self.reprice_timer.isActive():
            self.reprice()

    # --- layout pieces ------------------------------------------------------------

    def _totals(self) -> QFrame:
        box = QFrame()
        box.setObjectName("totals")
        grid = QGridLayout(box)
        self.gross = QLabel()
        self.discount = QLabel()
        self.saved = QLabel()
        self.saved.setObjectName("saved")
        self.points_used = QLabel()
        self.earned = QLabel()
        self.due = QLabel()
        self.due.setObjectName("due")
        self.applied = QLabel()  # what applied and why: not red, red is for what went wrong
        self.applied.setObjectName("appliedDiscounts")
        self.applied.setWordWrap(True)
        self.refusals = QLabel()
        self.refusals.setObjectName("refusals")
        self.refusals.setWordWrap(True)
        # the longest texts get two columns ("Membership saved ¥…", "Points used … (¥…)") and no label has a
        # fixed minimum below its text: nothing is cut short, and the screen fits 1024 px in both languages
        grid.addWidget(self.gross, 0, 0)
        grid.addWidget(self.discount, 0, 1)
        grid.addWidget(self.saved, 1, 0, 1, 2)
        grid.addWidget(self.earned, 2, 0)
        grid.addWidget(self.points_used, 2, 1, 1, 2)
        self.due.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        grid.addWidget(self.due, 0, 2, 2, 1)  # fills its cell: a size hint taken before the style applied would cut it
        grid.addWidget(self.applied, 3, 0, 1, 3)
        grid.addWidget(self.refusals, 4, 0, 1, 3)
        for col, stretch in enumerate((2, 2, 3)):
            grid.setColumnStretch(col, stretch)
        return box

    def _keys(self) -> QHBoxLayout:
        row = QHBoxLayout()
        actions = [
            ("F2", self.tr("Member"), self.focus_input), ("F3", self.tr("Join"), self.quick_join),
            ("F4", self.tr("Qty"), self.change_qty), ("F5", self.tr("Discount"), self.line_discount),
            ("F6", self.tr("Remove"), self.remove_line), ("F7", self.tr("Points"), self.redeem),
            ("F8", self.tr("Gift"), self.gift), ("F9", self.tr("Hold/Recall"), self.hold),
            ("F10", self.tr("Return"), self.returns_requested.emit), ("F11", self.tr("Top-up"), self.topup),
            ("F12", self.tr("Pay"), self.pay),
        ]
        self.key_buttons = {}
        actions = [(k, t, self._guarded(slot)) for k, t, slot in actions]
        for key, text, slot in actions:
            b = QPushButton(f"{key}\n{text}")
            b.setObjectName("fkey")
            b.setFocusPolicy(Qt.NoFocus)
            b.clicked.connect(slot)
            row.addWidget(b)
            self.key_buttons[key] = b
            QShortcut(QKeySequence(key), self, activated=slot)
        extra = [("Delete", self.remove_line), ("Ctrl+Delete", self.void), ("Ctrl+L", self.lock_requested.emit),
                 ("Ctrl+D", self.member_detail), ("Ctrl+U", self.detach), ("Ctrl+Q", self.sign_out_requested.emit),
                 ("Ctrl+P", self.reprint), ("Ctrl+R", self.reports_requested.emit), ("Ctrl+K", self.checkin),
                 ("Ctrl+Shift+V", self.convert_points), ("Ctrl+Shift+E", self.exchange_coupon),
                 ("Ctrl+Shift+O", self.lottery_draw),
                 ("Up", lambda: self.move(-1)), ("Down", lambda: self.move(1)), ("Escape", self.clear_input)]
        for key, slot in extra:
            QShortcut(QKeySequence(key), self, activated=self._guarded(slot))
        self.input.reserved = {QKeySequence(k)[0].toCombined() for k in [a[0] for a in actions] + [e[0] for e in extra]}
        void = QPushButton(self.tr("Ctrl+Del\nVoid"))
        void.setObjectName("fkey")
        void.setFocusPolicy(Qt.NoFocus)
        void.clicked.connect(self._guarded(self.void))
        row.addWidget(void)
        return row

    def _guarded(self, slot):
        """A key's action, refused while a payment waits for HQ (no second sale, no edit under it)."""
        def run(*_args):
            if self.paying is not None:
                return self.say(self.tr("Waiting for HQ to confirm the payment…"), error=True)
            return slot()
        return run

    # --- showing state ----------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text or " ")
        self.message.setProperty("error", error)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def refresh(self, panel: bool = True) -> None:
        q = self.till.last_quote
        if q is None and self.till.lines:
            q = self.till.changed()
        self.model.set_quote(q)
        if q is not None and q.lines:
            self.table.scrollToBottom()
        gross = q.gross_fen if q else 0
        net = q.net_fen if q else 0
        self.gross.setText(self.tr("Total ¥{0}").format(yuan(gross)))
        self.discount.setText(self.tr("Discounts -¥{0}").format(yuan(gross - net)))
        saved = q.member_saved_fen if q else 0
        self.saved.setText(self.tr("Membership saved ¥{0}").format(yuan(saved)) if saved else "")
        self.points_used.setText(self.tr("Points used {0} (¥{1})").format(q.points_redeemed, yuan(q.points_value_fen))
                                 if q and q.points_redeemed else "")
        lang = i18n.current()
        shown = "、".join(q.name(c, lang) for c in q.campaigns) if q and q.points_earned else ""
        self.earned.setText("" if not (q and q.points_earned) else
                            self.tr("Earns {0} points ({1})").format(q.points_earned, shown) if shown else
                            self.tr("Earns {0} points").format(q.points_earned))
        self.due.setText(self.tr("Due ¥{0}").format(yuan(net)))
        applied, refused = self.applied_lines(q), self.refusal_lines(q)
        self.applied.setText("\n".join(applied))
        self.applied.setVisible(bool(applied))
        self.refusals.setText("\n".join(refused))
        self.refusals.setVisible(bool(refused))
        if panel:
            self.refresh_panel()
        else:
            self.panel.mark_applied(q.coupons if q else [])
            self.panel.mark_points(q.points_redeemed if q else 0)

    # --- discounts in words: what applied and why, what did not and why ----------------------------

    def _names(self, q, bare: bool = False) -> dict[str, str]:
        """Promotion, coupon and gift codes of this quote -> names (never the code itself);
        `bare`: a coupon's name alone, for a message that says "coupon" itself."""
        prog = self.till.program
        names = {p.code: (p.name.zh if i18n.current() != "en" else p.name.en) for p in prog.promotions}
        names.update({g.code: (g.name.zh if i18n.current() != "en" else g.name.en) for g in prog.gifts})
        codes = set(q.coupons) | {r.what for r in q.refusals} | set(self.till.coupon_codes)
        for code, template in self.till.coupon_templates(sorted(c for c in codes if c not in names)).items():
            t = prog.template(template)
            if t is not None:
                name = t.name.zh if i18n.current() != "en" else t.name.en
                names[code] = name if bare else self.tr("coupon {0}").format(name)
        names["points"] = self.tr("points")
        return names

    def applied_lines(self, q) -> list[str]:
        """One line per discount that applied, with its name and amount: the reason is on
        screen, not in a tooltip."""
        if q is None or not q.lines:
            return []
        names = self._names(q)
        total: dict[tuple[str, str], int] = {}
        for ln in q.lines:
            for d in ln.discounts:
                total[(d.kind, d.code)] = total.get((d.kind, d.code), 0) + d.amount_fen
        out = []
        for (kind, code), fen in total.items():
            if kind == "tier":
                name = labels.tier_name(self.till.program, q.tier) + " " + labels.discount_kind(kind)
            elif kind == "points":
                name = self.tr("{0} points").format(q.points_for_cash)
            elif kind in ("promotion", "coupon") and code in names:
                name = names[code]
            else:
                name = labels.discount_kind(kind)
            out.append(self.tr("Applied: {0} -¥{1}").format(name, yuan(fen)))
        return out

    def refusal_lines(self, q) -> list[str]:
        if q is None:
            return []
        from pos.errors import MESSAGES

        names, lang = self._names(q), i18n.current()
        bare = (self._names(q, bare=True)  # "Not combined with coupon {coupon}": the name, not "coupon <name>"
                if any(k == "coupon" for r in q.refusals for k, _ in r.params) else {})
        out = []
        for r in q.refusals:
            params = {k: names.get(v, v) if k == "promotion" else
                      ", ".join(bare.get(c, c) for c in str(v).split(", ")) if k == "coupon" else v for k, v in r.params}
            en, zh = MESSAGES.get(r.code, (None, None))
            try:
                why = (en if lang == "en" else zh).format(**params) if en else r.reason(lang)
            except (KeyError, IndexError):
                why = r.reason(lang)
            what = names.get(r.what) or (self.tr("coupon {0}").format(r.what) if r.what in self.till.coupon_codes
                                         else self.tr("offer"))
            out.append(self.tr("Not applied: {0} — {1}").format(what, why))
        return out

    def _members_changed(self, ids: frozenset) -> None:
        """Members changed elsewhere (a pull from HQ, another screen): the panel shows
        them anew if the one on this sale is among them. Not while a payment runs."""
        mid = self.till.member_id
        if mid and (not ids or mid in ids) and self.paying is None:
            self.refresh_panel()

    def refresh_panel(self) -> None:
        p = self.till.panel()
        if p is None:
            self.phone_shown = None
            self.panel.show_none()
        else:
            q = self.till.last_quote
            self.panel.show_panel(p, self.phone_shown, applied=q.coupons if q else [],
                                  points_in_sale=q.points_redeemed if q else 0)
            prog = self.till.program
            self.panel.set_point_uses(prog.redemption.to_stored_value,
                                      any(t.points_cost > 0 for t in prog.coupon_templates),
                                      prog.bonuses.lottery_cost > 0 and bool(prog.bonuses.lottery_prizes))

    def focus_input(self) -> None:
        if self.isVisible() and not self.window().isActiveWindow() and QApplication.activeModalWidget() is None:
            self.window().activateWindow()  # back from a dialog: the keyboard comes back here
        self.input.setFocus()
        self.input.selectAll()

    def clear_input(self) -> None:
        self.input.clear()
        self.say("")
        self.focus_input()

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return len(self.till.lines) - 1

    def move(self, delta: int) -> None:
        n = self.model.rowCount()
        if n:
            row = max(0, min(n - 1, self.selected_row() + delta))
            self.table.selectRow(row)

    # --- the one input ------------------------------------------------------------------------

    def on_enter(self) -> None:
        text = self.input.text()
        self.input.clear()
        self.handle_code(text)

    def handle_code(self, text: str) -> None:
        """A scan from any source (input, serial scanner, keyboard wedge) comes here.
        A product's row is painted at once; saving and re-pricing follow on the
        next turn of the event loop (several quick scans share one re-pricing).
        While a payment waits for HQ, codes wait too, and go to the next sale in order."""
        if self.paying is not None:
            if text.strip():
                self.deferred.append(text)
            return
        if text != self._asked_hq and self.till.member_code_needs_hq(text):
            return self._member_code_from_hq(text)
        out = self.till.enter(text, reprice=False)
        if out.kind != "product":
            self.settle()
        if out.kind in ("pick_member", "pick"):
            out = self._pick(out)
            if out is None:
                return self.focus_input()
        if out.kind == "replace_member":
            out = self._replace_member(out.matches[0])
            if out is None:
                return self.focus_input()
        self.join_phone = out.join_phone
        if out.kind == "error":
            self.say(out.message + (self.tr(" — F3: quick join with this number") if out.join_phone else ""), error=True)
            QApplication.beep()
            return
        if out.kind == "product":
            self.say(out.message)
            line = self.till.lines[out.line_index]
            self.model.show_scanned(out.line_index, line)
            self.table.selectRow(out.line_index)
            self.table.scrollTo(self.model.index(out.line_index, 0))
            self.reprice_timer.start(0)
            return
        if out.kind == "member":
            self.phone_shown = None
            self.say(self.tr("Member: {0}").format(out.message))
        elif out.kind == "parcel":  # a courier's label scanned (issue 18)
            self.say(self.tr("Parcel received: {0}").format(out.message))
        elif out.kind == "pickup":  # the customer's pickup code: collected, the voucher on this sale
            self.say(self.tr("Parcel collected: {0} — the pickup voucher is on this sale").format(out.message)
                     if out.error_code is None else
                     self.tr("Parcel collected: {0} — not on this sale: the voucher is in the member's wallet")
                     .format(out.message) if out.error_code == "parcel.voucher_not_on_sale" else
                     self.tr("Parcel collected: {0}").format(out.message))
        elif out.kind == "coupon":  # one message; a refused coupon is not left on the basket
            code = text.strip().upper()
            name = self._names(self.till.last_quote).get(code, self.tr("coupon {0}").format(code)) \
                if self.till.last_quote else self.tr("coupon {0}").format(code)
            self.say(self.tr("Applied: {0}").format(name) if out.error_code is None
                     else self.tr("Not applied: {0} — {1}").format(name, out.message), error=out.error_code is not None)
        self.refresh()

    def _member_code_from_hq(self, text: str) -> None:
        """A dynamic member code of someone this till does not have yet (joined a minute ago):
        HQ checks it off the GUI thread, as a payment's hold; then it is entered as any code."""
        def done(_member_id) -> None:
            self.paying, self._asked_hq = None, text
            try:
                self.handle_code(text)  # known here now: checked, attached, the first order's coupons
            finally:
                self._asked_hq = None
                self._pay_finished()

        def failed(message: str, _exc: BaseException) -> None:
            self._pay_finished()
            self.say(message, error=True)
            QApplication.beep()
            self.focus_input()

        self.say(self.tr("Asking HQ for this member…"))
        self.input.setPlaceholderText(self.tr("Waiting for HQ…"))
        self.paying = Operation(self, lambda: self.till.fetch_member_code(text), name="member code",
                                pool="pay").success(done).failure(failed).run_in_background()

    # --- actions --------------------------------------------------------------------------------------

    def _try(self, fn, *args) -> bool:
        try:
            fn(*args)
            return True
        except DomainError as exc:
            self.say(exc.message(i18n.current()), error=True)
            return False

    def _pick(self, out):
        """A pick list for several members (last 4, a name) or a name search (members and
        products); the choice goes on as if it had been scanned."""
        if out.kind == "pick_member":
            dlg = PickMemberDialog(self, out.matches, self.till.program)
        else:
            dlg = SearchDialog(self, out.matches, out.products, self.till.program)
        if not dlg.exec() or dlg.chosen() is None:
            return None
        choice = dlg.chosen() if out.kind == "pick" else ("member", dlg.chosen())
        kind, value = choice
        if kind == "product":
            return self.till.enter(value, reprice=False)
        if self.till.member_id and self.till.member_id != value.id:
            return self._replace_member(value)
        return self.till.attach(value)

    def _replace_member(self, new):
        """A second member scanned: ask before the first one leaves this sale."""
        if not self._ask_replace(f"{members.mask_name(new.name)} {new.phone_masked}".strip()):
            return None
        return self.till.attach(new)

    def _ask_replace(self, new: str) -> bool:
        p = self.till.panel(with_suggestions=False)
        old = f"{members.mask_name(p.name)} {p.phone_masked}".strip() if p else ""
        ask = QMessageBox(QMessageBox.Question, self.tr("Replace the member?"),
                          self.tr("This sale is for {0}. Replace with {1}?").format(old, new),
                          QMessageBox.Yes | QMessageBox.No, self)
        ask.setObjectName("replaceMember")
        ask.setDefaultButton(QMessageBox.No)  # Enter keeps the member: replacing is a decision
        if ask.exec() != QMessageBox.Yes:
            self.say(self.tr("Kept member {0}").format(old))
            return False
        return True

    def apply_coupon(self, code: str) -> None:
        self.settle()
        try:
            applied, why = self.till.try_coupon(code)
        except DomainError as exc:
            return self.say(exc.message(i18n.current()), error=True)
        q = self.till.last_quote
        name = self._names(q).get(code.strip().upper(), self.tr("coupon"))
        self.say(self.tr("Applied: {0}").format(name) if applied else self.tr("Not applied: {0} — {1}").format(name, why),
                 error=not applied)
        self.refresh()

    def quick_join(self) -> None:
        self.settle()
        if self.till.member_id and not self._ask_replace(self.tr("a new member")):
            return self.focus_input()
        dlg = TextDialog(self, self.tr("Quick join"), self.tr("Mobile number (the rest of the profile later)"), self.join_phone)
        while dlg.exec():
            try:
                m = self.till.quick_join(dlg.value())
            except DomainError as exc:
                dlg.fail(exc.message(i18n.current()))
                continue
            self.join_phone = ""
            used = self._welcome_coupon()
            self.say(self.tr("Welcome, new member {0}! Sign-up rewards are in the wallet.").format(m.phone_masked)
                     + (self.tr(" Applied now: {0}").format(used) if used else ""))
            self.refresh()
            break
        self.focus_input()

    def _welcome_coupon(self) -> str:
        """The sign-up coupon goes on this sale by itself when it is usable (or waits for a
        threshold the basket has not reached yet); its name, or '' if none applies."""
        p = self.till.panel(with_suggestions=False)
        for c in (p.coupons if p else []):
            applied, _why = self.till.try_coupon(c.code)
            if applied:
                return c.name_en if i18n.current() == "en" else c.name_zh
        return ""

    def change_qty(self) -> None:
        self.settle()
        row = self.selected_row()
        if row < 0 or row >= len(self.till.lines):
            return
        dlg = TextDialog(self, self.tr("Quantity"), self.till.lines[row].name, str(self.till.lines[row].qty))
        if dlg.exec():
            if not dlg.value().isdigit():
                self.say(self.tr("Type a whole number"), error=True)
            elif self._try(self.till.set_qty, row, int(dlg.value())):
                self.refresh(panel=False)
        self.focus_input()

    def line_discount(self) -> None:
        self.settle()
        row = self.selected_row()
        if row < 0 or row >= len(self.till.lines):
            return
        dlg = TextDialog(self, self.tr("Line discount"), self.tr("Discount in percent for {0}").format(self.till.lines[row].name))
        if not dlg.exec():
            return self.focus_input()
        if not dlg.value().isdigit():
            self.say(self.tr("Type a whole number"), error=True)
            return self.focus_input()
        pct = int(dlg.value())
        try:
            self.till.line_discount(row, pct)
        except DomainError as exc:
            if exc.code != "staff.over_limit":
                self.say(exc.message(i18n.current()), error=True)
                return self.focus_input()
            def check(code, pin):
                return self.till.approve_line_discount(row, pct, code, pin)
            mgr = ManagerDialog(self, exc.message(i18n.current()), check)
            if not mgr.exec():
                return self.focus_input()
            try:
                approver = mgr.approver or check(mgr.code.text(), mgr.pin.text())
                self.till.line_discount(row, pct, approver=approver)
            except DomainError as exc2:
                self.say(manager_refusal() if exc2.code == "staff.not_manager" else exc2.message(i18n.current()), error=True)
                return self.focus_input()
        self.refresh(panel=False)
        self.focus_input()

    def remove_line(self) -> None:
        self.settle()
        row = self.selected_row()
        if 0 <= row < len(self.till.lines) and self._try(self.till.remove, row):
            self.refresh(panel=False)

    def detach(self) -> None:
        self.settle()
        had = self.till.member_id
        self.till.detach_member()
        if had:
            self.say(self.tr("Member taken off this sale"))
        self.refresh()

    def redeem(self) -> None:
        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        most, value = self.till.points_cap()
        r = self.till.program.redemption
        p = self.till.panel(with_suggestions=False)
        q = self.till.last_quote
        dlg = RedeemDialog(self, p.points_available, most, value, r.step_points, r.points_per_unit, r.unit_fen,
                           applied=q.points_for_cash if q else 0,
                           gift_points=(q.points_redeemed - q.points_for_cash) if q else 0)
        if dlg.exec() and self._try(self.till.redeem, dlg.points()):
            self.refresh()
        self.focus_input()

    def gift(self) -> None:
        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        p = self.till.panel(with_suggestions=False)
        q = self.till.last_quote
        dlg = GiftDialog(self, self.till.program.gifts, p.points_available, tier=p.tier.code, program=self.till.program,
                         basket_points=q.points_redeemed if q else 0)
        if dlg.exec() and dlg.chosen() and self._try(self.till.add_gift, dlg.chosen()):
            self.refresh()
        self.focus_input()

    def hold(self) -> None:
        self.settle()
        if self.till.lines:
            Operation(self, self.till.suspend, name="hold").success(self._held).failure(
                lambda message, _exc: self.say(message, error=True)).run_now()  # a local write: no wait
            return
        held = self.till.held()
        if not held:
            return self.say(self.tr("No basket on hold"), error=True)
        today = self.till.today().isoformat()
        dlg = HeldDialog(self, [h | {"today": h["date"] == today} for h in held])
        if dlg.exec() and dlg.chosen():
            basket_id = dlg.chosen()
            Operation(self, lambda: self.till.resume(basket_id), name="recall").success(self._recalled).failure(
                lambda message, _exc: self.say(message, error=True)).run_now()
        self.focus_input()

    def _recalled(self, _result) -> None:
        self.say(self.tr("Held basket recalled"))  # "Basket held" no longer stands over the basket it held
        self.refresh()

    def _held(self, _basket_id: str) -> None:
        self.say(self.tr("Basket held: F9 recalls it"))
        self.phone_shown = None
        self.refresh()

    def void(self) -> None:
        self.settle()
        if not self.till.lines and not self.till.member_id:
            return
        if QMessageBox.question(self, self.tr("Void"), self.tr("Void this sale?")) == QMessageBox.Yes:
            self.till.void()
            self.phone_shown = None
            self.say(self.tr("Sale voided"))
            self.refresh()
        self.focus_input()

    def topup(self) -> None:
        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        dlg = TextDialog(self, self.tr("Top up stored value"), self.tr("Amount in yuan"))
        if not dlg.exec():
            return self.focus_input()
        from .dialogs import parse_yuan

        amount = parse_yuan(dlg.value())
        if not amount:
            return self.say(self.tr("Type an amount such as 100 or 12.50"), error=True)
        pay = PaymentDialog(self, amount, None)
        pay.buttons_by_type["stored_value"].setEnabled(False)
        pay.buttons_by_type["gift_card"].setEnabled(False)
        if pay.exec():
            try:
                result = self.till.topup(amount, pay.tenders)
            except DomainError as exc:
                return self.say(exc.message(i18n.current()), error=True)
            self.say(self.tr("Topped up ¥{0}, receipt {1}").format(yuan(amount), result.receipt_no))
            self.refresh()
        self.focus_input()

    # --- points outside the sale (issue 14) -------------------------------------------------------------

    def convert_points(self) -> None:
        """Ctrl+Shift+V / the panel's button: points to stored value; the panel shows both balances after."""
        from .points_dialogs import ConvertPointsDialog

        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        prog = self.till.program
        if not prog.redemption.to_stored_value:
            return self.say(DomainError("points.convert_disabled").message(i18n.current()), error=True)
        p = self.till.panel(with_suggestions=False)
        q = self.till.last_quote
        in_basket = q.points_redeemed if q else 0  # what this sale already takes stays for it
        r = prog.redemption
        dlg = ConvertPointsDialog(self, p.points_available - in_basket, r.step_points, r.min_points, r.points_per_unit,
                                  r.unit_fen, p.stored_value_fen, prog.stored_value.max_balance_fen)
        if not dlg.exec():
            return self.focus_input()
        points = dlg.points()

        def converted(done) -> None:
            self.say(self.tr("{0} points converted: ¥{1} added to stored value (now ¥{2})").format(
                f"{done.points:,}", yuan(done.stored_value_fen), yuan(done.stored_value_balance_fen)))
        self._points_use(lambda: self.till.convert_points(points), "points-convert", converted)

    def exchange_coupon(self) -> None:
        """Ctrl+Shift+E / the panel's button: a coupon for points, into the wallet (shown there at once)."""
        from .points_dialogs import CouponExchangeDialog

        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        offers = self.till.exchangeable_coupons()
        if not offers:
            return self.say(self.tr("No coupon can be exchanged for points in this program"), error=True)
        p = self.till.panel(with_suggestions=False)
        q = self.till.last_quote
        dlg = CouponExchangeDialog(self, offers, p.points_available - (q.points_redeemed if q else 0))
        if not (dlg.exec() and dlg.chosen()):
            return self.focus_input()
        template = dlg.chosen()

        def exchanged(done) -> None:
            t = self.till.program.template(done.template)
            self.say(self.tr("Coupon {0} is in the wallet for {1} points (valid to {2})").format(
                t.name.en if i18n.current() == "en" else t.name.zh, f"{done.points:,}", done.valid_to))
        self._points_use(lambda: self.till.exchange_coupon(template), "coupon-exchange", exchanged)

    def lottery_draw(self) -> None:
        """Ctrl+Shift+O / the panel's button: one draw of the points lottery, the result on the
        screen and on the customer display."""
        self.settle()
        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        b = self.till.program.bonuses
        if b.lottery_cost <= 0 or not b.lottery_prizes:
            return self.say(DomainError("lottery.disabled").message(i18n.current()), error=True)
        ask = QMessageBox(QMessageBox.Question, self.tr("Points lottery"),
                          self.tr("Draw once for {0} points?").format(f"{b.lottery_cost:,}"),
                          QMessageBox.Yes | QMessageBox.No, self)
        ask.setObjectName("lotteryConfirm")
        if ask.exec() != QMessageBox.Yes:
            return self.focus_input()
        self._points_use(self.till.lottery_draw, "lottery-draw", self._drawn)

    def _drawn(self, r) -> None:
        name = r.name_en if i18n.current() == "en" else r.name_zh
        if r.thanks:
            what = self.tr("no prize this time — thank you!")
        elif r.points:
            what = self.tr("{0} points").format(f"{r.points:,}")
        elif r.coupon_code:
            what = self.tr("a coupon, now in the wallet")
        else:
            what = self.tr("a gift: hand it over")
        self.say(self.tr("Lottery ({0} points): {1} — {2}").format(f"{r.cost:,}", name, what))
        self.customer_display.emit(self.tr("Lottery"), name)

    def _points_use(self, fn, name: str, said) -> None:
        """A points use: at once on a standalone till; on an enrolled one off the GUI thread
        (HQ's hold may take its timeout), keys refused and scans kept meanwhile, as for a payment."""
        def done(result) -> None:
            self._pay_finished()
            said(result)
            self.refresh()
            self.focus_input()

        def failed(message: str, exc: BaseException) -> None:
            self._pay_finished()
            self.say(message, error=True)  # a refusal says itself; anything else names the error's kind
            self.focus_input()

        op = Operation(self, fn, name=name, pool="pay").success(done).failure(failed)
        if not self.till.spends_need_hq():
            op.run_now()
            return
        self.say(self.tr("Waiting for HQ to confirm the points… (offline rules after a few seconds)"))
        self.input.setPlaceholderText(self.tr("Waiting for HQ…"))
        self.paying = op.run_in_background()

    def pay(self) -> None:
        self.settle()
        q = self.till.last_quote
        if not self.till.lines or q is None:
            return self.say(self.tr("The basket is empty"), error=True)
        p = self.till.panel(with_suggestions=False) if self.till.member_id else None
        coins_fen = p.coins_available * p.coin_value_fen if p is not None and p.coins else None  # issue 17
        dlg = PaymentDialog(self, q.net_fen, p.stored_value_fen if p else None, q.member_saved_fen,
                            cash_ceiling_fen=self.till.cash_confirm_above_fen(), coins_fen=coins_fen)
        if not dlg.exec():
            return self.focus_input()
        tenders = dlg.tenders
        op = Operation(self, lambda: self.till.pay(tenders), name="pay", pool="pay").success(self._paid).failure(self._pay_failed)
        if not self.till.needs_hold(q):
            op.run_now()  # nothing to wait for: done before the dialog's Enter is
            return
        # the HQ hold (up to its timeout, then the offline policy) runs on the pay worker: the
        # screen keeps painting and says it waits; keys meanwhile start no second sale, and
        # scans wait for the next one
        self.say(self.tr("Waiting for HQ to confirm points and coupons… (offline rules after a few seconds)"))
        self.input.setPlaceholderText(self.tr("Waiting for HQ…"))
        self.paying = op.run_in_background()

    def _pay_failed(self, message: str, exc: BaseException) -> None:
        if not isinstance(exc, DomainError):  # said on screen; the basket stays as it was
            message = self.tr("The payment failed ({0}); the basket is kept — try again").format(type(exc).__name__)
        self.say(message, error=True)
        self.focus_input()
        self._pay_finished()

    def _paid(self, result) -> None:
        self.phone_shown = None
        change = result.totals["change_fen"]
        bonus = sum(b["points"] for b in result.points.get("bonuses") or []
                    if b["rule"].startswith("monthly_spend:") and b["points"] > 0)  # pos.loyalty.monthly_spend
        self.say(self.tr("Paid. Receipt {0}").format(result.receipt_no)
                 + (self.tr(" · change ¥{0}").format(yuan(change)) if change else "")
                 + (self.tr(" · monthly spend bonus +{0} points").format(bonus) if bonus else ""))
        self.last_result = result
        self.paying = None  # before the receipt's dialog opens over the screen
        self.input.setPlaceholderText(self.placeholder)
        self.sale_done.emit(result.as_dict())
        self.refresh()
        self.focus_input()
        self._pay_finished()

    def _pay_finished(self) -> None:
        self.paying = None
        self.input.setPlaceholderText(self.placeholder)
        waiting, self.deferred = self.deferred, []
        for code in waiting:
            self.handle_code(code)

    def reprint(self) -> None:
        """Reprint a receipt from history (the last one by default)."""
        last = getattr(self, "last_result", None)
        dlg = TextDialog(self, self.tr("Reprint"), self.tr("Receipt number"), last.receipt_no if last else "")
        if dlg.exec():
            try:
                sale = self.till.sale_by_receipt(dlg.value())
            except DomainError as exc:
                self.say(exc.message(i18n.current()), error=True)
                return self.focus_input()
            self.reprint_requested.emit(sale.as_dict())
            self.show_receipt(sale.as_dict())
        self.focus_input()

    def show_receipt(self, sale: dict) -> None:
        ReceiptDialog(self, receipt_text(sale, self.till.store_name, i18n.current())).exec()

    def unmask(self) -> None:
        if not self.till.member_id:
            return
        mid = self.till.member_id
        who = self.till.cashier
        try:
            if who is not None and who.is_manager:  # a signed-in manager is not asked again
                approver = self.till.approve_signed_in("unmask_phone", mid)
            else:
                def check(code, pin):
                    return self.till.approve(code, pin, "unmask_phone", mid)
                mgr = ManagerDialog(self, self.tr("Showing the full phone number is recorded."), check)
                if not mgr.exec():
                    return
                approver = mgr.approver or check(mgr.code.text(), mgr.pin.text())
            self.phone_shown = self.till.unmask_phone(approver.code)
        except DomainError as exc:
            return self.say(manager_refusal() if exc.code == "staff.not_manager" else exc.message(i18n.current()), error=True)
        self.refresh_panel()

    def member_detail(self) -> None:
        if self.till.member_id:
            self.detail_requested.emit(self.till.member_id)

    def checkin(self) -> None:
        """Ctrl+K: the attached member checks in (the program's check-in points, once a day at this store)."""
        from pos import changes
        from pos.services import member_bonuses

        if not self.till.member_id:
            return self.say(self.tr("Identify the member first"), error=True)
        mid = self.till.member_id
        who = self.till.cashier.code if self.till.cashier else "till"
        try:
            r = member_bonuses.checkin(self.till.db, self.till.program, mid, actor=who)
        except DomainError as exc:
            return self.say(exc.message(i18n.current()), error=True)
        if r.already:
            self.say(self.tr("Already checked in today: no more points"))
        elif r.points:
            self.say(self.tr("Checked in: +{0} points, balance {1}").format(r.points, r.balance))
        else:
            self.say(self.tr("Checked in"))
        changes.publish("members", [mid])
        self.refresh_panel()

