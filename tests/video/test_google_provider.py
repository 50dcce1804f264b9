"""The Google adapter against the documented Calendar format, with the token minted by google-auth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx
import jwt
import pytest

from clinicops.config import get_settings
from clinicops.video.providers import MeetingRequest, VideoProviderError
from clinicops.video.providers.google import GoogleMeetProvider
from tests.video.conftest import EVENTS_URL, TOKEN_URL, meet_event

START = datetime(2030, 5, 6, 4, 30, tzinfo=timezone.utc)


def request(request_id: str = "clinicops12v3") -> MeetingRequest:
    return MeetingRequest(appointment_id=12, request_id=request_id, summary="Online consultation: Asha with Dr. Meera",
                          description="Mibo - Indiranagar", starts_at=START, ends_at=START + timedelta(minutes=30),
                          timezone="Asia/Kolkata")


async def test_creates_an_event_with_a_meet_conference(google):
    route = google.post(EVENTS_URL).respond(200, json=meet_event("clinicops12v3"))
    meeting = await GoogleMeetProvider(get_settings()).create_meeting(request())
    assert meeting.link == "https://meet.google.com/abc-defg-hij" and meeting.event_id == "clinicops12v3"

    token_call = google.routes[0].calls.last.request
    assert str(token_call.url) == TOKEN_URL
    form = parse_qs(token_call.content.decode())
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], options={"verify_signature": False})
    assert claims["iss"] == "meet-bot@clinicops-test.iam.gserviceaccount.com"
    assert claims["sub"] == "scheduler@example.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/calendar.events"

    call = route.calls.last.request
    assert call.url.params["conferenceDataVersion"] == "1"
    assert call.headers["authorization"] == "Bearer ya29.test-token"
    body = json.loads(call.content)
    assert body["conferenceData"] == {"createRequest": {"requestId": "clinicops12v3",
                                                        "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    assert body["id"] == "clinicops12v3"
    assert body["start"] == {"dateTime": START.isoformat(), "timeZone": "Asia/Kolkata"}
    assert body["end"]["dateTime"] == (START + timedelta(minutes=30)).isoformat()


async def test_a_retried_create_reads_back_the_existing_event(google):
    google.post(EVENTS_URL).respond(409, json={"error": {"code": 409,
                                                         "message": "The requested identifier already exists."}})
    read = google.get(f"{EVENTS_URL}/clinicops12v3").respond(200, json={
        "id": "clinicops12v3", "status": "confirmed",
        "conferenceData": {"entryPoints": [
            {"entryPointType": "phone", "uri": "tel:+1-555"},
            {"entryPointType": "video", "uri": "https://meet.google.com/xyz-wxyz-xyz"}]}})
    meeting = await GoogleMeetProvider(get_settings()).create_meeting(request())
    assert meeting.link == "https://meet.google.com/xyz-wxyz-xyz" and read.call_count == 1


@pytest.mark.parametrize(("answer", "transient"), [
    (httpx.Response(503), True), (httpx.Response(429), True), (httpx.ConnectTimeout("timeout"), True),
    (httpx.ReadTimeout("timeout"), True), (httpx.Response(403, json={"error": "forbidden"}), False),
    (httpx.Response(200, json={"id": "clinicops12v3", "conferenceData": {
        "createRequest": {"status": {"statusCode": "pending"}}}}), True),
])
async def test_failures_say_whether_a_retry_may_help(google, answer, transient):
    route = google.post(EVENTS_URL)
    route.mock(side_effect=answer) if isinstance(answer, Exception) else route.mock(return_value=answer)
    with pytest.raises(VideoProviderError) as caught:
        await GoogleMeetProvider(get_settings()).create_meeting(request())
    assert caught.value.transient is transient


async def test_the_token_is_reused_until_it_expires(google):
    google.post(EVENTS_URL).respond(200, json=meet_event("clinicops12v3"))
    provider = GoogleMeetProvider(get_settings())
    await provider.create_meeting(request())
    await provider.create_meeting(request())
    assert google.routes[0].call_count == 1
