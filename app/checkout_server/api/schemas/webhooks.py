"""Webhooks, their delivery log, API keys, server info."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from app.checkout_server.api.schemas.common import Id, Name, RequestModel, ResponseModel, optional
from app.core.events import EVENT_TYPES
from app.services.admin.apikeys import ApiKey, Scope
from app.services.delivery.webhook_dispatch import DeliveryStatus
from app.services.delivery.webhooks import Webhook, WebhookDelivery

if TYPE_CHECKING:
    EventType = str  # the checker sees a str; pydantic validates against the Literal built below
else:
    EventType = Literal[tuple(EVENT_TYPES)]
WebhookUrl = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")


class WebhookUpdate(RequestModel):
    url: str = optional(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    event_types: list[EventType] = optional(max_length=20, description="Empty list: every event type.")
    enabled: bool = optional()
    secret: str = optional(max_length=200, description="New signing secret (>= 16 characters); an empty "
                                                       "string generates one. Returned once.")


class WebhookIn(WebhookUpdate):
    url: str = WebhookUrl


class WebhookOut(ResponseModel):
    id: str
    store_id: str
    url: str
    event_types: list[str]
    enabled: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="Only right after it was set: store it now.")

    @classmethod
    def of(cls, webhook: Webhook, secret: str | None = None) -> WebhookOut:
        return cls(id=webhook.id, store_id=webhook.store_id, url=webhook.url, event_types=list(webhook.event_types),
                   enabled=webhook.enabled, created_at=webhook.created_at, secret=secret)


class WebhookList(ResponseModel):
    items: list[WebhookOut]


class DeliveryOut(ResponseModel):
    id: str = Field(description="Also in the body as `delivery_id`: receivers de-duplicate on it.")
    webhook_id: str
    event_seq: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None = Field(description="HTTP status of the last attempt (null: no answer).")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    body: str | None = Field(default=None, description="The exact signed body (single delivery only).")

    @classmethod
    def of(cls, d: WebhookDelivery, *, with_body: bool = False) -> DeliveryOut:
        return cls(id=d.id, webhook_id=d.webhook_id, event_seq=d.event_seq, event_type=d.event_type, status=d.status,
                   attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
                   last_error=d.last_error, created_at=d.created_at, delivered_at=d.delivered_at,
                   body=d.body if with_body else None)


class DeliveryPage(ResponseModel):
    items: list[DeliveryOut]
    total: int
    offset: int
    limit: int


class ApiKeyIn(RequestModel):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=20)
    store_ids: list[Id] | None = Field(default=None, max_length=100, description="null: every store.")


class ApiKeyOut(ResponseModel):
    id: str = Field(description="Public prefix id (the part between `rw_` and the next `_`).")
    name: str
    scopes: list[Scope]
    store_ids: list[str] | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, name=key.name, scopes=sorted(key.scopes), store_ids=
                   list(key.store_ids) if key.store_ids is not None else None, created_at=key.created_at,
                   last_used_at=key.last_used_at, revoked_at=key.revoked_at)


class ApiKeyCreated(ResponseModel):
    key: str = Field(description="The full key, shown only now: `rw_<id>_<secret>`.")
    api_key: ApiKeyOut


class ApiKeyList(ResponseModel):
    items: list[ApiKeyOut]


class ChainInfo(ResponseModel):
    connected: bool
    synced: bool
    tip_height: int | None


class ServerInfo(ResponseModel):
    version: str
    network: str
    api_version: Literal["v1"] = "v1"
    scopes: list[Scope]
    event_types: list[str]
    rate_sources: list[str]
    chain: ChainInfo


class Health(ResponseModel):
    status: Literal["ok", "degraded"]
    version: str
    network: str
    db_ok: bool
    chain_connected: bool
