"""The reports screen's tabs, one module each (`app.reports_screen.ReportsScreen`
holds the date range, the KPI tiles, the background computations and the
exports): overview (charts), rfm (heat map, named groups), pyramid (ABC),
churn (the watch list), details (tables), members (a drill-down's list).
Each tab shows what it is given and says what the manager asked for by signal."""
