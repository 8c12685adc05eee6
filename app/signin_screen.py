"""Sign-in (and the lock screen): staff code + PIN, then the shift's opening float."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from pos.store import settings as store_settings
from pos.services import staff
from pos.errors import DomainError

from . import i18n


class SignInScreen(QWidget):
    signed_in = Signal(object)  # staff.StaffView

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.locked_for: str | None = None
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame()
        card.setObjectName("signInCard")
        card.setMaximumWidth(460)
        lay = QVBoxLayout(card)
        self.title = QLabel(self.tr("Sign in"))
        self.title.setObjectName("signInTitle")
        self.title.setFont(QFont(self.font().family(), 22, QFont.Bold))
        self.title.setAlignment(Qt.AlignCenter)
        lay.addWidget(self.title)
        self.store = QLabel(store_settings.STORE_NAME.get(db) + " · " + db.store_code)
        self.store.setAlignment(Qt.AlignCenter)
        lay.addWidget(self.store)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setObjectName("staffCode")
        self.pin = QLineEdit()
        self.pin.setObjectName("staffPin")
        self.pin.setEchoMode(QLineEdit.Password)
        for w in (self.code, self.pin):
            w.setFont(QFont(self.font().family(), 16))
        form.addRow(self.tr("Staff code"), self.code)
        form.addRow(self.tr("PIN"), self.pin)
        lay.addLayout(form)
        self.error = QLabel(" ")
        self.error.setObjectName("dialogError")
        lay.addWidget(self.error)
        self.button = QPushButton(self.tr("Sign in (Enter)"))
        self.button.clicked.connect(self.submit)
        lay.addWidget(self.button)
        self.hint = QLabel(self.tr("Demo: cashier C01 / 1234, manager M01 / 9999"))
        self.hint.setObjectName("hint")
        self.hint.setAlignment(Qt.AlignCenter)
        lay.addWidget(self.hint)
        # the demo PINs are told only on a store the demo built (pos.demo.store records it); a real
        # store's staff have their own PINs, and a hint there would be a way in
        self.hint.setVisible(is_demo_store(db))
        row = QVBoxLayout()
        row.addWidget(card, 0, Qt.AlignHCenter)
        outer.addLayout(row)
        outer.addStretch(2)
        self.code.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.submit)

    def lock(self, code: str) -> None:
        """The lock screen: only the same cashier (or a manager) unlocks."""
        self.locked_for = code
        self.title.setText(self.tr("Locked — {0}").format(code))
        self.code.setText(code)
        self.pin.clear()
        self.error.setText(" ")
        self.pin.setFocus()

    def reset(self) -> None:
        self.locked_for = None
        self.title.setText(self.tr("Sign in"))
        self.code.clear()
        self.pin.clear()
        self.error.setText(" ")
        self.code.setFocus()

    def submit(self) -> None:
        try:
            who = staff.sign_in(self.db, self.code.text(), self.pin.text())
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            self.pin.clear()
            self.pin.setFocus()
            return
        if self.locked_for and who.code != self.locked_for and not who.is_manager:
            self.error.setText(self.tr("Locked by {0}: only they or a manager can unlock").format(self.locked_for))
            self.pin.clear()
            return
        self.pin.clear()
        self.signed_in.emit(who)


def is_demo_store(db) -> bool:
    return store_settings.DEMO_STORE.get(db)  # "1" / "true" of older stores: upgraded (pos.store.settings)
