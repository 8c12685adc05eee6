"""The till's small dialogs: every one works from the keyboard alone
(Enter confirms, Esc cancels, F-keys pick tenders)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QAbstractItemView, QHeaderView, QPlainTextEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from pos.rules.limits import SALE_MAX_FEN
from pos.services.members import MemberSummary
from pos.rules.money import yuan
from pos.rules.pricing import Tender

from . import i18n, labels


def parse_yuan(text: str) -> int | None:
    """'12.5' / '12.50' / '12' -> fen; None if not a plain amount (no floats involved)."""
    t = text.strip().replace("¥", "").replace(",", "")
    if not t:
        return None
    whole, _, frac = t.partition(".")
    if not whole.isdigit() and whole != "":
        return None
    if frac and (not frac.isdigit() or len(frac) > 2):
        return None
    return int(whole or "0") * 100 + int((frac + "00")[:2])


CASH_CONFIRM_ABOVE_DEFAULT = 1_000_000  # ¥10,000; the store's own: `Till.cash_confirm_above_fen`


class _Dialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.layout_ = QVBoxLayout(self)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)

    def buttons(self, ok_text: str | None = None) -> QDialogButtonBox:
        box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        if ok_text:
            box.button(QDialogButtonBox.Ok).setText(ok_text)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(box)
        return box

    def fail(self, message: str) -> None:
        self.error.setText(message)


class ListDialog(_Dialog):
    """Pick one row with the arrows and Enter; disabled rows cannot be picked."""

    def __init__(self, parent, title: str, rows: list[tuple], header: str = ""):
        super().__init__(parent, title)
        if header:
            self.layout_.addWidget(QLabel(header))
        self.list = QListWidget()
        for key, text, *enabled in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, key)
            if enabled and not enabled[0]:
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _i: self.accept())
        self.layout_.addWidget(self.list)
        self.buttons()

    def chosen(self):
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item and item.flags() & Qt.ItemIsEnabled else None


class PickDialog(_Dialog):
    """Pick one row of a table with the arrows and Enter (Esc cancels). A row that
    cannot be picked stays visible, greyed, and its last column says why."""

    def __init__(self, parent, title: str, header: str, columns: list[str], rows: list[tuple]):
        super().__init__(parent, title)
        if header:
            head = QLabel(header)
            head.setWordWrap(True)
            self.layout_.addWidget(head)
        self.table = QTableWidget(len(rows), len(columns))
        self.table.setObjectName("pickTable")
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().hide()
        self.keys: list[tuple] = []
        for r, (key, cells, *enabled) in enumerate(rows):
            ok = not enabled or bool(enabled[0])
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if not ok:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(r, c, item)
            self.keys.append((key, ok))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        first = next((i for i, (_k, ok) in enumerate(self.keys) if ok), 0)
        if rows:
            self.table.setCurrentCell(first, 0)
        self.table.activated.connect(lambda _i: self.accept())
        self.layout_.addWidget(self.table)
        self.buttons()
        self.table.setFocus()
        self._fit()
        self.resize(self.width(), min(160 + 32 * max(len(rows), 3), 600))

    def _fit(self) -> None:
        """Every column as wide as its widest cell, the dialog as wide as the columns
        (within the screen): names and phones are never cut to '…'."""
        self.table.resizeColumnsToContents()
        width = sum(self.table.columnWidth(c) for c in range(self.table.columnCount())) + 70
        screen = self.screen().availableGeometry().width() if self.screen() else 1024
        self.resize(min(max(width, 420), int(screen * 0.96)), self.height())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit()  # again, now that the style sheet's fonts apply

    def chosen(self):
        r = self.table.currentRow()
        return self.keys[r][0] if 0 <= r < len(self.keys) and self.keys[r][1] else None

    def accept(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.keys) and not self.keys[r][1]:
            why = self.table.item(r, self.table.columnCount() - 1)
            self.fail(why.text() if why else "")
            return
        super().accept()


def _tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def member_cells(m, program) -> list[str]:
    """Name, masked phone, tier, points, last visit: enough to tell two 王小明 apart."""
    points = getattr(m, "points", None)
    return [m.name or "-", m.phone_masked, labels.tier_name(program, m.tier),
            f"{points:,}" if points is not None else "-", getattr(m, "last_visit", None) or "-"]


def member_columns() -> list[str]:
    return [QCoreApplication.translate("PickMemberDialog", "Name"), QCoreApplication.translate("PickMemberDialog", "Phone"), QCoreApplication.translate("PickMemberDialog", "Tier"),
            QCoreApplication.translate("PickMemberDialog", "Points"), QCoreApplication.translate("PickMemberDialog", "Last visit")]


class PickMemberDialog(PickDialog):
    """Several members match (last 4 digits, a name): pick with arrows + Enter."""

    def __init__(self, parent, matches: list[MemberSummary], program=None):
        rows = [(m, member_cells(m, program)) for m in matches]
        super().__init__(parent, QCoreApplication.translate("PickMemberDialog", "Pick the member"),
                         QCoreApplication.translate("PickMemberDialog", "{0} members match").format(len(matches)), member_columns(), rows)


class SearchDialog(PickDialog):
    """What a typed name found: members (attach) and products (add), one list.
    `chosen()` is ("member", summary) or ("product", barcode)."""

    def __init__(self, parent, found_members: list, products: list, program=None):
        if not products:  # members only: the columns say what they hold
            cols = [QCoreApplication.translate("SearchDialog", "Kind"), QCoreApplication.translate("SearchDialog", "Name"), QCoreApplication.translate("SearchDialog", "Phone"), QCoreApplication.translate("SearchDialog", "Tier"), QCoreApplication.translate("SearchDialog", "Points"), QCoreApplication.translate("SearchDialog", "Last visit")]
        elif not found_members:
            cols = [QCoreApplication.translate("SearchDialog", "Kind"), QCoreApplication.translate("SearchDialog", "Name"), QCoreApplication.translate("SearchDialog", "Barcode"), QCoreApplication.translate("SearchDialog", "Price")]
        else:
            cols = [QCoreApplication.translate("SearchDialog", "Kind"), QCoreApplication.translate("SearchDialog", "Name"), QCoreApplication.translate("SearchDialog", "Phone or barcode"), QCoreApplication.translate("SearchDialog", "Tier or price"), QCoreApplication.translate("SearchDialog", "Points"), QCoreApplication.translate("SearchDialog", "Last visit")]
        rows = [(("member", m), [QCoreApplication.translate("SearchDialog", "Member")] + member_cells(m, program)) for m in found_members]
        for p in products:
            price = "¥" + yuan(p.price_fen) + (QCoreApplication.translate("SearchDialog", " (member ¥{0})").format(yuan(p.member_price_fen))
                                               if p.member_price_fen is not None else "")
            rows.append((("product", p.barcodes[0]), [QCoreApplication.translate("SearchDialog", "Product"), p.name, p.barcodes[0], price, "", ""][:len(cols)]))
        header = QCoreApplication.translate("SearchDialog", "{0} member(s), {1} product(s) found — arrows and Enter").format(len(found_members), len(products))
        super().__init__(parent, QCoreApplication.translate("SearchDialog", "Search"), header, cols, rows)


class PaymentDialog(_Dialog):
    """Tenders by key: F1 cash, F2 WeChat Pay, F3 Alipay, F4 bank card, F5 stored value,
    F6 gift card, Ctrl+F1 the alliance's shopping coins (issue 17; only with coins to spend).
    The amount field starts at what is still due; a tender key or Enter pays once all is covered."""

    TENDERS = (("cash", "F1"), ("wechat", "F2"), ("alipay", "F3"), ("bank_card", "F4"),
               ("stored_value", "F5"), ("gift_card", "F6"), ("coins", "Ctrl+F1"))

    def __init__(self, parent, due_fen: int, stored_value_fen: int | None, saved_fen: int = 0,
                 cash_ceiling_fen: int = CASH_CONFIRM_ABOVE_DEFAULT, coins_fen: int | None = None):
        super().__init__(parent, self.tr("Payment"))
        self.due = due_fen
        self.sv = stored_value_fen
        self.coins_fen = coins_fen  # what the member's shopping coins can pay (their value in fen)
        self.cash_ceiling = cash_ceiling_fen
        self.tenders: list[Tender] = []
        self._unconfirmed: tuple[str, int] | None = None  # an absurd cash amount waiting for its second F1
        big = QFont(self.font().family(), 22, QFont.Bold)
        self.due_label = QLabel()
        self.due_label.setFont(big)
        self.due_label.setObjectName("paymentDue")
        self.layout_.addWidget(self.due_label)
        if saved_fen:
            saved = QLabel(self.tr("Membership saved you ¥{0}").format(yuan(saved_fen)))
            saved.setObjectName("saved")
            self.layout_.addWidget(saved)
        self.amount = QLineEdit()
        self.amount.setFont(QFont(self.font().family(), 18))
        self.amount.setObjectName("paymentAmount")
        self.layout_.addWidget(self.amount)
        row = QHBoxLayout()
        self.buttons_by_type = {}
        for tender, key in self.TENDERS:
            b = QPushButton(f"{key} {self.tender_name(tender)}")
            b.clicked.connect(lambda _=False, t=tender: self.tender_key(t))
            if (tender == "stored_value" and not stored_value_fen) or (tender == "coins" and not coins_fen):
                b.setEnabled(False)
            row.addWidget(b)
            self.buttons_by_type[tender] = b
            QShortcut(QKeySequence(key), self, activated=lambda t=tender: self.tender_key(t))
        self.layout_.addLayout(row)
        self.paid_list = QListWidget()
        self.paid_list.setMaximumHeight(110)
        self.layout_.addWidget(self.paid_list)
        self.change_label = QLabel()
        self.change_label.setObjectName("change")
        self.change_label.setFont(big)
        self.layout_.addWidget(self.change_label)
        self.buttons(self.tr("Pay (Enter)"))
        self.amount.returnPressed.connect(self._enter)
        self.refresh()
        self.resize(640, 420)

    def tender_name(self, tender: str) -> str:
        return {"cash": self.tr("Cash"), "wechat": self.tr("WeChat Pay"), "alipay": self.tr("Alipay"),
                "bank_card": self.tr("Bank card"), "stored_value": self.tr("Stored value"),
                "gift_card": self.tr("Gift card"), "coins": self.tr("Shopping coins")}[tender]

    def paid(self) -> int:
        return sum(t.amount_fen for t in self.tenders)

    def remaining(self) -> int:
        return max(0, self.due - self.paid())

    def refresh(self) -> None:
        self.due_label.setText(self.tr("Due ¥{0}  ·  still to pay ¥{1}").format(yuan(self.due), yuan(self.remaining())))
        self.amount.setText(yuan(self.remaining()) if self.remaining() else "")
        self.amount.selectAll()
        change = self.paid() - self.due
        self.change_label.setText(self.tr("Change ¥{0}").format(yuan(change)) if change > 0 else "")

    def absurd(self, amount: int) -> bool:
        """Cash far beyond what is due (a slip of the finger, or a barcode in the amount field)."""
        return amount > self.cash_ceiling or amount > 100 * max(self.remaining(), 1)

    def add_tender(self, tender: str) -> None:
        amount = parse_yuan(self.amount.text())
        if amount is None or amount <= 0:
            self._unconfirmed = None
            self.fail(self.tr("Type an amount such as 100 or 12.50"))
            return
        if amount > SALE_MAX_FEN or self.paid() + amount > SALE_MAX_FEN:
            self._unconfirmed = None
            self.fail(self.tr("That amount is too large: at most ¥{0}").format(yuan(SALE_MAX_FEN)))
            return
        if tender == "cash" and self.absurd(amount) and self._unconfirmed != (tender, amount):
            self._unconfirmed = (tender, amount)
            self.fail(self.tr("Cash ¥{0} for ¥{1} due? Press F1 (or Enter) again to take it, or correct the amount").format(
                yuan(amount), yuan(self.remaining())))
            self.amount.setFocus()
            return
        self._unconfirmed = None
        if tender != "cash" and amount > self.remaining():
            self.fail(self.tr("Only cash can be more than what is due"))
            return
        if tender == "stored_value" and self.sv is not None:
            used = sum(t.amount_fen for t in self.tenders if t.type == "stored_value")
            if amount + used > self.sv:
                self.fail(self.tr("Stored value balance is ¥{0}").format(yuan(self.sv)))
                return
        if tender == "coins" and self.coins_fen is not None:
            used = sum(t.amount_fen for t in self.tenders if t.type == "coins")
            if amount + used > self.coins_fen:
                self.fail(self.tr("Shopping coins can pay at most ¥{0}").format(yuan(self.coins_fen)))
                return
        self.fail("")
        self.tenders.append(Tender(tender, amount))
        self.paid_list.addItem(f"{self.tender_name(tender)}  ¥{yuan(amount)}")
        self.refresh()

    def tender_key(self, tender: str) -> None:
        """F1..F6: take the typed amount by that tender; once all is paid, the sale goes through."""
        before = len(self.tenders)
        self.add_tender(tender)
        if len(self.tenders) > before and self.paid() >= self.due:
            self.accept()

    def _enter(self) -> None:
        if self.paid() >= self.due and not (self.amount.text().strip() and self.remaining()):
            self.accept()
            return
        before = len(self.tenders)
        self.add_tender("cash")
        if len(self.tenders) > before and self.paid() >= self.due:
            self.accept()

    def accept(self) -> None:
        if self.paid() < self.due:
            self.fail(self.tr("¥{0} still due").format(yuan(self.remaining())))
            return
        super().accept()


class RedeemDialog(_Dialog):
    """Points for cash. The field starts at the cap (or what the basket already takes),
    selected, so typing replaces it; what was typed is never changed behind the
    cashier's back: over the cap, off the step or not a number is said, not fixed."""

    def __init__(self, parent, available: int, most: int, most_value_fen: int, step: int, per_unit: int, unit_fen: int,
                 applied: int = 0, gift_points: int = 0):
        super().__init__(parent, self.tr("Redeem points"))
        self.per_unit, self.unit_fen, self.step, self.most = per_unit, unit_fen, max(step, 1), max(most, 0)
        usable = QLabel(self.tr("Usable points: {0}").format(f"{max(available - gift_points, 0):,}")
                        + (self.tr(" (gifts in this basket take {0})").format(f"{gift_points:,}") if gift_points else ""))
        usable.setObjectName("redeemUsable")
        self.layout_.addWidget(usable)
        cap = QLabel(self.tr("This order takes at most {0} points = ¥{1}, in steps of {2}").format(
            f"{self.most:,}", yuan(most_value_fen), self.step))
        cap.setObjectName("redeemCap")
        self.layout_.addWidget(cap)
        now = QLabel(self.tr("Already applied: {0} points = ¥{1}").format(f"{applied:,}", yuan(self._fen(applied)))
                     if applied else self.tr("No points applied yet"))
        now.setObjectName("redeemApplied")
        self.layout_.addWidget(now)
        self.edit = QLineEdit(str(applied or self.most))
        self.edit.setObjectName("redeemPoints")
        self.edit.setFont(QFont(self.font().family(), 18))
        self.value = QLabel()
        self.value.setObjectName("redeemValue")
        self.edit.textChanged.connect(self._value)
        self.layout_.addWidget(self.edit)
        self.layout_.addWidget(self.value)
        self.buttons()
        self._value(self.edit.text())
        self.edit.setFocus()
        self.edit.selectAll()
        self.resize(480, 260)

    def _fen(self, points: int) -> int:
        return points // self.per_unit * self.unit_fen

    def _parse(self, text: str) -> int | None:
        t = text.strip().replace(",", "").replace("，", "")
        return int(t) if t.isascii() and t.isdigit() and len(t) <= 12 else None

    def _value(self, text: str) -> None:
        points = self._parse(text)
        self.value.setText(self.tr("= ¥{0} off").format(yuan(self._fen(points))) if points is not None else "")

    def problem(self) -> str:
        """Why what was typed cannot be taken, or ''."""
        points = self._parse(self.edit.text())
        if points is None:
            return self.tr("Type a whole number of points (0 takes the points off)")
        if points > self.most:
            return self.tr("{0} points is over this order's cap of {1}: type at most {1}").format(f"{points:,}", f"{self.most:,}")
        if points % self.step:
            return self.tr("Points go in steps of {0}: {1} or {2}").format(
                self.step, f"{points // self.step * self.step:,}", f"{(points // self.step + 1) * self.step:,}")
        return ""

    def accept(self) -> None:
        why = self.problem()
        if why:
            self.fail(why)
            self.edit.setFocus()
            self.edit.selectAll()
            return
        super().accept()

    def points(self) -> int:
        return self._parse(self.edit.text()) or 0


