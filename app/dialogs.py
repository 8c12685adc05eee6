"""The till's small dialogs: every one works from the keyboard alone
(Enter confirms, Esc cancels, F-keys pick tenders)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from pos.members import MemberSummary
from pos.money import yuan
from pos.pricing import Tender

from . import i18n


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


class PickMemberDialog(ListDialog):
    """Several members match the last 4 digits: pick with arrows + Enter."""

    def __init__(self, parent, matches: list[MemberSummary]):
        rows = [(m, f"{m.name or '-'}   {m.phone_masked}   {m.member_code}   {m.tier}") for m in matches]
        super().__init__(parent, QCoreApplication.translate("PickMemberDialog", "Pick the member"), rows,
                         QCoreApplication.translate("PickMemberDialog", "{0} members match").format(len(matches)))
        self.resize(520, 420)


class PaymentDialog(_Dialog):
    """Tenders by key: F1 cash, F2 WeChat Pay, F3 Alipay, F4 bank card, F5 stored value,
    F6 gift card. The amount field starts at what is still due; Enter pays."""

    TENDERS = (("cash", "F1"), ("wechat", "F2"), ("alipay", "F3"), ("bank_card", "F4"),
               ("stored_value", "F5"), ("gift_card", "F6"))

    def __init__(self, parent, due_fen: int, stored_value_fen: int | None, saved_fen: int = 0):
        super().__init__(parent, self.tr("Payment"))
        self.due = due_fen
        self.sv = stored_value_fen
        self.tenders: list[Tender] = []
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
            b.clicked.connect(lambda _=False, t=tender: self.add_tender(t))
            if tender == "stored_value" and not stored_value_fen:
                b.setEnabled(False)
            row.addWidget(b)
            self.buttons_by_type[tender] = b
            QShortcut(QKeySequence(key), self, activated=lambda t=tender: self.add_tender(t))
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
                "gift_card": self.tr("Gift card")}[tender]

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

    def add_tender(self, tender: str) -> None:
        amount = parse_yuan(self.amount.text())
        if amount is None or amount <= 0:
            self.fail(self.tr("Type an amount such as 100 or 12.50"))
            return
        if tender != "cash" and amount > self.remaining():
            self.fail(self.tr("Only cash can be more than what is due"))
            return
        if tender == "stored_value" and self.sv is not None:
            used = sum(t.amount_fen for t in self.tenders if t.type == "stored_value")
            if amount + used > self.sv:
                self.fail(self.tr("Stored value balance is ¥{0}").format(yuan(self.sv)))
                return
        self.fail("")
        self.tenders.append(Tender(tender, amount))
        self.paid_list.addItem(f"{self.tender_name(tender)}  ¥{yuan(amount)}")
        self.refresh()

    def _enter(self) -> None:
        if self.paid() >= self.due and not (self.amount.text().strip() and self.remaining()):
            self.accept()
            return
        self.add_tender("cash")
        if self.paid() >= self.due:
            self.accept()

    def accept(self) -> None:
        if self.paid() < self.due:
            self.fail(self.tr("¥{0} still due").format(yuan(self.remaining())))
            return
        super().accept()


class RedeemDialog(_Dialog):
    """Points for cash: the cap and the resulting cash value shown before confirming."""

    def __init__(self, parent, available: int, most: int, most_value_fen: int, step: int, per_unit: int, unit_fen: int):
        super().__init__(parent, self.tr("Redeem points"))
        self.per_unit, self.unit_fen = per_unit, unit_fen
        self.layout_.addWidget(QLabel(self.tr("Usable points: {0}").format(f"{available:,}")))
        self.layout_.addWidget(QLabel(self.tr("This order takes at most {0} points = ¥{1}").format(f"{most:,}", yuan(most_value_fen))))
        self.spin = QSpinBox()
        self.spin.setRange(0, max(most, 0))
        self.spin.setSingleStep(step)
        self.spin.setValue(most)
        self.spin.setFont(QFont(self.font().family(), 18))
        self.value = QLabel()
        self.value.setObjectName("redeemValue")
        self.spin.valueChanged.connect(self._value)
        self.layout_.addWidget(self.spin)
        self.layout_.addWidget(self.value)
        self.buttons()
        self._value(self.spin.value())

    def _value(self, points: int) -> None:
        self.value.setText(self.tr("= ¥{0} off").format(yuan(points // self.per_unit * self.unit_fen)))

    def points(self) -> int:
        return self.spin.value()


class GiftDialog(ListDialog):
    def __init__(self, parent, gifts, available: int):
        en = i18n.current() == "en"
        tr = lambda text: QCoreApplication.translate("GiftDialog", text)  # noqa: E731
        rows = []
        for g in gifts:
            cost = tr("{0} points").format(g.points) + (" + ¥" + yuan(g.cash_fen) if g.cash_fen else "")
            rows.append((g.code, f"{g.name.en if en else g.name.zh}   {cost}", g.points <= available))
        super().__init__(parent, tr("Gift catalog"), rows, tr("Usable points: {0}").format(f"{available:,}"))


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


class ManagerDialog(_Dialog):
    """A manager's code and PIN approve what is over a cashier's limit."""

    def __init__(self, parent, reason: str):
        super().__init__(parent, self.tr("Manager approval"))
        self.layout_.addWidget(QLabel(reason))
        form = QFormLayout()
        self.code = QLineEdit()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.Password)
        form.addRow(self.tr("Manager code"), self.code)
        form.addRow(self.tr("PIN"), self.pin)
        self.layout_.addLayout(form)
        self.buttons()


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
