"""First-run wizard: network (informational) -> wallet (xpub) -> first store -> privacy -> chain server -> owner
(optional: name, PIN, window password) -> summary.

Shown when there is no wallet or no store. Each page checks its fields before Next, beside the field
(app/ui/wizard_pages.py). Nothing is saved until Finish: then ``OnboardingService.create_first_store``
writes wallet, manual rate, store (and the owner) in ONE transaction, so a failure leaves nothing behind and
Finish can simply be pressed again (the wizard goes back to the page of the field in error). After
the store exists, the privacy choices (LAN checkout, Tor) are applied through
``services.exposure_control`` and the chain server choice through ``services.chain_route`` (switched
live, saved to config.toml); a failure there is shown on the summary page, the store stays, and
Finish becomes "Close".
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

from app.core.errors import UserFacingError
from app.core.first_store import FirstStore
from app.core.records import Store, Wallet
from app.ui.context import WindowContext
from app.ui.wizard_pages import (
    WALLET_FIELDS,
    ChainPage,
    NetworkPage,
    OwnerPage,
    PrivacyPage,
    StorePage,
    SummaryPage,
    WalletPage,
)

logger = logging.getLogger(__name__)

SWITCH_NAMES = {"lan": "LAN checkout", "tor": "Tor"}


class FirstRunWizard(QWizard):
    finishedSetup = Signal(object)  # the Store created  # noqa: N815
    restoreRequested = Signal()  # "Restore from a backup…" on the welcome page  # noqa: N815

    def __init__(self, ctx: WindowContext, existing_wallets: list[Wallet], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("Set up RedWaves")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self._ctx = ctx
        self.network_page = NetworkPage(ctx)
        self.network_page.restore_button.clicked.connect(self.restoreRequested.emit)
        self.wallet_page = WalletPage(ctx, existing_wallets)
        self.store_page = StorePage(ctx)
        self.privacy_page = PrivacyPage(ctx)
        self.chain_page = ChainPage(ctx)
        self.owner_page = OwnerPage(ctx)
        self.summary_page = SummaryPage(self.wallet_page, self.store_page, self.privacy_page, self.chain_page,
                                        self.owner_page)
        for page in (self.network_page, self.wallet_page, self.store_page, self.privacy_page, self.chain_page,
                     self.owner_page, self.summary_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create store")
        self.store: Store | None = None
        self.saving = False
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        self.resize(min(720, area.width()) if area else 720, min(540, area.height() - 40) if area else 540)

    def setup(self) -> FirstStore:
        """What Finish creates, from the pages; ValidationError when a field no longer reads."""
        return FirstStore(**self.wallet_page.setup(), **self.store_page.setup())

    def accept(self) -> None:
        """Finish: create wallet + rate + store at once (async); the wizard closes only when it worked."""
        if self.store is not None:  # created; only the privacy switches failed
            self._close(self.store)
            return
        if self.saving:
            return
        self.summary_page.show_error("")
        try:
            setup = self.setup()
        except UserFacingError as error:
            self._on_save_failed(error)
            return
        self._set_saving(True)
        self._ctx.run(self._save(setup), self._on_saved, name="wizard-save", on_user_error=self._on_save_failed)

    async def _save(self, setup: FirstStore) -> list[str]:
        services = self._ctx.services
        self.store = await services.onboarding.create_first_store(setup, owner=self.owner_page.owner())
        logger.info("first-run setup: store %s created", self.store.id)
        problems: list[str] = []
        control = services.exposure_control
        for which, wanted in self.privacy_page.changes():
            try:
                await (control.set_lan(wanted) if which == "lan" else control.set_tor(wanted))
            except UserFacingError as exc:
                problems.append(f"{SWITCH_NAMES[which]} could not be switched {'on' if wanted else 'off'}: "
                                f"{exc.message}")
        chain = self.chain_page.change()
        if chain is not None:
            try:
                await services.chain_route.apply(*chain)
            except UserFacingError as exc:
                problems.append(f"The chain server could not be switched: {exc.message}")
        return problems

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        for button in (QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton,
                       QWizard.WizardButton.BackButton):
            self.button(button).setEnabled(not saving)

    def reject(self) -> None:
        """Cancel (or Esc): closes; once the store exists it counts as finished (the window shows it)."""
        if self.saving:
            return
        if self.store is not None:
            self._close(self.store)
            return
        super().reject()

    def _on_saved(self, problems: list[str]) -> None:
        self._set_saving(False)
        assert self.store is not None
        if not problems:
            self._close(self.store)
            return
        self.summary_page.show_error("\n".join(problems))
        self.summary_page.show_note(f"Your store “{self.store.name}” was created. Try again in Settings (Shop network, Tor, Chain server).")
        self.setButtonText(QWizard.WizardButton.FinishButton, "Close")
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        self.button(QWizard.WizardButton.CancelButton).hide()

    def _close(self, store: Store) -> None:
        logger.info("first-run setup done: store %s", store.id)
        self.finishedSetup.emit(store)
        super().accept()

    def _on_save_failed(self, error: UserFacingError) -> None:
        """Nothing was written: go back to the page of the field in error and show it there."""
        self._set_saving(False)
        if self.store is not None:  # the store exists (the failure came later): never create it twice
            self._on_saved([error.message])
            return
        field = error.field or ""
        if field in ("pin", "password") or error.code == "name_taken":  # the owner's (OwnerPage)
            self._go_back_to(self.owner_page)
            self.owner_page.show_error(error)
        elif field in WALLET_FIELDS and not self.wallet_page.reuse():
            self._go_back_to(self.wallet_page)
            self.wallet_page.form.show_error(error)
        elif field and field not in WALLET_FIELDS:
            self._go_back_to(self.store_page)
            self.store_page.show_error(error)
        else:
            self.summary_page.show_error(error.message)

    def _go_back_to(self, page: QWizardPage) -> None:
        while self.currentPage() is not page and self.currentId() > 0:
            self.back()


__all__ = ["FirstRunWizard"]
