"""What a lifecycle event causes in other domains, registered by the domain that owns the effect.

The lifecycle names the effects of each event and their order (:data:`ORDER`), and nothing else: payments
registers the refund, messaging its messages, video its Meet links (``@effects.register("video.meet_link")``
next to the code), so the dependency points from those domains to the lifecycle, never back. The composition
root (:mod:`clinicops.wiring`) imports every registering module and calls :func:`install`, which refuses an effect
left unregistered.

Effects run inside the caller's transaction, one after the other, right after the change is flushed: what they
write (a refund note, an outbox row, a job enqueued after commit) commits or rolls back with the change, and an
effect that raises undoes the change. Running an event before :func:`install` raises
:class:`EffectsNotInstalled`: a process that forgot the wiring must fail loudly, never skip a message quietly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.lifecycle.statuses import AppointmentStatus

APPOINTMENT = "appointment"
MOVED = "MOVED"  # an appointment moved to a new time, keeping its status (booking.move)

#: (kind, event) → the effects it causes, in the order they run.
ORDER: dict[tuple[str, str], tuple[str, ...]] = {
    (APPOINTMENT, AppointmentStatus.CONFIRMED): (
        "video.meet_link",  # an ONLINE appointment's link: sent at once if it exists, else a job creates it
        "messaging.confirmation",
    ),
    (APPOINTMENT, AppointmentStatus.CANCELLED): (
        "payments.refund_due",  # the paid fee's refund is recorded first ...
        "messaging.cancellation",  # ... then the patient is told and queued reminders and links are withdrawn
    ),
    (APPOINTMENT, MOVED): (
        "messaging.rescheduled",  # first: it withdraws what was queued for the old time ...
        "video.meet_link_moved",  # ... then the new time's Meet link is made
    ),
}


@dataclass(frozen=True)
class StatusChange:
    appointment: Appointment
    from_status: str
    to_status: AppointmentStatus
    actor: str
    reason: str | None


@dataclass(frozen=True)
class Moved:
    """An appointment moved in place (same id), and the time it had before."""

    appointment: Appointment
    from_starts_at: datetime
    from_ends_at: datetime | None


Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class EffectsNotInstalled(RuntimeError):
    """A lifecycle event ran in a process whose entry point did not call ``clinicops.wiring.install()``."""


class Registry:
    def __init__(self, order: Mapping[tuple[str, str], tuple[str, ...]]) -> None:
        names = [name for effects in order.values() for name in effects]
        assert len(names) == len(set(names)), "an effect belongs to one event"
        self.order = dict(order)
        self.handlers: dict[str, Handler] = {}
        self.installed = False

    def register(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: ``handler(session, event)`` is the effect ``name`` (one of :data:`ORDER`'s names)."""

        def add(handler: Handler) -> Handler:
            if not any(name in effects for effects in self.order.values()):
                raise LookupError(f"no lifecycle effect is named {name!r}; add it to ORDER first")
            if self.handlers.setdefault(name, handler) is not handler:
                raise ValueError(f"the lifecycle effect {name!r} is already registered")
            return handler

        return add

    def install(self) -> None:
        """Declare the process wired; every named effect must have its handler by now."""
        missing = [name for effects in self.order.values() for name in effects if name not in self.handlers]
        if missing:
            raise EffectsNotInstalled(f"lifecycle effects without a handler: {', '.join(missing)} "
                                      "(clinicops.wiring imports the modules that register them)")
        self.installed = True

    def names(self, kind: str, event: str) -> tuple[str, ...]:
        return self.order.get((kind, event), ())

    async def run(self, session: AsyncSession, kind: str, event: str, payload: object) -> None:
        if not self.installed:
            raise EffectsNotInstalled(f"{kind} {event}: lifecycle effects are not installed; the entry point "
                                      "must call clinicops.wiring.install() first")
        for name in self.names(kind, event):
            await self.handlers[name](session, payload)


_registry = Registry(ORDER)
register = _registry.register
install = _registry.install


def installed() -> bool:
    return _registry.installed


def handlers(kind: str, event: str) -> list[Handler]:
    """The handlers an event runs, in order (what the tests check against :data:`ORDER`)."""
    return [_registry.handlers[name] for name in _registry.names(kind, event)]


async def status_changed(session: AsyncSession, change: StatusChange) -> None:
    await _registry.run(session, APPOINTMENT, change.to_status, change)


async def moved(session: AsyncSession, move: Moved) -> None:
    await _registry.run(session, APPOINTMENT, MOVED, move)
