"""Settings → Shop network, TLS and Tor: how shoppers reach the checkout, switched live.

Each page edits one part through the typed ``ExposureControl`` (app/ui/ports.py; the runtime's
``ExposureController``): Apply runs ``apply_lan`` / ``apply_tls`` / ``apply_tor`` through ``ctx.run``,
the button says "Applying…" meanwhile, then the page shows the new URL or the error beside its field
(a port in use beside Port). Nothing needs a restart: the runtime stops/starts the public listener or
tor and saves the choice to config.toml. A setting given by a REDWAVES_* variable or on the command
line overrides that file, so its control is disabled with "set by REDWAVES_X". The pages follow
``ExposureControl.subscribe`` (tor's bootstrap and errors arrive live). This module has the shared
form (``ExposureForm``) and the Shop network page; settings_tls.py and settings_tor.py the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.net.exposure_state import ExposureState, LanChange
from app.ui.field_errors import FieldErrors
from app.ui.ports import ExposureControl
from app.ui.widget_names import named

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from app.ui.tasks import Runner

    Change = Callable[[], Coroutine[Any, Any, ExposureState]]  # a page's inputs -> the controller call

TOR_OFF_HOWTO = ("Tor gives the checkout an .onion address that shoppers' Tor Browser can open, with no port "
                 "forwarding and no public IP address. RedWaves starts its own tor, or uses one that already runs; "
                 "switch it on in Settings → Tor (saved to config.toml as <code>tor_enabled</code>).")
TOR_ON_NOTE = ("Switch Tor off or change how RedWaves reaches it in Settings → Tor: it applies at once. "
               "<code>tor_only = true</code> in config.toml also sends every outbound connection (Electrum, "
               "rates, webhooks) through Tor.")


def value_label(name: str) -> QLabel:
    label = named(QLabel("—"), name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


ZWSP = "\u200b"  # lets a long path or fingerprint wrap (after / and :) instead of widening the page


def breakable(text: str, longest: int = 28) -> str:
    """``text`` that may wrap after / and : and inside runs longer than ``longest`` characters."""
    parts = text.replace("/", "/" + ZWSP).replace(":", ":" + ZWSP).split(ZWSP)
    runs = [ZWSP.join(part[i:i + longest] for i in range(0, len(part), longest)) for part in parts]
    return ZWSP.join(runs)


def shown_text(label: QLabel) -> str:
    """What ``label`` shows, without the wrap points ``breakable`` put in."""
    return label.text().replace(ZWSP, "")


def note_label(name: str, text: str = "") -> QLabel:
    label = value_label(name)
    label.setText(text)
    label.setProperty("role", "muted")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class ExposureForm(QWidget):
    """A page with fields that may be locked by the environment, one Apply button and a result line.

    ``change`` reads the page's inputs and returns the controller call that applies them (raising
    UserFacingError for an input that does not read); Apply runs it.
    """

    apply_text = "Apply"

    def __init__(self, exposure: ExposureControl, run: Runner, name: str, change: Change) -> None:
        super().__init__()
        self.exposure = exposure
        self._run = run
        self._change = change
        self.errors = FieldErrors()
        self._lockable: dict[str, tuple[QWidget, QLabel]] = {}
        self.apply_button = named(QPushButton(self.apply_text), f"{name}Apply")
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.result = named(QLabel(), f"{name}Result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setProperty("role", "ok")
        unsubscribe = exposure.subscribe(self.show_state)
        self.destroyed.connect(lambda _obj=None: unsubscribe())

    def field(self, key: str, widget: QWidget, note: QLabel | None = None) -> QWidget:
        """``widget`` with a "set by ..." note beside it, its error label and an optional ``note`` under it."""
        lock = named(QLabel(), f"{key}Lock")
        lock.setProperty("role", "muted")
        lock.setWordWrap(True)
        lock.hide()
        self._lockable[key] = (widget, lock)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        row.addWidget(lock)
        field = self.errors.row(key, box)
        layout = field.layout()
        if note is not None and layout is not None:
            layout.addWidget(note)  # under the error label; a box layout gives wrapped text its height
        return field

    def locked_by(self, key: str) -> str:
        """What the note beside ``key`` says ("set by REDWAVES_X"), empty when the control is free."""
        lock = self._lockable[key][1]
        return lock.text() if not lock.isHidden() else ""

    def apply_row(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.apply_button)
        row.addWidget(self.result, 1)
        return box

    def reload(self) -> None:
        state = self.exposure.current()
        self.fill(state)
        self.show_state(state)

    def show_state(self, state: ExposureState) -> None:
        for key, (widget, lock) in self._lockable.items():
            source = state.locked.get(key)
            widget.setEnabled(source is None and state.available)
            lock.setText(f"set by {source}" if source else "")
            lock.setVisible(source is not None)
            widget.setToolTip(f"Set by {source}, which overrides config.toml." if source else "")
        self.apply_button.setEnabled(state.available and self.apply_button.text() == self.apply_text)
        self.show_status(state)

    # ---- what each page fills in ------------------------------------------------------------
    def fill(self, state: ExposureState) -> None:
        """Put the settings into the inputs (on reload and after a change was applied)."""

    def show_status(self, state: ExposureState) -> None:
        """Show how it runs now (also called for every live change)."""

    def done_text(self, state: ExposureState) -> str:
        return "Applied and saved."

    # ---- applying -----------------------------------------------------------------------------
    def _on_apply_button_clicked(self) -> None:
        self.errors.clear()
        self.result.clear()
        try:
            coro = self._change()
        except UserFacingError as exc:
            self.errors.show(exc)
            return
        self.apply_button.setEnabled(False)
        self.apply_button.setText("Applying…")
        self._run(coro, self._on_applied, name="exposure-apply", parent=self, on_user_error=self._on_failed)

    def _finish(self) -> None:
        self.apply_button.setText(self.apply_text)
        self.apply_button.setEnabled(True)

    def _on_applied(self, state: ExposureState) -> None:
        self._finish()
        self.fill(state)
        self.show_state(state)
        self.result.setText(self.done_text(state))

    def _on_failed(self, error: UserFacingError) -> None:
        self._finish()
        self.errors.show(error)
        self.show_state(self.exposure.current())


class ShopNetworkPage(ExposureForm):
    """The public (LAN) listener: on/off, address, port, and the shop's public URL."""

    def __init__(self, exposure: ExposureControl, run: Runner) -> None:
        super().__init__(exposure, run, "lan", self.change)
        self.status = named(QLabel(), "lanStatus")
        self.status.setProperty("role", "h2")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = value_label("lanProblem")
        self.problem.setProperty("role", "error")
        self.enabled = named(QCheckBox("Serve the checkout on the shop's network (LAN)"),
                             "lanEnabled")
        self.host = named(QLineEdit(), "publicHost")
        self.port = named(QSpinBox(), "publicPort")
        self.port.setRange(0, 65535)
        self.public_url = named(QLineEdit(), "publicUrl")
        form = QFormLayout()
        form.addRow("", self.field("public_enabled", self.enabled))
        host_note = note_label("hostNote", "0.0.0.0 = every network of this computer; 127.0.0.1 = only this "
                                           "computer (behind a reverse proxy).")
        url_note = note_label("publicUrlNote", "Optional: the address shoppers use when a router or reverse proxy "
                                               "forwards to RedWaves, e.g. https://shop.example. Checkout links, "
                                               "e-mailed receipts and Greenfield's checkoutLink use it.")
        form.addRow("Address", self.field("public_host", self.host, host_note))
        form.addRow("Port", self.field("public_port", self.port))
        form.addRow("Public URL", self.field("public_url", self.public_url, url_note))
        form.addRow("", self.apply_row())
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.problem)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        self.reload()

    def fill(self, state: ExposureState) -> None:
        self.enabled.setChecked(state.lan_enabled)
        self.host.setText(state.public_host)
        self.port.setValue(state.public_port)
        self.public_url.setText(state.public_url or "")

    def show_status(self, state: ExposureState) -> None:
        if not state.available:
            self.status.setText("This RedWaves runs without the checkout server.")
        elif state.shop_url is not None:
            self.status.setText(f"Shoppers open {state.shop_url}")
        elif state.lan_enabled:
            self.status.setText("The shop's network listener is not serving.")
        else:
            self.status.setText("Off: only this computer can open the checkout.")
        problem = state.problem
        self.problem.setText(problem.message if problem is not None else "")
        self.problem.setVisible(problem is not None)

    def change(self) -> Coroutine[Any, Any, ExposureState]:
        return self.exposure.apply_lan(LanChange(self.enabled.isChecked(), self.host.text().strip(),
                                                 self.port.value(), self.public_url.text().strip()))

    def done_text(self, state: ExposureState) -> str:
        if state.shop_url is None:
            return "Switched off and saved."
        also = f" (on this network: {', '.join(state.lan_urls)})" if state.public_url and state.lan_urls else ""
        return f"Serving at {state.shop_url}{also}. Saved."
