"""Wall-clock times live in the centre's zone; instants are UTC. Never the server's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of wall-clock ``at`` on ``day`` in ``tz``."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in ``tz`` as aware datetimes."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def today_in(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def parse_date(value: str) -> date:
    return date.fromisoformat(value.strip())


def parse_wall_time(value: str) -> time:
    """``HH:MM`` or ``HH:MM:SS``."""
    text = value.strip()
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError("time must be HH:MM or HH:MM:SS")


def human(instant: datetime, tz: ZoneInfo) -> str:
    """``23 Nov 2026, 10:00 am`` in the given zone, for messages to people."""
    local = instant.astimezone(tz)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.day} {local.strftime('%b %Y')}, {hour}:{local.strftime('%M')} {local.strftime('%p').lower()}"
