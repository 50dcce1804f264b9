"""All SQL of the video domain: appointments' Meet links, scoped to what the caller may see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.lifecycle import AppointmentStatus
from clinicops.organizations.models import Centre
from clinicops.patients.models import Patient


def _readable(principal: Principal) -> Select:
    """Appointments (so their Meet links) the caller may read (``authz.scopes``)."""
    return select(Appointment).where(scopes.meet_links(principal))


async def get_scoped(session: AsyncSession, principal: Principal, appointment_id: int) -> Appointment | None:
    return (await session.execute(_readable(principal).where(Appointment.id == appointment_id))).scalar_one_or_none()


async def lock(session: AsyncSession, appointment_id: int) -> Appointment | None:
    return (await session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
        .execution_options(populate_existing=True))).scalar_one_or_none()


async def list_links(session: AsyncSession, principal: Principal, *, centre_id: int | None, limit: int,
                     offset: int) -> tuple[list[tuple], int]:
    """(appointment, patient name, clinician name, centre name) rows with a link, newest start first."""
    base = _readable(principal).where(Appointment.meet_link.is_not(None))
    if centre_id is not None:
        base = base.where(Appointment.centre_id == centre_id)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    clinician_user = User.__table__.alias("clinician_user")
    rows = await session.execute(
        base.add_columns(Patient.full_name, clinician_user.c.full_name, Centre.name)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Clinician, Clinician.id == Appointment.clinician_id)
        .join(clinician_user, clinician_user.c.id == Clinician.user_id)
        .join(Centre, Centre.id == Appointment.centre_id)
        .order_by(Appointment.starts_at.desc().nulls_last(), Appointment.id.desc())
        .limit(limit).offset(offset))
    return [tuple(r) for r in rows.all()], total


async def missing_links(session: AsyncSession, *, now: datetime, quiet_since: datetime,
                        limit: int = 200) -> list[int]:
    """Confirmed ONLINE appointments still ahead (or just started) without a link, untouched for a while.

    A system sweep across organizations: it only feeds ids to the link job, which re-reads each row.
    """
    rows = await session.execute(
        select(Appointment.id)
        .where(Appointment.mode == "ONLINE", Appointment.status == AppointmentStatus.CONFIRMED,
               Appointment.meet_link.is_(None),
               Appointment.ends_at > now, Appointment.updated_at < quiet_since)
        .order_by(Appointment.starts_at).limit(limit))
    return list(rows.scalars())
