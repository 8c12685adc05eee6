"""Overview: sales by day (members and the rest), traffic by hour, members by tier,
and the decomposition of member sales into traffic × conversion × repeat × AOV."""
from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QPieSeries, QStackedBarSeries, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from pos.analytics import reports

from .. import i18n
from .common import chart, fmt_num, fmt_pct, fmt_yuan, reset


class OverviewTab(QWidget):
    def __init__(self, program, parent: QWidget | None = None):
        super().__init__(parent)
        self.program = program
        g = QGridLayout(self)
        self.sales_chart, v1 = chart(self.tr("Sales by day (yuan)"))
        self.hour_chart, v2 = chart(self.tr("Traffic by hour (tickets, store time)"))
        self.tier_chart, v3 = chart(self.tr("Members by tier"))
        self.decomp_label = QLabel("")
        self.decomp_label.setWordWrap(True)
        self.decomp_label.setObjectName("decomposition")
        g.addWidget(v1, 0, 0, 1, 2)
        g.addWidget(v2, 1, 0)
        g.addWidget(v3, 1, 1)
        g.addWidget(self.decomp_label, 2, 0, 1, 2)

    def show_period(self, r: reports.PeriodReport) -> None:
        for step in self.steps(r):
            step()

    def steps(self, r: reports.PeriodReport) -> list:
        """Filling the tab as small steps (one chart each), for successive turns of the event loop."""
        return [lambda: self._fill_sales_chart(r), lambda: self._fill_hour_chart(r), lambda: self._fill_tier_chart(r),
                lambda: self._show_decomposition(r)]

    def _show_decomposition(self, r: reports.PeriodReport) -> None:
        d = r.decomposition
        self.decomp_label.setText(self.tr(
            "Member sales {0} = traffic {1} members × conversion {2} × repeat {3} × AOV {4} (residual {5} fen); "
            "non-member sales {6}.").format(
            fmt_yuan(d["member_sales_fen"]), fmt_num(d["traffic"]),
            "-" if d["conversion"] is None else f"{d['conversion'] * 100:.4f}%",
            "-" if d["repeat"] is None else f"{d['repeat']:.4f}",
            fmt_yuan(d["aov_fen"]), d["residual_fen"], fmt_yuan(d.get("non_member_sales_fen"))))

    def _fill_sales_chart(self, r: reports.PeriodReport) -> None:
        c = self.sales_chart
        reset(c)
        members, others = QBarSet(self.tr("Members")), QBarSet(self.tr("Non-members"))
        members.setColor(QColor("#1565c0"))
        others.setColor(QColor("#90caf9"))
        cats, top = [], 0.0
        for d in r.by_day:
            m, o = d["member_sales_fen"] / 100, (d["sales_fen"] - d["member_sales_fen"]) / 100
            members.append(m)
            others.append(o)
            cats.append(d["date"][5:])
            top = max(top, m + o, m, o)
        series = QStackedBarSeries()
        series.append(members)
        series.append(others)
        c.addSeries(series)
        ax = QBarCategoryAxis()
        ax.setLabelsFont(QFont(self.font().family(), 8))
        step = max(1, -(-len(cats) // 31))
        if len(cats) > 10:
            ax.setLabelsAngle(-90)
        ax.append([x if i % step == 0 else "\u200b" * (i + 1) for i, x in enumerate(cats)])  # every n-th date on long ranges
        ay = QValueAxis()
        ay.setRange(min(0.0, min((d["sales_fen"] / 100 for d in r.by_day), default=0)), max(top, 1.0) * 1.1)
        ay.applyNiceNumbers()
        ay.setLabelFormat("%.0f")
        ay.setLabelsFont(QFont(self.font().family(), 8))
        c.addAxis(ax, Qt.AlignBottom)
        c.addAxis(ay, Qt.AlignLeft)
        series.attachAxis(ax)
        series.attachAxis(ay)

    def _fill_hour_chart(self, r: reports.PeriodReport) -> None:
        c = self.hour_chart
        reset(c)
        tickets = QBarSet(self.tr("Tickets"))
        tickets.setColor(QColor("#2e7d32"))
        busy = [h["hour"] for h in r.by_hour if h["tickets"]]
        # the hours the store trades (at least 08–21), every label readable
        hours = range(min(busy + [8]), max(busy + [21]) + 1)
        for h in hours:
            tickets.append(r.by_hour[h]["tickets"])
        series = QBarSeries()
        series.append(tickets)
        c.addSeries(series)
        ax = QBarCategoryAxis()
        ax.append([str(h) for h in hours])
        ax.setLabelsFont(QFont(self.font().family(), 8))
        ay = QValueAxis()
        ay.setRange(0, max([h["tickets"] for h in r.by_hour] + [1]) * 1.1)
        ay.applyNiceNumbers()
        ay.setLabelFormat("%.0f")
        ay.setLabelsFont(QFont(self.font().family(), 8))
        c.addAxis(ax, Qt.AlignBottom)
        c.addAxis(ay, Qt.AlignLeft)
        series.attachAxis(ax)
        series.attachAxis(ay)
        c.legend().setVisible(False)

    def _fill_tier_chart(self, r: reports.PeriodReport) -> None:
        c = self.tier_chart
        reset(c)
        pie = QPieSeries()
        colours = ["#90a4ae", "#ff8f00", "#6a1b9a", "#00897b", "#c62828"]
        lang = "en" if i18n.current() == "en" else "zh"
        names = {lv.code: getattr(lv.name, lang, "") or lv.code for lv in (self.program.tiers.levels if self.program else [])}
        for i, t in enumerate(r.tiers):
            sl = pie.append(f"{names.get(t['tier'], t['tier'])} {t['members']:,} ({fmt_pct(t['share'])})", t["members"])
            sl.setColor(QColor(colours[i % len(colours)]))
            sl.setLabelVisible(t["members"] > 0)
        c.addSeries(pie)
        c.legend().setAlignment(Qt.AlignRight)
