"""Stores and wallets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from app.checkout_server.api.schemas.common import (
    Id,
    JsonObject,
    Name,
    Percent,
    RequestModel,
    ResponseModel,
    SatAmount,
    optional,
)
from app.core.fee_policy import MAX_MIN_FEE_RATE_SAT_VB
from app.core.limits import MAX_KEY_TEXT_CHARS, MAX_URL_CHARS
from app.core.public_invoices import DEFAULT_BUDGET, MAX_BUDGET
from app.core.records import Store, Wallet
from app.core.urls import URL_PATTERN

Currency = Annotated[str, Field(min_length=3, max_length=4, pattern=r"^[A-Za-z]{3,4}$", examples=["USD"])]
SpeedPolicy = Annotated[int, Field(ge=0, le=6, description="Confirmations needed before 'complete'.")]
ExpiryS = Annotated[int, Field(ge=60, le=7 * 86400)]
MonitoringS = Annotated[int, Field(ge=0, le=30 * 86400)]
MinFeeRateInt = Annotated[int, Field(ge=1, le=MAX_MIN_FEE_RATE_SAT_VB, examples=[5])]
MinFeeRateText = Annotated[str, Field(pattern=r"^[0-9]{1,5}(\.[0-9]{1,3})?$", examples=["2.5"])]
RateSource = Annotated[str, Field(min_length=1, max_length=40, description="One of server info `rate_sources`.")]


class CheckoutOptions(RequestModel):
    """A store's checkout page options: the keys below are checked, other keys are kept as given."""

    model_config = ConfigDict(extra="allow", strict=True)

    anyone_can_create_invoice: bool = optional(description="Lets clients without a key create invoices "
                                                           "(rate-limited), here and on the ready store page. "
                                                           "Unset: the ready store takes orders when the store "
                                                           "has products; keyless API calls are refused.")
    public_invoice_budget: int = optional(ge=1, le=MAX_BUDGET, description="At most this many invoices created "
                                          "without a key may be open and unpaid at once (default "
                                          f"{DEFAULT_BUDGET}); beyond it creation is refused (429 "
                                          "`public_invoice_budget`) and the merchant is notified once.")
    order_id_unique: bool = optional(description="At most one invoice per `order_id` in this store: creating "
                                                 "another is refused (409 `order_id_exists`); Greenfield "
                                                 "creation returns the existing invoice instead.")
    min_fee_rate_sat_vb: MinFeeRateInt | MinFeeRateText = optional(
        description="Speed policy 0 only: an unconfirmed payment whose fee rate (sat/vB) is below this stays "
                    "`paid` until it confirms, like one below half the next-blocks estimate or with an "
                    "unconfirmed parent. A positive number, as an integer or a decimal string (\"2.5\"); a "
                    "JSON fraction such as 2.5 is refused (no floats). Unset: only those rules hold.")
    redirect_url: str = optional(max_length=MAX_URL_CHARS, pattern=f"^$|{URL_PATTERN}",
                                 description="Where a paid cart checkout sends the shopper back: an http(s) URL, "
                                             "or '' for none.")


class StoreUpdate(RequestModel):
    name: Name = optional()
    default_currency: Currency = optional()
    wallet_ids: list[Id] = optional(max_length=20)
    speed_policy: SpeedPolicy = optional()
    expiry_s: ExpiryS = optional()
    monitoring_s: MonitoringS = optional()
    underpaid_tolerance_pct: Percent = optional()
    rate_source: RateSource = optional()
    rate_spread_pct: Percent = optional()
    checkout: CheckoutOptions = optional(description="Checkout page options.")
    notifications: JsonObject = optional()
    email: JsonObject = optional()
    archived: bool = optional()


class StoreIn(StoreUpdate):
    name: Name


class StoreOut(ResponseModel):
    id: str
    name: str
    default_currency: str
    wallet_ids: list[str]
    speed_policy: int
    expiry_s: int
    monitoring_s: int
    underpaid_tolerance_pct: Percent
    rate_source: str
    rate_spread_pct: Percent
    checkout: JsonObject
    notifications: JsonObject
    email: JsonObject
    archived: bool
    created_at: datetime | None

    @classmethod
    def of(cls, store: Store) -> StoreOut:
        return cls(id=store.id, name=store.name, default_currency=store.default_currency,
                   wallet_ids=list(store.wallet_ids), speed_policy=store.speed_policy, expiry_s=store.expiry_s,
                   monitoring_s=store.monitoring_s, underpaid_tolerance_pct=format(store.underpaid_tolerance_pct, "f"),
                   rate_source=store.rate_source, rate_spread_pct=format(store.rate_spread_pct, "f"),
                   checkout=store.checkout, notifications=store.notifications, email=store.email,
                   archived=store.archived, created_at=store.created_at)


class StoreList(ResponseModel):
    items: list[StoreOut]


class WalletIn(RequestModel):
    name: Name
    keys: str = Field(min_length=1, max_length=MAX_KEY_TEXT_CHARS, description="An xpub/ypub/zpub (or tpub/vpub...) "
                      "or a descriptor-like key set; never a private key.")
    threshold: int | None = Field(default=None, ge=1, le=15, description="Multisig only.")
    script_type: str | None = Field(default=None, max_length=32)
    gap_limit: int = Field(default=20, ge=1, le=10_000)


class WalletPreviewIn(RequestModel):
    keys: str = Field(min_length=1, max_length=MAX_KEY_TEXT_CHARS)
    threshold: int | None = Field(default=None, ge=1, le=15)
    script_type: str | None = Field(default=None, max_length=32)
    count: int = Field(default=5, ge=1, le=20)


class AddressPreview(ResponseModel):
    addresses: list[str]


class WalletOut(ResponseModel):
    id: str
    name: str
    kind: str
    script_type: str
    fingerprint: str
    key_hint: str
    next_index: int = Field(description="Receive addresses handed out so far.")
    gap_limit: int
    gap_exposure: int = Field(description="How far handed-out addresses exceed the gap limit.")
    threshold: int | None
    created_at: datetime

    @classmethod
    def of(cls, wallet: Wallet) -> WalletOut:
        return cls(id=wallet.id, name=wallet.name, kind=wallet.kind, script_type=wallet.script_type,
                   fingerprint=wallet.fingerprint, key_hint=wallet.key_hint, next_index=wallet.next_index,
                   gap_limit=wallet.gap_limit, gap_exposure=wallet.gap_exposure, threshold=wallet.threshold,
                   created_at=wallet.created_at)


class WalletList(ResponseModel):
    items: list[WalletOut]


class WalletBalance(ResponseModel):
    wallet_id: str
    confirmed_sat: SatAmount
    unconfirmed_sat: int = Field(description="Satoshis; negative while an outgoing payment is unconfirmed.")


class AddressUseOut(ResponseModel):
    derivation_index: int
    address: str
    invoice_id: str | None
    allocated_at: datetime
    used: bool
    received_sat: SatAmount


class AddressUsageOut(ResponseModel):
    wallet_id: str
    next_index: int
    gap_limit: int
    used_count: int
    max_unused_run: int = Field(description="Longest run of unused handed-out addresses: the gap limit a "
                                            "restore elsewhere needs.")
    gap_exposure: int = Field(description="max_unused_run beyond gap_limit (0 = a restore sees everything).")
    items: list[AddressUseOut]
    total: int
    offset: int
    limit: int
