"""Video providers: Google Calendar/Meet for real, an offline stand-in on the reserved ``.invalid`` domain."""

from __future__ import annotations

from clinicops.video.providers.base import Meeting, MeetingRequest, VideoProvider, VideoProviderError


def get_provider(name: str | None = None) -> VideoProvider:
    from clinicops.config import get_settings

    settings = get_settings()
    chosen = name or settings.video_provider
    if chosen == "offline":
        from clinicops.video.providers.offline import OfflineProvider

        return OfflineProvider()
    if chosen == "google":
        from clinicops.video.providers.google import GoogleMeetProvider

        return GoogleMeetProvider.shared(settings)
    raise ValueError(f"unknown video provider {chosen!r}")


__all__ = ["Meeting", "MeetingRequest", "VideoProvider", "VideoProviderError", "get_provider"]
