"""Free cancellation: a patient may cancel online, and is refunded the consultation fee, until the organization's
``free_cancellation_hours`` before the start. Later, the centre handles it (and the fee is not refunded when the
patient cancels)."""

from __future__ import annotations

from datetime import datetime, timedelta


def is_free(starts_at: datetime | None, at: datetime, *, hours: int) -> bool:
    """Whether cancelling at ``at`` is free; an appointment without a scheduled time (a walk-in) always is."""
    return starts_at is None or starts_at - at >= timedelta(hours=hours)
