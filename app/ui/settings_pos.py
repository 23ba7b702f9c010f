"""Settings → Point of sale: the merchant PIN and the kiosk's options.

- **Merchant PIN** (``services.pos.pin``, a ``PinGuard``): the owner sets it here; the kiosk only asks
  for it (to leave, or to reach this window) and does not open while none is set. With a PIN set:
  **Change PIN** needs the current one (a wrong one counts towards the kiosk's lockout), **Reset PIN**
  does not (this window is only reachable unlocked: the kiosk hides it), after a confirmation.
- **Kiosk**: the auto-return delay of the "Paid" screen and the beep, kept in the window's QSettings
  (``app/ui/kiosk/options.py``) and used the next time the point of sale opens.

The page is a column of group boxes (``add_section`` appends one), so other kiosk settings can join.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRegularExpression, QSettings, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.kiosk.options import MAX_AUTO_RETURN_S, MIN_AUTO_RETURN_S, load_options, save_options
from app.ui.kiosk.pin_dialog import MAX_LEN as MAX_PIN_LEN
from app.ui.kiosk.pin_dialog import MIN_LEN as MIN_PIN_LEN
from app.ui.tasks import Runner
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.admin.pos import PinCheck, PinGuard


def pin_field(name: str) -> QLineEdit:
    """Digits only, shown as dots; no placeholder (an empty field must not look like a typed PIN)."""
    field = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password, maxLength=MAX_PIN_LEN), name)
    field.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{MAX_PIN_LEN}}}"), field))
    field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
    field.setMaximumWidth(260)
    return field


def _note(text: str = "", name: str = "", role: str = "muted") -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    return label


def _set_role(label: QLabel, role: str) -> None:
    label.setProperty("role", role)
    label.style().unpolish(label)
    label.style().polish(label)


class PosSettingsPage(QWidget):
    def __init__(self, pin: PinGuard, qsettings: QSettings, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("posSettings")
        self._pin, self._qsettings, self._run = pin, qsettings, run
        self.pin_set: bool | None = None
        inner = QWidget()
        self.sections = QVBoxLayout(inner)
        scroll = named(QScrollArea(widgetResizable=True), "posSettingsScroll")  # 800x480 admin windows
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.add_section(self._build_pin_box())
        self.add_section(self._build_kiosk_box())
        self.sections.addStretch(1)

    def add_section(self, box: QGroupBox) -> None:
        """Append a group box (before the closing stretch once the page is built)."""
        last = self.sections.itemAt(self.sections.count() - 1)
        if last is not None and last.spacerItem() is not None:
            stretch_at = self.sections.count() - 1
            self.sections.insertWidget(stretch_at, box)
        else:
            self.sections.addWidget(box)

    # -- PIN -------------------------------------------------------------------------------------

    def _build_pin_box(self) -> QGroupBox:
        box = named(QGroupBox("Merchant PIN"), "pinBox")
        self.pin_state = _note(name="pinState")
        self.current, self.new_pin, self.repeat = pin_field("currentPin"), pin_field("newPin"), pin_field("repeatPin")
        self.errors = FieldErrors()
        self.save_button = named(QPushButton("Set PIN"), "savePin")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.reset_button = named(QPushButton("Reset PIN…"), "resetPin")
        self.reset_button.clicked.connect(self._on_reset_button_clicked)
        self.status = _note(name="pinStatus", role="ok")
        form = self._pin_form = QFormLayout()
        self.current_row = self.errors.row("current", self.current)
        form.addRow("Current PIN", self.current_row)
        form.addRow("New PIN", self.errors.row("pin", self.new_pin))
        form.addRow("New PIN again", self.errors.row("repeat", self.repeat))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.pin_state)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(_note(f"{MIN_PIN_LEN} to {MAX_PIN_LEN} digits. The kiosk asks for it to leave the point "
                               "of sale or to open this window; it is stored only as a salted hash."))
        self.reset_hint = _note("Forgot it? Reset PIN sets the new one without the current one.")
        layout.addWidget(self.reset_hint)
        self._show_pin_state(False)
        return box

    def reload(self) -> None:
        self._run(self._pin.is_set(), self._show_pin_state, name="pos-pin-state", parent=self)

    def _show_pin_state(self, is_set: bool) -> None:
        self.pin_set = is_set
        self.pin_state.setText("A PIN is set: the point of sale asks for it before anyone leaves the kiosk."
                               if is_set else "No PIN is set yet: the point of sale does not open until you "
                                              "set one here.")
        _set_role(self.pin_state, "muted" if is_set else "warning")
        self._pin_form.setRowVisible(self.current_row, is_set)
        self.save_button.setText("Change PIN" if is_set else "Set PIN")
        self.reset_button.setVisible(is_set)
        self.reset_hint.setVisible(is_set)

    def _new_pin(self) -> str | None:
        """The new PIN when both fields agree; else the error beside the field."""
        self.errors.clear()
        self.status.setText("")
        new, repeat = self.new_pin.text(), self.repeat.text()
        if not MIN_PIN_LEN <= len(new) <= MAX_PIN_LEN:
            self.errors.set("pin", f"The PIN is {MIN_PIN_LEN} to {MAX_PIN_LEN} digits.")
            return None
        if repeat != new:
            self.errors.set("repeat", "The two PINs are different.")
            return None
        return new

    def _on_save_button_clicked(self) -> None:
        new = self._new_pin()
        if new is None:
            return
        if not self.pin_set:
            self._run(self._pin.set_pin(new), lambda _r: self._done("PIN set. The point of sale can open now."),
                      name="pos-pin-set", parent=self, on_user_error=self._on_error)
            return
        current = self.current.text()
        if not current:
            self.errors.set("current", "Type the current PIN (or use Reset PIN).")
            return
        self._run(self._pin.change_pin(current, new), self._on_changed, name="pos-pin-change", parent=self,
                  on_user_error=self._on_error)

    def _on_changed(self, check: PinCheck) -> None:
        if check.ok:
            self._done("PIN changed.")
        elif check.locked_for_s:
            self.errors.set("current", f"Too many wrong PINs: locked for {check.locked_for_s} s. "
                                       "Reset PIN does not need the current one.")
        else:
            self.errors.set("current", f"Wrong PIN. {check.attempts_left} tries left before a lockout.")

    def _on_reset_button_clicked(self) -> None:
        new = self._new_pin()
        if new is not None:
            self.reset_dialog = confirm(self, "Reset the merchant PIN",
                                        "Replace the merchant PIN with the new one, without the current PIN?",
                                        lambda: self._reset(new), yes_text="Reset PIN")

    def _reset(self, new: str) -> None:
        self._run(self._pin.reset_pin(new), lambda _r: self._done("PIN reset: the kiosk asks for the new one now."),
                  name="pos-pin-reset", parent=self, on_user_error=self._on_error)

    def _done(self, message: str) -> None:
        for field in (self.current, self.new_pin, self.repeat):
            field.clear()
        self._show_pin_state(True)
        self.status.setText(message)

    def _on_error(self, error: UserFacingError) -> None:
        self.errors.show(error)
        self.reload()  # e.g. set elsewhere meanwhile: show the state as it is

    # -- kiosk options ---------------------------------------------------------------------------

    def _build_kiosk_box(self) -> QGroupBox:
        box = named(QGroupBox("Kiosk"), "kioskBox")
        options = load_options(self._qsettings)
        self.auto_return = named(QSpinBox(), "autoReturn")
        self.auto_return.setRange(MIN_AUTO_RETURN_S, MAX_AUTO_RETURN_S)
        self.auto_return.setSuffix(" s")
        self.auto_return.setValue(options.auto_return_s)
        self.sound = named(QCheckBox("Beep when a sale is paid"), "kioskSound")
        self.sound.setChecked(options.sound)
        self.auto_return.valueChanged.connect(lambda _v: self._save_options())
        self.sound.toggled.connect(lambda _on: self._save_options())
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("After a paid sale, back to the start in", self.auto_return)
        form.addRow("", self.sound)
        form.addRow(_note("Used the next time the point of sale opens."))
        return box

    def _save_options(self) -> None:
        save_options(self._qsettings, auto_return_s=self.auto_return.value(), sound=self.sound.isChecked())


__all__ = ["PosSettingsPage", "pin_field"]
