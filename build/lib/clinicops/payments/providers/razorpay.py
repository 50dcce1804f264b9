"""Razorpay over httpx (not the SDK, whose ``requests`` calls cannot be faked at the HTTP boundary).

Every call: HTTP Basic ``key_id:key_secret``, JSON bodies, amounts in paise, ``settings.outbound_timeout_s``.
A timeout, a network error or a 5xx becomes :class:`ProviderUnavailable` (503 to the client); a 4xx becomes
:class:`ProviderRejected` carrying Razorpay's error description (never our secrets).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from clinicops.config import Settings
from clinicops.logging import get_logger
from clinicops.payments.exceptions import ProviderRejected, ProviderUnavailable
from clinicops.payments.providers.base import (Order, PaymentLink, ProviderPayment, Refund, link_from,
                                               payment_from)

log = get_logger("clinicops.payments.razorpay")


class RazorpayProvider:
    name = "RAZORPAY"

    def __init__(self, settings: Settings):
        self.settings = settings

    async def _call(self, method: str, path: str, *, json: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
        s = self.settings
        try:
            async with httpx.AsyncClient(base_url=s.razorpay_base_url.rstrip("/"),
                                         auth=(s.razorpay_key_id, s.razorpay_key_secret),
                                         timeout=s.outbound_timeout_s) as client:
                response = await client.request(method, path, json=json, headers=headers)
        except httpx.TimeoutException:
            log.warning("razorpay_timeout", path=path)
            raise ProviderUnavailable() from None
        except httpx.HTTPError as exc:
            log.warning("razorpay_unreachable", path=path, error=type(exc).__name__)
            raise ProviderUnavailable() from None
        if response.status_code >= 500 or response.status_code == 429:
            log.warning("razorpay_server_error", path=path, status=response.status_code)
            raise ProviderUnavailable()
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            description = (error or {}).get("description") if isinstance(error, dict) else None
            log.warning("razorpay_rejected", path=path, status=response.status_code, description=description)
            raise ProviderRejected(f"The payment service refused the request: {description or response.status_code}")
        return body if isinstance(body, dict) else {}

    async def create_order(self, amount_paise: int, currency: str, receipt: str,
                           notes: dict[str, str]) -> Order:
        body = await self._call("POST", "/orders", json={
            "amount": amount_paise, "currency": currency, "receipt": receipt[:40], "notes": notes})
        return Order(id=str(body["id"]), amount_paise=int(body.get("amount", amount_paise)),
                     currency=str(body.get("currency", currency)), receipt=body.get("receipt"),
                     status=str(body.get("status", "created")))

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        return payment_from(await self._call("GET", f"/payments/{payment_id}"))

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        body = await self._call("GET", f"/orders/{order_id}/payments")
        return [payment_from(item) for item in body.get("items") or []]

    async def create_payment_link(self, amount_paise: int, customer: dict[str, str], expire_by: datetime,
                                  reference_id: str, notes: dict[str, str], callback_url: str | None,
                                  description: str = "") -> PaymentLink:
        payload: dict[str, Any] = {
            "amount": amount_paise, "currency": "INR", "accept_partial": False,
            "expire_by": int(expire_by.timestamp()), "reference_id": reference_id[:40],
            "description": description[:2048], "customer": customer,
            # The patient hears from us on WhatsApp; Razorpay's own SMS/e-mail would duplicate it.
            "notify": {"sms": False, "email": False}, "reminder_enable": False, "notes": notes,
        }
        if callback_url:
            payload["callback_url"] = callback_url
            payload["callback_method"] = "get"
        return link_from(await self._call("POST", "/payment_links", json=payload))

    async def fetch_payment_link(self, link_id: str) -> PaymentLink:
        return link_from(await self._call("GET", f"/payment_links/{link_id}"))

    async def refund(self, payment_id: str, amount_paise: int, notes: dict[str, str]) -> Refund:
        # One refund per payment from us: the idempotency key makes a retried call return the same refund.
        body = await self._call("POST", f"/payments/{payment_id}/refund",
                                json={"amount": amount_paise, "speed": "normal", "notes": notes},
                                headers={"X-Refund-Idempotency": f"refund-{payment_id}"})
        return Refund(id=str(body["id"]), payment_id=str(body.get("payment_id", payment_id)),
                      amount_paise=int(body.get("amount", amount_paise)), status=str(body.get("status", "pending")))
