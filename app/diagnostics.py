"""Diagnostics for the store manager and IT (issue 19 §3): what `python main.py doctor`
says, on screen — a summary in the cashier's language, the full report for IT, and
"copy report" to paste it into a message. Opened with Ctrl+Shift+I (a manager)."""
from __future__ import annotations

from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from pos.services import diagnostics


def device_state() -> dict:
    """The device settings as the doctor reports them."""
    from devices import config

    return config.state()


class DiagnosticsDialog(QDialog):
    def __init__(self, db, parent: QWidget | None = None, report: dict | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Diagnostics"))
        self.data = report if report is not None else diagnostics.diagnose(db, device_state())
        d = self.data
        lay = QVBoxLayout(self)
        form = QFormLayout()
        last = d["backup"]["last"]
        sy = d["sync"]
        form.addRow(self.tr("Version"), QLabel(d["version"]))
        form.addRow(self.tr("Store"), QLabel(f"{d['store']['code']} · {d['store']['register']}"))
        form.addRow(self.tr("Database"), QLabel(self.tr("up to date") if d["schema"]["up_to_date"]
                                                else self.tr("needs an upgrade")))
        self.backup_label = QLabel(last["at"] if last else self.tr("no backup yet"))
        form.addRow(self.tr("Last backup"), self.backup_label)
        if sy["enrolled"]:
            sync_text = self.tr("{0} waiting, {1} refused; last sync {2}").format(
                sy["events_waiting"], sy["events_refused"], sy["last_sync_at"] or self.tr("never"))
        else:
            sync_text = self.tr("not connected to HQ")
        self.sync_label = QLabel(sync_text)
        form.addRow(self.tr("Sync with HQ"), self.sync_label)
        self.problems_label = QLabel(self.tr("No problem found") if d["ok"]
                                     else self.tr("%n problem(s): see the report", "", len(d["problems"])))
        form.addRow(self.tr("Problems"), self.problems_label)
        lay.addLayout(form)
        lay.addWidget(QLabel(self.tr("Report for IT:")))
        self.text = QPlainTextEdit(diagnostics.report_text(d))
        self.text.setReadOnly(True)
        self.text.setFont(QFont("monospace"))
        self.text.setMinimumSize(640, 220)
        lay.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setText(self.tr("Close"))
        self.copy = QPushButton(self.tr("Copy report"))
        buttons.addButton(self.copy, QDialogButtonBox.ActionRole)
        self.copy.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.copy.setFocus()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copy.setText(self.tr("Copied"))
