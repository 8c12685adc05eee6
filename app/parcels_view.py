"""The parcels view (issue 18 item 3): parcels for pickup at this store, opened from the
checkout screen with Ctrl+B.

- Receive in a row: the courier drops a pile; each label scanned into the scan field is
  received at once (pos.services.parcels.receive: one quick transaction), a counter counts
  them, a label scanned twice is refused (said in red, a beep) and the scan field stays ready.
- Find: arrived, on its way, overdue (not collected within `parcel.overdue_days`), collected;
  search by code (label or the pickup code's last 4), the phone's last 4 or the name.
- Pick up: the customer's pickup code scanned into the same field, or a row chosen and
  "Pick up": the parcel is collected through the till (`Till.parcel_pickup`), so the member
  goes on the sale with the pickup voucher and the view closes on the checkout screen, where
  the member panel shows them (and what to recommend) as for any member.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from pos.errors import DomainError
from pos.rules.barcodes import Nomenclature
from pos.services import parcels

from . import i18n

OPEN_KEY = "Ctrl+B"


class ParcelsDialog(QDialog):
    def __init__(self, db, till=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.till = db, till
        self.nomenclature = till.nomenclature if till is not None else Nomenclature.default()
        self.received = 0
        self.picked_up = None  # the till's Outcome of the pickup
        self.setWindowTitle(self.tr("Parcels"))
        lay = QVBoxLayout(self)
        self.scan = QLineEdit()
        self.scan.setObjectName("parcelScan")
        self.scan.setPlaceholderText(self.tr("Scan a parcel's label to receive it, or a pickup code to hand it over — Enter"))
        self.scan.returnPressed.connect(self.on_scan)
        lay.addWidget(self.scan)
        row = QHBoxLayout()
        self.counter = QLabel()
        self.counter.setObjectName("parcelCounter")
        self.message = QLabel()
        self.message.setObjectName("parcelMessage")
        self.message.setWordWrap(True)
        row.addWidget(self.counter)
        row.addWidget(self.message, 1)
        lay.addLayout(row)
        find = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setObjectName("parcelFilter")
        for key, text in (("arrived", self.tr("Arrived")), ("waiting", self.tr("On its way")),
                          ("overdue", self.tr("Overdue: back to the courier")), ("collected", self.tr("Collected")),
                          ("all", self.tr("All"))):
            self.filter.addItem(text, key)
        self.filter.currentIndexChanged.connect(self.reload)
        self.search = QLineEdit()
        self.search.setObjectName("parcelSearch")
        self.search.setPlaceholderText(self.tr("Search: code, last 4 of the phone or of the pickup code, name"))
        self.search.textChanged.connect(self.reload)
        find.addWidget(self.filter)
        find.addWidget(self.search, 1)
        lay.addLayout(find)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("parcelTable")
        self.table.setHorizontalHeaderLabels([self.tr("Label"), self.tr("Status"), self.tr("Days waiting"),
                                              self.tr("Customer"), self.tr("Code (last 4)"), self.tr("Order")])
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        lay.addWidget(self.table, 1)
        box = QDialogButtonBox(QDialogButtonBox.Close)
        self.pickup_button = QPushButton(self.tr("Pick up the selected parcel"))
        self.pickup_button.setObjectName("parcelPickup")
        self.pickup_button.clicked.connect(self.pickup_selected)
        box.addButton(self.pickup_button, QDialogButtonBox.ActionRole)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.rows: list[parcels.ParcelView] = []
        self._count()
        self.reload()
        self.resize(860, 520)
        self.scan.setFocus()

    # --- what the view shows ---------------------------------------------------------------------

    def _count(self) -> None:
        self.counter.setText(self.tr("Received now: {0}").format(self.received))

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c00000;" if error else "")
        if error:
            QApplication.beep()

    def _status(self, v: parcels.ParcelView) -> str:
        return {"waiting": self.tr("On its way"), "arrived": self.tr("Arrived"), "collected": self.tr("Collected"),
                "cancelled": self.tr("Order returned")}.get(v.status, v.status) + (
            self.tr(" — overdue") if v.overdue else "")

    def reload(self) -> None:
        key = self.filter.currentData()
        if key == "overdue":
            rows = parcels.listing(self.db, overdue=True)
        elif key == "all":
            rows = parcels.listing(self.db)
        else:
            rows = parcels.listing(self.db, status=key)
        q = self.search.text().strip().upper()
        if q:
            rows = [v for v in rows if q in v.label or v.pickup_code_last4 == q or q in (v.name or "").upper()
                    or (len(q) == 4 and (v.phone_masked or "").endswith(q)) or q in (v.member_code or "")]
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, v in enumerate(rows):
            who = " ".join(x for x in (v.name, v.phone_masked) if x) or (v.member_code or "-")
            for c, text in enumerate((v.label, self._status(v), "" if v.days_waiting is None else str(v.days_waiting),
                                      who, v.pickup_code_last4, v.order_ref)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    # --- actions -----------------------------------------------------------------------------------

    def on_scan(self) -> None:
        text = self.scan.text().strip()
        self.scan.clear()
        if not text:
            return
        kind = self.nomenclature.classify(text).kind
        if kind == "pickup" or (text.isdigit() and len(text) == 8):
            return self.pickup(text)
        try:
            v = parcels.receive(self.db, text, actor=self._actor())
        except DomainError as exc:
            return self.say(exc.message(i18n.current()), error=True)
        self.received += 1
        self._count()
        self.say(self.tr("Received {0} for {1}").format(v.label, v.name or v.phone_masked or v.member_code or "-"))
        if self.filter.currentData() in ("arrived", "all"):
            self.reload()

    def _actor(self) -> str:
        return self.till._actor() if self.till is not None else "till"

    def pickup_selected(self) -> None:
        r = self.table.currentRow()
        if not 0 <= r < len(self.rows):
            return self.say(self.tr("Choose a parcel first, or scan the customer's pickup code"), error=True)
        v = self.rows[r]
        with self.db.read() as s:  # the row shows only the code's last 4; the till holds the whole code
            from pos.store.o2o_models import Parcel
            from sqlalchemy import select

            code = s.scalar(select(Parcel.pickup_code).where(Parcel.label == v.label))
        self.pickup(code)

    def pickup(self, code: str) -> None:
        try:
            if self.till is not None:
                self.picked_up = self.till.parcel_pickup(code=code)
            else:
                parcels.pickup(self.db, code=code, actor="till")
        except DomainError as exc:
            return self.say(exc.message(i18n.current()), error=True)
        self.accept()  # back to the sale: the member panel shows the customer, the voucher is on the sale


def open_parcels(screen) -> None:
    """Ctrl+B on the checkout screen: the parcels view; after a pickup the screen shows the
    member and the voucher on the sale."""
    dlg = ParcelsDialog(screen.till.db, screen.till, screen)
    if dlg.exec() == QDialog.Accepted:
        why = dlg.picked_up.error_code if dlg.picked_up is not None else "parcel.no_voucher"
        # QCoreApplication.translate spelled out: lupdate reads a local `tr(ctx, text)` as tr(text, comment)
        screen.say(QCoreApplication.translate("ParcelsDialog", "Parcel collected — the pickup voucher is on this sale")
                   if why is None else
                   QCoreApplication.translate("ParcelsDialog",
                                              "Parcel collected — the voucher is in the member's wallet, not on this sale")
                   if why == "parcel.voucher_not_on_sale" else
                   QCoreApplication.translate("ParcelsDialog", "Parcel collected"))
        screen.refresh()
    screen.focus_input()


def install(screen) -> None:
    guarded = screen._guarded(lambda: open_parcels(screen))
    QShortcut(QKeySequence(OPEN_KEY), screen, activated=guarded)
    screen.input.reserved.add(QKeySequence(OPEN_KEY)[0].toCombined())
