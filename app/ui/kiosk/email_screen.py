"""EmailScreen: the shopper types an address on the on-screen keyboard; "Send" emails the receipt."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from app.ui.kiosk.onscreen_keyboard import OnScreenKeyboard
from app.ui.kiosk.widgets import button, label
from app.ui.widget_names import named


class EmailScreen(QWidget):
    sendRequested = Signal(str)  # noqa: N815
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emailScreen")
        self.title = label("Email receipt to", name="emailTitle", role="title")
        self.address = named(QLineEdit(placeholderText="you@example.com"), "emailAddress")
        self.address.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly |
                                         Qt.InputMethodHint.ImhNoAutoUppercase)
        self.address.setMaxLength(320)
        self.error = label(name="emailError", role="error", wrap=True)
        self.keyboard = OnScreenKeyboard(self.address, submit_text="Send")
        self.keyboard.submitted.connect(self._on_keyboard_submitted)
        self.back_button = button("Back", name="emailBack", on_click=self.back.emit)
        self.back_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.error.hide()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.address, 1)
        top.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.keyboard, 1)

    def start(self) -> None:
        self.address.clear()
        self.show_error("")
        self.set_busy(False)
        self.address.setFocus()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.keyboard.setEnabled(not busy)
        if busy:
            self.show_error("")
            self.title.setText("Sending…")
        else:
            self.title.setText("Email receipt to")

    def _on_keyboard_submitted(self) -> None:
        text = self.address.text().strip()
        if "@" not in text:
            self.show_error("Type your email address, then Send.")
            return
        self.set_busy(True)
        self.sendRequested.emit(text)
