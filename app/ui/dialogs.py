"""Small non-blocking dialogs (never ``exec()``: a nested event loop would stall the asyncio loop)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.widget_names import named


def confirm(parent: QWidget | None, title: str, text: str, on_yes: Callable[[], None], *,
            yes_text: str = "Yes") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("confirmDialog")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(yes)
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    box.open()
    return box


def inform(parent: QWidget | None, title: str, text: str, *, details: str = "") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("infoDialog")
    if details:
        box.setDetailedText(details)
    box.open()
    return box


def lay_out_form_dialog(dialog: QDialog, form: QFormLayout, note: str, general_error: QWidget, *,
                        confirm_text: str, confirm_name: str, on_confirm: Callable[[], None]) -> QPushButton:
    """A form dialog's layout: the form, a muted note, the form's general error, Cancel and the confirm
    button (object name ``confirm_name``, returned), 560 wide."""
    note_label = QLabel(note, wordWrap=True)
    note_label.setProperty("role", "muted")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    button = named(buttons.addButton(confirm_text, QDialogButtonBox.ButtonRole.AcceptRole), confirm_name)
    button.clicked.connect(on_confirm)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(note_label)
    layout.addWidget(general_error)
    layout.addStretch(1)
    layout.addWidget(buttons)
    dialog.resize(560, dialog.sizeHint().height())
    return button


class UrlDialog(QDialog):
    """A URL the app could not open itself: selectable, with a Copy button (non-modal, like the others)."""

    def __init__(self, parent: QWidget | None, title: str, text: str, url: str) -> None:
        super().__init__(parent)
        self.setObjectName("urlDialog")
        self.setWindowTitle(title)
        message = QLabel(text, wordWrap=True)
        message.setObjectName("urlMessage")
        self.url = QLineEdit(url, readOnly=True)
        self.url.setObjectName("failedUrl")
        self.url.setCursorPosition(0)
        self.url.selectAll()
        copy = QPushButton("Copy")
        copy.setObjectName("copyUrl")
        copy.clicked.connect(self._on_copy_clicked)
        self.copied = QLabel()
        self.copied.setProperty("role", "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(copy)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.url.text())
        self.copied.setText("Copied.")


def open_url(parent: QWidget | None, url: str) -> UrlDialog | None:
    """Open ``url`` in the desktop's browser; when none starts, say so and show the URL to copy."""
    if QDesktopServices.openUrl(QUrl(url)):
        return None
    dialog = UrlDialog(parent, "Could not open the browser",
                       "No web browser could be started on this computer. Copy the address and open it in "
                       "a browser yourself, or on another device on this network.", url)
    dialog.open()
    return dialog
