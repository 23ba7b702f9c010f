"""The chain server choice, shared by the wizard's page and Settings → Chain server.

Three choices, explained plainly: your own Electrum server (host:port:s|t, with a "Test connection"
button), Electrum's public servers over Tor (the default when tor is available; RedWaves starts tor),
or the public servers directly (they see every address of the shop and the shop's IP address).
Errors show beside the choice (``electrum_route``) or the server field (``electrum_server``); a setting
given by REDWAVES_* or the command line is locked with "Set by ...".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.chain_route import ChainRoute
from app.core.errors import UserFacingError
from app.ui.field_errors import FieldErrors
from app.ui.ports import ChainRouteControl
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.net.electrum_probe import ProbeResult
    from app.services.chain_route import ChainRouteState
    from app.ui.tasks import Runner

QUESTION = "Which server learns your shop's addresses?"
INTRO = ("To see payments arrive, RedWaves asks an Electrum server about each of your shop's addresses. "
         "That server learns all of them.")
CHOICES = {
    ChainRoute.OWN: ("Your own Electrum server",
                     "Only your server learns the addresses. Enter it as host:port:s (TLS) or host:port:t "
                     "(plain TCP), e.g. electrum.example:50002:s."),
    ChainRoute.TOR: ("Public servers over Tor",
                     "Electrum's public servers learn the addresses, but not your IP address: RedWaves starts "
                     "tor and connects through it."),
    ChainRoute.DIRECT: ("Public servers directly",
                        "Those servers see every address of your shop and your IP address. Quickest to set up, "
                        "least private."),
}
TOR_MISSING = "Needs the tor program, which is not installed on this computer."
TOR_DEFAULT = " Recommended; used when you choose nothing."


def note(text: str, name: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", "muted")
    if name:
        label.setObjectName(name)
    return label


class ChainRouteForm(QWidget):
    """The three choices, the server field and its test; ``choice()`` is what Apply / Finish uses."""

    changed = Signal()

    def __init__(self, control: ChainRouteControl, run: Runner) -> None:
        super().__init__()
        self.control = control
        self._run = run
        self.errors = FieldErrors()
        self.group = QButtonGroup(self)
        self.radios: dict[ChainRoute, QRadioButton] = {}
        self.notes: dict[ChainRoute, QLabel] = {}
        choices = QWidget()
        column = QVBoxLayout(choices)
        column.setContentsMargins(0, 0, 0, 0)
        for route, (caption, text) in CHOICES.items():
            radio = named(QRadioButton(caption), f"route_{route}")
            self.group.addButton(radio)
            self.radios[route] = radio
            self.notes[route] = note(text, f"route_{route}Note")
            column.addWidget(radio)
            indented = QHBoxLayout()
            indented.setContentsMargins(24, 0, 0, 4)
            indented.addWidget(self.notes[route])
            column.addLayout(indented)
            if route is ChainRoute.OWN:
                column.addLayout(self._server_row())
            radio.toggled.connect(self._on_radio_toggled)
        self._server_locked = False
        self.lock = note("", "electrum_routeLock")
        self.lock.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(note(INTRO))
        layout.addWidget(self.errors.row("electrum_route", choices))
        layout.addWidget(self.lock)
        layout.addWidget(self.errors.general)

    def _server_row(self) -> QHBoxLayout:
        self.server = named(QLineEdit(), "electrumServer")
        self.server.setToolTip("host:port:s (TLS) or host:port:t (plain TCP)")
        self.server.textChanged.connect(self._on_server_text_changed)
        self.test_button = named(QPushButton("Test connection"), "testElectrum")
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.test_result = named(QLabel(wordWrap=True), "electrumTestResult")
        self.test_result.setProperty("role", "ok")
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result.hide()
        field = QWidget()
        field_column = QVBoxLayout(field)
        field_column.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.server, 1)
        top.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        field_column.addLayout(top)
        field_column.addWidget(self.test_result)
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 6)
        row.addWidget(self.errors.row("electrum_server", field), 1)
        return row

    # ---- state --------------------------------------------------------------------------------
    def fill(self, state: ChainRouteState) -> None:
        """The saved choice (or the default: Tor when tor is there), locks and tor's availability."""
        tor_note = CHOICES[ChainRoute.TOR][1] + (TOR_DEFAULT if state.tor_available else " " + TOR_MISSING)
        self.notes[ChainRoute.TOR].setText(tor_note)
        self.radios[ChainRoute.TOR].setEnabled(state.tor_available or state.route is ChainRoute.TOR)
        selected = state.route or (ChainRoute.TOR if state.tor_available else None)
        if selected is not None:
            self.radios[selected].setChecked(True)
        self.server.setText(state.server or "")
        route_lock, server_lock = state.locked.get("electrum_route"), state.locked.get("electrum_server")
        if route_lock:
            for radio in self.radios.values():
                radio.setEnabled(False)
        locks = [f"Set by {source} ({key}), which overrides config.toml: change it there."
                 for key, source in (("electrum_route", route_lock), ("electrum_server", server_lock)) if source]
        self.lock.setText(" ".join(locks))
        self.lock.setVisible(bool(locks))
        self._server_locked = bool(route_lock or server_lock)
        self._sync()

    def selected(self) -> ChainRoute | None:
        return next((route for route, radio in self.radios.items() if radio.isChecked()), None)

    def choice(self) -> tuple[str, str]:
        """(route, server) as typed; the server only for "own"."""
        route = self.selected()
        return (str(route) if route else "", self.server.text().strip() if route is ChainRoute.OWN else "")

    def complete(self) -> bool:
        route = self.selected()
        return route is not None and (route is not ChainRoute.OWN or bool(self.server.text().strip()))

    def show_error(self, error: UserFacingError) -> None:
        self.errors.show(error)

    def _sync(self) -> None:
        own = self.selected() is ChainRoute.OWN
        self.server.setEnabled(own and not self._server_locked)
        self.test_button.setEnabled(own and bool(self.server.text().strip()))

    # ---- slots --------------------------------------------------------------------------------
    def _on_radio_toggled(self, _on: bool) -> None:
        self.errors.hide("electrum_route")
        self._sync()
        self.changed.emit()

    def _on_server_text_changed(self, _text: str) -> None:
        self.errors.hide("electrum_server")
        self.test_result.hide()
        self._sync()
        self.changed.emit()

    def _on_test_button_clicked(self) -> None:
        self.errors.hide("electrum_server")
        self.test_result.hide()
        route, server = self.choice()
        self.test_button.setEnabled(False)
        self.test_button.setText("Testing…")
        self._run(self.control.test(route, server), self._on_tested, name="electrum-test", parent=self,
                  on_user_error=self._on_test_failed)

    def _finish_test(self) -> None:
        self.test_button.setText("Test connection")
        self._sync()

    def _on_tested(self, result: ProbeResult) -> None:
        self._finish_test()
        self.test_result.setText(f"Works: {result.summary()}")
        self.test_result.show()

    def _on_test_failed(self, error: UserFacingError) -> None:
        self._finish_test()
        self.errors.show(error)
