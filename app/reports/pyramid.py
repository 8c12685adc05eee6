"""The ABC(D) pyramid: members by class — by default A the top 10 % of buyers by
sales, B the next 20 %, C the next 30 %, D the remaining 40 % (program setting
`segments.abc_shares`), never-purchased members apart as zombies; under the former
rule ("distinct") A/B/C by frequency × monetary scores and D never purchased —
their share of members and of sales, and the Pareto check."""
from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QHorizontalStackedBarSeries, QValueAxis
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from pos.analytics import segments

from .common import FilterTable, chart, fmt_num, fmt_pct, fmt_yuan, reset


class PyramidTab(QWidget):
    drill = Signal(dict)  # {"abc": class}

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        self.pyramid_chart, view = chart(self.tr("ABC(D) pyramid: members by class"))
        lay.addWidget(view, 2)
        right = QVBoxLayout()
        self.pareto_label = QLabel("")
        self.pareto_label.setWordWrap(True)
        self.pareto_label.setObjectName("pareto")
        self.pareto_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        right.addWidget(self.pareto_label)
        self.abc_table = FilterTable([
            ("class", self.tr("Class"), str), ("what", self.tr("Who"), str), ("members", self.tr("Members"), fmt_num),
            ("share_members", self.tr("% of members"), fmt_pct), ("sales_fen", self.tr("Sales"), fmt_yuan),
            ("share_sales", self.tr("% of sales"), fmt_pct)], self.tr("Filter"))
        self.abc_table.activated.connect(lambda row: self.drill.emit({"abc": row["class"]}))
        self.abc_table.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        right.addWidget(self.abc_table, 1)
        lay.addLayout(right, 3)

    def show_segments(self, sg: segments.Segmentation) -> None:
        for step in self.steps(sg):
            step()

    def steps(self, sg: segments.Segmentation) -> list:
        """Filling the tab as small steps (the table and the Pareto line, the chart)."""
        return [lambda: self._show_table(sg), lambda: self._fill_pyramid(sg)]

    def _show_table(self, sg: segments.Segmentation) -> None:
        if sg.rfm_rule == "buyers":
            sh = sg.abc_shares
            what = {"A": self.tr("top {0} % of buyers by sales").format(sh["A"]),
                    "B": self.tr("next {0} % of buyers").format(sh["B"]),
                    "C": self.tr("next {0} % of buyers").format(sh["C"]),
                    "D": self.tr("the remaining {0} % of buyers").format(sh["D"])}
            zombie = [{"class": "zombie", "what": self.tr("never purchased (zombie)"), "members": sg.zombies,
                       "share_members": sg.zombies / sg.members if sg.members else None, "sales_fen": 0,
                       "share_sales": 0.0}]
        else:
            what = {"A": self.tr("frequent and big spenders"), "B": self.tr("frequent or big spenders"),
                    "C": self.tr("other buyers"), "D": self.tr("never purchased")}
            zombie = []
        self.abc_table.set_rows([a | {"what": what[a["class"]]} for a in sg.abc] + zombie)
        p = sg.pareto
        self.pareto_label.setText(self.tr("Pareto check: the top 20 % of buyers ({0}) bring {1} of member sales.").format(
            fmt_num(p["top_buyers"]), fmt_pct(p["top_share"])))

    def _fill_pyramid(self, sg: segments.Segmentation) -> None:
        c = self.pyramid_chart
        reset(c)
        order = ["D", "C", "B", "A"]  # bottom to top
        counts = {a["class"]: a["members"] for a in sg.abc}
        widest = max(counts.values()) or 1
        pad, bars = QBarSet(""), QBarSet(self.tr("Members"))
        pad.setColor(QColor(0, 0, 0, 0))
        pad.setBorderColor(QColor(0, 0, 0, 0))
        bars.setColor(QColor("#1565c0"))
        for k in order:
            pad.append((widest - counts[k]) / 2)
            bars.append(counts[k])
        series = QHorizontalStackedBarSeries()
        series.append(pad)
        series.append(bars)
        series.setBarWidth(0.9)
        bars.setLabelColor(QColor("white"))
        series.setLabelsVisible(True)
        series.clicked.connect(lambda index, barset: self.drill.emit({"abc": order[index]}) if barset.label() else None)
        self._pyramid_sets = (pad, bars)
        c.addSeries(series)
        ay = QBarCategoryAxis()
        ay.append([f"{k}  {counts[k]:,}" for k in order])
        ax = QValueAxis()
        ax.setRange(0, widest)
        ax.setVisible(False)
        c.addAxis(ay, Qt.AlignLeft)
        c.addAxis(ax, Qt.AlignBottom)
        series.attachAxis(ay)
        series.attachAxis(ax)
        c.legend().setVisible(False)
