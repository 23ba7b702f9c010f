"""OnScreenKeyboard: a touch keyboard for email addresses (letters, digits, @ . _ - + and ".com").

It types into a QLineEdit (``target``) with insert()/backspace(), so the field's cursor and
validation behave as with a real keyboard. Shift is one-shot, like on a phone. Keys never take focus.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.ui.kiosk.widgets import button

ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
EXTRA = ("@", ".", "_", "-", "+", ".com")


class OnScreenKeyboard(QWidget):
    submitted = Signal()

    def __init__(self, target: QLineEdit, parent: QWidget | None = None, *, submit_text: str = "Done") -> None:
        super().__init__(parent)
        self.setObjectName("onScreenKeyboard")
        self.target = target
        self.shift = False
        self.keys: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for i, row in enumerate(ROWS):
            line = QHBoxLayout()
            line.setSpacing(4)
            if i == 3:
                self.shift_key = button("⇧", name="key_shift", role="kbd", checkable=True,
                                        on_click=self._on_shift_key_clicked)
                line.addWidget(self.shift_key, 3)
            for ch in row:
                line.addWidget(self._key(ch), 2)
            if i == 3:
                line.addWidget(button("⌫", name="key_backspace", role="kbd", on_click=self.target.backspace), 3)
            layout.addLayout(line)
        line = QHBoxLayout()
        line.setSpacing(4)
        for text in EXTRA:
            line.addWidget(self._key(text), 3 if text == ".com" else 2)
        line.addWidget(button(submit_text, name="key_submit", role="ok", on_click=self.submitted.emit), 5)
        layout.addLayout(line)

    def _key(self, text: str) -> QPushButton:
        b = button(text, name=f"key_{text}", role="kbd", on_click=partial(self.press, text))
        self.keys[text] = b
        return b

    def press(self, text: str) -> None:
        if self.shift and len(text) == 1:
            text = text.upper()
            self._set_shift(False)
        self.target.insert(text)

    def type_text(self, text: str) -> None:
        """Tap the keys for ``text`` (tests, demos); unknown characters are refused."""
        for ch in text:
            key = ch.lower()
            if key not in self.keys:
                raise ValueError(f"no key for {ch!r}")
            if ch != key:
                self._set_shift(True)
            self.keys[key].click()

    def _on_shift_key_clicked(self) -> None:
        self._set_shift(self.shift_key.isChecked())

    def _set_shift(self, on: bool) -> None:
        self.shift = on
        self.shift_key.setChecked(on)
        for ch, b in self.keys.items():
            if len(ch) == 1 and ch.isalpha():
                b.setText(ch.upper() if on else ch)
