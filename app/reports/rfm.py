"""RFM: the heat map of recency × frequency scores (filtered by monetary score),
the named groups (active, lapsed, dormant …; heavy, light) and the button that
writes them as member tags for the till."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from pos.analytics import segments

from .common import FilterTable, fmt_num, fmt_pct


class RfmTab(QWidget):
    drill = Signal(dict)  # segment filters: r, f, m / group / value
    tags_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.segmentation: segments.Segmentation | None = None
        self.group_names: dict[str, str] = {}
        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Monetary score")))
        self.m_combo = QComboBox()
        self.m_combo.addItem(self.tr("All"), None)
        for m in range(5, 0, -1):
            self.m_combo.addItem(f"M = {m}", m)
        self.m_combo.currentIndexChanged.connect(self._fill_heat)
        row.addWidget(self.m_combo)
        row.addStretch(1)
        left.addLayout(row)
        self.heat = QTableWidget(5, 5)
        self.heat.setObjectName("rfmHeat")
        self.heat.setHorizontalHeaderLabels([f"F{f}" for f in range(1, 6)])
        self.heat.setVerticalHeaderLabels([f"R{r}" for r in range(5, 0, -1)])
        self.heat.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.heat.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.heat.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.heat.setToolTip(self.tr("Members per recency (rows) × frequency (columns) score; click a cell for its members"))
        self.heat.cellClicked.connect(self.heat_clicked)
        left.addWidget(QLabel(self.tr("RFM heat map: recency ↓, frequency →")))
        left.addWidget(self.heat, 1)
        self.rule_label = QLabel("")
        self.rule_label.setWordWrap(True)
        self.rule_label.setObjectName("caption")
        left.addWidget(self.rule_label)
        lay.addLayout(left, 3)
        right = QVBoxLayout()
        self.groups_table = FilterTable([("kind", self.tr("By"), str), ("group_name", self.tr("Group"), str),
                                         ("members", self.tr("Members"), fmt_num),
                                         ("share", self.tr("Share"), fmt_pct)], self.tr("Filter groups"))
        self.groups_table.activated.connect(lambda row: self.drill.emit(dict(row["drill"])))
        right.addWidget(QLabel(self.tr("Named groups (double-click for the members)")))
        right.addWidget(self.groups_table, 1)
        self.tags_btn = QPushButton(self.tr("Update member tags shown at the till"))
        self.tags_btn.setObjectName("writeTags")
        self.tags_btn.setToolTip(self.tr("Gives every member their group names as tags (活跃会员, 沉睡会员, 重度消费 …)"))
        self.tags_btn.clicked.connect(self.tags_requested.emit)
        right.addWidget(self.tags_btn)
        lay.addLayout(right, 2)

    def heat_clicked(self, row: int, col: int) -> None:
        m = self.m_combo.currentData()
        self.drill.emit({"r": 5 - row, "f": col + 1, **({"m": m} if m else {})})

    def show_segments(self, sg: segments.Segmentation) -> None:
        for step in self.steps(sg):
            step()

    def steps(self, sg: segments.Segmentation) -> list:
        """Filling the tab as small steps (the heat map, the groups, their columns' sizing)."""
        return [lambda: self._show_heat(sg), lambda: self._show_groups(sg), *self.groups_table.sizing_steps_later()]

    def _show_heat(self, sg: segments.Segmentation) -> None:
        self.segmentation = sg
        self._fill_heat()

    def _show_groups(self, sg: segments.Segmentation) -> None:
        names = {"active": self.tr("Active (< 90 days)"), "recently_lapsed": self.tr("Recently lapsed (90–179 days)"),
                 "mid_lapsed": self.tr("Mid-term lapsed (180–364 days)"), "dormant": self.tr("Dormant (≥ 365 days)"),
                 "never_purchased": self.tr("Never purchased"), "heavy": self.tr("Heavy (ABC A + B)"),
                 "light": self.tr("Light (ABC C + D)") if sg.rfm_rule == "buyers" else self.tr("Light (ABC C)"),
                 "zombie": self.tr("Zombie (never purchased)")}
        self.group_names = names
        share = lambda n: n / sg.members if sg.members else None  # noqa: E731
        rows = [{"kind": self.tr("Recency"), "group_name": names[g], "members": n, "share": share(n),
                 "drill": {"group": g}} for g, n in sg.groups.items()]
        rows += [{"kind": self.tr("Value"), "group_name": names[v], "members": n, "share": share(n),
                  "drill": {"value": v}} for v, n in sg.value.items() if v != "zombie"]
        self.groups_table.set_rows(rows, size=False)
        if sg.rfm_rule == "buyers":
            rule = self.tr("As of {0}: {1} members, {2} buyers. Each score is the quintile of buyers (about 20 % "
                           "each; 5 = most recent / most frequent / biggest spender); equal members share the "
                           "lower score, so no tie is split.")
        else:
            rule = self.tr("As of {0}: {1} members, {2} buyers. Each score is the quintile of the distinct values "
                           "(5 = most recent / most frequent / biggest spender); equal members share a score.")
        self.rule_label.setText(rule.format(sg.as_of.isoformat(), fmt_num(sg.members), fmt_num(sg.buyers)))

    def _fill_heat(self) -> None:
        sg = self.segmentation
        if sg is None:
            return
        grid = sg.heat(self.m_combo.currentData())
        top = max(max(row) for row in grid) or 1
        for i, row in enumerate(grid):
            for j, n in enumerate(row):
                item = QTableWidgetItem(f"{n:,}")
                item.setTextAlignment(Qt.AlignCenter)
                k = n / top
                item.setBackground(QBrush(QColor(int(255 - 200 * k), int(255 - 150 * k), int(255 - 40 * k))))
                item.setForeground(QBrush(QColor("white" if k > 0.55 else "#1b1f24")))
                item.setToolTip(self.tr("R{0} F{1}: {2} members").format(5 - i, j + 1, n))
                self.heat.setItem(i, j, item)
