"""Offline meetings: a deterministic link on ``meet.clinicops.invalid`` (RFC 2606), never a real-looking one."""

from __future__ import annotations

import hashlib
import string

from clinicops.video.providers.base import Meeting, MeetingRequest

HOST = "meet.clinicops.invalid"


def meeting_code(seed: str) -> str:
    """``abc-defg-hij`` like Meet's codes, derived from ``seed`` so a retry gives the same link."""
    digest = hashlib.sha256(seed.encode()).digest()
    letters = "".join(string.ascii_lowercase[b % 26] for b in digest[:10])
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"


class OfflineProvider:
    name = "offline"

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        return Meeting(link=f"https://{HOST}/{meeting_code(request.request_id)}",
                       event_id=f"offline-{request.request_id}")

    async def delete_meeting(self, event_id: str) -> None:
        return None
