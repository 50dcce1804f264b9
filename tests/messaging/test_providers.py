"""Gallabox and Meta adapters against their documented request formats, faked at the HTTP edge with respx;
and the outbox driving them: a connect timeout is retried and delivered once, a read timeout is UNKNOWN."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import func, select, update

from clinicops import db as dbmod
from clinicops.config import get_settings
from clinicops.messaging import service
from clinicops.messaging.models import OutboxMessage
from clinicops.messaging.providers import (OutgoingMessage, PermanentSendError, TransientSendError, UnknownOutcome,
                                           get_provider)
from clinicops.messaging.providers.gallabox import GallaboxProvider
from clinicops.messaging.providers.meta import MetaProvider

GALLABOX = "https://gallabox.example.com"
META = "https://graph.example.com/v21.0"


@pytest.fixture
def gallabox(monkeypatch):
    settings = get_settings()
    for name, value in {"gallabox_base_url": GALLABOX, "gallabox_api_key": "gb-key", "gallabox_api_secret": "gb-secret",
                        "gallabox_channel_id": "chan-42", "outbound_timeout_s": 2.0}.items():
        monkeypatch.setattr(settings, name, value)
    return GallaboxProvider(settings)


@pytest.fixture
def meta(monkeypatch):
    settings = get_settings()
    for name, value in {"meta_base_url": META, "meta_access_token": "meta-token", "meta_phone_number_id": "10987",
                        "outbound_timeout_s": 2.0}.items():
        monkeypatch.setattr(settings, name, value)
    return MetaProvider(settings)


def confirmation(message_id: int = 7) -> OutgoingMessage:
    params = {"patient": "Asha Rao", "mode": "online", "clinician": "Dr. Meera Iyer", "when": "23 Nov 2026, 10:00 am",
              "place": "at Indiranagar", "appointment_id": 55}
    return OutgoingMessage(id=message_id, recipient="+919812345678", recipient_name="Asha Rao",
                           template="booking_confirmation", params=params, body="(text)")


@respx.mock
async def test_gallabox_sends_the_documented_template_body_and_headers(gallabox):
    route = respx.post(f"{GALLABOX}/devapi/messages/whatsapp").mock(
        return_value=httpx.Response(202, json={"id": "gbx-msg-1", "status": "ACCEPTED"}))
    result = await gallabox.send(confirmation())
    request = route.calls.last.request
    assert request.headers["apiKey"] == "gb-key" and request.headers["apiSecret"] == "gb-secret"
    assert json.loads(request.content) == {
        "channelId": "chan-42", "channelType": "whatsapp",
        "recipient": {"name": "Asha Rao", "phone": "919812345678"},
        "whatsapp": {"type": "template", "template": {"templateName": "booking_confirmation", "bodyValues": {
            "patient": "Asha Rao", "mode": "online", "clinician": "Dr. Meera Iyer", "when": "23 Nov 2026, 10:00 am",
            "place": "at Indiranagar", "appointment_id": "55"}}},
    }
    assert (result.provider, result.provider_message_id) == ("gallabox", "gbx-msg-1")


@respx.mock
async def test_meta_sends_the_documented_template_body_and_bearer(meta):
    route = respx.post(f"{META}/10987/messages").mock(return_value=httpx.Response(200, json={
        "messaging_product": "whatsapp", "contacts": [{"input": "919812345678", "wa_id": "919812345678"}],
        "messages": [{"id": "wamid.ABC"}]}))
    result = await meta.send(confirmation())
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer meta-token"
    body = json.loads(request.content)
    assert body["messaging_product"] == "whatsapp" and body["to"] == "919812345678" and body["type"] == "template"
    assert body["template"]["name"] == "booking_confirmation"
    assert body["template"]["language"] == {"code": "en"}
    texts = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert body["template"]["components"][0]["type"] == "body"
    assert texts == ["Asha Rao", "online", "Dr. Meera Iyer", "23 Nov 2026, 10:00 am", "at Indiranagar", "55"]
    assert result.provider_message_id == "wamid.ABC"


@respx.mock
async def test_meta_otp_repeats_the_code_in_the_copy_code_button(meta):
    route = respx.post(f"{META}/10987/messages").mock(
        return_value=httpx.Response(200, json={"messages": [{"id": "wamid.OTP"}]}))
    await meta.send(OutgoingMessage(id=1, recipient="+919812345678", recipient_name=None, template="otp",
                                    params={"otp": "482913", "organization": "Mibo", "minutes": 10}, body=""))
    components = json.loads(route.calls.last.request.content)["template"]["components"]
    assert components[1] == {"type": "button", "sub_type": "url", "index": "0",
                             "parameters": [{"type": "text", "text": "482913"}]}


@respx.mock
async def test_template_map_renames_and_reorders(meta, gallabox, monkeypatch):
    mapping = {"booking_confirmation": {"name": "appt_ok_v2", "language": "en_US",
                                        "params": ["name:patient", "when"]}}
    monkeypatch.setattr(get_settings(), "whatsapp_template_map", json.dumps(mapping))
    body = meta.request_body(confirmation())
    assert body["template"]["name"] == "appt_ok_v2" and body["template"]["language"] == {"code": "en_US"}
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == ["Asha Rao", "23 Nov 2026, 10:00 am"]
    assert gallabox.request_body(confirmation())["whatsapp"]["template"] == {
        "templateName": "appt_ok_v2", "bodyValues": {"name": "Asha Rao", "when": "23 Nov 2026, 10:00 am"}}


@pytest.mark.parametrize(("fake", "error"), [
    (httpx.ConnectTimeout("connect timed out"), TransientSendError),
    (httpx.ConnectError("refused"), TransientSendError),
    (httpx.Response(429, json={"error": "slow down"}), TransientSendError),
    (httpx.Response(503, text="unavailable"), TransientSendError),
    (httpx.Response(400, json={"error": {"message": "template not approved"}}), PermanentSendError),
    (httpx.Response(401, json={"error": "bad key"}), PermanentSendError),
    (httpx.ReadTimeout("read timed out"), UnknownOutcome),
    (httpx.RemoteProtocolError("server disconnected"), UnknownOutcome),
])
@respx.mock
async def test_outcomes_map_to_what_the_outbox_should_do(gallabox, fake, error):
    route = respx.post(f"{GALLABOX}/devapi/messages/whatsapp")
    if isinstance(fake, Exception):
        route.mock(side_effect=fake)
    else:
        route.mock(return_value=fake)
    with pytest.raises(error):
        await gallabox.send(confirmation())


# --- through the outbox ---------------------------------------------------------------------------------------

async def _queue(db) -> int:
    return await service.queue_message(db, template="booking_confirmation", recipient="+919812345678",
                                       recipient_name="Asha Rao", params=confirmation().params)


async def _row(db, message_id: int) -> OutboxMessage:
    return (await db.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                             .execution_options(populate_existing=True))).scalar_one()


@respx.mock
async def test_connect_timeout_is_retried_and_the_message_delivered_once(db, gallabox):
    message_id = await _queue(db)
    route = respx.post(f"{GALLABOX}/devapi/messages/whatsapp").mock(side_effect=[
        httpx.ConnectTimeout("connect timed out"), httpx.Response(202, json={"id": "gbx-2"})])
    await service.deliver_due(dbmod.unit_of_work, provider=gallabox)
    first = await _row(db, message_id)
    assert first.status == "QUEUED" and first.attempts == 1 and route.call_count == 1
    assert await service.deliver_due(dbmod.unit_of_work, provider=gallabox) == 0  # not due yet: backoff
    await db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                     .values(next_attempt_at=func.now() - timedelta(seconds=1)))
    await service.deliver_due(dbmod.unit_of_work, provider=gallabox)
    await service.deliver_due(dbmod.unit_of_work, provider=gallabox)
    row = await _row(db, message_id)
    assert row.status == "SENT" and row.provider_message_id == "gbx-2" and row.attempts == 2
    assert route.call_count == 2


@respx.mock
async def test_read_timeout_is_unknown_and_never_resent(db, meta):
    message_id = await _queue(db)
    route = respx.post(f"{META}/10987/messages").mock(side_effect=httpx.ReadTimeout("no answer"))
    await service.deliver_due(dbmod.unit_of_work, provider=meta)
    await db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                     .values(next_attempt_at=func.now() - timedelta(seconds=1)))
    await service.deliver_due(dbmod.unit_of_work, provider=meta)
    row = await _row(db, message_id)
    assert row.status == "UNKNOWN" and "ReadTimeout" in row.last_error
    assert route.call_count == 1


async def test_get_provider_builds_the_configured_adapter(monkeypatch):
    monkeypatch.setattr(get_settings(), "whatsapp_provider", "meta")
    assert isinstance(get_provider(), MetaProvider)
    assert isinstance(get_provider("gallabox"), GallaboxProvider)
