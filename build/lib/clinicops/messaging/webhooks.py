"""Delivery-status callbacks from the WhatsApp providers.

Each callback is authenticated before anything is read (Meta: ``X-Hub-Signature-256`` = HMAC-SHA256 of the
raw body with the app secret; Gallabox: a shared secret in the ``X-Gallabox-Secret`` header), each status
event is stored once in ``webhook_events`` (a redelivery changes nothing), and statuses only move forward
(``sent`` never undoes ``delivered``).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.config import Settings
from clinicops.errors import BadRequest, Forbidden
from clinicops.logging import get_logger
from clinicops.messaging import repository

log = get_logger("clinicops.messaging.webhooks")

STATUS_MAP = {"sent": "SENT", "delivered": "DELIVERED", "read": "READ", "failed": "FAILED"}
GALLABOX_SECRET_HEADER = "X-Gallabox-Secret"


class InvalidSignature(BadRequest):
    code = "INVALID_SIGNATURE"
    message = "Invalid webhook signature"


def verify_meta_subscription(settings: Settings, *, mode: str | None, token: str | None,
                             challenge: str | None) -> str:
    """Meta's GET handshake: echo ``hub.challenge`` when ``hub.verify_token`` is ours."""
    expected = settings.meta_verify_token
    if (mode != "subscribe" or not expected or not token or challenge is None
            or not hmac.compare_digest(token.encode(), expected.encode())):
        raise Forbidden("Webhook verification failed")
    return challenge


def verify_meta_signature(settings: Settings, raw: bytes, header: str | None) -> None:
    secret = settings.meta_app_secret
    if not secret or not header or not header.startswith("sha256="):
        raise InvalidSignature()
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header[len("sha256="):].strip().lower(), expected):
        raise InvalidSignature()


def verify_gallabox_secret(settings: Settings, header: str | None) -> None:
    secret = settings.gallabox_webhook_secret
    if not secret or not header or not hmac.compare_digest(header.encode(), secret.encode()):
        raise InvalidSignature()


def _json(raw: bytes) -> dict:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise BadRequest("The webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body is not a JSON object")
    return payload


async def _apply(session: AsyncSession, *, provider: str, event_id: str, message_id: str, status: str,
                 error: str | None, payload: dict) -> bool:
    if not await repository.record_webhook_event(session, provider=provider, event_id=event_id,
                                                 event_type=f"message.{status.lower()}", payload=payload):
        return False  # a redelivery: already applied
    changed = await repository.apply_delivery_status(session, provider_message_id=message_id, status=status,
                                                     error=error)
    log.info("whatsapp_status", provider=provider, status=status, changed=changed)
    return True


def meta_statuses(payload: dict) -> list[dict]:
    found: list[dict] = []
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            found.extend(s for s in ((change or {}).get("value") or {}).get("statuses") or [] if isinstance(s, dict))
    return found


async def receive_meta(session: AsyncSession, settings: Settings, *, raw: bytes, signature: str | None) -> int:
    """Apply the statuses of one verified Meta callback; returns how many new events were applied."""
    verify_meta_signature(settings, raw, signature)
    payload = _json(raw)
    applied = 0
    for item in meta_statuses(payload):
        status = STATUS_MAP.get(str(item.get("status", "")).lower())
        message_id = item.get("id")
        if not status or not message_id:
            continue
        errors = item.get("errors") or []
        error = (errors[0].get("title") or errors[0].get("message")) if errors and isinstance(errors[0], dict) else None
        if await _apply(session, provider="meta_whatsapp", event_id=f"{message_id}:{status}",
                        message_id=str(message_id), status=status, error=error, payload=item):
            applied += 1
    return applied


async def receive_gallabox(session: AsyncSession, settings: Settings, *, raw: bytes, secret: str | None) -> int:
    """Apply one verified Gallabox status callback.

    Accepted shape: ``{"messageId" | "message_id" | "whatsapp": {"id"}, "status" | "whatsapp": {"status"},
    "eventId"?, "error"?}``; an event without a recognised status is stored nowhere and ignored.
    """
    verify_gallabox_secret(settings, secret)
    payload = _json(raw)
    nested = payload.get("whatsapp") if isinstance(payload.get("whatsapp"), dict) else {}
    message_id = payload.get("messageId") or payload.get("message_id") or nested.get("id")
    status = STATUS_MAP.get(str(payload.get("status") or nested.get("status") or "").lower())
    if not message_id or not status:
        return 0
    event_id = str(payload.get("eventId") or f"{message_id}:{status}")
    error = payload.get("error") if isinstance(payload.get("error"), str) else None
    applied = await _apply(session, provider="gallabox", event_id=event_id, message_id=str(message_id),
                           status=status, error=error, payload=payload)
    return int(applied)
