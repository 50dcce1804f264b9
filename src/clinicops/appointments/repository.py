"""All write-side SQL of appointments: scoped lookups (optionally locked), inserts, holds.

Every lookup for a caller starts from what they may read (``authz.scopes``: organization, centres, own clinician,
own patient), so a row outside it is simply not found (404), never forbidden.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment, AppointmentEvent
from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.errors import SlotUnavailable
from clinicops.kit.locking import LockSpace, xact_lock
from clinicops.lifecycle import AppointmentStatus, holds
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient, PatientRegistration
from clinicops.visits.models import Visit


async def get(session: AsyncSession, appointment_id: int, scope: list[ColumnElement[bool]], *,
              lock: bool = False) -> Appointment | None:
    """The appointment if ``scope`` (conditions from ``authz.scopes``: what the caller may read) lets it through."""
    stmt = select(Appointment).where(Appointment.id == appointment_id, *scope)
    if lock:
        # Serialises concurrent writers of one appointment; populate_existing refreshes a row already loaded.
        stmt = stmt.with_for_update(of=Appointment).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_hold(session: AsyncSession, *, organization_id: int, patient_id: int, clinician_id: int,
                    centre_id: int, mode: str, local_start: datetime, now: datetime
                    ) -> tuple[Appointment, Clinician, Centre] | None:
    """A patient's own unpaid hold that has not lapsed, on the slot starting at ``local_start`` (wall-clock time
    in the centre's zone), locked; one statement."""
    row = (await session.execute(
        select(Appointment, Clinician, Centre)
        .join(Clinician, Clinician.id == Appointment.clinician_id)
        .join(Centre, Centre.id == Appointment.centre_id)
        .where(Appointment.organization_id == organization_id, Appointment.patient_id == patient_id,
               Appointment.clinician_id == clinician_id, Appointment.centre_id == centre_id,
               Appointment.mode == mode, func.timezone(Centre.timezone, Appointment.starts_at) == local_start,
               Appointment.status == AppointmentStatus.BOOKED, Appointment.hold_expires_at > now)
        .with_for_update(of=Appointment))).one_or_none()
    return (row[0], row[1], row[2]) if row is not None else None


async def lock_clinician_time(session: AsyncSession, clinician_id: int) -> None:
    """Queue behind every other transaction that is putting an appointment on this clinician's time.

    Taken before the first write of a booking or a reschedule, and held until commit. Without it, contenders for
    one slot insert overlapping rows, wait on each other's uncommitted rows in the exclusion constraint and
    deadlock on their next write (PostgreSQL breaks one such deadlock per second). With it they go one at a time,
    and each sees what the previous one committed, so the slot check refuses the losers (409 SLOT_UNAVAILABLE).
    """
    await xact_lock(session, LockSpace.CLINICIAN_TIME, clinician_id)


async def insert(session: AsyncSession, appointment: Appointment) -> Appointment:
    """Insert and flush now, so an overlap (the exclusion constraint, 23P01) fails inside the request."""
    session.add(appointment)
    await write_time(session)
    return appointment


async def write_time(session: AsyncSession) -> None:
    """Flush a new or moved appointment now: an overlap (the exclusion constraint, 23P01) is a 409 in the request,
    whether the row was inserted or an UPDATE moved its starts_at/ends_at."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if _sqlstate(exc) == "23P01":
            raise SlotUnavailable("This time overlaps another appointment of the clinician") from None
        raise


def _sqlstate(exc: IntegrityError) -> str | None:
    orig: Any = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)


async def clinician_in_org(session: AsyncSession, organization_id: int, clinician_id: int) -> Clinician | None:
    return (await session.execute(select(Clinician).where(
        Clinician.id == clinician_id, Clinician.organization_id == organization_id,
        Clinician.is_deleted.is_(False), Clinician.is_active.is_(True)))).scalar_one_or_none()


async def centre_in_org(session: AsyncSession, organization_id: int, centre_id: int) -> Centre | None:
    return (await session.execute(select(Centre).where(
        Centre.id == centre_id, Centre.organization_id == organization_id, Centre.is_deleted.is_(False),
        Centre.is_active.is_(True)))).scalar_one_or_none()


async def registered_patient(session: AsyncSession, organization_id: int, patient_id: int) -> Patient | None:
    """The patient, if registered with the organization (a patient of another tenant is not found)."""
    return (await session.execute(select(Patient).join(
        PatientRegistration, PatientRegistration.patient_id == Patient.id).where(
        Patient.id == patient_id, PatientRegistration.organization_id == organization_id))).scalar_one_or_none()


async def user_name(session: AsyncSession, user_id: int) -> str | None:
    return (await session.execute(select(User.full_name).where(User.id == user_id))).scalar_one_or_none()


async def lock_expired_holds(session: AsyncSession, *, now: datetime, limit: int, clinician_id: int | None = None,
                             between: tuple[datetime, datetime] | None = None,
                             except_id: int | None = None) -> list[Appointment]:
    """Appointments whose payment hold has lapsed (``lifecycle.holds``: a paid hold never has), locked; rows another
    worker holds are skipped."""
    stmt = select(Appointment).where(text(holds.lapsed_sql(Appointment.__tablename__)).bindparams(now=now))
    if clinician_id is not None:
        stmt = stmt.where(Appointment.clinician_id == clinician_id)
    if between is not None:
        stmt = stmt.where(Appointment.starts_at < between[1], Appointment.ends_at > between[0])
    if except_id is not None:
        stmt = stmt.where(Appointment.id != except_id)
    stmt = (stmt.order_by(Appointment.hold_expires_at).limit(limit)
            .with_for_update(of=Appointment, skip_locked=True).execution_options(populate_existing=True))
    return list((await session.execute(stmt)).scalars())


async def events_of(session: AsyncSession, appointment_id: int) -> list[tuple[AppointmentEvent, str | None]]:
    rows = await session.execute(
        select(AppointmentEvent, User.full_name).outerjoin(User, User.id == AppointmentEvent.actor_user_id)
        .where(AppointmentEvent.appointment_id == appointment_id)
        .order_by(AppointmentEvent.created_at, AppointmentEvent.id))
    return [(event, name) for event, name in rows]


# --- the visit record of an appointment (the clinician's session notes and follow-up date) -------------------

async def visit_of(session: AsyncSession, appointment_id: int) -> Visit | None:
    """The appointment's visit record, locked (one per appointment)."""
    return (await session.execute(select(Visit).where(Visit.appointment_id == appointment_id)
                                  .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


async def add_visit(session: AsyncSession, visit: Visit) -> Visit:
    session.add(visit)
    await session.flush()
    await session.refresh(visit)
    return visit


async def earlier_visits(session: AsyncSession, appointment: Appointment, *, limit: int = 10
                         ) -> list[tuple[Visit, Appointment]]:
    """The patient's other visits with this appointment's clinician in its organization, newest first."""
    rows = await session.execute(
        select(Visit, Appointment).join(Appointment, Appointment.id == Visit.appointment_id)
        .where(Visit.organization_id == appointment.organization_id, Visit.patient_id == appointment.patient_id,
               Visit.clinician_id == appointment.clinician_id, Visit.appointment_id != appointment.id,
               Visit.notes.is_not(None))
        .order_by(Appointment.starts_at.desc().nulls_last(), Visit.id.desc()).limit(limit))
    return [(visit, appt) for visit, appt in rows]


async def centre_zone(session: AsyncSession, centre_id: int) -> str:
    return (await session.execute(select(Centre.timezone).where(Centre.id == centre_id))).scalar_one()
