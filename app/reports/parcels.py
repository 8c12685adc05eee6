"""Parcels and online (issue 18 item 4, `pos.analytics.o2o`, as `report o2o`): four tiles —
parcels received / collected / overdue at the range's end, the pickup-to-purchase conversion,
the pickup voucher's redemption rate, the online share of this store's member buyers' sales —
and the parcels per day."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from .common import FilterTable, KpiTile, fmt_num, fmt_pct, fmt_yuan


class ParcelsTab(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = None
        lay = QVBoxLayout(self)
        grid = QGridLayout()
        self.tiles = {key: KpiTile(key, title) for key, title in (
            ("parcels", self.tr("Parcels received / collected")),
            ("conversion", self.tr("Pickup → purchase")),
            ("voucher", self.tr("Pickup voucher used")),
            ("online", self.tr("Online share of members' sales")))}
        for i, t in enumerate(self.tiles.values()):
            grid.addWidget(t, 0, i)
        lay.addLayout(grid)
        self.caption = QLabel("")
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.table = FilterTable([
            ("date", self.tr("Date"), str),
            ("received", self.tr("Received"), fmt_num),
            ("collected", self.tr("Collected"), fmt_num),
            ("overdue", self.tr("Overdue at the day's end"), fmt_num)], self.tr("Filter"))
        self.table.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        lay.addWidget(self.table, 1)

    def show_report(self, r) -> None:
        self.report = r
        s, o = r.summary, r.online_share
        self.tiles["parcels"].set(f"{fmt_num(s['parcels_received'])} / {fmt_num(s['parcels_collected'])}",
                                  self.tr("{0} overdue ({1} days)").format(fmt_num(s["parcels_overdue_at_end"]),
                                                                          r.overdue_days))
        self.tiles["conversion"].set(fmt_pct(s["conversion_rate"]), self.tr("{0} of {1} pickups bought").format(
            s["converted"], s["pickups"]), tip=self.tr("A sale of the member here within {0} minutes of the pickup, "
                                                       "the same day; {1} with the pickup voucher").format(
            s["visit_minutes"], s["converted_with_voucher"]))
        self.tiles["voucher"].set(fmt_pct(s["voucher_redemption_rate"]), self.tr("{0} of {1} used").format(
            s["vouchers_used"], s["vouchers_issued"]))
        self.tiles["online"].set(fmt_pct(o["online_share"]), self.tr("online {0} · here {1}").format(
            fmt_yuan(o["online_sales_fen"]), fmt_yuan(o["store_sales_fen"])))
        self.caption.setText(self.tr("Online share: of the {0} member(s) who bought here in the range, their online "
                                     "orders against their purchases here (their purchases at other stores are HQ's: "
                                     "hq report o2o). Orders for pickup here: {1}, {2}.").format(
            fmt_num(o["members"]), fmt_num(o["pickup_orders"]), fmt_yuan(o["pickup_orders_fen"])))
        self.table.set_rows(r.by_day)
