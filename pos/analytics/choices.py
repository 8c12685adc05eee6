"""What the report commands' options offer, kept apart from the analytics so that
registering the commands (`python main.py --help`, every headless command) loads none
of them (pos.cli.reports). pos.analytics.segments and pos.analytics.o2o use these."""
from __future__ import annotations

RULES = ("buyers", "distinct")  # RFM by quintile of buyers + ABC by shares | the former distinct-value quintiles + F/M classes
VISIT_MINUTES = 60  # o2o: a sale this many minutes after a pickup (same day) is "in the visit"
