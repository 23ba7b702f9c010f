"""Settings → Chain server: which Electrum server learns the shop's addresses, switched live.

The same three choices as the wizard (app/ui/chain_route_form.py). Apply runs ``ChainRouteControl.apply``:
the runtime starts tor first when the choice needs it, points Electrum at the new server (it reconnects
and resyncs the wallets; nothing is restarted) and saves ``electrum_route`` / ``electrum_server`` to
config.toml. A failure shows beside its field and leaves Electrum as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.errors import UserFacingError
from app.ui.chain_route_form import QUESTION, ChainRouteForm, note
from app.ui.ports import ChainRouteControl
from app.ui.screen_fit import scroll_inside
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.chain_route import ChainRouteState
    from app.ui.tasks import Runner

APPLY_NOTE = ("Apply switches at once: Electrum reconnects to the chosen server and checks your addresses "
              "again there. Saved to config.toml (electrum_route, electrum_server).")
DEVNET_NOTE = "This RedWaves runs the embedded devnet: its own local chain is the server, so there is nothing to choose."


def now_text(state: ChainRouteState) -> str:
    running = state.running
    if running is None:
        return "Now: no chain connection in this RedWaves."
    text = f"Now: {running.describe()}"
    if not running.chosen and not state.devnet:
        text += " (the default: nothing chosen yet)"
    if state.pending_restart:
        text += ". Your saved choice applies the next time RedWaves starts"
    return text + "."


class ChainServerPage(QWidget):
    def __init__(self, control: ChainRouteControl, run: Runner) -> None:
        super().__init__()
        self.control = control
        self._run = run
        title = QLabel(QUESTION)
        title.setProperty("role", "h2")
        title.setWordWrap(True)
        self.now = named(QLabel(wordWrap=True), "chainRouteNow")
        self.now.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = ChainRouteForm(control, run)
        self.apply_button = named(QPushButton("Apply"), "chainRouteApply")
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.result = named(QLabel(wordWrap=True), "chainRouteResult")
        self.result.setProperty("role", "ok")
        self.devnet = note(DEVNET_NOTE, "chainRouteDevnet")
        row = QHBoxLayout()
        row.addWidget(self.apply_button)
        row.addWidget(self.result, 1)
        content = QWidget()
        scroll_inside(self, content)
        layout = QVBoxLayout(content)
        layout.addWidget(title)
        layout.addWidget(self.now)
        layout.addWidget(self.devnet)
        layout.addWidget(self.form)
        self.apply_row = QWidget()
        self.apply_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.apply_row)
        self.apply_note = note(APPLY_NOTE)
        layout.addWidget(self.apply_note)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        self.show_state(self.control.current())

    def show_state(self, state: ChainRouteState) -> None:
        self.form.fill(state)
        self.now.setText(now_text(state))
        self.devnet.setVisible(state.devnet)
        for widget in (self.form, self.apply_row, self.apply_note):  # the devnet is the only server there
            widget.setVisible(not state.devnet)
        self.apply_button.setEnabled(not state.devnet and len(state.locked) < 2)

    def _on_apply_button_clicked(self) -> None:
        self.form.errors.clear()
        self.result.clear()
        route, server = self.form.choice()
        self.apply_button.setEnabled(False)
        self.apply_button.setText("Applying…")
        self._run(self.control.apply(route, server), self._on_applied, name="chain-route-apply", parent=self,
                  on_user_error=self._on_failed)

    def _on_applied(self, state: ChainRouteState) -> None:
        self.apply_button.setText("Apply")
        self.show_state(state)
        self.result.setText("Saved; applies the next time RedWaves starts." if state.pending_restart
                            else "Switched and saved.")

    def _on_failed(self, error: UserFacingError) -> None:
        self.apply_button.setText("Apply")
        self.apply_button.setEnabled(True)
        self.form.show_error(error)
