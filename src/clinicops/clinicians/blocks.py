"""Dated exceptions: blocked days and windows (UNAVAILABLE) and extra hours (EXTRA).

Rows keep the table's meaning that the slot engine reads: no times = whole days ``start_date..end_date``; with
times, the window is wall-clock in the centre's zone. A timed request over several days is stored as one row per
day (each row is a single-day window), so "13:00-14:00 every day this week" never becomes one long block.

A block does not cancel anything: it returns the active appointments it overlaps (by overlap, in each
appointment's centre zone) and queues a WhatsApp notice to each patient through the outbox; staff then reschedule
or cancel those appointments.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal
from clinicops.clinicians import repository
from clinicops.clinicians.exceptions import CentreNotFound, ExceptionNotFound
from clinicops.clinicians.models import AvailabilityException, Clinician
from clinicops.clinicians.repository import AffectedAppointment
from clinicops.errors import AppError, ValidationFailed
from clinicops.kit.timezones import human, utcnow, zone
from clinicops.messaging import notify
from clinicops.messaging import service as messaging

MAX_DAYS = 366
MAX_SLOTS = 100  # slots in one multiple block (or affected-patients preview)
NOTICE_TEMPLATE = "slot_blocked"


@dataclass(frozen=True)
class ExceptionSpec:
    kind: str  # UNAVAILABLE or EXTRA
    start_date: date
    end_date: date
    start_time: time | None = None
    end_time: time | None = None
    centre_id: int | None = None  # None: every centre (UNAVAILABLE only)
    mode: str | None = None  # None: every mode
    slot_minutes: int | None = None
    reason: str | None = None


@dataclass
class BlockResult:
    exceptions: list[AvailabilityException]
    affected: list[AffectedAppointment] = field(default_factory=list)
    notified: int = 0


def _check(spec: ExceptionSpec) -> None:
    if spec.kind not in ("UNAVAILABLE", "EXTRA"):
        raise ValidationFailed("type", "type must be UNAVAILABLE or EXTRA")
    if spec.end_date < spec.start_date:
        raise ValidationFailed("end_date", "end_date must not be before start_date")
    if (spec.end_date - spec.start_date).days >= MAX_DAYS:
        raise ValidationFailed("end_date", f"at most {MAX_DAYS} days at once")
    if (spec.start_time is None) != (spec.end_time is None):
        missing = "end_time" if spec.end_time is None else "start_time"
        raise ValidationFailed(missing, "start_time and end_time go together")
    if spec.start_time is not None and spec.start_time >= spec.end_time:
        raise ValidationFailed("end_time", "end_time must be later than start_time")
    if spec.kind == "EXTRA" and spec.start_time is None:
        raise ValidationFailed("start_time", "extra hours need start_time and end_time")
    if spec.mode is not None and spec.mode not in ("IN_PERSON", "ONLINE"):
        raise ValidationFailed("mode", "mode must be IN_PERSON or ONLINE")
    if spec.slot_minutes is not None and not 5 <= spec.slot_minutes <= 480:
        raise ValidationFailed("slot_duration_minutes", "slot_duration_minutes must be 5 to 480")


async def _centre_for(session: AsyncSession, principal: Principal, clinician: Clinician,
                      spec: ExceptionSpec) -> int | None:
    """The centre the exception applies to; a centre manager never touches centres they do not manage."""
    if spec.centre_id is not None:
        found = await repository.centres_in_org(session, principal.organization_id, [spec.centre_id])
        if spec.centre_id not in found or not principal.can_access_centre(spec.centre_id):
            raise CentreNotFound(details=[{"field": "centre_id", "message": "centre not found"}])
        return spec.centre_id
    if spec.kind == "EXTRA":
        centre_id = clinician.primary_centre_id
        if centre_id is None or not principal.can_access_centre(centre_id):
            raise ValidationFailed("centre_id", "centre_id is required for extra hours")
        return centre_id
    scope = principal.centre_scope()
    if scope is not None:
        works_at = await repository.rule_centre_ids(session, clinician.id) | {clinician.primary_centre_id}
        if not works_at <= scope:
            raise ValidationFailed("centre_id", "centre_id is required: the clinician also works at centres "
                                                "you do not manage")
    return None


def _rows(principal: Principal, clinician: Clinician, spec: ExceptionSpec,
          centre_id: int | None) -> list[AvailabilityException]:
    common = dict(organization_id=clinician.organization_id, clinician_id=clinician.id, kind=spec.kind,
                  centre_id=centre_id, mode=spec.mode, slot_minutes=spec.slot_minutes, reason=spec.reason,
                  created_by_user_id=principal.user_id)
    if spec.start_time is None:
        return [AvailabilityException(start_date=spec.start_date, end_date=spec.end_date, **common)]
    days = (spec.end_date - spec.start_date).days + 1
    return [AvailabilityException(start_date=day, end_date=day, start_time=spec.start_time,
                                  end_time=spec.end_time, **common)
            for day in (spec.start_date + timedelta(days=n) for n in range(days))]


def windows(rows: list[AvailabilityException]) -> list[tuple[datetime, datetime]]:
    """Wall-clock [start, end) of each row (naive: read in each appointment's centre zone)."""
    out = []
    for row in rows:
        if row.start_time is None:
            out.append((datetime.combine(row.start_date, time(0)),
                        datetime.combine(row.end_date + timedelta(days=1), time(0))))
        else:
            out.append((datetime.combine(row.start_date, row.start_time),
                        datetime.combine(row.end_date, row.end_time)))
    return out


async def add(session: AsyncSession, principal: Principal, clinician_id: int, spec: ExceptionSpec) -> BlockResult:
    """Store an exception; for UNAVAILABLE also list the affected appointments and notify their patients."""
    _check(spec)
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    centre_id = await _centre_for(session, principal, clinician, spec)
    rows = _rows(principal, clinician, spec, centre_id)
    session.add_all(rows)
    await session.flush()
    await repository.touch(session, clinician.id)
    result = BlockResult(exceptions=rows)
    if spec.kind == "UNAVAILABLE":
        result.affected = await repository.affected_appointments(
            session, clinician.organization_id, clinician.id, windows=windows(rows), centre_id=centre_id,
            mode=spec.mode, now=utcnow())
        result.notified = await _notify(session, clinician, rows[0].id, result.affected)
    return result


async def _plan(session: AsyncSession, principal: Principal, slots: list[tuple[int, ExceptionSpec]], *,
                for_update: bool) -> list[tuple[Clinician, int | None, ExceptionSpec, list[AvailabilityException]]]:
    """Check every slot of a multiple block (same rules as :func:`add`) before anything is stored; a problem with
    slot ``i`` names ``slots[i].<field>``. Returns each slot's clinician, centre and (unsaved) rows."""
    if not slots:
        raise ValidationFailed("slots", "give at least one slot")
    if len(slots) > MAX_SLOTS:
        raise ValidationFailed("slots", f"at most {MAX_SLOTS} slots at once")
    for i, (_, spec) in enumerate(slots):
        with _slot(i):
            if spec.kind != "UNAVAILABLE":
                raise ValidationFailed("type", "only blocks (UNAVAILABLE) can be made several at once")
            _check(spec)
    clinicians: dict[int, Clinician] = {}
    first_slot = {cid: next(i for i, (c, _) in enumerate(slots) if c == cid) for cid, _ in slots}
    for clinician_id in sorted(first_slot):  # lock in id order: concurrent multiple blocks cannot deadlock
        with _slot(first_slot[clinician_id], "clinician_id"):
            clinicians[clinician_id] = await repository.managed_clinician(session, principal, clinician_id,
                                                                          for_update=for_update)
    planned = []
    for i, (clinician_id, spec) in enumerate(slots):
        clinician = clinicians[clinician_id]
        with _slot(i):
            centre_id = await _centre_for(session, principal, clinician, spec)
        planned.append((clinician, centre_id, spec, _rows(principal, clinician, spec, centre_id)))
    return planned


@contextmanager
def _slot(index: int, field_name: str | None = None) -> Iterator[None]:
    """Errors raised inside name the slot they are about (``slots[2].end_time``)."""
    try:
        yield
    except AppError as exc:
        details = exc.details or ([{"field": field_name, "message": exc.message}] if field_name else [])
        exc.details = [{**d, "field": f"slots[{index}].{d['field']}"} for d in details] or None
        raise


async def block_many(session: AsyncSession, principal: Principal,
                     slots: list[tuple[int, ExceptionSpec]]) -> BlockResult:
    """Block several slots (``(clinician_id, spec)`` pairs, possibly of several clinicians) in one transaction,
    all or nothing: every slot is checked as :func:`add` checks one before any row is stored. Each affected
    appointment is listed and its patient notified once, by the first block that covers it."""
    planned = await _plan(session, principal, slots, for_update=True)
    session.add_all([row for *_, rows in planned for row in rows])
    await session.flush()
    result = BlockResult(exceptions=[])
    seen: set[int] = set()
    for clinician, centre_id, spec, rows in planned:
        await repository.touch(session, clinician.id)
        affected = await repository.affected_appointments(
            session, clinician.organization_id, clinician.id, windows=windows(rows), centre_id=centre_id,
            mode=spec.mode, now=utcnow())
        fresh = [a for a in affected if a.id not in seen]
        seen.update(a.id for a in fresh)
        result.exceptions.extend(rows)
        result.affected.extend(fresh)
        result.notified += await _notify(session, clinician, rows[0].id, fresh)
    result.affected.sort(key=lambda a: (a.starts_at, a.id))
    return result


async def affected_by(session: AsyncSession, principal: Principal,
                      slots: list[tuple[int, ExceptionSpec]]) -> list[AffectedAppointment]:
    """Preview of :func:`block_many`: the active appointments blocking these slots would affect. Reads only:
    nothing is stored, nobody is notified."""
    planned = await _plan(session, principal, slots, for_update=False)
    found: dict[int, AffectedAppointment] = {}
    for clinician, centre_id, spec, rows in planned:
        for appt in await repository.affected_appointments(
                session, clinician.organization_id, clinician.id, windows=windows(rows), centre_id=centre_id,
                mode=spec.mode, now=utcnow()):
            found.setdefault(appt.id, appt)
    return sorted(found.values(), key=lambda a: (a.starts_at, a.id))


async def _notify(session: AsyncSession, clinician: Clinician, block_id: int,
                  affected: list[AffectedAppointment]) -> int:
    doctor = await repository.get_user(session, clinician.user_id)
    queued = 0
    for appt in affected:
        message_id = await messaging.queue_message(
            session, template=NOTICE_TEMPLATE, recipient=appt.patient_phone, recipient_name=appt.patient_name,
            organization_id=clinician.organization_id, appointment_id=appt.id, patient_id=appt.patient_id,
            dedupe_key=f"slot-blocked:{block_id}:{appt.id}",
            params={"patient": appt.patient_name or "there", "clinician": doctor.full_name,
                    "when": human(appt.starts_at, zone(appt.timezone)),
                    "place": notify.place_of(appt.mode, appt.centre_name)})
        queued += message_id is not None
    return queued


async def remove(session: AsyncSession, principal: Principal, exception_id: int, *,
                 clinician_id: int | None = None) -> AvailabilityException:
    """Delete one exception (an unblock, or extra hours withdrawn)."""
    row = await repository.get_exception(session, principal.organization_id, exception_id)
    if row is None or (clinician_id is not None and row.clinician_id != clinician_id):
        raise ExceptionNotFound()
    clinician = await repository.managed_clinician(session, principal, row.clinician_id, for_update=True)
    if row.centre_id is not None and not principal.can_access_centre(row.centre_id):
        raise ExceptionNotFound()
    await repository.delete_exceptions(session, [row.id])
    await repository.touch(session, clinician.id)
    return row


async def remove_on_date(session: AsyncSession, principal: Principal, clinician_id: int, day: date, *,
                         start_time: time | None = None, kind: str | None = None) -> list[AvailabilityException]:
    """Delete the clinician's exceptions covering ``day`` (optionally only the one starting at ``start_time``)."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    rows = await repository.list_exceptions(session, principal.organization_id, clinician_id=clinician.id,
                                            first_day=day, last_day=day, kind=kind, limit=1000)
    rows = [r for r in rows if (start_time is None or r.start_time == start_time)
            and (r.centre_id is None or principal.can_access_centre(r.centre_id))]
    if not rows:
        raise ExceptionNotFound()
    await repository.delete_exceptions(session, [r.id for r in rows])
    await repository.touch(session, clinician.id)
    return rows


async def listing(session: AsyncSession, principal: Principal, *, clinician_id: int | None,
                  first_day: date | None, last_day: date | None, kind: str | None = None,
                  blocks_only: bool = False, limit: int = 100, offset: int = 0) -> list[AvailabilityException]:
    """Exceptions of one clinician (or of every clinician the caller manages), by date."""
    if clinician_id is not None:
        await repository.managed_clinician(session, principal, clinician_id)
    if first_day is None and last_day is None:
        first_day = utcnow().date() - timedelta(days=1)  # by default, what is still ahead (any zone)
    return await repository.list_exceptions(
        session, principal.organization_id, clinician_id=clinician_id, scope=principal.centre_scope(),
        first_day=first_day, last_day=last_day, kind="UNAVAILABLE" if blocks_only else kind,
        limit=limit, offset=offset)
