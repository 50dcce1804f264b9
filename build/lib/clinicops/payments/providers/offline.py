"""The offline stand-in (development and tests): Razorpay-shaped ids and exactly Razorpay's signatures.

State lives in this process (``clinicops dev`` runs API and worker in one process). The dev-only pages in
``http/hospital/payments.py`` "pay" an order or a link: they record a captured payment here, then deliver the
same signed webhook Razorpay would send, through the real webhook path.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from clinicops.config import Settings
from clinicops.errors import NotFound
from clinicops.payments.providers.base import (Order, PaymentLink, ProviderPayment, Refund, checkout_signature,
                                               link_signature, webhook_signature)

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """``order_`` / ``pay_`` / ``plink_`` / ``rfnd_`` / ``evt_`` + 14 base62 characters, like Razorpay's."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(14))


class _Ledger:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.payments: dict[str, ProviderPayment] = {}
        self.links: dict[str, PaymentLink] = {}
        self.refunds: dict[str, Refund] = {}

    def clear(self) -> None:
        self.__init__()


LEDGER = _Ledger()


class OfflineProvider:
    name = "OFFLINE"

    def __init__(self, settings: Settings):
        self.settings = settings

    async def create_order(self, amount_paise: int, currency: str, receipt: str,
                           notes: dict[str, str]) -> Order:
        order = Order(id=new_id("order"), amount_paise=amount_paise, currency=currency, receipt=receipt,
                      status="created")
        LEDGER.orders[order.id] = order
        return order

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        if payment_id not in LEDGER.payments:
            raise NotFound("No such payment at the provider")
        return LEDGER.payments[payment_id]

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        return [p for p in LEDGER.payments.values() if p.order_id == order_id]

    async def create_payment_link(self, amount_paise: int, customer: dict[str, str], expire_by: datetime,
                                  reference_id: str, notes: dict[str, str], callback_url: str | None,
                                  description: str = "") -> PaymentLink:
        link_id = new_id("plink")
        url = f"{self.settings.public_base_url.rstrip('/')}/api/payments/offline/pay/{link_id}"
        link = PaymentLink(id=link_id, short_url=url, amount_paise=amount_paise, currency="INR", status="created",
                           reference_id=reference_id, expire_by=int(expire_by.timestamp()))
        LEDGER.links[link_id] = link
        return link

    async def fetch_payment_link(self, link_id: str) -> PaymentLink:
        link = LEDGER.links.get(link_id)
        if link is None:
            raise NotFound("No such payment link at the provider")
        if link.status == "created" and link.expire_by and link.expire_by < time.time():
            link = replace(link, status="expired")
            LEDGER.links[link_id] = link
        return link

    async def refund(self, payment_id: str, amount_paise: int, notes: dict[str, str]) -> Refund:
        refund = Refund(id=new_id("rfnd"), payment_id=payment_id, amount_paise=amount_paise, status="processed")
        LEDGER.refunds[refund.id] = refund
        if payment_id in LEDGER.payments:
            paid = LEDGER.payments[payment_id]
            LEDGER.payments[payment_id] = replace(paid, amount_refunded_paise=paid.amount_refunded_paise
                                                  + amount_paise, status="refunded")
        return refund


def capture_order(settings: Settings, order_id: str, amount_paise: int, method: str = "upi"
                  ) -> tuple[ProviderPayment, str]:
    """What Razorpay Checkout does when the patient pays: a captured payment and the checkout signature."""
    payment = ProviderPayment(id=new_id("pay"), order_id=order_id, amount_paise=amount_paise, currency="INR",
                              status="captured", method=method)
    LEDGER.payments[payment.id] = payment
    if order_id in LEDGER.orders:
        LEDGER.orders[order_id] = replace(LEDGER.orders[order_id], status="paid")
    return payment, checkout_signature(settings, order_id, payment.id)


def pay_link(settings: Settings, link: PaymentLink, method: str = "upi") -> tuple[ProviderPayment, str]:
    """The patient pays a link: its payment and the callback signature Razorpay adds to the redirect."""
    payment = ProviderPayment(id=new_id("pay"), order_id=new_id("order"), amount_paise=link.amount_paise,
                              currency="INR", status="captured", method=method)
    LEDGER.payments[payment.id] = payment
    LEDGER.links[link.id] = replace(link, status="paid", payments=(payment,))
    return payment, link_signature(settings, link.id, link.reference_id or "", "paid", payment.id)


def payment_entity(payment: ProviderPayment) -> dict[str, Any]:
    return {"id": payment.id, "entity": "payment", "amount": payment.amount_paise, "currency": payment.currency,
            "status": payment.status, "order_id": payment.order_id, "method": payment.method,
            "captured": payment.status == "captured", "amount_refunded": payment.amount_refunded_paise,
            "error_code": payment.error_code, "error_description": payment.error_description,
            "created_at": int(time.time())}


def link_entity(link: PaymentLink) -> dict[str, Any]:
    return {"id": link.id, "entity": "payment_link", "amount": link.amount_paise,
            "amount_paid": link.amount_paise if link.status == "paid" else 0, "currency": link.currency,
            "status": link.status, "reference_id": link.reference_id, "short_url": link.short_url,
            "expire_by": link.expire_by}


def signed_event(settings: Settings, event: str, entities: dict[str, dict[str, Any]]) -> tuple[bytes, str, str]:
    """A webhook as Razorpay sends it: raw body, ``X-Razorpay-Signature`` and ``X-Razorpay-Event-Id``."""
    body = {"entity": "event", "account_id": "acc_offline", "event": event, "contains": list(entities),
            "payload": {name: {"entity": entity} for name, entity in entities.items()},
            "created_at": int(time.time())}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return raw, webhook_signature(settings, raw), new_id("evt")