class GiftDialog(PickDialog):
    """The gift catalog: every gift with its cost; one the member cannot take now is
    greyed and says why (points short by how many, or not for this tier). Usable points
    are what the member has less what this basket already takes."""

    def __init__(self, parent, gifts, available: int, tier: str | None = None, program=None, basket_points: int = 0):
        en = i18n.current() == "en"
        usable = max(available - basket_points, 0)
        rows = []
        for g in gifts:
            cost = QCoreApplication.translate("GiftDialog", "{0} points").format(f"{g.points:,}") + (" + ¥" + yuan(g.cash_fen) if g.cash_fen else "")
            if g.tiers and tier not in g.tiers:
                why = QCoreApplication.translate("GiftDialog", "Only for {0}").format(" / ".join(labels.tier_name(program, t) for t in g.tiers))
            elif g.points > usable:
                why = QCoreApplication.translate("GiftDialog", "{0} more points needed").format(f"{g.points - usable:,}")
            else:
                why = QCoreApplication.translate("GiftDialog", "Available")
            rows.append((g.code, [g.name.en if en else g.name.zh, cost, why], why == QCoreApplication.translate("GiftDialog", "Available")))
        header = QCoreApplication.translate("GiftDialog", "Usable points: {0}").format(f"{usable:,}")
        if basket_points:
            header += QCoreApplication.translate("GiftDialog", " (this basket already takes {0})").format(f"{basket_points:,}")
        super().__init__(parent, QCoreApplication.translate("GiftDialog", "Gift catalog"), header,
                         [QCoreApplication.translate("GiftDialog", "Gift"), QCoreApplication.translate("GiftDialog", "Cost"), QCoreApplication.translate("GiftDialog", "Status")], rows)


