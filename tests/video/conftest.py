"""Google faked at the HTTP edge: the OAuth token endpoint and the Calendar events API."""

from __future__ import annotations

import pytest
import respx

from clinicops.config import get_settings
from clinicops.video.providers.google import CALENDAR_API, GoogleMeetProvider
from tests.builders.messaging import service_account_json

TOKEN_URL = "https://oauth2.googleapis.com/token"
EVENTS_URL = f"{CALENDAR_API}/calendars/clinic%40example.com/events"


@pytest.fixture
def google(monkeypatch):
    """Settings for the Google provider; yields a respx router with the token endpoint answered."""
    settings = get_settings()
    for name, value in {"video_provider": "google", "google_service_account_json": service_account_json(),
                        "google_calendar_id": "clinic@example.com",
                        "google_impersonate_user": "scheduler@example.com", "outbound_timeout_s": 2.0}.items():
        monkeypatch.setattr(settings, name, value)
    GoogleMeetProvider._shared.clear()
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).respond(200, json={"access_token": "ya29.test-token", "expires_in": 3600,
                                                  "token_type": "Bearer"})
        yield router
    GoogleMeetProvider._shared.clear()


def meet_event(event_id: str, link: str = "https://meet.google.com/abc-defg-hij") -> dict:
    return {"id": event_id, "status": "confirmed", "hangoutLink": link,
            "conferenceData": {"entryPoints": [{"entryPointType": "video", "uri": link}],
                               "conferenceSolution": {"key": {"type": "hangoutsMeet"}}}}
