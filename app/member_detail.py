"""Member detail: purchase history, ledger entries, coupons, tier history,
profile edit, and feedback / complaint notes."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton,
    QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from pos import changes
from pos.services import member_bonuses, member_view, members, parcels
from pos.store import program_store
from pos.errors import DomainError
from pos.rules.money import yuan

from . import i18n, labels


def _table(headers: list[str], rows: list[list[str]], numbers: tuple[int, ...] = ()) -> QTableWidget:
    """A read-only table; the `numbers` columns (money, points) are right-aligned so digits line
    up; no row numbers (they say nothing here)."""
    t = QTableWidget(len(rows), len(headers))
    t.setHorizontalHeaderLabels(headers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            if c in numbers:
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            t.setItem(r, c, item)
    for c in numbers:
        head = t.horizontalHeaderItem(c)
        if head is not None:
            head.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    t.verticalHeader().hide()
    t.resizeColumnsToContents()
    t.setEditTriggers(QTableWidget.NoEditTriggers)
    return t


class MemberDetailDialog(QDialog):
    def __init__(self, db, member_id: str, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.member_id, self.actor = db, member_id, actor
        d = members.detail(db, member_id)
        try:
            program = program_store.active(db)
        except DomainError:
            program = None
        self.program = program  # the profile-completion and review bonuses (pos.services.member_bonuses)

        def template(code: str) -> str:
            t = program.template(code) if program is not None else None
            return (t.name.en if i18n.current() == "en" else t.name.zh) if t is not None else self.tr("Coupon")
        self.setWindowTitle(self.tr("Member {0}").format(d.member_code))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"{d.name or '-'}  {d.phone_masked}  {d.member_code}"))
        tabs = QTabWidget()
        tabs.setObjectName("memberTabs")
        hist = member_view.history(db, member_id)
        rows = [[h["date"], h["receipt_no"], labels.sale_kind(h["kind"]), yuan(h["net_fen"]), str(h["points_earned"]),
                 str(h["points_redeemed"])] for h in hist]
        status = {"paid": self.tr("order paid"), "shipped": self.tr("order shipped"),
                  "delivered": self.tr("order delivered"), "returned": self.tr("order returned")}
        for o in parcels.member_orders(db, member_id):  # online orders (issue 18), newest first with the sales
            earned = str(o["points"]) + (self.tr(" (pending to {0})").format(o["available_on"]) if o["pending"] else "")
            rows.append([o["date"], f"{o['channel']}:{o['order_id']}",
                         self.tr("Online ({0})").format(status.get(o["status"], o["status"])), yuan(o["paid_fen"]),
                         earned, str(o["points"]) if o["points_reversed"] else "0"])
        rows.sort(key=lambda r: r[0], reverse=True)
        tabs.addTab(_table([self.tr("Date"), self.tr("Receipt"), self.tr("Kind"), self.tr("Amount"), self.tr("Points +"),
                            self.tr("Points -")], rows, numbers=(3, 4, 5)), self.tr("Purchases"))
        led = member_view.ledger_entries(db, member_id)
        tabs.addTab(_table([self.tr("Date"), self.tr("Ledger"), self.tr("Kind"), self.tr("Amount"), self.tr("Expires"),
                            self.tr("Reason")],
                           [[e["date"], labels.ledger_name(e["ledger"]), labels.ledger_kind(e["kind"]), str(e["amount"]) if e["ledger"] == "points" else yuan(e["amount"]),
                             e["expires"], labels.ledger_reason(e["reason"])] for e in led], numbers=(3,)), self.tr("Ledger"))
        cps = member_view.coupon_list(db, member_id)
        tabs.addTab(_table([self.tr("Code"), self.tr("Template"), self.tr("Source"), self.tr("Valid to"), self.tr("Status")],
                           [[c["code"], template(c["template"]), labels.coupon_source(c["source"]), c["valid_to"],
                             labels.coupon_status(c["status"])] for c in cps]), self.tr("Coupons"))
        th = member_view.tier_history(db, member_id)
        tabs.addTab(_table([self.tr("Date"), self.tr("From"), self.tr("To"), self.tr("Reason"), self.tr("Spend")],
                           [[t["date"], labels.tier_name(program, t["from"]), labels.tier_name(program, t["to"]), labels.tier_reason(t["reason"]), yuan(t["spend_fen"])] for t in th], numbers=(4,)), self.tr("Tiers"))
        tabs.addTab(self._profile(d), self.tr("Profile"))
        tabs.addTab(self._notes(d), self.tr("Notes"))
        lay.addWidget(tabs)
        box = QDialogButtonBox(QDialogButtonBox.Close)
        box.rejected.connect(self.reject)
        box.button(QDialogButtonBox.Close).clicked.connect(self.accept)
        lay.addWidget(box)
        self.resize(820, 560)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # sized again once the window's stylesheet font applies (sized before it, the columns cut dates and receipts)
        for t in self.findChildren(QTableWidget):
            t.resizeColumnsToContents()

    def _profile(self, d: members.MemberDetail) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.fields = {}
        for key, label in (("name", self.tr("Name")), ("birthday", self.tr("Birthday (YYYY-MM-DD)")),
                           ("region", self.tr("Region")), ("address", self.tr("Address")),
                           ("occupation", self.tr("Occupation")), ("income_band", self.tr("Income band"))):
            edit = QLineEdit(getattr(d, key) or "")
            self.fields[key] = edit
            form.addRow(label, edit)
        self.gender = QComboBox()
        self.gender.addItem("-", None)
        self.gender.addItem(self.tr("Female"), "F")
        self.gender.addItem(self.tr("Male"), "M")
        self.gender.setCurrentIndex({None: 0, "F": 1, "M": 2}.get(d.gender, 0))
        form.addRow(self.tr("Gender"), self.gender)
        self.profile_msg = QLabel()
        self.profile_msg.setObjectName("dialogError")
        save = QPushButton(self.tr("Save profile"))
        save.clicked.connect(self.save_profile)
        form.addRow(self.profile_msg, save)
        return w

    def save_profile(self) -> None:
        fields = {k: (e.text().strip() or None) for k, e in self.fields.items()}
        if fields["birthday"]:
            try:
                fields["birthday"] = dt.date.fromisoformat(fields["birthday"])
            except ValueError:
                self.profile_msg.setText(self.tr("Birthday must be YYYY-MM-DD"))
                return
        fields["gender"] = self.gender.currentData()
        try:
            _, award = member_bonuses.update_profile(self.db, self.program, self.member_id, actor=self.actor, **fields)
        except DomainError as exc:
            self.profile_msg.setText(exc.message(i18n.current()))
            return
        self.profile_msg.setText(self.tr("Saved: profile complete, +{0} points").format(award.points)
                                 if award is not None else self.tr("Saved"))
        changes.publish("members", [self.member_id])  # the checkout's panel shows the new profile

    def _notes(self, d: members.MemberDetail) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.note_list = QListWidget()
        for n in d.notes:
            self.note_list.addItem(f"{n['at'][:10]}  [{labels.note_kind(n['kind'])}]  {n['text']}")
        lay.addWidget(self.note_list)
        row = QHBoxLayout()
        self.note_kind = QComboBox()
        self.note_kind.addItem(self.tr("Note"), "note")
        self.note_kind.addItem(self.tr("Complaint"), "complaint")
        self.note_kind.addItem(self.tr("Suggestion"), "suggestion")
        self.note_kind.addItem(self.tr("Review"), "review")
        self.note_receipt = QLineEdit()  # a review names the sale it is about: the review bonus, once per sale
        self.note_receipt.setObjectName("noteReceipt")
        self.note_receipt.setPlaceholderText(self.tr("Receipt (review)"))
        self.note_receipt.setMaximumWidth(180)
        self.note_text = QLineEdit()
        add = QPushButton(self.tr("Add"))
        add.clicked.connect(self.add_note)
        row.addWidget(self.note_kind)
        row.addWidget(self.note_receipt)
        row.addWidget(self.note_text, 1)
        row.addWidget(add)
        lay.addLayout(row)
        return w

    def add_note(self) -> None:
        kind = self.note_kind.currentData()
        receipt = self.note_receipt.text().strip() if kind == "review" else ""
        try:
            award = member_bonuses.add_note(self.db, self.program, self.member_id, self.note_text.text(), kind=kind,
                                            actor=self.actor, receipt_no=receipt or None)
        except DomainError as exc:
            self.note_text.setPlaceholderText(exc.message(i18n.current()))
            return
        if award is not None and award.points:
            self.note_receipt.setPlaceholderText(self.tr("Review: +{0} points").format(award.points))
        self.note_receipt.clear()
        self.note_list.insertItem(0, f"{self.db.clock.today().isoformat()}  [{labels.note_kind(self.note_kind.currentData())}]  {self.note_text.text()}")
        self.note_text.clear()
        changes.publish("members", [self.member_id])
