"""What the report tabs share: the formatters (money through `pos.rules.money.yuan`,
the one formatter), a sortable / filterable table, a KPI tile, a chart, the tier's
name and the member-list columns."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QMargins, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHeaderView, QLabel, QLineEdit, QSizePolicy, QTableView, QVBoxLayout, QWidget,
)

from pos.rules.money import yuan

from .. import i18n


def fmt_yuan(fen: int | float | None) -> str:
    """¥12,345.67 (a report's averages may be fractional fen: rounded to the fen)."""
    if fen is None:
        return "-"
    return "¥" + yuan(int(round(fen)) if isinstance(fen, float) else int(fen), grouping=True)


def fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def fmt_figure(key: str, value: Any) -> str:
    """A period figure as a manager reads it: yuan for fen, per cent for rates and shares."""
    if value is None:
        return "-"
    if key.endswith("_fen"):
        return fmt_yuan(value)
    if key.endswith(("_rate", "_share_sales", "_share_transactions")) or key.startswith("member_share"):
        return fmt_pct(value)
    if key.endswith("_per_basket"):
        return f"{value:.2f}"
    return fmt_num(value)


def fmt_num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.2f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def tier_name(program, code: str) -> str:
    """The tier's name in the program (普通会员, VIP …), its code if the program has none."""
    lang = "en" if i18n.current() == "en" else "zh"
    for lv in (program.tiers.levels if program is not None else []):
        if lv.code == code:
            return getattr(lv.name, lang, None) or code
    return code or ""


def member_columns(program):
    """The columns of a member list (churn watch, drill-down)."""
    return [("member_code", QCoreApplication.translate("MemberColumns", "Member code"), str),
            ("name", QCoreApplication.translate("MemberColumns", "Name"), str),
            ("phone_masked", QCoreApplication.translate("MemberColumns", "Phone"), str),
            ("tier", QCoreApplication.translate("MemberColumns", "Tier"), lambda c: tier_name(program, c)),
            ("last_purchase", QCoreApplication.translate("MemberColumns", "Last purchase"), lambda v: v or "-"),
            ("days_since", QCoreApplication.translate("MemberColumns", "Days since"), fmt_num),
            ("frequency", QCoreApplication.translate("MemberColumns", "Visits"), fmt_num),
            ("monetary_fen", QCoreApplication.translate("MemberColumns", "Spent"), fmt_yuan),
            ("joined", QCoreApplication.translate("MemberColumns", "Joined"), str)]


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

    def set_rows(self, rows: list[dict[str, Any]], size: bool = True) -> None:
        """Show `rows`; the first time there are rows the columns are sized to them (later
        fills keep the widths, and whatever the user dragged) — at once, or with
        `size=False` by the caller through `sizing_steps_later()`, a column at a time."""
        self.model.set_rows(rows)
        if size:
            for step in self.sizing_steps():
                step()

    def sizing_steps(self) -> list[Callable[[], None]]:
        """The first sizing of the columns as one small step per column (each reads 50 rows):
        a screen runs them on successive turns of the event loop, never stalling it."""
        if not self.model.rows or self._sized:
            return []
        self._sized = True
        return [lambda c=c: self.view.resizeColumnToContents(c) for c in range(self.model.columnCount())]

    def sizing_steps_later(self) -> list[Callable[[], None]]:
        """`sizing_steps` for rows that an earlier step sets: one step per column, each
        sizing its column only if the table is being sized for the first time then."""
        first = not self._sized

        def step(c: int) -> None:
            if first and self.model.rows:
                self._sized = True
                self.view.resizeColumnToContents(c)
        return [lambda c=c: step(c) for c in range(self.model.columnCount())]

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


def chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.NoAnimation)
    chart.legend().setAlignment(Qt.AlignBottom)
    chart.setMargins(QMargins(4, 4, 4, 4))
    view = QChartView(chart)
    view.setRenderHint(QPainter.Antialiasing)
    view.setMinimumHeight(220)
    return chart, view


def reset(chart: QChart) -> None:
    chart.removeAllSeries()
    for axis in list(chart.axes()):
        chart.removeAxis(axis)
