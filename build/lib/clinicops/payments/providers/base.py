"""The provider interface, the shapes it returns, and Razorpay's signature rules (shared by both adapters).

Signatures (as Razorpay computes them, hex HMAC-SHA256):
- checkout: key ``key_secret`` over ``order_id + "|" + payment_id``;
- webhook: key ``webhook_secret`` over the raw request body (header ``X-Razorpay-Signature``);
- payment-link callback: key ``key_secret`` over ``plink_id|reference_id|status|payment_id``.
Comparisons are constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from clinicops.config import Settings, get_settings


@dataclass(frozen=True)
class Order:
    id: str
    amount_paise: int
    currency: str
    receipt: str | None
    status: str  # created / attempted / paid


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    order_id: str | None
    amount_paise: int
    currency: str
    status: str  # created / authorized / captured / failed / refunded
    method: str | None = None
    error_code: str | None = None
    error_description: str | None = None
    amount_refunded_paise: int = 0


@dataclass(frozen=True)
class PaymentLink:
    id: str
    short_url: str
    amount_paise: int
    currency: str
    status: str  # created / partially_paid / paid / expired / cancelled
    reference_id: str | None
    expire_by: int | None
    payments: tuple[ProviderPayment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Refund:
    id: str
    payment_id: str
    amount_paise: int
    status: str  # pending / processed / failed


class PaymentProvider(Protocol):
    name: str

    async def create_order(self, amount_paise: int, currency: str, receipt: str,
                           notes: dict[str, str]) -> Order: ...

    async def fetch_payment(self, payment_id: str) -> ProviderPayment: ...

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]: ...

    async def create_payment_link(self, amount_paise: int, customer: dict[str, str], expire_by: datetime,
                                  reference_id: str, notes: dict[str, str], callback_url: str | None,
                                  description: str = "") -> PaymentLink: ...

    async def fetch_payment_link(self, link_id: str) -> PaymentLink: ...

    async def refund(self, payment_id: str, amount_paise: int, notes: dict[str, str]) -> Refund: ...


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).strip().encode())


def checkout_signature(settings: Settings, order_id: str, payment_id: str) -> str:
    return _hmac_hex(settings.razorpay_key_secret, f"{order_id}|{payment_id}".encode())


def checkout_signature_valid(settings: Settings, order_id: str, payment_id: str, signature: str | None) -> bool:
    return _matches(checkout_signature(settings, order_id, payment_id), signature)


def webhook_signature(settings: Settings, raw_body: bytes) -> str:
    return _hmac_hex(settings.razorpay_webhook_secret, raw_body)


def webhook_signature_valid(settings: Settings, raw_body: bytes, signature: str | None) -> bool:
    return _matches(webhook_signature(settings, raw_body), signature)


def link_signature(settings: Settings, link_id: str, reference_id: str, status: str, payment_id: str) -> str:
    return _hmac_hex(settings.razorpay_key_secret, f"{link_id}|{reference_id}|{status}|{payment_id}".encode())


def link_signature_valid(settings: Settings, link_id: str, reference_id: str, status: str, payment_id: str,
                         signature: str | None) -> bool:
    return _matches(link_signature(settings, link_id, reference_id, status, payment_id), signature)


def payment_from(entity: dict[str, Any]) -> ProviderPayment:
    """A Razorpay payment entity (API reply or webhook payload) as a :class:`ProviderPayment`."""
    return ProviderPayment(
        id=str(entity.get("id") or entity.get("payment_id") or ""), order_id=entity.get("order_id"),
        amount_paise=int(entity.get("amount") or 0), currency=str(entity.get("currency") or "INR"),
        status=str(entity.get("status") or ""), method=entity.get("method"),
        error_code=entity.get("error_code"), error_description=entity.get("error_description"),
        amount_refunded_paise=int(entity.get("amount_refunded") or 0),
    )


def link_from(entity: dict[str, Any]) -> PaymentLink:
    payments = tuple(payment_from(p) for p in (entity.get("payments") or []) if isinstance(p, dict))
    return PaymentLink(
        id=str(entity["id"]), short_url=str(entity.get("short_url") or ""),
        amount_paise=int(entity.get("amount") or 0), currency=str(entity.get("currency") or "INR"),
        status=str(entity.get("status") or ""), reference_id=entity.get("reference_id"),
        expire_by=entity.get("expire_by"), payments=payments,
    )


_override: PaymentProvider | None = None


def use_provider(provider: PaymentProvider | None) -> None:
    """Tests may pin a provider instance (e.g. Razorpay built on a settings copy)."""
    global _override
    _override = provider


def get_provider(settings: Settings | None = None) -> PaymentProvider:
    if _override is not None:
        return _override
    settings = settings or get_settings()
    if settings.payment_provider == "razorpay":
        from clinicops.payments.providers.razorpay import RazorpayProvider

        return RazorpayProvider(settings)
    if settings.payment_provider == "offline":
        from clinicops.payments.providers.offline import OfflineProvider

        return OfflineProvider(settings)
    raise ValueError(f"unknown payment provider {settings.payment_provider!r}")
