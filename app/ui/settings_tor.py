"""Settings → Tor: the checkout as an onion service, switched live (our own tor, or one that runs).

Live status from ``ExposureControl.subscribe`` (state, bootstrap %, problem) and the onion address
with a Copy button and its QR code, for a sign at the counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.net.exposure_state import ExposureState, TorChange
from app.ui.ports import ExposureControl
from app.ui.qr import QrLabel
from app.ui.settings_exposure import TOR_OFF_HOWTO, ExposureForm, breakable, note_label, value_label
from app.ui.widget_names import named

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from app.ui.tasks import Runner

TOR_STATES = {  # TorState values -> what the merchant reads
    "disabled": "off", "launching": "starting tor…", "bootstrapping": "connecting to the Tor network",
    "ready": "running", "error": "not working", "stopped": "stopped",
}
MODES = (("launch", "Start RedWaves' own tor"), ("attach", "Use a tor that already runs (control port)"))


class TorPage(ExposureForm):
    def __init__(self, exposure: ExposureControl, run: Runner) -> None:
        super().__init__(exposure, run, "tor", self.change)
        self.enabled = named(QCheckBox("Give the checkout an .onion address (Tor)"), "torEnabled")
        self.mode = named(QComboBox(), "torMode")
        for value, caption in MODES:
            self.mode.addItem(caption, value)
        self.mode.currentIndexChanged.connect(lambda _i: self._show_control())
        self.control = named(QLineEdit(), "torControl")
        self.state = value_label("torState")
        self.bootstrap = value_label("torBootstrap")
        self.onion = value_label("torOnion")
        self.error = value_label("torError")
        self.copy = named(QPushButton("Copy"), "copyOnion")
        self._onion_url = ""
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._onion_url))
        self.qr = named(QrLabel(168), "torQr")
        form = QFormLayout()
        form.addRow("", self.field("tor_enabled", self.enabled, note_label("torNote", TOR_OFF_HOWTO)))
        form.addRow("Tor", self.field("tor_mode", self.mode))
        form.addRow("Control port", self.field("tor_control", self.control))
        form.addRow("", self.apply_row())
        onion = QWidget()
        onion_row = QHBoxLayout(onion)
        onion_row.setContentsMargins(0, 0, 0, 0)
        onion_row.addWidget(self.onion, 1)
        onion_row.addWidget(self.copy)
        status = QFormLayout()
        for caption, widget in (("State", self.state), ("Bootstrap", self.bootstrap), ("Onion address", onion),
                                ("Problem", self.error)):
            status.addRow(caption, widget)
        settings = QVBoxLayout()
        settings.addLayout(form)
        settings.addWidget(self.errors.general)
        settings.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(settings, 1)
        columns.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(status)
        layout.addLayout(columns, 1)
        self.reload()

    def _show_control(self) -> None:
        self.control.setEnabled(self.mode.currentData() == "attach" and not self.locked_by("tor_control"))

    def fill(self, state: ExposureState) -> None:
        self.enabled.setChecked(state.tor_enabled)
        index = self.mode.findData(state.tor_mode)
        self.mode.setCurrentIndex(max(index, 0))
        self.control.setText(state.tor_control)

    def show_status(self, state: ExposureState) -> None:
        self._show_control()
        status = state.tor
        if status is None:
            self.state.setText("off")
            self.bootstrap.setText("—")
            self.error.setText("none")
        else:
            self.state.setText(TOR_STATES.get(str(status.state), str(status.state)))
            self.bootstrap.setText(f"{status.bootstrap_percent}%")
            problem = status.error_message
            self.error.setText(f"{problem} ({status.error_code})" if problem and status.error_code
                               else problem or "none")
        url = state.onion_url
        self._onion_url = url or ""
        if url:
            self.onion.setText(breakable(url))
        elif status is not None and not state.tor_enabled:
            self.onion.setText("none: tor runs only for the chain server (Settings → Chain server)")
        else:
            self.onion.setText("not published yet" if status is not None else "—")
        self.copy.setEnabled(url is not None)
        self.qr.set_payload(url or "")
        self.qr.setVisible(url is not None)

    def change(self) -> Coroutine[Any, Any, ExposureState]:
        return self.exposure.apply_tor(TorChange(self.enabled.isChecked(), str(self.mode.currentData()),
                                                 self.control.text().strip()))

    def done_text(self, state: ExposureState) -> str:
        if state.tor is None:
            return "Tor off. Saved."
        if not state.tor_enabled:
            return "Onion service off. Saved; tor keeps running for the chain server."
        if state.onion_url:
            return "Tor on. Saved."
        return "Tor on. Saved; the onion address shows above once tor has published it."