class TextDialog(_Dialog):
    """One line of input (phone for quick join, receipt number, quantity, amounts)."""

    def __init__(self, parent, title: str, label: str, text: str = "", password: bool = False):
        super().__init__(parent, title)
        self.layout_.addWidget(QLabel(label))
        self.edit = QLineEdit(text)
        self.edit.setFont(QFont(self.font().family(), 18))
        if password:
            self.edit.setEchoMode(QLineEdit.Password)
        self.layout_.addWidget(self.edit)
        self.buttons()
        self.edit.selectAll()

    def value(self) -> str:
        return self.edit.text().strip()


def manager_refusal() -> str:
    return QCoreApplication.translate("ManagerDialog", "Wrong manager code or PIN (or not a manager's code) — try again")


class ManagerDialog(_Dialog):
    """A manager's code and PIN approve what is over a cashier's limit. With `check`
    (code, pin -> approver) the dialog stays open on a wrong PIN and says so; the
    approver is then in `approver`."""

    def __init__(self, parent, reason: str, check=None):
        super().__init__(parent, self.tr("Manager approval"))
        self.check = check
        self.approver = None
        why = QLabel(reason)
        why.setWordWrap(True)
        self.layout_.addWidget(why)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setObjectName("managerCode")
        self.pin = QLineEdit()
        self.pin.setObjectName("managerPin")
        self.pin.setEchoMode(QLineEdit.Password)
        form.addRow(self.tr("Manager code"), self.code)
        form.addRow(self.tr("PIN"), self.pin)
        self.layout_.addLayout(form)
        self.buttons()
        self.code.returnPressed.connect(self.pin.setFocus)
        self.code.setFocus()

    def accept(self) -> None:
        if not self.pin.text():  # Enter after the code: on to the PIN, not a refusal
            self.pin.setFocus()
            return
        if self.check is not None:
            from pos.errors import DomainError

            try:
                self.approver = self.check(self.code.text(), self.pin.text())
            except DomainError:
                self.fail(manager_refusal())
                self.pin.clear()
                self.pin.setFocus()
                return
        super().accept()


