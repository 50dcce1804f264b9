"""The patient's own side: their appointments, cancellation (free until the organization's limit), dashboard,
payments and profile.

The patient is always ``principal.patient_id``, in the organization their request acts in (``organization_id``,
chosen by the surface; :mod:`clinicops.authz.patient_scope`): another patient's appointment, or their own at
another organization, is simply not found (404) — for reads and for the cancellation alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import queries, repository
from clinicops.appointments.exceptions import AppointmentNotFound, CancellationWindowClosed
from clinicops.appointments.models import Appointment
from clinicops.appointments.queries import AppointmentView
from clinicops.auth.models import User
from clinicops.authz import scopes
from clinicops.authz.patient_scope import patient_scope
from clinicops.authz.principal import Principal
from clinicops.errors import NotFound
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import TERMINAL, Actor, AppointmentStatus, cancellation, change_status
from clinicops.organizations import service as organizations
from clinicops.patients.models import Patient
from clinicops.payments.models import Payment

PROFILE_FIELDS = ("first_name", "last_name", "email", "date_of_birth", "age", "gender", "blood_group",
                  "address", "emergency_contact_name", "emergency_contact_phone")


def _own(principal: Principal, organization_id: int) -> list:
    return [scopes.appointments(patient_scope(principal, organization_id))]


async def my_appointments(session: AsyncSession, principal: Principal, *, organization_id: int,
                          status: str | None = None, upcoming: bool | None = None, limit: int = 20, offset: int = 0
                          ) -> tuple[list[AppointmentView], int]:
    where = _own(principal, organization_id) + [Appointment.status != AppointmentStatus.RESCHEDULED]
    if status:
        where.append(Appointment.status == status)
    now = utcnow()
    if upcoming is True:
        where += [Appointment.starts_at >= now, Appointment.status.not_in(sorted(TERMINAL))]
    elif upcoming is False:
        where.append(Appointment.starts_at < now)
    rows = await queries.views(session, where, limit=limit, offset=offset, newest_first=upcoming is not True)
    return rows, await queries.count(session, where)


async def get(session: AsyncSession, principal: Principal, appointment_id: int, *,
              organization_id: int) -> AppointmentView:
    if await repository.get(session, appointment_id, _own(principal, organization_id)) is None:
        raise AppointmentNotFound()
    found = await queries.view(session, appointment_id)
    assert found is not None
    return found


async def cancel(session: AsyncSession, principal: Principal, appointment_id: int, *, organization_id: int,
                 reason: str | None = None) -> AppointmentView:
    """Cancel one's own appointment; refused within the organization's ``free_cancellation_hours`` of its start
    (the centre handles those)."""
    appointment = await repository.get(session, appointment_id, _own(principal, organization_id), lock=True)
    if appointment is None:
        raise AppointmentNotFound()
    hours = (await organizations.get(session, appointment.organization_id)).free_cancellation_hours
    if not cancellation.is_free(appointment.starts_at, utcnow(), hours=hours):
        raise CancellationWindowClosed(hours)
    await change_status(session, appointment, AppointmentStatus.CANCELLED, actor_user_id=principal.user_id,
                        actor=Actor.PATIENT, reason=reason or "Cancelled by patient")
    return await get(session, principal, appointment_id, organization_id=organization_id)


@dataclass(frozen=True)
class Dashboard:
    patient: Patient
    counts: dict[str, int]
    spent_paise: int
    upcoming: list[AppointmentView]
    recent: list[AppointmentView]
    payments: list[Payment]


async def dashboard(session: AsyncSession, principal: Principal, *, organization_id: int) -> Dashboard:
    patient = await _patient(session, principal)
    now = utcnow()
    scope = patient_scope(principal, organization_id)
    own = [scopes.appointments(scope)]
    upcoming = await queries.views(session, own + [
        Appointment.starts_at >= now, Appointment.status.not_in(sorted(TERMINAL))], limit=5, newest_first=False)
    recent = await queries.views(session, own + [Appointment.starts_at < now,
                                                 Appointment.status != AppointmentStatus.RESCHEDULED], limit=5)
    payments, _ = await queries.patient_payments(session, scope, limit=5)
    return Dashboard(patient, await queries.patient_counts(session, scope, now),
                     await queries.patient_spent_paise(session, scope), upcoming, recent, payments)


async def payments(session: AsyncSession, principal: Principal, *, organization_id: int, limit: int, offset: int
                   ) -> tuple[list[Payment], int]:
    return await queries.patient_payments(session, patient_scope(principal, organization_id), limit=limit,
                                          offset=offset)


async def _patient(session: AsyncSession, principal: Principal) -> Patient:
    patient = await session.get(Patient, principal.patient_id)
    if patient is None:
        raise NotFound("Patient profile not found")
    return patient


async def profile(session: AsyncSession, principal: Principal) -> tuple[User, Patient]:
    user = await session.get(User, principal.user_id)
    if user is None:
        raise NotFound("Account not found")
    return user, await _patient(session, principal)


async def update_profile(session: AsyncSession, principal: Principal, *, changes: dict) -> tuple[User, Patient]:
    """Update the patient's own details (only the fields in PROFILE_FIELDS; names keep full_name in step)."""
    user, patient = await profile(session, principal)
    unknown = set(changes) - set(PROFILE_FIELDS)
    assert not unknown, unknown
    dob = changes.get("date_of_birth")
    if isinstance(dob, date) and "age" not in changes:
        changes["age"] = _age(dob)
    for name, value in changes.items():
        setattr(patient, name, value)
    if {"first_name", "last_name"} & set(changes):
        full = " ".join(p for p in (patient.first_name, patient.last_name) if p)
        patient.full_name = full
        user.full_name = full
    if "email" in changes:
        user.email = changes["email"]
    await session.flush()
    return user, patient


def _age(dob: date) -> int:
    today = utcnow().date()
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


async def notifications(session: AsyncSession, principal: Principal, *, organization_id: int, limit: int,
                        offset: int):
    return await queries.patient_messages(session, patient_scope(principal, organization_id), limit=limit,
                                          offset=offset)
