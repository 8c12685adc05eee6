"""The till's main window. Until the checkout screen lands it is a member
look-up over the store: one input, the matches, the member at a glance."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QSplitter,
    QVBoxLayout, QWidget,
)

from pos import members, phones, programs
from pos.database import Database
from pos.errors import DomainError

from . import i18n


class MemberCard(QFrame):
    """Who the member is: name, masked phone, tier, balances, cards, tags, notes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        self.title = QLabel()
        self.title.setFont(QFont(self.font().family(), 18, QFont.Bold))
        self.form = QFormLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.clear()

    def clear(self) -> None:
        self.title.setText(self.tr("No member"))
        while self.form.rowCount():
            self.form.removeRow(0)

    def show_member(self, d: members.MemberDetail, tier_name: str) -> None:
        self.clear()
        self.title.setText((d.name or self.tr("(no name)")) + "  " + d.phone_masked)
        rows = [
            (self.tr("Member code"), d.member_code),
            (self.tr("Tier"), tier_name),
            (self.tr("Points"), f"{d.points:,}"),
            (self.tr("Stored value"), self.tr("{0} yuan").format(f"{d.stored_value_fen / 100:,.2f}")),
            (self.tr("Cards"), ", ".join(c["card_no"] for c in d.cards) or "-"),
            (self.tr("Tags"), ", ".join(t["tag"] for t in d.tags) or "-"),
            (self.tr("Joined"), d.joined_at[:10]),
        ]
        for label, value in rows:
            self.form.addRow(label, QLabel(value))
        for note in d.notes[:5]:
            self.form.addRow(self.tr("Complaint") if note["kind"] == "complaint" else self.tr("Note"), QLabel(note["text"]))


class MainWindow(QMainWindow):
    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.program = programs.ensure_default(db)
        self.index = members.MemberIndex(str(db.path), db.settings.get("phone_region", "CN"))
        self.setWindowTitle(self.tr("Member checkout — {0}").format(db.settings.get("store_name", "")))
        self.resize(1024, 768)

        central = QWidget()
        layout = QVBoxLayout(central)
        self.banner = QLabel(self.tr("TEST CLOCK: {0}").format(db.clock.local(db.clock.now()).strftime("%Y-%m-%d %H:%M")))
        self.banner.setObjectName("testClockBanner")
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.setStyleSheet("background:#c62828;color:white;font-weight:bold;padding:4px;")
        self.banner.setVisible(db.test_clock)
        layout.addWidget(self.banner)

        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Phone, last 4 digits, card number or member code — Enter"))
        self.input.setFont(QFont(self.font().family(), 16))
        self.input.returnPressed.connect(self.identify)
        layout.addWidget(self.input)
        self.message = QLabel()
        self.message.setObjectName("message")
        layout.addWidget(self.message)

        split = QSplitter()
        self.matches = QListWidget()
        self.matches.currentItemChanged.connect(self._picked)
        self.card = MemberCard()
        split.addWidget(self.matches)
        split.addWidget(self.card)
        split.setSizes([300, 700])
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

        QShortcut(QKeySequence(Qt.Key_F2), self, activated=self.input.setFocus)
        QShortcut(QKeySequence(Qt.Key_Escape), self, activated=self.clear)
        self.store_label = QLabel(self.tr("Store {0} · register {1}").format(db.store_code, db.settings.get("register_no")))
        self.sync_label = QLabel(self.tr("HQ sync: not configured"))
        self.statusBar().addWidget(self.store_label)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.input.setFocus()

    def clear(self) -> None:
        self.input.clear()
        self.matches.clear()
        self.card.clear()
        self.message.clear()
        self.input.setFocus()

    def identify(self) -> None:
        query = self.input.text()
        self.matches.clear()
        self.card.clear()
        try:
            found = self.index.find(query)
        except DomainError as exc:
            self.message.setText(exc.message(i18n.current()))
            return
        if not found:
            self.message.setText(self.tr("No member matches {0}").format(phones.shown(query)))
            return
        self.message.setText(self.tr("%n member(s) found", "", len(found)))
        for m in found:
            item = QListWidgetItem(f"{m.name or '-'}  {m.phone_masked}  {m.member_code}")
            item.setData(Qt.UserRole, m.id)
            self.matches.addItem(item)
        self.matches.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None, _prev=None) -> None:
        if item is None:
            return
        d = members.detail(self.db, item.data(Qt.UserRole))
        self.card.show_member(d, self.tier_name(d.tier))

    def tier_name(self, code: str) -> str:
        name = self.program.tiers.level(code).name
        return name.en if i18n.current() == "en" else name.zh

    def closeEvent(self, event) -> None:
        self.index.close()
        super().closeEvent(event)
