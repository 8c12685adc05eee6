"""The store manager's reports screen (SPEC §9): pick a date range, read the KPI
tiles, the charts (sales by day, traffic by hour, tier distribution, the RFM heat
map, the ABC pyramid), sort and filter the tables, drill from a figure down to
its members, find the dormant VIPs on the churn watch list and send them a
win-back coupon, and export (CSV, XLSX) or print / save as PDF.

Every figure comes from `pos.analytics.reports` / `pos.analytics.segments` (headless), computed on
worker threads (`app.operations.Operation` on this screen's pool of two) with a
progress bar: the screen is usable at once and fills in as the figures arrive.
A result that arrives for an older date range is dropped. Each tab is a widget
of its own in `app.reports` (overview, rfm, pyramid, churn, details, members);
this screen holds the range, the KPI tiles, the computations and the exports."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QDate, QSize, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPageSize, QPdfWriter, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QDateEdit, QDialog, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QSizePolicy,
    QTabWidget, QVBoxLayout, QWidget,
)

from pos import changes as domain_changes
from pos.analytics import export as report_export, o2o, reports, segments
from pos.analytics.reports import Table

from .operations import Changes, Operation
from .reports.calibration import CalibrationTab
from .reports.churn import ChurnTab
from .reports.common import KpiTile, fmt_num as _num, fmt_pct as _pct, fmt_yuan as _yuan
from .reports.details import DetailsTab
from .reports.members import MembersTab
from .reports.overview import OverviewTab
from .reports.parcels import ParcelsTab
from .reports.pyramid import PyramidTab
from .reports.rfm import RfmTab


def _calibrate(db, end: dt.date):
    """The tier calibration as of the range's end (365 days, the program's 60/30/10 when
    it has three tiers), or why there is none, as a message to show."""
    from pos.analytics import calibration
    from pos.errors import DomainError

    from . import i18n

    try:
        return calibration.propose(db, None, 365, as_of=end)
    except DomainError as exc:
        return exc.message(i18n.current())


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
        self.overview = OverviewTab(self.program)
        self.rfm = RfmTab()
        self.rfm.drill.connect(lambda filters: self.drill_segment(**filters))
        self.rfm.tags_requested.connect(self.write_tags)
        self.pyramid = PyramidTab()
        self.pyramid.drill.connect(lambda filters: self.drill_segment(**filters))
        self.churn_tab = ChurnTab(self.program)
        self.churn_tab.find_requested.connect(self.load_churn)
        self.churn_tab.issue_requested.connect(lambda: self.issue_win_back())
        self.churn_tab.export_requested.connect(
            lambda: self._ask_path(self.tr("Export the list"), "xlsx", self.export_churn))
        self.details = DetailsTab(self.program)
        self.members = MembersTab(self.program)
        self.calibration_tab = CalibrationTab(self.program)
        self.calibration_tab.apply_requested.connect(lambda: self.apply_calibration())
        self.members.export_requested.connect(
            lambda: self._ask_path(self.tr("Export the list"), "xlsx", self.export_members))
        self.tabs.addTab(self.overview, self.tr("Overview"))
        self.tabs.addTab(self.rfm, self.tr("RFM"))
        self.tabs.addTab(self.pyramid, self.tr("Pyramid"))
        self.tabs.addTab(self.churn_tab, self.tr("Churn watch"))
        self.tabs.addTab(self.details, self.tr("Details"))
        self.members_tab = self.tabs.addTab(self.members, self.tr("Members"))
        self.calibration_index = self.tabs.addTab(self.calibration_tab, self.tr("Tier calibration"))
        self.parcels_tab = ParcelsTab()
        self.parcels_index = self.tabs.addTab(self.parcels_tab, self.tr("Parcels and online"))
        # the widgets a manager (and a test) reaches most, by their old names
        self.heat, self.tags_btn = self.rfm.heat, self.rfm.tags_btn
        self.pareto_label = self.pyramid.pareto_label
        self.days_combo, self.tier_combo, self.churn_table = (
            self.churn_tab.days_combo, self.churn_tab.tier_combo, self.churn_tab.churn_table)
        self.summary_table = self.details.summary_table
        self.members_table = self.members.members_table
        self._keys()

    def _keys(self) -> None:
        """Every action has a key: F5 recompute, Ctrl+1…8 the tabs, Ctrl+E Excel,
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
        self._total_jobs = 4
        for t in self.tiles.values():
            t.set("…")
        db, program = self.db, self.program
        self._submit("period", lambda: reports.period(db, program, start, end))
        self._submit("segments", self._segments_job(end))
        self._submit("calibration", self._cached(("calibration", end), lambda: _calibrate(db, end)))
        self._submit("o2o", lambda: o2o.report(db, start, end))

    def _segments_job(self, end: dt.date) -> Callable[[], Any]:
        """Segments and the churn list of the chosen days and tier in one job: the
        buyers are read once for both (`pos.analytics.buyers.shared`)."""
        from pos.analytics import buyers

        db = self.db
        days, tier = self.days_combo.currentData(), self.tier_combo.currentData()
        seg = self._cached(("segments", end), lambda: segments.segmentation(db, end))
        churn = self._cached(("churn", end, days, tier), lambda: segments.churn_watch(db, end, days, tier=tier, limit=5000))

        def run():
            with buyers.shared():
                return seg(), churn()

        return run

    def load_churn(self) -> None:
        db, end = self.db, self.end
        days, tier = self.days_combo.currentData(), self.tier_combo.currentData()
        self._submit("churn", self._cached(("churn", end, days, tier),
                                           lambda: segments.churn_watch(db, end, days, tier=tier, limit=5000)))

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Callable[[], Any]:
        """Segments depend on the end date only: changing the period's start, or
        coming back to a range, reuses them (seconds at chain size) as long as no
        sale and no member was added since (the stores' high-water marks). The marks
        are read from the file, not taken from `pos.changes`: a sale made by another
        process (the CLI, a host POS through `pos.services.checkout`) counts too."""
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
        steps = self._steps(kind, result)
        if steps is not None:  # shown step by step: the job stays pending until its last step
            return self._step(kind, generation, steps)
        self._pending.discard(kind)
        self._show_progress()  # first: a job's own message (tags) must not be overwritten
        {"tags": self._show_tags, "calibration": self._show_calibration,
         "o2o": self.parcels_tab.show_report}[kind](result)
        self._shown(kind)

    def _steps(self, kind: str, result: Any) -> list[Callable[[], Any]] | None:
        """The big results as small steps — one chart, one table, one column's sizing —
        so that the event loop turns between them (no stall over a frame)."""
        if kind == "period":
            return [lambda: self._show_period(result), *self.overview.steps(result), *self.details.steps(result)]
        if kind == "segments":
            sg, cl = result
            return [lambda: setattr(self, "segmentation", sg), *self.rfm.steps(sg), *self.pyramid.steps(sg),
                    lambda: setattr(self, "churn", cl), *self.churn_tab.steps(cl)]
        if kind == "churn":
            return [lambda: setattr(self, "churn", result), *self.churn_tab.steps(result)]
        if kind == "drill":
            title, rows = result
            return [lambda: setattr(self, "drill_title", title), *self.members.steps(title, rows),
                    lambda: self.tabs.setCurrentIndex(self.members_tab)]
        return None

    def _step(self, kind: str, generation: int, steps: list[Callable[[], Any]]) -> None:
        if generation != self._generation:
            return  # a newer range is being computed: the rest of this one is not shown
        if steps:
            steps.pop(0)()
        if steps:
            QTimer.singleShot(0, lambda: self._step(kind, generation, steps))
            return
        self._pending.discard(kind)
        self._show_progress()
        self._shown(kind)

    def _shown(self, kind: str) -> None:
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
        """The tiles (the tabs are filled by the steps that follow, `_steps`)."""
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

    def _show_calibration(self, result) -> None:
        if isinstance(result, str):
            self.calibration_tab.show_message(result)
        else:
            self.calibration_tab.show_proposal(result)

    def apply_calibration(self, confirm: bool = True) -> str | None:
        """The manager installs the proposed tier thresholds as a new program version
        (as `tiers calibrate --apply`); the screen is a manager's (main_window asks)."""
        p = self.calibration_tab.proposal
        if p is None or p.applied is not None:
            return None
        if confirm and QMessageBox.question(
                self, self.tr("Tier calibration"),
                self.tr("Install the proposed tier thresholds as program version {0}? {1} member(s) would move up "
                        "and {2} down at their next tier review.").format(
                    p.doc.version, p.moves["up"], p.moves["down"])) != QMessageBox.Yes:
            return None
        from pos.analytics import calibration
        from pos.errors import DomainError

        from . import i18n

        try:
            version = calibration.apply(self.db, p, actor=self.actor)
        except DomainError as exc:
            self.status.setText(exc.message(i18n.current()))
            return None
        self._results_cache = {k: v for k, v in self._results_cache.items() if k[0] != "calibration"}
        domain_changes.publish("program", [version])  # the till takes the new version
        self.calibration_tab.show_proposal(p)  # applied: the button is off
        self.status.setText(self.tr("Installed program version {0} with the calibrated tier thresholds.").format(version))
        return version

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
        names = self.rfm.group_names
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
        self.rfm.heat_clicked(row, col)

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
        parts.append(f"</table><p>{esc(self.overview.decomp_label.text())}</p>")
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
            names = self.rfm.group_names
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
