"""Details: sales by cashier, by hour, the tier moves, and every period figure
by name (the exports keep the keys)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from pos.analytics import reports

from .. import labels
from .common import FilterTable, fmt_figure, fmt_num, fmt_pct, fmt_yuan, tier_name


class DetailsTab(QWidget):
    def __init__(self, program, parent: QWidget | None = None):
        super().__init__(parent)
        self.program = program
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        w = QSplitter(Qt.Vertical)
        lay.addWidget(w)
        top = QSplitter(Qt.Horizontal)
        self.cashier_table = FilterTable([
            ("cashier", self.tr("Cashier"), lambda v: v or self.tr("(none)")), ("sales_fen", self.tr("Sales"), fmt_yuan),
            ("transactions", self.tr("Transactions"), fmt_num), ("aov_fen", self.tr("AOV"), fmt_yuan),
            ("refunds_fen", self.tr("Refunds"), fmt_yuan), ("member_share_sales", self.tr("Member share"), fmt_pct)],
            self.tr("Filter cashiers"))
        self.hour_table = FilterTable([
            ("hour", self.tr("Hour"), lambda h: f"{h:02d}:00"), ("tickets", self.tr("Tickets"), fmt_num),
            ("member_tickets", self.tr("Member tickets"), fmt_num), ("sales_fen", self.tr("Sales"), fmt_yuan)],
            self.tr("Filter hours"))
        top.addWidget(self.cashier_table)
        top.addWidget(self.hour_table)
        bottom = QSplitter(Qt.Horizontal)
        self.moves_table = FilterTable([
            ("from_tier", self.tr("From"), self.tier_name), ("to_tier", self.tr("To"), self.tier_name),
            ("reason", self.tr("Reason"), labels.tier_reason), ("direction", self.tr("Direction"), labels.tier_reason),
            ("members", self.tr("Members"), fmt_num)], self.tr("Filter tier moves"))
        # the row keeps its key (`metric`) for the exports; the screen shows words only
        self.summary_table = FilterTable([("label", self.tr("Figure"), str), ("shown", self.tr("Value"), str)],
                                         self.tr("Filter figures"))
        bottom.addWidget(self.moves_table)
        bottom.addWidget(self.summary_table)
        w.addWidget(top)
        w.addWidget(bottom)

    def tier_name(self, code: str) -> str:
        return tier_name(self.program, code)

    def show_period(self, r: reports.PeriodReport) -> None:
        for step in self.steps(r):
            step()

    def steps(self, r: reports.PeriodReport) -> list:
        """Filling the tab as small steps (a table, then its columns' first sizing), for
        successive turns of the event loop."""
        names = self.figure_labels()
        out = []
        for table, rows in ((self.cashier_table, lambda: r.cashiers), (self.hour_table, lambda: r.by_hour),
                            (self.moves_table, lambda: r.tier_moves),
                            (self.summary_table, lambda: [{"label": names.get(k, k), "shown": fmt_figure(k, v),
                                                           "metric": k, "value": v} for k, v in r.summary.items()])):
            out += [lambda t=table, rows=rows: t.set_rows(rows(), size=False), *table.sizing_steps_later()]
        return out

    def figure_labels(self) -> dict[str, str]:
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
