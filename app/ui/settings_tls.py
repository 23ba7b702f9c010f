"""Settings → TLS: HTTPS on the public listener with a self-signed certificate or the merchant's own.

Shows the certificate the listener uses: its file, SHA-256 fingerprint (what browsers show, to compare
before accepting a self-signed one) and expiry. Applied live through ``ExposureControl.apply_tls``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.net.exposure_state import ExposureState, TlsChange
from app.ui.ports import ExposureControl
from app.ui.settings_exposure import ExposureForm, breakable, note_label, value_label
from app.ui.widget_names import named

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from app.ui.tasks import Runner

SELF_SIGNED_NOTE = ("A self-signed certificate makes browsers warn once: compare the fingerprint above with the one "
                    "the browser shows before accepting it. With a domain name, use its certificate instead (for "
                    "example from Let's Encrypt), or a reverse proxy that terminates HTTPS.")


class TlsPage(ExposureForm):
    def __init__(self, exposure: ExposureControl, run: Runner) -> None:
        super().__init__(exposure, run, "tls", self.change)
        self.listener = value_label("publicListener")
        self.https = value_label("tlsState")
        self.certificate = value_label("tlsCertificate")
        self.fingerprint = value_label("tlsFingerprint")
        self.expires = value_label("tlsExpires")
        self.enabled = named(QCheckBox("Serve the checkout over HTTPS"), "tlsEnabled")
        self.self_signed = named(QRadioButton("Self-signed certificate (RedWaves makes one)"), "tlsSelfSigned")
        self.own = named(QRadioButton("My certificate and key (PEM files)"), "tlsOwn")
        group = QButtonGroup(self)
        for button in (self.self_signed, self.own):
            group.addButton(button)
        self.self_signed.setChecked(True)
        self.own.toggled.connect(lambda _on: self._show_paths())
        self.cert_path = named(QLineEdit(), "tlsCertPath")
        self.key_path = named(QLineEdit(), "tlsKeyPath")
        self._path_inputs: list[QWidget] = []
        self.copy = named(QPushButton("Copy"), "copyFingerprint")
        self._fingerprint = ""
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._fingerprint))
        form = QFormLayout()
        form.addRow("", self.field("public_tls", self.enabled))
        form.addRow("", self.self_signed)
        form.addRow("", self.own)
        form.addRow("Certificate", self.field("public_tls_cert", self._picker(self.cert_path, "Certificate")))
        form.addRow("Private key", self.field("public_tls_key", self._picker(self.key_path, "Private key")))
        form.addRow("", self.apply_row())
        shown = QFormLayout()
        for caption, widget in (("Public listener", self.listener), ("HTTPS", self.https),
                                ("Certificate file", self.certificate),
                                ("SHA-256 fingerprint", self._with(self.fingerprint, self.copy)),
                                ("Expires", self.expires)):
            shown.addRow(caption, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(shown)
        layout.addWidget(note_label("tlsNote", SELF_SIGNED_NOTE))
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        self.reload()

    @staticmethod
    def _with(label: QWidget, button: QWidget) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label, 1)
        row.addWidget(button)
        return box

    def _picker(self, edit: QLineEdit, caption: str) -> QWidget:
        browse = named(QPushButton("Browse…"), f"{edit.objectName()}Browse")

        def pick() -> None:
            path, _ = QFileDialog.getOpenFileName(self, caption, edit.text(), "PEM files (*.pem *.crt *.key);;All (*)")
            if path:
                edit.setText(path)

        browse.clicked.connect(pick)
        self._path_inputs += [edit, browse]
        return self._with(edit, browse)

    def _show_paths(self) -> None:
        for widget in self._path_inputs:
            widget.setEnabled(self.own.isChecked())

    def fill(self, state: ExposureState) -> None:
        self.enabled.setChecked(state.tls_enabled)
        own = state.tls_cert is not None or state.tls_key is not None
        (self.own if own else self.self_signed).setChecked(True)
        self.cert_path.setText(str(state.tls_cert or ""))
        self.key_path.setText(str(state.tls_key or ""))
        self._show_paths()

    def show_status(self, state: ExposureState) -> None:
        self.listener.setText(breakable(state.serving_url) if state.serving_url else ("not serving" if state.lan_enabled else "off (Settings → Shop "
                                                                                             "network)"))
        self.https.setText("on" if state.tls_enabled else "off")
        cert = state.certificate if state.tls_enabled else None
        if cert is not None:
            self.certificate.setText(breakable(str(cert.cert_path)) + (" (self-signed)" if cert.self_signed else ""))
            self.fingerprint.setText(breakable(cert.fingerprint_sha256))
            self.expires.setText(cert.not_after.strftime("%Y-%m-%d %H:%M UTC"))
        else:
            for label in (self.certificate, self.fingerprint, self.expires):
                label.setText("—")
        self._fingerprint = cert.fingerprint_sha256 if cert is not None else ""
        self.copy.setEnabled(cert is not None)

    def change(self) -> Coroutine[Any, Any, ExposureState]:
        own = self.own.isChecked()
        cert, key = self.cert_path.text().strip(), self.key_path.text().strip()
        return self.exposure.apply_tls(TlsChange(self.enabled.isChecked(), Path(cert) if own and cert else None,
                                                 Path(key) if own and key else None))

    def done_text(self, state: ExposureState) -> str:
        if not state.tls_enabled:
            return "HTTPS off. Saved."
        if state.serving_url:
            return f"Serving at {state.serving_url}. Saved."
        return "Saved: HTTPS applies when the shop's network listener is on."
