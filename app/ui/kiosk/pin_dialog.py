"""PinDialog: the merchant PIN, entered on a big keypad, as a full-screen page of the kiosk (not a
modal QDialog: nothing may block the loop, and a fullscreen kiosk has no room for a window on top).

``ask(reason)``: to leave the kiosk or reach an admin view. ``guard.verify`` answers; a wrong PIN says
how many tries are left; after too many the keys are disabled and a countdown shows the lockout (the
guard enforces it too, so waiting out the screen is the only way). Emits ``unlocked``.
The kiosk never sets the PIN: the owner does, in Settings → Point of sale (app/ui/settings_pos.py).
The digits are never shown: one dot per typed digit, and an empty box before the first one.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from app.core.errors import UserFacingError
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label
from app.ui.tasks import Runner

MIN_LEN, MAX_LEN = 4, 8


class PinAnswer(Protocol):
    """``PinCheck`` of the merchant PIN, ``PinResult`` of a person's (app/ui/kiosk/people_screen.py)."""

    @property
    def ok(self) -> bool: ...
    @property
    def attempts_left(self) -> int: ...
    @property
    def locked_for_s(self) -> int: ...


class PinVerifier(Protocol):
    """``PinGuard`` (the merchant PIN) or ``PersonPin`` (one person's PIN)."""

    async def state(self) -> PinAnswer: ...

    async def verify(self, pin: str) -> PinAnswer: ...


class PinDialog(QWidget):
    unlocked = Signal(str)  # the reason given to ask()
    cancelled = Signal()

    def __init__(self, guard: PinVerifier, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self._guard = guard
        self._run = run
        self.reason = ""
        self._pin = ""
        self._locked_s = 0
        self.title = label(name="pinTitle", role="title", center=True, wrap=True)
        self.dots = label(name="pinDots", role="display", center=True)
        self.message = label(name="pinMessage", center=True, wrap=True)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.keys = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]):
            b = button(key, name=f"pin_{'back' if key == '⌫' else key}", role="ok" if key == "OK" else "key",
                       on_click=partial(self.press, key))
            self.keys[key] = b
            grid.addWidget(b, i // 3, i % 3)
        self.cancel_button = button("Cancel", name="pinCancel", on_click=self._on_cancel_button_clicked)
        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(self.title)
        left.addWidget(self.dots)
        left.addWidget(self.message)
        left.addStretch(1)
        left.addWidget(self.cancel_button)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(grid, 1)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- entry points ----------------------------------------------------------------------------

    def ask(self, reason: str = "exit", prompt: str = "Merchant PIN to leave the kiosk",
            guard: PinVerifier | None = None) -> None:
        """``guard``: whose PIN (a person's, with people); the one given before otherwise."""
        if guard is not None and guard is not self._guard:
            self._guard = guard
            self._locked_s = 0
            self._timer.stop()
        self.reason = reason
        self._reset(prompt)
        self.cancel_button.setText("Back")
        self._run(self._guard.state(), self._on_state, name="pin-state")

    # -- keys ------------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        if self._locked_s:
            return
        if key == "⌫":
            self._pin = self._pin[:-1]
        elif key == "OK":
            self._submit()
            return
        elif key.isdigit() and len(self._pin) < MAX_LEN:
            self._pin += key
        self._show_dots()

    def enter(self, pin: str) -> None:
        """Type ``pin`` and press OK (tests, hardware keypads)."""
        for ch in pin:
            self.press(ch)
        self.press("OK")

    def _submit(self) -> None:
        pin, self._pin = self._pin, ""
        self._show_dots()
        if len(pin) < MIN_LEN:
            self._say(f"The PIN has {MIN_LEN} to {MAX_LEN} digits.", "error")
            return
        self._set_keys(False)
        self._run(self._guard.verify(pin), self._on_verified, name="pin-verify", on_user_error=self._on_error)

    # -- answers ---------------------------------------------------------------------------------

    def _on_state(self, check: PinAnswer) -> None:
        if check.locked_for_s:
            self._lock(check.locked_for_s)

    def _on_verified(self, check: PinAnswer) -> None:
        self._set_keys(True)
        if check.ok:
            self._say("", "muted")
            self.unlocked.emit(self.reason)
        elif check.locked_for_s:
            self._lock(check.locked_for_s)
        else:
            left = check.attempts_left
            self._say(f"Wrong PIN. {left} {'try' if left == 1 else 'tries'} left before a lockout."
                      if left else "Wrong PIN.", "error")

    def _on_error(self, error: UserFacingError) -> None:
        self._set_keys(True)
        self._say(error.message, "error")

    def _lock(self, seconds: int) -> None:
        self._locked_s = seconds
        self._set_keys(False)
        self._show_lock()
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        self._locked_s = max(0, self._locked_s - 1)
        if self._locked_s:
            self._show_lock()
            return
        self._timer.stop()
        self._set_keys(True)
        self._say("You can try again.", "muted")

    def _show_lock(self) -> None:
        m, s = divmod(self._locked_s, 60)
        self._say(f"Too many wrong PINs. Locked for {m}:{s:02d}.", "error")

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return bool(self._locked_s)

    def _reset(self, title: str) -> None:
        self._pin = ""
        self.title.setText(title)
        self._say("", "muted")
        self._show_dots()
        if not self._locked_s:
            self._set_keys(True)

    def _say(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def _show_dots(self) -> None:
        self.dots.setText("●" * len(self._pin))  # nothing typed: an empty box, never look-alike digits

    def _set_keys(self, on: bool) -> None:
        for b in self.keys.values():
            b.setEnabled(on)

    def _on_cancel_button_clicked(self) -> None:
        self._pin = ""
        self.cancelled.emit()


class NoPinScreen(QWidget):
    """Shown instead of the sale screen while no merchant PIN is set: the kiosk could not lock the
    admin window, so it does not open, and says where the owner sets the PIN."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskNoPin")
        self.text = label("No merchant PIN is set, so the point of sale cannot lock the admin window.\n"
                          "Set one in RedWaves: Settings → Point of sale, then open the point of sale again.",
                          name="noPinText", role="title", center=True, wrap=True)
        self.back = button("Back to RedWaves", name="noPinBack", role="primary")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.text)
        layout.addStretch(1)
        layout.addWidget(self.back)
