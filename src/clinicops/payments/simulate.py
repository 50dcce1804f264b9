"""Development and test only: "pay" offline orders and links the way Razorpay would.

Paying records a captured payment in the offline provider's ledger and delivers the signed webhooks Razorpay
would send through the real webhook path (stored, then applied by the job). Refused (404) unless the payment
provider is ``offline`` outside production — and production settings refuse the offline provider anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import Environment, get_settings
from clinicops.errors import NotFound
from clinicops.payments import repository, webhooks
from clinicops.payments.providers.base import PaymentLink
from clinicops.payments.providers.offline import (LEDGER, capture_order, link_entity, pay_link, payment_entity,
                                                  signed_event)


@dataclass(frozen=True)
class CheckoutHandoff:
    """What Razorpay Checkout hands the payer's browser after a successful payment (then it calls verify)."""

    order_id: str
    payment_id: str
    signature: str


@dataclass(frozen=True)
class LinkPaid:
    """An offline link after the patient's visit: its status, and for a payment just made its id and the signed
    parameters Razorpay adds to the redirect back to the link's callback page."""

    status: str
    payment_id: str | None = None
    callback_params: dict[str, str] | None = None


def ensure_offline() -> None:
    settings = get_settings()
    if settings.payment_provider != "offline" or settings.env == Environment.PRODUCTION:
        raise NotFound("No such endpoint")


async def _deliver(session: AsyncSession, event: str, entities: dict[str, dict[str, Any]]) -> None:
    raw, signature, event_id = signed_event(get_settings(), event, entities)
    await webhooks.receive(session, raw_body=raw, signature=signature, event_id=event_id)


async def checkout(session: AsyncSession, *, order_id: str, method: str = "upi") -> CheckoutHandoff:
    """What the Checkout modal hands the website after a successful payment (then call /verify)."""
    ensure_offline()
    payment = await repository.by_order_id(session, order_id)
    if payment is None:
        raise NotFound("Order not found")
    paid, signature = capture_order(get_settings(), order_id, payment.amount_paise, method)
    order = {"id": order_id, "entity": "order", "amount": payment.amount_paise, "amount_paid": payment.amount_paise,
             "currency": payment.currency, "status": "paid"}
    await _deliver(session, "payment.captured", {"payment": payment_entity(paid)})
    await _deliver(session, "order.paid", {"payment": payment_entity(paid), "order": order})
    return CheckoutHandoff(order_id, paid.id, signature)


def link_page_details(link_id: str) -> PaymentLink:
    ensure_offline()
    link = LEDGER.links.get(link_id)
    if link is None:
        raise NotFound("Payment link not found (offline links live in the server process)")
    return link


async def pay_offline_link(session: AsyncSession, *, link_id: str) -> LinkPaid:
    """The patient pays the link: the webhook is delivered and the signed redirect parameters returned."""
    ensure_offline()
    link = LEDGER.links.get(link_id)
    if link is None:
        raise NotFound("Payment link not found")
    if link.status != "created":
        return LinkPaid(link.status)
    paid, signature = pay_link(get_settings(), link)
    await _deliver(session, "payment_link.paid", {"payment_link": link_entity(LEDGER.links[link_id]),
                                                  "payment": payment_entity(paid)})
    return LinkPaid("paid", paid.id, {"razorpay_payment_id": paid.id, "razorpay_payment_link_id": link.id,
                                      "razorpay_payment_link_reference_id": link.reference_id or "",
                                      "razorpay_payment_link_status": "paid", "razorpay_signature": signature})
