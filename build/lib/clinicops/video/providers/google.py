"""Google Meet through a Calendar event, as a service account (optionally impersonating a Workspace user).

``google-auth`` mints the access token (a JWT assertion signed with the service account's key, exchanged at
its ``token_uri``); its HTTP call goes through an httpx adapter, and the Calendar calls are httpx too, so
both ends can be faked at the HTTP edge. The event is created with a client-chosen event id and the same
``conferenceData.createRequest.requestId``: a retried create answers 409 and we read the existing event,
so one appointment never gets two meetings.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from clinicops.config import Settings
from clinicops.video.providers.base import Meeting, MeetingRequest, VideoProviderError

SCOPES = ("https://www.googleapis.com/auth/calendar.events",)
CALENDAR_API = "https://www.googleapis.com/calendar/v3"


class _Response(google.auth.transport.Response):
    def __init__(self, response: httpx.Response):
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self):
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxAuthRequest(google.auth.transport.Request):
    """google-auth's transport interface over (synchronous) httpx; used from a worker thread."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        try:
            with httpx.Client(timeout=timeout or self.timeout_s) as client:
                return _Response(client.request(method, url, content=body, headers=headers))
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(str(exc)) from exc


def load_credentials(settings: Settings) -> service_account.Credentials:
    if settings.google_service_account_json:
        info = json.loads(settings.google_service_account_json)
    elif settings.google_service_account_file:
        info = json.loads(Path(settings.google_service_account_file).read_text())
    else:
        raise VideoProviderError("no Google service account configured", transient=False)
    credentials = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    if settings.google_impersonate_user:
        credentials = credentials.with_subject(settings.google_impersonate_user)
    return credentials


def meet_link(event: dict) -> str | None:
    if event.get("hangoutLink"):
        return event["hangoutLink"]
    for entry in (event.get("conferenceData") or {}).get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return entry["uri"]
    return None


class GoogleMeetProvider:
    name = "google"
    _shared: dict[tuple, GoogleMeetProvider] = {}

    def __init__(self, settings: Settings):
        self.settings = settings
        self.timeout_s = settings.outbound_timeout_s
        self._credentials: service_account.Credentials | None = None

    @classmethod
    def shared(cls, settings: Settings) -> GoogleMeetProvider:
        """One instance per configuration, so the access token is reused until it expires."""
        key = (settings.google_service_account_json, settings.google_service_account_file,
               settings.google_impersonate_user, settings.google_calendar_id, settings.outbound_timeout_s)
        if key not in cls._shared:
            cls._shared[key] = cls(settings)
        return cls._shared[key]

    async def _token(self) -> str:
        if self._credentials is None:
            self._credentials = load_credentials(self.settings)
        credentials = self._credentials
        if not credentials.valid:
            try:
                await asyncio.to_thread(credentials.refresh, HttpxAuthRequest(self.timeout_s))
            except google.auth.exceptions.TransportError as exc:
                raise VideoProviderError(f"google token: {exc}") from exc
            except google.auth.exceptions.RefreshError as exc:
                raise VideoProviderError(f"google token refused: {exc}",
                                         transient=bool(getattr(exc, "retryable", False))) from exc
        return credentials.token

    def _events_url(self) -> str:
        return f"{CALENDAR_API}/calendars/{quote(self.settings.google_calendar_id or 'primary', safe='')}/events"

    async def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self._token()}"}
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s)) as client:
                response = await client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            # Even a read timeout is safe to retry here: the fixed event id makes the retry idempotent.
            raise VideoProviderError(f"google calendar: {type(exc).__name__}") from exc
        if response.status_code == 401 and self._credentials is not None:
            self._credentials.token = None  # a revoked or stale token: mint a new one on the retry
        if response.status_code in (401, 429) or response.status_code >= 500:
            raise VideoProviderError(f"google calendar: HTTP {response.status_code}")
        return response

    def event_body(self, request: MeetingRequest) -> dict:
        return {
            "id": request.request_id,
            "summary": request.summary,
            "description": request.description,
            "start": {"dateTime": request.starts_at.isoformat(), "timeZone": request.timezone},
            "end": {"dateTime": request.ends_at.isoformat(), "timeZone": request.timezone},
            "conferenceData": {"createRequest": {"requestId": request.request_id,
                                                 "conferenceSolutionKey": {"type": "hangoutsMeet"}}},
        }

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        response = await self._call("POST", self._events_url(), params={"conferenceDataVersion": "1"},
                                    json=self.event_body(request))
        if response.status_code == 409:  # created by an earlier attempt: read it back
            response = await self._call("GET", f"{self._events_url()}/{request.request_id}")
        if response.status_code >= 400:
            raise VideoProviderError(f"google calendar: HTTP {response.status_code} {response.text[:300]}",
                                     transient=False)
        event = response.json()
        if event.get("status") == "cancelled":
            raise VideoProviderError("google calendar: the event was cancelled", transient=False)
        link = meet_link(event)
        if not link:
            # Conference creation can be asynchronous ("pending"): the retry reads the event again.
            raise VideoProviderError("google calendar: the Meet conference is not ready yet")
        return Meeting(link=link, event_id=event.get("id") or request.request_id)

    async def delete_meeting(self, event_id: str) -> None:
        response = await self._call("DELETE", f"{self._events_url()}/{quote(event_id, safe='')}")
        if response.status_code not in (200, 204, 404, 410):
            raise VideoProviderError(f"google calendar: HTTP {response.status_code}", transient=False)
