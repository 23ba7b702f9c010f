"""Until the composition root builds them, the API's services are attached to `services.extras` here.

Once `Services` has `apikeys`, `webhooks`, ... attributes (or the runtime puts them in `extras`), this
attaches nothing and starts nothing: the owner of those services starts and stops them.
"""

from __future__ import annotations

import logging
from typing import Any

from app.checkout_server.api.keys import FEATURES
from app.secrets import SecretStore
from app.services.address_usage import AddressUsageService
from app.services.apikeys import ApiKeyService
from app.services.payment_history import PaymentHistoryService
from app.services.product_images import ProductImageStore
from app.services.webhooks import WebhookService

logger = logging.getLogger(__name__)


def build(services: Any, name: str) -> Any:
    """The exact constructor calls the composition root should use."""
    settings = services.settings
    if name == "apikeys":
        return ApiKeyService(services.writer)
    if name == "webhooks":
        return WebhookService(services.writer, services.events, SecretStore(settings.network), services.invoices)
    if name == "product_images":
        return ProductImageStore(settings.network_dir / "images", services.products)
    if name == "address_usage":
        return AddressUsageService(services.writer)
    if name == "payment_history":
        return PaymentHistoryService(services.writer)
    raise KeyError(name)


async def attach_missing(services: Any) -> list[str]:
    added: list[str] = []
    for name in FEATURES:
        if getattr(services, name, None) is not None or name in services.extras:
            continue
        component = build(services, name)
        if hasattr(component, "start"):
            await component.start()
        services.extras[name] = component
        added.append(name)
    if added:
        logger.info("API services attached by the server: %s", ", ".join(added))
    return added


async def detach(services: Any, added: list[str]) -> None:
    for name in reversed(added):
        component = services.extras.pop(name, None)
        if component is not None and hasattr(component, "stop"):
            await component.stop()
