"""Tier calibration (issue 15 §4, `pos.analytics.calibration`): where today's thresholds
put members by their spend against the target (the seed's 60 / 30 / 10 %), the
thresholds that would give the target, and how many members would move — the line
at the top says at once when a tier is out of reach ("only 0.2 % reach VIP"). The
manager's "Apply" writes the proposal as a new program version (as `tiers calibrate
--apply`); the screen asks first."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from .common import FilterTable, fmt_num, fmt_yuan, tier_name

OFF_TARGET_PP = 5  # a tier this many points away from its target is shown in red


class CalibrationTab(QWidget):
    apply_requested = Signal()

    def __init__(self, program, parent: QWidget | None = None):
        super().__init__(parent)
        self.program = program
        self.proposal = None
        lay = QVBoxLayout(self)
        self.headline = QLabel("")
        self.headline.setObjectName("calibrationHeadline")
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.basis = QLabel("")
        self.basis.setObjectName("caption")
        self.basis.setWordWrap(True)
        lay.addWidget(self.basis)
        self.table = FilterTable([
            ("tier", self.tr("Tier"), lambda c: tier_name(self.program, c)),
            ("target_pct", self.tr("Target"), lambda v: f"{v} %"),
            ("today_fen", self.tr("Today's threshold"), lambda v: "-" if v is None else fmt_yuan(v)),
            ("today_pct", self.tr("Share at today's thresholds"), lambda v: f"{v:.1f} %"),
            ("held_pct", self.tr("Share holding the tier now"), lambda v: f"{v:.1f} %"),
            ("proposed_fen", self.tr("Proposed threshold"), lambda v: "-" if v is None else fmt_yuan(v)),
            ("proposed_pct", self.tr("Share at the proposed thresholds"), lambda v: f"{v:.1f} %")], self.tr("Filter"))
        self.table.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.moves = QLabel("")
        self.moves.setObjectName("calibrationMoves")
        self.moves.setWordWrap(True)
        row.addWidget(self.moves, 1)
        self.apply_btn = QPushButton(self.tr("Apply as a new program version…"))
        self.apply_btn.setObjectName("calibrationApply")
        self.apply_btn.setEnabled(False)
        self.apply_btn.setToolTip(self.tr("Installs the proposed thresholds (and review bands) as a new version of "
                                          "the loyalty program, as `tiers calibrate --apply`."))
        self.apply_btn.clicked.connect(self.apply_requested.emit)
        row.addWidget(self.apply_btn)
        lay.addLayout(row)

    def set_program(self, program) -> None:
        self.program = program

    def show_message(self, text: str) -> None:
        """No proposal (a program with one tier, a target that does not fit, no members)."""
        self.proposal = None
        self.headline.setText(text)
        self.headline.setStyleSheet("font-size: 15px;")
        self.basis.setText("")
        self.moves.setText("")
        self.table.set_rows([])
        self.apply_btn.setEnabled(False)

    def show_proposal(self, p) -> None:
        self.proposal = p
        rows = []
        for i, code in enumerate(p.tiers):
            rows.append({
                "tier": code, "target_pct": p.target[i],
                "today_fen": p.current["thresholds_fen"].get(code),
                "today_pct": p.current["by_spend"][code]["share_pct"],
                "held_pct": p.current["held"][code]["share_pct"],
                "proposed_fen": p.proposed["thresholds_fen"].get(code),
                "proposed_pct": p.proposed["by_spend"][code]["share_pct"]})
        self.table.set_rows(rows)
        top = p.tiers[-1]
        reach = p.current["by_spend"][top]["share_pct"]
        off = abs(reach - p.target[-1]) >= OFF_TARGET_PP
        threshold = p.current["thresholds_fen"].get(top)
        if reach < p.target[-1]:
            text = self.tr("Only {0} % of members reach today's {1} threshold ({2}); the target is {3} %.")
        elif reach > p.target[-1]:
            text = self.tr("{0} % of members reach today's {1} threshold ({2}); the target is {3} %.")
        else:
            text = self.tr("{0} % of members reach today's {1} threshold ({2}), as the target ({3} %).")
        self.headline.setText(text.format(f"{reach:.1f}", tier_name(self.program, top),
                                          fmt_yuan(threshold) if threshold is not None else "-", p.target[-1]))
        self.headline.setStyleSheet("font-size: 16px; font-weight: bold;" + (" color: #c62828;" if off else ""))
        self.basis.setText(self.tr("{0} active members, {1} of them bought, by their spend over the {2} days to {3}; "
                                   "target {4}.").format(
            fmt_num(p.members), fmt_num(p.buyers), p.window_days, p.as_of.isoformat(),
            " / ".join(f"{tier_name(self.program, c)} {t} %" for c, t in zip(p.tiers, p.target))))
        self.moves.setText(self.tr("The proposal would move {0} member(s) up, {1} down; {2} unchanged.").format(
            fmt_num(p.moves["up"]), fmt_num(p.moves["down"]), fmt_num(p.moves["same"])))
        self.apply_btn.setEnabled(p.applied is None)
