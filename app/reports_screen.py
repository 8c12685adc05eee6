"""The store manager's reports screen (SPEC §9): pick a date range, read the KPI
tiles, the charts (sales by day, traffic by hour, tier distribution, the RFM heat
map, the ABC pyramid), sort and filter the tables, drill from a figure down to
its members, find the dormant VIPs on the churn watch list and send them a
win-back coupon, and export (CSV, XLSX) or print / save as PDF.

Every figure comes from `pos.analytics.reports` / `pos.analytics.segments` (headless), computed on
worker threads (QThreadPool) with a progress bar: the screen is usable at once
and fills in as the figures arrive. A result that arrives for an older date
range is dropped."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCharts import (
    QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QHorizontalStackedBarSeries, QPieSeries,
    QStackedBarSeries, QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel, QDate, QMargins, QModelIndex, QSize, QSortFilterProxyModel, Qt,
    QThreadPool, QTimer, Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QKeySequence, QShortcut, QPageSize, QPainter, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QDialog, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QMessageBox, QProgressBar, QPushButton, QSizePolicy, QSplitter, QTableView, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from pos.analytics import export as report_export, reports, segments
from pos.analytics.reports import Table

from . import i18n, labels
from pos import changes as domain_changes

from .operations import Changes, Operation


def _yuan(fen: int | float | None) -> str:
    return "-" if fen is None else f"¥{fen / 100:,.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _figure(key: str, value: Any) -> str:
    """A period figure as a manager reads it: yuan for fen, per cent for rates and shares."""
    if value is None:
        return "-"
    if key.endswith("_fen"):
        return _yuan(value)
    if key.endswith(("_rate", "_share_sales", "_share_transactions")) or key.startswith("member_share"):
        return _pct(value)
    if key.endswith("_per_basket"):
        return f"{value:.2f}"
    return _num(value)


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.2f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


# --- models and small widgets ------------------------------------------------------------------


class RowsModel(QAbstractTableModel):
    """Rows of dicts; each column (key, header, formatter). Qt.UserRole holds the raw
    value so a QSortFilterProxyModel sorts numbers as numbers."""

    def __init__(self, columns: list[tuple[str, str, Callable[[Any], str]]], parent=None):
        super().__init__(parent)
        self.columns = columns
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    _ROLES = (Qt.DisplayRole, Qt.UserRole, Qt.TextAlignmentRole)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if role not in self._ROLES or not index.isValid():  # views ask for many roles: answer those cheaply
            return None
        key, _header, fmt = self.columns[index.column()]
        value = self.rows[index.row()].get(key)
        if role == Qt.DisplayRole:
            return fmt(value)
        if role == Qt.UserRole:
            return value if value is not None else ""
        if role == Qt.TextAlignmentRole and isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.columns[section][1]
        return None


class FilterTable(QWidget):
    """A sortable, filterable table: a filter box over a QTableView on a proxy."""

    activated = Signal(dict)

    def __init__(self, columns, placeholder: str, parent=None):
        super().__init__(parent)
        self.model = RowsModel(columns, self)
        self._sized = False
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(placeholder)
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        lay.addWidget(self.filter)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.AscendingOrder)  # the report's own order until a header is clicked
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setResizeContentsPrecision(50)  # size columns on 50 rows, not 5,000
        self.view.doubleClicked.connect(lambda ix: self.activated.emit(self.model.rows[self.proxy.mapToSource(ix).row()]))
        lay.addWidget(self.view)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.model.set_rows(rows)
        if rows and not self._sized:  # once: later fills keep the widths (and whatever the user dragged)
            self.view.resizeColumnsToContents()
            self._sized = True

    def selected_rows(self) -> list[dict[str, Any]]:
        picked = {self.proxy.mapToSource(ix).row() for ix in self.view.selectionModel().selectedRows()}
        return [self.model.rows[r] for r in sorted(picked)]

    def visible_rows(self) -> list[dict[str, Any]]:
        return [self.model.rows[self.proxy.mapToSource(self.proxy.index(r, 0)).row()] for r in range(self.proxy.rowCount())]


class KpiTile(QFrame):
    """One figure: title, big value, a line of context; clickable when a member list stands behind it."""

    clicked = Signal(str)

    def __init__(self, key: str, title: str, parent=None):
        super().__init__(parent)
        self.key = key
        self.drill: str | None = None
        self.setObjectName("kpiTile")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#kpiTile { background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px; }"
                           "#kpiTile[drill=\"true\"]:hover { border: 1px solid #1565c0; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(0)
        self.title = QLabel(title)
        self.title.setStyleSheet("color: #57606a; font-size: 12px;")
        self.value = QLabel("…")
        self.value.setObjectName("kpiValue")
        self._fit()
        self.sub = QLabel("")
        self.sub.setStyleSheet("color: #57606a; font-size: 11px;")
        self.sub.setWordWrap(False)
        for w in (self.title, self.value, self.sub):
            lay.addWidget(w)
        self.setMinimumWidth(120)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    VALUE_PX = 22

    def _fit(self) -> None:
        """The value's font shrinks (to 13 px at least) until it fits the tile: on a
        1024-pixel till ¥150,741.14 must not be cut."""
        font = QFont(self.value.font())
        size = self.VALUE_PX
        room = self.width() - 22 if self.width() > 40 else 10**6
        while size > 13:
            font.setPixelSize(size)
            font.setBold(True)
            if QFontMetrics(font).horizontalAdvance(self.value.text()) <= room:
                break
            size -= 1
        self.value.setStyleSheet(f"font-size: {size}px; font-weight: bold; color: #0d47a1;")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def set(self, value: str, sub: str = "", drill: str | None = None, tip: str = "") -> None:
        self.value.setText(value)
        self._fit()
        self.sub.setText(sub)
        self.setToolTip(tip or sub)
        self.drill = drill
        self.setProperty("drill", drill is not None)
        self.setCursor(Qt.PointingHandCursor if drill else Qt.ArrowCursor)
        self.style().unpolish(self)
        self.style().polish(self)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.drill and event.button() == Qt.LeftButton:
            self.clicked.emit(self.key)
        super().mousePressEvent(event)


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.NoAnimation)
    chart.legend().setAlignment(Qt.AlignBottom)
    chart.setMargins(QMargins(4, 4, 4, 4))
    view = QChartView(chart)
    view.setRenderHint(QPainter.Antialiasing)
    view.setMinimumHeight(220)
    return chart, view


def _reset(chart: QChart) -> None:
    chart.removeAllSeries()
    for axis in list(chart.axes()):
        chart.removeAxis(axis)


# --- the screen --------------------------------------------------------------------------------


class ReportsScreen(QWidget):
    """Reports for the store manager. `ReportsScreen(db, program, parent=None)`."""

    computed = Signal(str)  # a job kind whose figures are now on screen
    ready_changed = Signal(bool)

    TILES = ("sales", "transactions", "aov", "items", "member_share", "non_member", "new_members", "conversion",
             "repeat", "churn", "liability", "coupons", "stored_value")

    def __init__(self, db, program, parent: QWidget | None = None, actor: str = "manager"):
        super().__init__(parent)
        self.db, self.program, self.actor = db, program, actor
        self.period_report: reports.PeriodReport | None = None
        self.segmentation: segments.Segmentation | None = None
        self.churn: segments.ChurnList | None = None
        self.drill_title = ""
        self._generation = 0
        self._results_cache: dict[tuple, Any] = {}  # segments and churn lists by (what, end, …, high-water marks)
        self._pending: set[str] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.setObjectName("reportsScreen")
        self.setWindowTitle(self.tr("Reports — store {0}").format(db.store_code))
        self._build()
        today = db.clock.today()
        self.set_range(today, today, refresh=False)
        QTimer.singleShot(0, self.refresh)

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Period from")))
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for e in (self.from_edit, self.to_edit):
            e.setCalendarPopup(True)
            e.setDisplayFormat("yyyy-MM-dd")
        bar.addWidget(self.from_edit)
        bar.addWidget(QLabel(self.tr("until")))
        bar.addWidget(self.to_edit)
        for label, days in ((self.tr("Today"), 1), (self.tr("7 days"), 7), (self.tr("30 days"), 30), (self.tr("90 days"), 90)):
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, n=days: self._preset(n))
            bar.addWidget(b)
        self.refresh_btn = QPushButton(self.tr("Show"))
        self.refresh_btn.setDefault(True)
        self.refresh_btn.clicked.connect(self.refresh)
        bar.addWidget(self.refresh_btn)
        bar.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        bar.addWidget(self.progress)
        self.csv_btn = QPushButton(self.tr("Export CSV…"))
        self.csv_btn.clicked.connect(lambda: self._ask_path(self.tr("Export CSV"), "csv", self.export_csv))
        self.xlsx_btn = QPushButton(self.tr("Export Excel…"))
        self.xlsx_btn.clicked.connect(lambda: self._ask_path(self.tr("Export Excel"), "xlsx", self.export_xlsx))
        self.pdf_btn = QPushButton(self.tr("PDF…"))
        self.pdf_btn.clicked.connect(lambda: self._ask_path(self.tr("Save as PDF"), "pdf", self.save_pdf))
        self.print_btn = QPushButton(self.tr("Print…"))
        self.print_btn.clicked.connect(self.print_report)
        lay.addLayout(bar)
        # second row: what is shown, and the exports (a 1024-pixel till screen holds both rows)
        row2 = QHBoxLayout()
        self.status = QLabel("")
        self.status.setObjectName("caption")
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        row2.addWidget(self.status, 1)
        for b in (self.csv_btn, self.xlsx_btn, self.pdf_btn, self.print_btn):
            row2.addWidget(b)
        lay.addLayout(row2)

        grid = QGridLayout()
        grid.setSpacing(6)
        titles = {
            "sales": self.tr("Sales (net of refunds)"), "transactions": self.tr("Transactions"),
            "aov": self.tr("Average order value"), "items": self.tr("Items per basket"),
            "member_share": self.tr("Member share of sales"), "non_member": self.tr("Non-member sales"),
            "new_members": self.tr("New members"), "conversion": self.tr("Joined → first purchase"),
            "repeat": self.tr("Repeat-purchase rate"), "churn": self.tr("Churn rate"),
            "liability": self.tr("Points liability"), "coupons": self.tr("Coupons redeemed / issued"),
            "stored_value": self.tr("Stored value balance"),
        }
        self.tiles: dict[str, KpiTile] = {}
        for i, key in enumerate(self.TILES):
            t = KpiTile(key, titles[key])
            t.clicked.connect(self._tile_clicked)
            self.tiles[key] = t
            grid.addWidget(t, i // 7, i % 7)
        for col in range(7):
            grid.setColumnStretch(col, 1)
        lay.addLayout(grid)

        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        self._build_overview()
        self._build_rfm()
        self._build_pyramid()
        self._build_churn()
        self._build_details()
        self._build_members()
        self._keys()

    def _keys(self) -> None:
        """Every action has a key: F5 recompute, Ctrl+1…6 the tabs, Ctrl+E Excel,
        Ctrl+Shift+E CSV, Ctrl+Shift+P PDF, Ctrl+P print (shown in the tooltips)."""
        for key, slot, button in (
                ("F5", self.refresh, self.refresh_btn),
                ("Ctrl+E", lambda: self._ask_path(self.tr("Export Excel"), "xlsx", self.export_xlsx), self.xlsx_btn),
                ("Ctrl+Shift+E", lambda: self._ask_path(self.tr("Export CSV"), "csv", self.export_csv), self.csv_btn),
                ("Ctrl+Shift+P", lambda: self._ask_path(self.tr("Save as PDF"), "pdf", self.save_pdf), self.pdf_btn),
                ("Ctrl+P", self.print_report, self.print_btn)):
            QShortcut(QKeySequence(key), self, activated=slot)
            button.setToolTip(key)
        for i in range(self.tabs.count()):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self.tabs.setCurrentIndex(i))
            self.tabs.setTabToolTip(i, f"Ctrl+{i + 1}")

    def _build_overview(self) -> None:
        w = QWidget()
        g = QGridLayout(w)
        self.sales_chart, v1 = _chart(self.tr("Sales by day (yuan)"))
        self.hour_chart, v2 = _chart(self.tr("Traffic by hour (tickets, store time)"))
        self.tier_chart, v3 = _chart(self.tr("Members by tier"))
        self.decomp_label = QLabel("")
        self.decomp_label.setWordWrap(True)
        self.decomp_label.setObjectName("decomposition")
        g.addWidget(v1, 0, 0, 1, 2)
        g.addWidget(v2, 1, 0)
        g.addWidget(v3, 1, 1)
        g.addWidget(self.decomp_label, 2, 0, 1, 2)
        self.tabs.addTab(w, self.tr("Overview"))

    def _build_rfm(self) -> None:
        w = QWidget()
        lay = QHBoxLayout(w)
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
        self.heat.cellClicked.connect(self._heat_clicked)
        left.addWidget(QLabel(self.tr("RFM heat map: recency ↓, frequency →")))
        left.addWidget(self.heat, 1)
        self.rule_label = QLabel("")
        self.rule_label.setWordWrap(True)
        self.rule_label.setObjectName("caption")
        left.addWidget(self.rule_label)
        lay.addLayout(left, 3)
        right = QVBoxLayout()
        self.groups_table = FilterTable([("kind", self.tr("By"), str), ("group_name", self.tr("Group"), str),
                                         ("members", self.tr("Members"), _num),
                                         ("share", self.tr("Share"), _pct)], self.tr("Filter groups"))
        self.groups_table.activated.connect(lambda row: self.drill_segment(**row["drill"]))
        right.addWidget(QLabel(self.tr("Named groups (double-click for the members)")))
        right.addWidget(self.groups_table, 1)
        self.tags_btn = QPushButton(self.tr("Update member tags shown at the till"))
        self.tags_btn.setObjectName("writeTags")
        self.tags_btn.setToolTip(self.tr("Gives every member their group names as tags (活跃会员, 沉睡会员, 重度消费 …)"))
        self.tags_btn.clicked.connect(self.write_tags)
        right.addWidget(self.tags_btn)
        lay.addLayout(right, 2)
        self.tabs.addTab(w, self.tr("RFM"))

    def _build_pyramid(self) -> None:
        w = QWidget()
        lay = QHBoxLayout(w)
        self.pyramid_chart, view = _chart(self.tr("ABC(D) pyramid: members by class"))
        lay.addWidget(view, 2)
        right = QVBoxLayout()
        self.pareto_label = QLabel("")
        self.pareto_label.setWordWrap(True)
        self.pareto_label.setObjectName("pareto")
        self.pareto_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        right.addWidget(self.pareto_label)
        self.abc_table = FilterTable([
            ("class", self.tr("Class"), str), ("what", self.tr("Who"), str), ("members", self.tr("Members"), _num),
            ("share_members", self.tr("% of members"), _pct), ("sales_fen", self.tr("Sales"), _yuan),
            ("share_sales", self.tr("% of sales"), _pct)], self.tr("Filter"))
        self.abc_table.activated.connect(lambda row: self.drill_segment(abc=row["class"]))
        self.abc_table.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        right.addWidget(self.abc_table, 1)
        lay.addLayout(right, 3)
        self.tabs.addTab(w, self.tr("Pyramid"))

    def _build_churn(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
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
        self.churn_btn.clicked.connect(self.load_churn)
        row.addWidget(self.churn_btn)
        row.addStretch(1)
        self.issue_btn = QPushButton(self.tr("Issue win-back coupon to selected"))
        self.issue_btn.setObjectName("issueWinBack")
        self.issue_btn.clicked.connect(lambda: self.issue_win_back())
        row.addWidget(self.issue_btn)
        self.churn_export_btn = QPushButton(self.tr("Export list…"))
        self.churn_export_btn.clicked.connect(lambda: self._ask_path(self.tr("Export the list"), "xlsx", self.export_churn))
        row.addWidget(self.churn_export_btn)
        lay.addLayout(row)
        self.churn_label = QLabel("")
        lay.addWidget(self.churn_label)
        self.churn_table = FilterTable(self._member_columns(), self.tr("Filter by name, code, phone, tier…"))
        self.churn_table.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        lay.addWidget(self.churn_table, 1)
        self.tabs.addTab(w, self.tr("Churn watch"))

    def _build_details(self) -> None:
        w = QSplitter(Qt.Vertical)
        top = QSplitter(Qt.Horizontal)
        self.cashier_table = FilterTable([
            ("cashier", self.tr("Cashier"), lambda v: v or self.tr("(none)")), ("sales_fen", self.tr("Sales"), _yuan),
            ("transactions", self.tr("Transactions"), _num), ("aov_fen", self.tr("AOV"), _yuan),
            ("refunds_fen", self.tr("Refunds"), _yuan), ("member_share_sales", self.tr("Member share"), _pct)],
            self.tr("Filter cashiers"))
        self.hour_table = FilterTable([
            ("hour", self.tr("Hour"), lambda h: f"{h:02d}:00"), ("tickets", self.tr("Tickets"), _num),
            ("member_tickets", self.tr("Member tickets"), _num), ("sales_fen", self.tr("Sales"), _yuan)],
            self.tr("Filter hours"))
        top.addWidget(self.cashier_table)
        top.addWidget(self.hour_table)
        bottom = QSplitter(Qt.Horizontal)
        self.moves_table = FilterTable([
            ("from_tier", self.tr("From"), self._tier_name), ("to_tier", self.tr("To"), self._tier_name),
            ("reason", self.tr("Reason"), labels.tier_reason), ("direction", self.tr("Direction"), labels.tier_reason),
            ("members", self.tr("Members"), _num)], self.tr("Filter tier moves"))
        # the row keeps its key (`metric`) for the exports; the screen shows words only
        self.summary_table = FilterTable([("label", self.tr("Figure"), str), ("shown", self.tr("Value"), str)],
                                         self.tr("Filter figures"))
        bottom.addWidget(self.moves_table)
        bottom.addWidget(self.summary_table)
        w.addWidget(top)
        w.addWidget(bottom)
        self.tabs.addTab(w, self.tr("Details"))

    def _build_members(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        self.members_label = QLabel(self.tr("Click a KPI tile, a heat-map cell, a group or a pyramid class to list its members."))
        self.members_label.setObjectName("drillTitle")
        row.addWidget(self.members_label, 1)
        b = QPushButton(self.tr("Export list…"))
        b.clicked.connect(lambda: self._ask_path(self.tr("Export the list"), "xlsx", self.export_members))
        row.addWidget(b)
        lay.addLayout(row)
        self.members_table = FilterTable(self._member_columns(), self.tr("Filter by name, code, phone, tier…"))
        lay.addWidget(self.members_table, 1)
        self.members_tab = self.tabs.addTab(w, self.tr("Members"))

    def _figure_labels(self) -> dict[str, str]:
        """Readable names of the period figures (the exports keep the keys)."""
        return {
            "sales_fen": self.tr("Sales (net of refunds)"),
            "sale_tickets_fen": self.tr("Sales on sale tickets"),
            "refunds_fen": self.tr("Refunds"),
            "transactions": self.tr("Transactions"),
            "sale_tickets": self.tr("Sale tickets"),
            "return_tickets": self.tr("Return tickets"),
            "cancelled_sales": self.tr("Sales taken back in full"),
            "aov_fen": self.tr("Average order value"),
            "items": self.tr("Items"),
            "items_per_basket": self.tr("Items per basket"),
            "member_sales_fen": self.tr("Member sales"),
            "member_transactions": self.tr("Member transactions"),
            "member_aov_fen": self.tr("Member AOV"),
            "member_items_per_basket": self.tr("Member items per basket"),
            "non_member_sales_fen": self.tr("Non-member sales"),
            "non_member_transactions": self.tr("Non-member transactions"),
            "non_member_aov_fen": self.tr("Non-member AOV"),
            "member_share_sales": self.tr("Member share of sales"),
            "member_share_transactions": self.tr("Member share of transactions"),
            "members_total": self.tr("Members (base)"),
            "buyers": self.tr("Members who bought"),
            "repeat_buyers": self.tr("Members who bought twice or more"),
            "repeat_purchase_rate": self.tr("Repeat-purchase rate"),
            "new_members": self.tr("New members"),
            "new_members_converted": self.tr("New members who bought"),
            "conversion_rate": self.tr("Joined → first purchase"),
            "churn_days": self.tr("Churn window (days)"),
            "churn_base": self.tr("Buyers of the window before"),
            "churned": self.tr("Of them, no purchase since"),
            "churn_rate": self.tr("Churn rate"),
            "points_earned": self.tr("Points earned"),
            "points_bonus": self.tr("Bonus points"),
            "points_taken_back": self.tr("Points taken back on returns"),
            "points_issued": self.tr("Points issued"),
            "points_redeemed_gross": self.tr("Points redeemed (gross)"),
            "points_refunded": self.tr("Points given back on returns"),
            "points_redeemed": self.tr("Points redeemed"),
            "points_expired": self.tr("Points expired"),
            "points_adjusted": self.tr("Points adjusted"),
            "points_outstanding": self.tr("Points outstanding"),
            "points_liability_fen": self.tr("Points liability"),
            "points_liability_yuan": self.tr("Points liability (yuan)"),
            "coupons_issued": self.tr("Coupons issued"),
            "coupons_issued_used": self.tr("Of them, used"),
            "coupon_redemption_rate": self.tr("Coupon redemption rate"),
            "coupons_redeemed": self.tr("Coupons redeemed here"),
            "coupons_redeemed_fen": self.tr("Coupon value redeemed"),
            "sv_topup_fen": self.tr("Stored value topped up"),
            "sv_bonus_fen": self.tr("Top-up bonus"),
            "sv_in_fen": self.tr("Stored value in"),
            "sv_spent_fen": self.tr("Paid from stored value"),
            "sv_refunded_fen": self.tr("Refunded to stored value"),
            "sv_out_fen": self.tr("Stored value out"),
            "sv_other_fen": self.tr("Stored value, other movements"),
            "sv_balance_fen": self.tr("Stored value balance"),
        }

    def _tier_name(self, code: str) -> str:
        """The tier's name in the program (普通会员, VIP …), its code if the program has none."""
        lang = "en" if i18n.current() == "en" else "zh"
        for lv in (self.program.tiers.levels if self.program is not None else []):
            if lv.code == code:
                return getattr(lv.name, lang, None) or code
        return code or ""

    def _member_columns(self):
        return [("member_code", self.tr("Member code"), str), ("name", self.tr("Name"), str),
                ("phone_masked", self.tr("Phone"), str), ("tier", self.tr("Tier"), self._tier_name),
                ("last_purchase", self.tr("Last purchase"), lambda v: v or "-"),
                ("days_since", self.tr("Days since"), _num), ("frequency", self.tr("Visits"), _num),
                ("monetary_fen", self.tr("Spent"), _yuan), ("joined", self.tr("Joined"), str)]

    # -- running ------------------------------------------------------------------------------

    @property
    def start(self) -> dt.date:
        return self.from_edit.date().toPython()

    @property
    def end(self) -> dt.date:
        return self.to_edit.date().toPython()

    @property
    def ready(self) -> bool:
        """Every figure of the current range is on screen."""
        return not self._pending and self.period_report is not None and self.segmentation is not None

    def set_range(self, start: dt.date, end: dt.date, refresh: bool = True) -> None:
        self.from_edit.setDate(QDate(start.year, start.month, start.day))
        self.to_edit.setDate(QDate(end.year, end.month, end.day))
        if refresh:
            self.refresh()

    def _preset(self, days: int) -> None:
        end = self.db.clock.today()
        self.set_range(end - dt.timedelta(days=days - 1), end)

    def _submit(self, kind: str, fn: Callable[[], Any], changes: Changes | None = None) -> None:
        """One figure computed as an `app.operations.Operation` on this screen's pool."""
        generation = self._generation
        op = Operation(self, fn, name=f"report-{kind}", pool=self.pool, changes=changes)
        op.success(lambda result: self._job_done(kind, generation, result))
        op.failure(lambda message, _exc: self._job_failed(kind, generation, message))
        self._pending.add(kind)
        self._show_progress()
        op.run_in_background()

    def refresh(self) -> None:
        """Recompute every figure for the chosen range (older results are dropped)."""
        start, end = self.start, self.end
        if end < start:
            self.status.setText(self.tr("The range ends before it starts."))
            return
        self._generation += 1
        self._pending.clear()
        self.period_report = self.segmentation = None
        self._total_jobs = 3
        for t in self.tiles.values():
            t.set("…")
        db, program = self.db, self.program
        self._submit("period", lambda: reports.period(db, program, start, end))
        self._submit("segments", self._cached(("segments", end), lambda: segments.segmentation(db, end)))
        self.load_churn()

    def load_churn(self) -> None:
        db, end = self.db, self.end
        days, tier = self.days_combo.currentData(), self.tier_combo.currentData()
        self._submit("churn", self._cached(("churn", end, days, tier),
                                           lambda: segments.churn_watch(db, end, days, tier=tier, limit=5000)))

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Callable[[], Any]:
        """Segments depend on the end date only: changing the period's start, or
        coming back to a range, reuses them (seconds at chain size) as long as no
        sale and no member was added since (the stores' high-water marks)."""
        key = key + segments.high_water(self.db)
        cache = self._results_cache

        def run():
            if key not in cache:
                cache[key] = compute()
            return cache[key]

        return run

    def _show_progress(self) -> None:
        total = max(getattr(self, "_total_jobs", 1), len(self._pending))
        done = max(0, total - len(self._pending))
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(self.tr("Computing… %v/%m") if self._pending else self.tr("Up to date"))
        self.status.setText(self.tr("Computing the figures in the background — the screen stays usable.")
                            if self._pending else self.tr("Figures for {0} .. {1}, store time ({2}).").format(
                                self.start.isoformat(), self.end.isoformat(), self.db.clock.tz))

    def _job_done(self, kind: str, generation: int, result: Any) -> None:
        if kind == "tags":
            self.tags_btn.setEnabled(True)  # written whatever range is shown now
            generation = self._generation
        if generation != self._generation:
            return  # a result for a range that is no longer shown
        self._pending.discard(kind)
        self._show_progress()  # first: a job's own message (tags) must not be overwritten
        {"period": self._show_period, "segments": self._show_segments, "churn": self._show_churn,
         "drill": self._show_drill, "tags": self._show_tags}[kind](result)
        self.computed.emit(kind)
        if self.ready:
            self.ready_changed.emit(True)

    def _job_failed(self, kind: str, generation: int, message: str) -> None:
        if kind == "tags":
            self.tags_btn.setEnabled(True)
            generation = self._generation
        if generation != self._generation:
            return
        self._pending.discard(kind)
        self._show_progress()
        self.status.setText(self.tr("Could not compute {0}: {1}").format(kind, message))

    # -- showing ------------------------------------------------------------------------------

    def _show_period(self, r: reports.PeriodReport) -> None:
        self.period_report = r
        s = r.summary
        tl = self.tiles
        tl["sales"].set(_yuan(s["sales_fen"]), self.tr("refunds {0}").format(_yuan(s["refunds_fen"])), "buyers")
        tl["transactions"].set(_num(s["transactions"]), self.tr("{0} tickets, {1} returns").format(
            _num(s["sale_tickets"]), _num(s["return_tickets"])), "buyers",
            tip=self.tr("Sale tickets minus returns that took a whole sale back ({0})").format(s["cancelled_sales"]))
        tl["aov"].set(_yuan(s["aov_fen"]), self.tr("members {0}").format(_yuan(s["member_aov_fen"])), "buyers",
                      tip=self.tr("members {0} · non-members {1}").format(
                          _yuan(s["member_aov_fen"]), _yuan(s["non_member_aov_fen"])))
        tl["items"].set("-" if s["items_per_basket"] is None else f"{s['items_per_basket']:.2f}",
                        self.tr("{0} units").format(s["items"]), "buyers")
        tl["member_share"].set(_pct(s["member_share_sales"]), self.tr("{0} of transactions").format(
            _pct(s["member_share_transactions"])), "buyers")
        tl["non_member"].set(_yuan(s["non_member_sales_fen"]), self.tr("{0} transactions").format(s["non_member_transactions"]))
        tl["new_members"].set(_num(s["new_members"]), self.tr("of {0} members").format(_num(s["members_total"])), "new_members")
        tl["conversion"].set(_pct(s["conversion_rate"]), self.tr("{0} of {1} bought").format(
            s["new_members_converted"], s["new_members"]), "not_converted")
        tl["repeat"].set(_pct(s["repeat_purchase_rate"]), self.tr("{0} of {1} buyers").format(
            s["repeat_buyers"], s["buyers"]), "repeat_buyers")
        tl["churn"].set(_pct(s["churn_rate"]), self.tr("{0} of {1} quiet {2} days").format(
            _num(s["churned"]), _num(s["churn_base"]), s["churn_days"]), "churned",
            tip=self.tr("Of the members who bought in the {0} days before the period, those with no purchase in the "
                        "{0} days up to its end").format(s["churn_days"]))
        tl["liability"].set(_yuan(s["points_liability_fen"]), self.tr("{0} points outstanding").format(_num(s["points_outstanding"])),
                            "points_holders", tip=self.tr("In the period: issued {0}, redeemed {1}, expired {2} points").format(
                                _num(s["points_issued"]), _num(s["points_redeemed"]), _num(s["points_expired"])))
        tl["coupons"].set(f"{s['coupons_redeemed']} / {s['coupons_issued']}", self.tr("redemption rate {0}").format(
            _pct(s["coupon_redemption_rate"])), "coupon_users")
        tl["stored_value"].set(_yuan(s["sv_balance_fen"]), self.tr("in {0} · out {1}").format(
            _yuan(s["sv_in_fen"]), _yuan(s["sv_out_fen"])), "stored_value_holders")
        self._fill_sales_chart(r)
        self._fill_hour_chart(r)
        self._fill_tier_chart(r)
        d = r.decomposition
        self.decomp_label.setText(self.tr(
            "Member sales {0} = traffic {1} members × conversion {2} × repeat {3} × AOV {4} (residual {5} fen); "
            "non-member sales {6}.").format(
            _yuan(d["member_sales_fen"]), _num(d["traffic"]),
            "-" if d["conversion"] is None else f"{d['conversion'] * 100:.4f}%",
            "-" if d["repeat"] is None else f"{d['repeat']:.4f}",
            _yuan(d["aov_fen"]), d["residual_fen"], _yuan(d.get("non_member_sales_fen"))))
        self.cashier_table.set_rows(r.cashiers)
        self.hour_table.set_rows(r.by_hour)
        self.moves_table.set_rows(r.tier_moves)
        names = self._figure_labels()
        self.summary_table.set_rows([{"label": names.get(k, k), "shown": _figure(k, v), "metric": k, "value": v}
                                     for k, v in s.items()])

    def _fill_sales_chart(self, r: reports.PeriodReport) -> None:
        c = self.sales_chart
        _reset(c)
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
        _reset(c)
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
        _reset(c)
        pie = QPieSeries()
        colours = ["#90a4ae", "#ff8f00", "#6a1b9a", "#00897b", "#c62828"]
        lang = "en" if i18n.current() == "en" else "zh"
        names = {lv.code: getattr(lv.name, lang, "") or lv.code for lv in (self.program.tiers.levels if self.program else [])}
        for i, t in enumerate(r.tiers):
            sl = pie.append(f"{names.get(t['tier'], t['tier'])} {t['members']:,} ({_pct(t['share'])})", t["members"])
            sl.setColor(QColor(colours[i % len(colours)]))
            sl.setLabelVisible(t["members"] > 0)
        c.addSeries(pie)
        c.legend().setAlignment(Qt.AlignRight)

    def _show_segments(self, sg: segments.Segmentation) -> None:
        self.segmentation = sg
        self._fill_heat()
        names = {"active": self.tr("Active (< 90 days)"), "recently_lapsed": self.tr("Recently lapsed (90–179 days)"),
                 "mid_lapsed": self.tr("Mid-term lapsed (180–364 days)"), "dormant": self.tr("Dormant (≥ 365 days)"),
                 "never_purchased": self.tr("Never purchased"), "heavy": self.tr("Heavy (ABC A + B)"),
                 "light": self.tr("Light (ABC C)"), "zombie": self.tr("Zombie (never purchased)")}
        self._group_names = names
        share = lambda n: n / sg.members if sg.members else None  # noqa: E731
        rows = [{"kind": self.tr("Recency"), "group_name": names[g], "members": n, "share": share(n),
                 "drill": {"group": g}} for g, n in sg.groups.items()]
        rows += [{"kind": self.tr("Value"), "group_name": names[v], "members": n, "share": share(n),
                  "drill": {"value": v}} for v, n in sg.value.items() if v != "zombie"]
        self.groups_table.set_rows(rows)
        self.rule_label.setText(self.tr(
            "As of {0}: {1} members, {2} buyers. Each score is the quintile of the distinct values (5 = most recent / "
            "most frequent / biggest spender); equal members share a score.").format(
            sg.as_of.isoformat(), _num(sg.members), _num(sg.buyers)))
        what = {"A": self.tr("frequent and big spenders"), "B": self.tr("frequent or big spenders"),
                "C": self.tr("other buyers"), "D": self.tr("never purchased")}
        self.abc_table.set_rows([a | {"what": what[a["class"]]} for a in sg.abc])
        p = sg.pareto
        self.pareto_label.setText(self.tr("Pareto check: the top 20 % of buyers ({0}) bring {1} of member sales.").format(
            _num(p["top_buyers"]), _pct(p["top_share"])))
        self._fill_pyramid(sg)

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

    def _fill_pyramid(self, sg: segments.Segmentation) -> None:
        c = self.pyramid_chart
        _reset(c)
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
        series.clicked.connect(lambda index, barset: self.drill_segment(abc=order[index]) if barset.label() else None)
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

    def _show_churn(self, cl: segments.ChurnList) -> None:
        self.churn = cl
        self.churn_table.set_rows(cl.members)
        self.churn_label.setText(self.tr("{0} member(s) with no purchase in {1} days as of {2}{3}, most valuable first.").format(
            _num(cl.total), cl.days, cl.as_of.isoformat(), f" ({self._tier_name(cl.tier)})" if cl.tier else ""))

    def _show_drill(self, result) -> None:
        title, rows = result
        self.drill_title = title
        self.members_label.setText(self.tr("{0}: {1} member(s)").format(title, len(rows)))
        self.members_table.set_rows(rows)
        self.tabs.setCurrentIndex(self.members_tab)

    # -- drill-down ---------------------------------------------------------------------------

    def _tile_clicked(self, key: str) -> None:
        figure = self.tiles[key].drill
        if figure:
            self.drill_figure(figure)

    def drill_figure(self, figure: str) -> None:
        """The members a period figure counts (buyers, new members, churned …)."""
        db, program, start, end = self.db, self.program, self.start, self.end
        titles = {"buyers": self.tr("Member buyers"), "repeat_buyers": self.tr("Repeat buyers"),
                  "new_members": self.tr("New members"), "converted": self.tr("New members who bought"),
                  "not_converted": self.tr("New members who have not bought yet"), "churned": self.tr("Members gone quiet"),
                  "points_holders": self.tr("Members holding points"), "coupon_users": self.tr("Members who used a coupon here"),
                  "stored_value_holders": self.tr("Members with stored value")}
        title = f"{titles[figure]} · {start} .. {end}"
        self._total_jobs = len(self._pending) + 1
        self._submit("drill", lambda: (title, reports.members_behind(db, program, start, end, figure, limit=5000)))

    def drill_segment(self, **filters) -> None:
        """The members of an RFM cell, a named group or an ABC class."""
        db, end = self.db, self.end
        names = getattr(self, "_group_names", {})
        parts = []
        for k, v in filters.items():
            if k in ("group", "value"):
                parts.append(names.get(v, str(v)))
            elif k == "abc":
                parts.append(self.tr("class {0}").format(v))
            else:
                parts.append(f"{k.upper()}{v}")
        as_of = self.tr("as of")
        title = self.tr("Segment") + " " + " · ".join(parts) + f" · {as_of} {end}"
        self._total_jobs = len(self._pending) + 1
        self._submit("drill", lambda: (title, segments.members(db, end, limit=5000, **filters)))

    def _heat_clicked(self, row: int, col: int) -> None:
        m = self.m_combo.currentData()
        self.drill_segment(r=5 - row, f=col + 1, **({"m": m} if m else {}))

    # -- actions ------------------------------------------------------------------------------

    def issue_win_back(self, member_ids: list[str] | None = None, confirm: bool = True):
        """Issue the program's win-back coupon to the selected members of the churn list."""
        ids = member_ids if member_ids is not None else [r["id"] for r in self.churn_table.selected_rows()]
        if not ids:
            self.status.setText(self.tr("Select members on the churn list first."))
            return None
        wb = self.program.issuance.win_back if self.program is not None else None
        if wb is None:
            self.status.setText(self.tr("The program has no win-back coupon."))
            return None
        if confirm and QMessageBox.question(
                self, self.tr("Win-back coupon"),
                self.tr("Issue a {0} coupon to {1} member(s)?").format(wb.template, len(ids))) != QMessageBox.Yes:
            return None
        result = segments.issue_win_back(self.db, self.program, ids, actor=self.actor)
        if result.issued:  # the member panel on the till shows the new coupon
            domain_changes.publish("coupons", [i["member_id"] for i in result.issued])
            domain_changes.publish("members", [i["member_id"] for i in result.issued])
        self.status.setText(self.tr("Issued {0} win-back coupon(s); skipped {1} (already holding one or not active).").format(
            len(result.issued), len(result.skipped)))
        return result

    def write_tags(self) -> None:
        """Segment names as derived member tags (as of the range's end), off the GUI thread."""
        db, end = self.db, self.end
        self.tags_btn.setEnabled(False)
        self._submit("tags", lambda: segments.write_tags(db, end), changes=Changes.of(tags=True, members=True))

    def _show_tags(self, result: dict) -> None:
        self.status.setText(self.tr("Member tags updated as of {0}: {1} added, {2} removed.").format(
            result["as_of"], _num(result["added"]), _num(result["removed"])))

    def tables(self) -> list[Table]:
        out: list[Table] = []
        if self.period_report is not None:
            out += self.period_report.tables()
        if self.segmentation is not None:
            out += self.segmentation.rfm_tables() + self.segmentation.abc_tables()
        if self.churn is not None:
            out += self.churn.tables()
        return out

    def export_csv(self, path) -> Path:
        return report_export.save_csv(self.tables(), path)

    def export_xlsx(self, path) -> Path:
        return report_export.save_xlsx(self.tables(), path, title=self.windowTitle())

    def export_churn(self, path) -> Path:
        t = self.churn.tables() if self.churn is not None else []
        return report_export.save_csv(t, path) if str(path).endswith(".csv") else report_export.save_xlsx(t, path)

    def export_members(self, path) -> Path:
        cols = ["member_code", "name", "phone_masked", "tier", "last_purchase", "days_since", "frequency",
                "monetary_fen", "joined", "id"]
        t = [Table("members", cols, [[r.get(c) for c in cols] for r in self.members_table.visible_rows()])]
        return report_export.save_csv(t, path) if str(path).endswith(".csv") else report_export.save_xlsx(t, path)

    def _ask_path(self, title: str, ext: str, save: Callable[[Any], Any]) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title, f"report-{self.start}-{self.end}.{ext}", f"*.{ext}")
        if path:
            save(path)
            self.status.setText(self.tr("Saved {0}").format(path))

    def html(self) -> str:
        """The printable report: KPIs, decomposition, days, cashiers, segments (every
        heading through tr(), outside f-strings so lupdate finds it)."""
        esc = lambda x: str(x).replace("&", "&amp;").replace("<", "&lt;")  # noqa: E731
        head = lambda *cols: "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"  # noqa: E731
        t_days, t_cashiers, t_segments = self.tr("Sales by day"), self.tr("Cashiers"), self.tr("Segments")
        t_date, t_sales, t_txn = self.tr("Date"), self.tr("Sales"), self.tr("Transactions")
        t_cashier, t_group, t_members = self.tr("Cashier"), self.tr("Group"), self.tr("Members")
        parts = [f"<h2>{esc(self.windowTitle())}</h2><p>{esc(self.start)} .. {esc(self.end)}</p><table border=1 cellpadding=4>"]
        for t in self.tiles.values():
            parts.append(f"<tr><td>{esc(t.title.text())}</td><td><b>{esc(t.value.text())}</b></td><td>{esc(t.sub.text())}</td></tr>")
        parts.append(f"</table><p>{esc(self.decomp_label.text())}</p>")
        r = self.period_report
        if r is not None:
            parts.append(f"<h3>{esc(t_days)}</h3><table border=1 cellpadding=3>{head(t_date, t_sales, t_txn)}")
            parts += [f"<tr><td>{d['date']}</td><td align=right>{_yuan(d['sales_fen'])}</td><td align=right>{d['transactions']}</td></tr>"
                      for d in r.by_day]
            parts.append(f"</table><h3>{esc(t_cashiers)}</h3><table border=1 cellpadding=3>{head(t_cashier, t_sales, t_txn)}")
            parts += [f"<tr><td>{esc(c['cashier'] or '-')}</td><td align=right>{_yuan(c['sales_fen'])}</td>"
                      f"<td align=right>{c['transactions']}</td></tr>" for c in r.cashiers]
            parts.append("</table>")
        if self.segmentation is not None:
            sg = self.segmentation
            names = getattr(self, "_group_names", {})
            parts.append(f"<h3>{esc(t_segments)}</h3><p>{esc(self.pareto_label.text())}</p>"
                         f"<table border=1 cellpadding=3>{head(t_group, t_members)}")
            parts += [f"<tr><td>{esc(names.get(g, g))}</td><td align=right>{n:,}</td></tr>"
                      for g, n in {**sg.groups, **sg.value}.items()]
            parts.append("</table>")
        return "".join(parts)

    def save_pdf(self, path) -> Path:
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.A4))
        writer.setResolution(150)
        doc = QTextDocument()
        doc.setHtml(self.html())
        doc.print_(writer)
        return Path(path)

    def print_report(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.HighResolution)
        if QPrintDialog(printer, self).exec():
            doc = QTextDocument()
            doc.setHtml(self.html())
            doc.print_(printer)

    def shutdown(self) -> None:
        """Wait for running computations (before the store is closed)."""
        self._generation += 1
        self.pool.waitForDone(30000)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1280, 820)


class ReportsDialog(QDialog):
    """The reports screen in its own window over the till (Ctrl+R); Esc closes it
    once the running computations are given up."""

    def __init__(self, db, program, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Reports — store {0}").format(db.store_code))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.screen = ReportsScreen(db, program, self, actor=actor)
        lay.addWidget(self.screen)
        self.resize(self.screen.sizeHint())

    def done(self, result: int) -> None:
        self.screen.shutdown()
        super().done(result)
