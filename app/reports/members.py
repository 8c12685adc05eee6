"""Members: the list behind a figure, a heat-map cell, a group or a pyramid class
(a drill-down), filterable, exportable."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .common import FilterTable, member_columns


class MembersTab(QWidget):
    export_requested = Signal()

    def __init__(self, program, parent: QWidget | None = None):
        super().__init__(parent)
        self.program = program
        self.title = ""
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.members_label = QLabel(self.tr("Click a KPI tile, a heat-map cell, a group or a pyramid class to list its members."))
        self.members_label.setObjectName("drillTitle")
        row.addWidget(self.members_label, 1)
        b = QPushButton(self.tr("Export list…"))
        b.clicked.connect(self.export_requested.emit)
        row.addWidget(b)
        lay.addLayout(row)
        self.members_table = FilterTable(member_columns(self.program), self.tr("Filter by name, code, phone, tier…"))
        lay.addWidget(self.members_table, 1)

    def show_members(self, title: str, rows: list[dict]) -> None:
        for step in self.steps(title, rows):
            step()

    def steps(self, title: str, rows: list[dict]) -> list:
        """Filling the tab as small steps: the rows, then the columns' first sizing, a column at a time."""
        def show() -> None:
            self.title = title
            self.members_label.setText(self.tr("{0}: {1} member(s)").format(title, len(rows)))
            self.members_table.set_rows(rows, size=False)
        return [show, *self.members_table.sizing_steps_later()]
