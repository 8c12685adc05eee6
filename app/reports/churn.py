"""The churn watch: members with no purchase in 90 / 180 / 365 days (one tier or
all), most valuable first; the manager selects some and issues the program's
win-back coupon, or exports the list."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos.analytics import segments

from .. import i18n
from .common import FilterTable, fmt_num, member_columns, tier_name


class ChurnTab(QWidget):
    find_requested = Signal()
    issue_requested = Signal()  # a win-back coupon to the selected members
    export_requested = Signal()

    def __init__(self, program, parent: QWidget | None = None):
        super().__init__(parent)
        self.program = program
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("No purchase in")))
        self.days_combo = QComboBox()
        self.days_combo.addItem(self.tr("90 days"), 90)
        self.days_combo.addItem(self.tr("180 days"), 180)
        self.days_combo.addItem(self.tr("365 days (dormant)"), 365)
        row.addWidget(self.days_combo)
        row.addWidget(QLabel(self.tr("Tier")))
        self.tier_combo = QComboBox()
        self.tier_combo.addItem(self.tr("All tiers"), None)
        lang = "en" if i18n.current() == "en" else "zh"
        for lv in (self.program.tiers.levels if self.program is not None else []):
            self.tier_combo.addItem(getattr(lv.name, lang, lv.code) or lv.code, lv.code)
        row.addWidget(self.tier_combo)
        self.churn_btn = QPushButton(self.tr("Find"))
        self.churn_btn.clicked.connect(self.find_requested.emit)
        row.addWidget(self.churn_btn)
        row.addStretch(1)
        self.issue_btn = QPushButton(self.tr("Issue win-back coupon to selected"))
        self.issue_btn.setObjectName("issueWinBack")
        self.issue_btn.clicked.connect(self.issue_requested.emit)
        row.addWidget(self.issue_btn)
        self.churn_export_btn = QPushButton(self.tr("Export list…"))
        self.churn_export_btn.clicked.connect(self.export_requested.emit)
        row.addWidget(self.churn_export_btn)
        lay.addLayout(row)
        self.churn_label = QLabel("")
        lay.addWidget(self.churn_label)
        self.churn_table = FilterTable(member_columns(self.program), self.tr("Filter by name, code, phone, tier…"))
        self.churn_table.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        lay.addWidget(self.churn_table, 1)

    def tier_name(self, code: str) -> str:
        return tier_name(self.program, code)

    def show_churn(self, cl: segments.ChurnList) -> None:
        for step in self.steps(cl):
            step()

    def steps(self, cl: segments.ChurnList) -> list:
        """Filling the tab as small steps: the rows (a model: no widget per row), then the
        first sizing of the columns, a column at a time."""
        return [lambda: self._show_rows(cl), *self.churn_table.sizing_steps_later()]

    def _show_rows(self, cl: segments.ChurnList) -> None:
        self.churn_table.set_rows(cl.members, size=False)
        self.churn_label.setText(self.tr("{0} member(s) with no purchase in {1} days as of {2}{3}, most valuable first.").format(
            fmt_num(cl.total), cl.days, cl.as_of.isoformat(), f" ({self.tier_name(cl.tier)})" if cl.tier else ""))