class ReceiptDialog(_Dialog):
    def __init__(self, parent, text: str):
        super().__init__(parent, self.tr("Receipt"))
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        view.setObjectName("receiptText")
        view.setFont(QFont("monospace", 11))
        self.layout_.addWidget(view)
        box = QDialogButtonBox(QDialogButtonBox.Close)
        box.rejected.connect(self.reject)
        box.accepted.connect(self.accept)
        box.button(QDialogButtonBox.Close).clicked.connect(self.accept)
        self.layout_.addWidget(box)
        self.resize(460, 640)


class HeldDialog(PickDialog):
    """Baskets on hold: store-local time, total, member and cashier tell them apart."""

    def __init__(self, parent, held: list[dict]):
        rows = [(h["id"], [h["time"] + ("" if h.get("today", True) else "  " + h["date"]), "¥" + yuan(h["total_fen"]),
                           h["member"] or QCoreApplication.translate("HeldDialog", "no member"), str(h["lines"]), h["cashier"] or "-"])
                for h in held]
        super().__init__(parent, QCoreApplication.translate("HeldDialog", "Recall a held basket"),
                         QCoreApplication.translate("HeldDialog", "{0} basket(s) on hold — arrows and Enter").format(len(held)),
                         [QCoreApplication.translate("HeldDialog", "Held at"), QCoreApplication.translate("HeldDialog", "Total"), QCoreApplication.translate("HeldDialog", "Member"),
                          QCoreApplication.translate("HeldDialog", "Lines"), QCoreApplication.translate("HeldDialog", "Cashier")], rows)


