"""Which outbox events notify whom: triggers derived from events, and per-store rules (Store.notifications).

Store.notifications = {
    "channels": {"<name>": {"type": "webhook" | "apprise", "enabled": true}},  # targets in keyring
    "rules": [{"on": ["invoice.complete", ...], "notify": ["tray", "email", "<name>"]}],
}
"tray" and "email" (the store's merchant_to addresses) are built-in channels. Without "rules" the
default below applies. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.errors import ValidationError
from app.core.public_invoices import BUDGET_REACHED

BUILTIN_CHANNELS = ("tray", "email")
CHANNEL_TYPES = ("webhook", "apprise")
TRIGGER_LABELS = {
    "invoice.created": "was created",
    "invoice.paid": "is paid (unconfirmed)",
    "invoice.confirmed": "is confirmed",
    "invoice.complete": "is complete",
    "invoice.expired": "expired",
    "invoice.invalid": "is invalid",
    "invoice.refunded": "was refunded",
    "invoice.exception": "needs attention",
    "payment.received": "received a payment",
    "payment.confirmed": "has a confirmed payment",
    "payment.low_fee": "received a low-fee payment: confirmation may take long",
    "invoice.payment_after_close": "received money after it closed (its status is unchanged)",
    BUDGET_REACHED: "turns shoppers away: too many open invoices from the shop page",
    "refund.created": "has a new refund link",
    "refund.claimed": "has a refund claimed by the shopper: its payout may need your approval",
    "refund.paid": "has a refund paid (confirmed)",
    "refund.expired": "has a refund link that expired unclaimed",
    "refund.cancelled": "has a refund cancelled",
    "payout.created": "has a new payout",
    "payout.approved": "has a payout approved",
    "payout.broadcast": "has a payout sent",
    "payout.confirmed": "has a payout confirmed",
    "payout.cancelled": "has a payout cancelled",
    "payout.failed": "has a payout that failed",
}
REFUND_EVENTS = frozenset(t for t in TRIGGER_LABELS if t.startswith(("refund.", "payout.")))
# Store events (no invoice) the merchant always hears about on tray and email, whatever the rules say.
STORE_ALERTS = frozenset({BUDGET_REACHED})
DEFAULT_RULES = ({"on": ["invoice.paid", "invoice.complete", "invoice.exception", "invoice.invalid", "payment.low_fee",
                         "invoice.payment_after_close", "refund.claimed", "payout.confirmed", "payout.failed"],
                  "notify": ["tray", "email"]},)
PAID_STATUSES = frozenset({"paid", "confirmed", "complete"})
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
JsonObject = Mapping[str, Any]  # a JSON document: Store.notifications, an event payload, an API body


@dataclass(frozen=True)
class Rule:
    on: frozenset[str]
    notify: tuple[str, ...]


def triggers(event_type: str, payload: JsonObject) -> list[str]:
    """Trigger names an outbox event stands for (an event may stand for none or several)."""
    if event_type == "invoice.created":
        return ["invoice.created"]
    if event_type in ("payment.received", "payment.confirmed", "payment.low_fee", "invoice.payment_after_close") \
            or event_type in STORE_ALERTS or event_type in REFUND_EVENTS:
        return [event_type]
    if event_type != "invoice.status_changed":
        return []
    out = []
    if payload.get("new_status") != payload.get("old_status") and f"invoice.{payload.get('new_status')}" in TRIGGER_LABELS:
        out.append(f"invoice.{payload['new_status']}")
    if payload.get("new_exception") not in (None, "none") and payload.get("new_exception") != payload.get("old_exception"):
        out.append("invoice.exception")
    return out


def receipt_due(receipt_on: str, event_type: str, payload: JsonObject) -> bool:
    """Does this event call for the buyer's receipt? ("paid": the first paid-or-better status change.)"""
    if event_type != "invoice.status_changed" or payload.get("new_status") == payload.get("old_status"):
        return False
    if receipt_on == "complete":
        return payload.get("new_status") == "complete"
    if receipt_on == "paid":
        return payload.get("new_status") in PAID_STATUSES and payload.get("old_status") not in PAID_STATUSES
    return False


def label(trigger_names: list[str]) -> str:
    return " and ".join(TRIGGER_LABELS.get(t, t) for t in trigger_names)


def rules_of(notifications: JsonObject) -> list[Rule]:
    raw = notifications.get("rules")
    items = DEFAULT_RULES if raw is None else raw
    return [Rule(on=frozenset(r.get("on") or ()), notify=tuple(r.get("notify") or ())) for r in items
            if isinstance(r, Mapping)]


def channels_for(notifications: JsonObject, trigger_names: list[str]) -> list[str]:
    """Channel names to notify for these triggers, each once, in rule order (disabled channels left out)."""
    configured = notifications.get("channels") or {}
    out: list[str] = list(BUILTIN_CHANNELS) if STORE_ALERTS.intersection(trigger_names) else []
    for rule in rules_of(notifications):
        if not rule.on.intersection(trigger_names):
            continue
        for name in rule.notify:
            channel = configured.get(name)
            if name in BUILTIN_CHANNELS or (isinstance(channel, Mapping) and channel.get("enabled", True)):
                out.append(name)
    return list(dict.fromkeys(out))


def clean_notifications(config: JsonObject) -> dict[str, Any]:
    """Validate a Store.notifications document (channel names, types, rule triggers and targets)."""
    unknown = set(config) - {"channels", "rules"}
    if unknown:
        raise ValidationError(f"Unknown notifications key '{sorted(unknown)[0]}'.", code="unknown_field")
    channels: dict[str, dict[str, Any]] = {}
    for name, channel in (config.get("channels") or {}).items():
        if not _NAME_RE.match(str(name)) or name in BUILTIN_CHANNELS:
            raise ValidationError(f"Channel name '{name}' must be 1-32 of a-z 0-9 _ - (not tray/email).",
                                  code="invalid_channel_name", field="channels")
        kind = channel.get("type") if isinstance(channel, Mapping) else None
        if kind not in CHANNEL_TYPES:
            raise ValidationError(f"Channel '{name}' needs a type: {', '.join(CHANNEL_TYPES)}.",
                                  code="invalid_channel_type", field="channels")
        channels[name] = {"type": kind, "enabled": bool(channel.get("enabled", True))}
    rules = None
    if config.get("rules") is not None:
        rules = [_clean_rule(rule, channels) for rule in config["rules"]]
    return {"channels": channels, **({"rules": rules} if rules is not None else {})}


def _clean_rule(rule: object, channels: JsonObject) -> dict[str, list[str]]:
    if not isinstance(rule, Mapping):
        raise ValidationError("Each rule must be an object with 'on' and 'notify'.", code="invalid_rule", field="rules")
    on = [str(t) for t in rule.get("on") or ()]
    notify = [str(n) for n in rule.get("notify") or ()]
    for trigger in on:
        if trigger not in TRIGGER_LABELS:
            raise ValidationError(f"Unknown event '{trigger}' in a rule.", code="invalid_rule", field="rules")
    for name in notify:
        if name not in BUILTIN_CHANNELS and name not in channels:
            raise ValidationError(f"Rule names an unknown channel '{name}'.", code="invalid_rule", field="rules")
    return {"on": on, "notify": notify}
