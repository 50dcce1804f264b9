"""The video interface: create (idempotently) and delete the meeting of one appointment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class MeetingRequest:
    appointment_id: int
    # Stable for one attempt at one appointment: a retried create returns the same meeting, never a second one.
    request_id: str
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str


@dataclass(frozen=True)
class Meeting:
    link: str
    event_id: str | None


class VideoProviderError(Exception):
    """The provider did not give us a meeting; ``transient`` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class VideoProvider(Protocol):
    name: str

    async def create_meeting(self, request: MeetingRequest) -> Meeting: ...

    async def delete_meeting(self, event_id: str) -> None: ...
