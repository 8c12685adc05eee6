"""Device settings and diagnostics: the machine's serial ports, each device's
options, a Test button (the last frames decoded, or a printer test page).
Saved with devices.config; never shows card track data."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

from devices import config as device_config
from devices import ports, runtime

from . import labels


def _port_box(current: str) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    for p in ports.list_serial_ports():
        box.addItem(p.get("device", "") if isinstance(p, dict) else str(getattr(p, "device", p)))
    box.setEditText(current)
    return box


class DeviceSettingsDialog(QDialog):
    def __init__(self, bridge, parent: QWidget | None = None, path=None):
        super().__init__(parent)
        self.bridge, self.path = bridge, path
        self.settings = bridge.settings
        self.setWindowTitle(self.tr("Devices"))
        lay = QVBoxLayout(self)
        s = self.settings
        self.scanner_mode = self._mode(s.scanner.mode)
        self.scanner_port = _port_box(s.scanner.serial.port)
        self.scanner_baud = self._baud(s.scanner.serial.baudrate)
        self.scanner_term = self._choice(["CR", "LF", "CRLF", "none"], s.scanner.serial.terminator)
        self.card_mode = self._mode(s.card_reader.mode)
        self.card_port = _port_box(s.card_reader.serial.port)
        self.printer_backend = self._choice(["none", "file", "serial", "usb", "network", "dummy"], s.printer.backend,
                                            labels.device_kind)
        self.printer_width = self._choice(["58", "80"], str(s.printer.width_mm))
        self.printer_target = QComboBox()
        self.printer_target.setEditable(True)
        self.printer_target.setEditText(s.printer.path or s.printer.host or s.printer.serial.port)
        self.customer_mode = QComboBox()  # the graphical customer screen (app/customer_display.py)
        for code, words in (("off", self.tr("Off")), ("screen", self.tr("Full screen on a monitor")),
                            ("window", self.tr("A window (to try it out)"))):
            self.customer_mode.addItem(words, code)
        self.customer_mode.setCurrentIndex(max(0, self.customer_mode.findData(s.customer_screen.mode)))
        self.customer_monitor = self._monitors(s.customer_screen.screen)
        self.customer_mode.currentIndexChanged.connect(
            lambda _i: self.customer_monitor.setEnabled(self.customer_mode.currentData() == "screen"))
        self.customer_monitor.setEnabled(s.customer_screen.mode == "screen")
        for title, rows in (
            (self.tr("Scanner"), [(self.tr("Mode"), self.scanner_mode), (self.tr("Serial port"), self.scanner_port),
                                  (self.tr("Baud"), self.scanner_baud), (self.tr("Terminator"), self.scanner_term)]),
            (self.tr("Card reader"), [(self.tr("Mode"), self.card_mode), (self.tr("Serial port"), self.card_port)]),
            (self.tr("Receipt printer"), [(self.tr("Connection"), self.printer_backend), (self.tr("Paper (mm)"), self.printer_width),
                                          (self.tr("File, host or port"), self.printer_target)]),
            (self.tr("Customer screen"), [(self.tr("Shown as"), self.customer_mode), (self.tr("Monitor"), self.customer_monitor)]),
        ):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for label, widget in rows:
                form.addRow(label, widget)
            lay.addWidget(box)
        row = QHBoxLayout()
        test = QPushButton(self.tr("Test: last frames"))
        test.clicked.connect(self.show_recent)
        page = QPushButton(self.tr("Print test page"))
        page.clicked.connect(self.test_page)
        row.addWidget(test)
        row.addWidget(page)
        lay.addLayout(row)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setObjectName("deviceLog")
        lay.addWidget(self.log)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        lay.addWidget(self.error)
        box = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        box.accepted.connect(self.save)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.show_recent()

    def _mode(self, value: str) -> QComboBox:
        return self._choice(["off", "serial", "wedge"], value, labels.device_kind)

    def _choice(self, items: list[str], value: str, words=None) -> QComboBox:
        """Shown in words (键盘模拟 for `wedge`), saved as the setting's code (item data)."""
        box = QComboBox()
        for item in items:
            box.addItem(words(item) if words else item, item)
        box.setCurrentIndex(max(0, box.findData(value)))
        return box

    def _monitors(self, current: int) -> QComboBox:
        """The monitors connected now (1 is the first), and the saved one if it is not."""
        from PySide6.QtGui import QGuiApplication

        box = QComboBox()
        for i, screen in enumerate(QGuiApplication.screens()):
            g = screen.geometry()
            box.addItem(self.tr("Monitor {0} ({1}×{2})").format(i + 1, g.width(), g.height()), i)
        if box.findData(current) < 0:
            box.addItem(self.tr("Monitor {0} (not connected)").format(current + 1), current)
        box.setCurrentIndex(box.findData(current))
        return box

    def _baud(self, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1200, 921600)
        spin.setValue(value)
        return spin

    def show_recent(self) -> None:
        self.log.setPlainText("\n".join(self.bridge.recent) or self.tr("No frame received yet"))

    def collected(self) -> device_config.DeviceSettings:
        s = self.settings.model_dump()
        s["scanner"]["mode"] = self.scanner_mode.currentData()
        s["scanner"]["serial"].update(port=self.scanner_port.currentText().strip(), baudrate=self.scanner_baud.value(),
                                      terminator=self.scanner_term.currentData())
        s["card_reader"]["mode"] = self.card_mode.currentData()
        s["card_reader"]["serial"]["port"] = self.card_port.currentText().strip()
        backend = self.printer_backend.currentData()
        s["printer"].update(backend=backend, width_mm=int(self.printer_width.currentData()))
        target = self.printer_target.currentText().strip()
        if backend == "file":
            s["printer"]["path"] = target
        elif backend == "network":
            s["printer"]["host"] = target
        elif backend == "serial":
            s["printer"]["serial"]["port"] = target
        s["customer_screen"].update(mode=self.customer_mode.currentData(), screen=int(self.customer_monitor.currentData()))
        return device_config.DeviceSettings.model_validate(s)

    def test_page(self) -> None:
        try:
            outcome = runtime.printer(self.collected()).test_page()
        except Exception as exc:  # a settings error: say which field
            self.error.setText(str(exc).splitlines()[0])
            return
        self.error.setText(outcome.message())

    def save(self) -> None:
        try:
            settings = self.collected()
        except Exception as exc:
            self.error.setText(str(exc).splitlines()[0])
            return
        device_config.save(settings, self.path)
        self.bridge.stop()
        self.bridge.settings = settings
        self.bridge.start()
        self.accept()