class ShiftCloseDialog(_Dialog):
    """A blind count: the cashier types the cash counted in the drawer first; what was
    expected (and the variance) is shown only once the shift is closed on that count.
    `close(counted_fen)` closes the shift and returns its summary (or raises DomainError)."""

    def __init__(self, parent, close):
        super().__init__(parent, self.tr("Close shift"))
        self.close_fn = close
        self.summary = None
        self.prompt = QLabel(self.tr("Count the cash in the drawer and type the total (yuan):"))
        self.prompt.setWordWrap(True)
        self.layout_.addWidget(self.prompt)
        self.edit = QLineEdit()
        self.edit.setObjectName("countedCash")
        self.edit.setFont(QFont(self.font().family(), 18))
        self.layout_.addWidget(self.edit)
        self.result = QLabel()
        self.result.setObjectName("shiftResult")
        self.result.setWordWrap(True)
        self.layout_.addWidget(self.result)
        self.box = self.buttons(self.tr("Close shift (Enter)"))
        self.edit.setFocus()
        self.resize(480, 240)

    def accept(self) -> None:
        if self.summary is not None:  # the result was read: done
            super().accept()
            return
        counted = parse_yuan(self.edit.text())
        if counted is None:
            self.fail(self.tr("Type the counted cash, such as 1250 or 1250.50"))
            self.edit.setFocus()
            return
        from pos.errors import DomainError

        try:
            s = self.close_fn(counted)
        except DomainError as exc:
            self.fail(exc.message(i18n.current()))
            return
        self.summary = s
        self.fail("")
        self.edit.setReadOnly(True)
        tenders = ", ".join(f"{labels.tender_name(k)} ¥{yuan(v)}" for k, v in s.by_tender.items()) or "-"
        self.result.setText(self.tr(
            "Counted ¥{0}, expected ¥{1}: variance {2}\nSales: {3}, returns: {4}, net ¥{5}\nBy tender: {6}").format(
            yuan(s.counted_fen or 0), yuan(s.expected_cash_fen), _signed(s.variance_fen or 0), s.sales, s.returns,
            yuan(s.net_fen), tenders))
        self.box.button(QDialogButtonBox.Ok).setText(self.tr("Done (Enter)"))
        self.box.button(QDialogButtonBox.Cancel).setEnabled(False)  # the shift is closed: nothing to cancel

    def reject(self) -> None:
        if self.summary is not None:
            return super().accept()
        super().reject()


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "-" if fen < 0 else "") + "¥" + yuan(abs(fen))
