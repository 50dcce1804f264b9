"""Delivery-status webhooks: authenticated over the raw body, stored once, applied forward-only."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from clinicops.config import get_settings
from clinicops.messaging import service
from clinicops.messaging.models import OutboxMessage
from clinicops.payments.models import WebhookEvent

APP_SECRET = "meta-app-secret-for-tests"


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "meta_app_secret", APP_SECRET)
    monkeypatch.setattr(settings, "meta_verify_token", "verify-me")
    monkeypatch.setattr(settings, "gallabox_webhook_secret", "gallabox-shared-secret")


async def sent_message(db, provider_message_id: str) -> int:
    message_id = await service.queue_message(db, template="otp", recipient="+919812345678",
                                             params={"otp": "123456", "organization": "Mibo", "minutes": 10})
    row = await db.get(OutboxMessage, message_id)
    row.status, row.provider, row.provider_message_id = "SENT", "meta", provider_message_id
    await db.flush()
    return message_id


async def status_of(db, message_id: int) -> OutboxMessage:
    return (await db.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                             .execution_options(populate_existing=True))).scalar_one()


def meta_body(message_id: str, status: str, **extra) -> bytes:
    item = {"id": message_id, "status": status, "timestamp": "1767225600", "recipient_id": "919812345678"} | extra
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [item]}}]}]}
    # Spacing differs from json.dumps defaults on purpose: the signature is over these exact bytes.
    return json.dumps(payload, separators=(",", ":")).encode()


def sign(raw: bytes, secret: str = APP_SECRET) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


async def test_meta_subscription_handshake(client):
    good = await client.get("/api/webhooks/whatsapp/meta", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert good.status_code == 200 and good.text == "1158201444"
    bad = await client.get("/api/webhooks/whatsapp/meta", params={
        "hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158201444"})
    assert bad.status_code == 403 and bad.json()["success"] is False


async def test_bad_signature_is_rejected_and_changes_nothing(client, db):
    message_id = await sent_message(db, "wamid.BAD")
    raw = meta_body("wamid.BAD", "delivered")
    for headers in (sign(raw, "some-other-secret"), {"Content-Type": "application/json"},
                    sign(raw.replace(b"delivered", b"read"))):
        response = await client.post("/api/webhooks/whatsapp/meta", content=raw, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert (await status_of(db, message_id)).status == "SENT"
    assert (await db.execute(select(func.count()).select_from(WebhookEvent))).scalar_one() == 0


async def test_good_signature_marks_delivered_and_redelivery_is_harmless(client, db):
    message_id = await sent_message(db, "wamid.GOOD")
    raw = meta_body("wamid.GOOD", "delivered")
    for expected_applied in (1, 0, 0):
        response = await client.post("/api/webhooks/whatsapp/meta", content=raw, headers=sign(raw))
        assert response.status_code == 200 and response.json()["data"]["applied"] == expected_applied
    row = await status_of(db, message_id)
    assert row.status == "DELIVERED" and row.delivered_at is not None
    events = (await db.execute(select(WebhookEvent).where(WebhookEvent.provider == "meta_whatsapp"))).scalars().all()
    assert [e.event_id for e in events] == ["wamid.GOOD:DELIVERED"]


async def test_statuses_only_move_forward(client, db):
    message_id = await sent_message(db, "wamid.FWD")
    for status in ("read", "delivered", "sent", "failed"):
        raw = meta_body("wamid.FWD", status)
        assert (await client.post("/api/webhooks/whatsapp/meta", content=raw, headers=sign(raw))).status_code == 200
    assert (await status_of(db, message_id)).status == "READ"


async def test_failed_before_delivery_records_the_error(client, db):
    message_id = await sent_message(db, "wamid.FAIL")
    raw = meta_body("wamid.FAIL", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    await client.post("/api/webhooks/whatsapp/meta", content=raw, headers=sign(raw))
    row = await status_of(db, message_id)
    assert row.status == "FAILED" and row.last_error == "Message undeliverable"


async def test_gallabox_shared_secret(client, db):
    message_id = await sent_message(db, "gbx-77")
    body = {"messageId": "gbx-77", "status": "delivered"}
    wrong = await client.post("/api/webhooks/whatsapp/gallabox", json=body, headers={"X-Gallabox-Secret": "nope"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert (await status_of(db, message_id)).status == "SENT"
    right = await client.post("/api/webhooks/whatsapp/gallabox", json=body,
                              headers={"X-Gallabox-Secret": "gallabox-shared-secret"})
    assert right.status_code == 200 and right.json()["data"]["applied"] == 1
    assert (await status_of(db, message_id)).status == "DELIVERED"
