"""Settings → Tor and Settings → TLS: how shoppers reach the checkout, as it is right now.

Both pages only show state and name the setting that changes it (config.toml key, REDWAVES_* variable);
switching Tor, TLS or the public listener from the window is issue 16. The Tor page follows
``TorService.subscribe``; the TLS page re-reads ``PublicListenerStatus.status()`` when shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from app.ui.ports import TorControl
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.net.tor import TorStatus
    from app.services.ports import PublicListenerStatus, PublicStatus

TOR_STATES = {  # TorState values -> what the merchant reads
    "disabled": "off", "launching": "starting tor…", "bootstrapping": "connecting to the Tor network",
    "ready": "running", "error": "not working", "stopped": "stopped",
}
TOR_OFF_HOWTO = ("To give the checkout an .onion address that shoppers' Tor Browser can open (no port "
                 "forwarding needed), set <code>tor_enabled = true</code> in config.toml in the data directory "
                 "(or <code>REDWAVES_TOR_ENABLED=true</code>) and restart RedWaves. By default RedWaves starts its "
                 "own tor (<code>tor_cmd</code>); <code>tor_mode = \"attach\"</code> uses one that already runs "
                 "(<code>tor_control</code>, <code>tor_socks</code>).")
TOR_ON_NOTE = ("Set by <code>tor_enabled = true</code> (config.toml or REDWAVES_TOR_ENABLED). To turn Tor off, set "
               "it to false and restart RedWaves. <code>tor_only = true</code> also sends every outbound "
               "connection (Electrum, rates, webhooks) through Tor.")


def _value(name: str) -> QLabel:
    label = named(QLabel("—"), name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _note(name: str) -> QLabel:
    label = _value(name)
    label.setProperty("role", "muted")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class TorPage(QWidget):
    def __init__(self, tor: TorControl | None) -> None:
        super().__init__()
        self.tor = tor
        self.state = _value("torState")
        self.bootstrap = _value("torBootstrap")
        self.onion = _value("torOnion")
        self.error = _value("torError")
        self.note = _note("torNote")
        layout = QVBoxLayout(self)
        if tor is None:
            self.state.setText("Tor is off.")
            self.state.setProperty("role", "h2")
            layout.addWidget(self.state)
            self.note.setText(TOR_OFF_HOWTO)
        else:
            form = QFormLayout()
            for caption, widget in (("Tor", self.state), ("Bootstrap", self.bootstrap),
                                    ("Onion address", self.onion), ("Problem", self.error)):
                form.addRow(caption, widget)
            layout.addLayout(form)
            layout.addSpacing(8)
            self.note.setText(TOR_ON_NOTE)
            unsubscribe = tor.subscribe(self.show_status)
            self.destroyed.connect(lambda _obj=None: unsubscribe())
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        if self.tor is not None:
            self.show_status(self.tor.status)

    def show_status(self, status: TorStatus) -> None:
        self.state.setText(TOR_STATES.get(str(status.state), str(status.state)))
        self.bootstrap.setText(f"{status.bootstrap_percent}%")
        self.onion.setText(status.onion_url or "not published yet")
        problem = status.error_message
        self.error.setText(f"{problem} ({status.error_code})" if problem and status.error_code else problem or "none")


class TlsPage(QWidget):
    def __init__(self, public: PublicListenerStatus) -> None:
        super().__init__()
        self.public = public
        self.listener = _value("publicListener")
        self.https = _value("tlsState")
        self.certificate = _value("tlsCertificate")
        self.fingerprint = _value("tlsFingerprint")
        self.expires = _value("tlsExpires")
        self.problem = _value("tlsProblem")
        self.note = _note("tlsNote")
        form = QFormLayout()
        for caption, widget in (("Public listener", self.listener), ("HTTPS", self.https),
                                ("Certificate", self.certificate), ("SHA-256 fingerprint", self.fingerprint),
                                ("Expires", self.expires), ("Problem", self.problem)):
            form.addRow(caption, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        self.show_status(self.public.status())

    def show_status(self, st: PublicStatus) -> None:
        self.listener.setText((st.url or "starting…") if st.enabled else "off")
        self.https.setText("on" if st.tls else "off")
        cert = st.certificate
        if cert is not None:
            self.certificate.setText(f"{cert.cert_path}" + (" (self-signed)" if cert.self_signed else ""))
            self.fingerprint.setText(cert.fingerprint_sha256)
            self.expires.setText(cert.not_after.strftime("%Y-%m-%d %H:%M UTC"))
        else:
            for label in (self.certificate, self.fingerprint, self.expires):
                label.setText("—")
        self.problem.setText(f"{st.problem.message} ({st.problem.code})" if st.problem else "none")
        self.note.setText(_tls_note(st))


def _tls_note(st: PublicStatus) -> str:
    if not st.enabled:
        return ("The public (LAN) listener serves the checkout pages to shoppers' phones. It is off: set "
                "<code>public_enabled = true</code> in config.toml (or REDWAVES_PUBLIC_ENABLED=true) and restart "
                "RedWaves; <code>public_tls = true</code> adds HTTPS.")
    if not st.tls:
        return ("HTTPS is off: set <code>public_tls = true</code> in config.toml (or REDWAVES_PUBLIC_TLS=true) and "
                "restart RedWaves. <code>public_tls_cert</code> and <code>public_tls_key</code> name your own "
                "certificate; without them RedWaves makes a self-signed one.")
    return ("Set by <code>public_tls = true</code>. A self-signed certificate makes browsers warn once: compare the "
            "fingerprint above with what the browser shows. <code>public_tls_cert</code> / "
            "<code>public_tls_key</code> use your own certificate instead. Restart RedWaves after a change.")
