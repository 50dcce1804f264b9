"""A clinic's doctors: list, add, get, update, remove (the clinic surface's section 6.3).

A doctor is a STAFF login with the CLINICIAN role at the clinic's one centre, plus a ``clinicians`` row. Their week
(working days, start and end, lunch break, consultation length) is kept as the clinic typed it and turned into
the weekly availability rules the shared slot engine reads (:mod:`clinicops.clinicians.working_hours`).

Who may do what, decided here once:
- the clinic's admin sees and manages every doctor of the clinic; only the admin adds and removes doctors;
- a doctor sees and updates only themselves (any other doctor is 404) and may not change what the clinic charges
  for them (fee, advance: 403);
- adding counts against the plan (``plans.ensure_doctor_capacity``, 409 naming plan and limit); the temporary
  password goes to the doctor by WhatsApp through the outbox and must be changed at the first sign-in;
- removing deactivates the profile and the login and ends every session at once (``token_version``); visits,
  associations and appointments stay. Adding the number of a removed doctor brings that doctor back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.auth import sessions
from clinicops.auth.credentials import password_problem
from clinicops.auth.models import User
from clinicops.auth.passwords import hash_password
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians import repository
from clinicops.clinicians import doctor_fields as fields
from clinicops.clinicians import roster_repository as roster
from clinicops.clinicians.exceptions import HasFutureAppointments
from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.clinicians.working_hours import MONDAY_TO_SATURDAY, WorkingHours
from clinicops.errors import Duplicate, Forbidden, NotFound, ValidationFailed
from clinicops.kit.timezones import local_datetime, utcnow, zone
from clinicops.messaging.service import queue_message
from clinicops.messaging.templates import render_redacted
from clinicops.organizations import plans

WELCOME = "clinic_doctor_welcome"
NUMBER_CHANGED = "clinic_doctor_number_changed"
DEFAULT_CONSULTATION_MINUTES = 15
# What a doctor may not change about themselves: what the clinic charges for them.
ADMIN_ONLY = frozenset({"consultation_fee_paise", "advance_amount_paise"})
SCHEDULE = frozenset({"working_days", "start_time", "end_time", "lunch_break", "consultation_duration"})
# What an update may change, in the order changes are reported.
CHANGEABLE = ("name", "whatsapp_number", "specialization", "consultation_fee_paise", "advance_amount_paise",
              "daily_limit", "consultation_duration", "start_time", "end_time", "lunch_break", "working_days")
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # nothing to misread


class DoctorNotFound(NotFound):
    message = "Doctor not found"


class NotAClinic(NotFound):
    message = "Clinic not found"


@dataclass(frozen=True)
class NewDoctor:
    name: str
    whatsapp_number: str  # any form kit.phones accepts; stored in E.164
    start_time: time
    end_time: time
    specialization: str | None = None
    consultation_fee_paise: int = 0
    advance_amount_paise: int = 0
    daily_limit: int | None = None  # tokens a day; None: no limit
    consultation_duration: int = DEFAULT_CONSULTATION_MINUTES  # minutes
    lunch_break: tuple[time, time] | None = None
    working_days: tuple[int, ...] | None = None  # 0 = Sunday; None: the clinic's working days
    initial_password: str | None = None  # None: one is generated


@dataclass(frozen=True)
class Doctor:
    """A doctor of the clinic and their login, as loaded (read the columns; nothing is lazy)."""

    clinician: Clinician
    user: User

    @property
    def lunch_break(self) -> tuple[time, time] | None:
        c = self.clinician
        return None if c.lunch_start_time is None else (c.lunch_start_time, c.lunch_end_time)

    @property
    def specialization(self) -> str | None:
        return ", ".join(self.clinician.specializations or ()) or None


@dataclass(frozen=True)
class Added:
    doctor: Doctor
    message_text: str  # the WhatsApp welcome as sent, the password masked
    restored: bool  # a removed doctor of this clinic came back


@dataclass(frozen=True)
class Updated:
    doctor: Doctor
    changed: list[str]  # names from CHANGEABLE whose value changed
    whatsapp_updated: bool
    notification_sent: bool  # the new number was told of the change


def temporary_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))


def _is_admin(principal: Principal) -> bool:
    return principal.is_staff and principal.has(Role.ADMIN)


def _require_admin(principal: Principal) -> None:
    if not _is_admin(principal):
        raise Forbidden("Only the clinic admin can do this")


def _may_see(principal: Principal, clinician_id: int) -> bool:
    return _is_admin(principal) or (principal.own_clinician_id is not None
                                    and principal.own_clinician_id == clinician_id)


async def _place(session: AsyncSession, organization_id: int | None) -> roster.ClinicPlace:
    place = None if organization_id is None else await roster.clinic_place(session, organization_id)
    if place is None:
        raise NotAClinic()
    return place


def _values(doctor: Doctor) -> dict[str, Any]:
    """The doctor's current values, under the names of CHANGEABLE."""
    c, u = doctor.clinician, doctor.user
    return {"name": u.full_name, "whatsapp_number": u.phone, "specialization": doctor.specialization,
            "consultation_fee_paise": c.consultation_fee_paise, "advance_amount_paise": c.advance_amount_paise,
            "daily_limit": c.daily_token_limit, "consultation_duration": c.default_duration_minutes,
            "start_time": c.work_start_time, "end_time": c.work_end_time, "lunch_break": doctor.lunch_break,
            "working_days": tuple(sorted(c.working_days or ()))}


def _apply(doctor: Doctor, values: dict[str, Any]) -> None:
    c, u = doctor.clinician, doctor.user
    u.full_name = values["name"]
    u.phone = values["whatsapp_number"]
    c.specializations = [values["specialization"]] if values["specialization"] else []
    c.consultation_fee_paise = values["consultation_fee_paise"]
    c.advance_amount_paise = values["advance_amount_paise"]
    c.daily_token_limit = values["daily_limit"]
    c.default_duration_minutes = values["consultation_duration"]
    c.work_start_time, c.work_end_time = values["start_time"], values["end_time"]
    c.lunch_start_time, c.lunch_end_time = values["lunch_break"] or (None, None)
    c.working_days = list(values["working_days"])
    c.updated_at = utcnow()


async def _store_rules(session: AsyncSession, clinician: Clinician, hours: WorkingHours, centre_id: int) -> None:
    """The doctor's weekly rules become exactly those of ``hours`` (dated exceptions stay)."""
    await repository.delete_rules(session, clinician.id)
    session.add_all([AvailabilityRule(
        organization_id=clinician.organization_id, clinician_id=clinician.id, centre_id=rule.centre_id,
        weekday=rule.weekday, start_time=rule.start_time, end_time=rule.end_time, slot_minutes=rule.slot_minutes,
        mode=rule.mode) for rule in hours.rules(centre_id)])
    await session.flush()


async def _reload(session: AsyncSession, organization_id: int, clinician_id: int) -> Doctor:
    found = await roster.doctors(session, organization_id, clinician_id=clinician_id)
    return Doctor(*found[0])


# --- reads --------------------------------------------------------------------------------------------------------

async def list_doctors(session: AsyncSession, principal: Principal) -> list[Doctor]:
    """The admin: every doctor of the clinic, removed ones too. A doctor: only themselves."""
    await _place(session, principal.organization_id)
    if _is_admin(principal):
        rows = await roster.doctors(session, principal.organization_id)
    elif principal.own_clinician_id is not None:
        rows = await roster.doctors(session, principal.organization_id, clinician_id=principal.own_clinician_id)
    else:
        rows = []
    return [Doctor(c, u) for c, u in rows]


async def get_doctor(session: AsyncSession, principal: Principal, clinician_id: int) -> Doctor:
    """One doctor: any of the clinic's for the admin, only themselves for a doctor (else 404)."""
    if not _may_see(principal, clinician_id):
        raise DoctorNotFound()
    found = await roster.doctors(session, principal.organization_id, clinician_id=clinician_id)
    if not found:
        raise DoctorNotFound()
    return Doctor(*found[0])


@dataclass(frozen=True)
class MonthStatistics:
    """The doctor's current calendar month (the clinic's zone), from appointments and their payments."""

    patients: int
    consultations: int  # active appointments (booked or token); the live queue's tokens will count here too
    revenue_paise: int | None  # net of refunds; None for a doctor: revenue is the admin's (section 3.1)


async def month_statistics(session: AsyncSession, principal: Principal, doctor: Doctor, *,
                           now: datetime | None = None) -> MonthStatistics:
    """The month so far of a doctor the caller may see (:func:`get_doctor`)."""
    if not _may_see(principal, doctor.clinician.id):
        raise DoctorNotFound()
    place = await _place(session, principal.organization_id)
    tz = zone(place.timezone)
    first = (now or utcnow()).astimezone(tz).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    patients, consultations, revenue = await roster.month_figures(
        session, place.organization_id, doctor.clinician.id, local_datetime(first, time(0), tz),
        local_datetime(following, time(0), tz))
    return MonthStatistics(patients, consultations, revenue if _is_admin(principal) else None)


# --- writes -------------------------------------------------------------------------------------------------------

async def add(session: AsyncSession, principal: Principal, new: NewDoctor, *, clinic_login_id: str) -> Added:
    """Create the doctor's login (temporary password, to be changed), profile and weekly rules, within the plan's
    limit, and queue their credentials by WhatsApp. ``clinic_login_id`` is how the surface's sign-in names the
    clinic (it goes into the message). The number of a removed doctor of this clinic brings that doctor back."""
    _require_admin(principal)
    place = await _place(session, principal.organization_id)
    days = new.working_days if new.working_days is not None else (place.working_days or MONDAY_TO_SATURDAY)
    given = {"name": new.name, "whatsapp_number": new.whatsapp_number, "specialization": new.specialization,
             "consultation_fee_paise": new.consultation_fee_paise, "advance_amount_paise": new.advance_amount_paise,
             "daily_limit": new.daily_limit, "consultation_duration": new.consultation_duration,
             "start_time": new.start_time, "end_time": new.end_time, "lunch_break": new.lunch_break,
             "working_days": days}
    values = {name: fields.normalised(name, value) for name, value in given.items()}
    fields.check_money(values["consultation_fee_paise"], values["advance_amount_paise"])
    fields.check_daily_limit(values["daily_limit"])
    hours = fields.working_hours(values)
    password = new.initial_password if new.initial_password is not None else temporary_password()
    problem = password_problem(password)
    if problem:
        raise ValidationFailed("initial_password", problem.replace("password", "initial_password", 1))
    doctor = await _returning_doctor(session, place, values["whatsapp_number"])
    await plans.ensure_doctor_capacity(session, place.organization_id, adding=1)
    if doctor is None:
        user = User(organization_id=place.organization_id, user_type="STAFF", phone=values["whatsapp_number"],
                    full_name=values["name"])
        session.add(user)
        await session.flush()
        clinician = Clinician(organization_id=place.organization_id, user_id=user.id,
                              primary_centre_id=place.centre_id)
        session.add(clinician)
        await session.flush()
        doctor = Doctor(clinician, user)
    restored = doctor.clinician.deactivated_at is not None
    doctor.clinician.primary_centre_id = place.centre_id
    doctor.user.password_hash = hash_password(password)
    doctor.user.must_change_password = True
    doctor.user.is_active = True
    doctor.clinician.is_active = True
    doctor.clinician.deactivated_at = None
    _apply(doctor, values)
    await session.flush()
    await repository.set_clinician_roles(session, doctor.user.id, [place.centre_id])
    await _store_rules(session, doctor.clinician, hours, place.centre_id)
    params = {"clinic": place.name, "clinic_id": clinic_login_id, "phone": values["whatsapp_number"],
              "password": password}
    await queue_message(session, template=WELCOME, recipient=values["whatsapp_number"], params=params,
                        organization_id=place.organization_id, recipient_name=values["name"],
                        dedupe_key=f"{WELCOME}:{doctor.user.id}:{doctor.user.token_version}")
    await audit.record(session, principal, action="doctor.restore" if restored else "doctor.add",
                       resource_type="clinician", resource_id=doctor.clinician.id)
    return Added(await _reload(session, place.organization_id, doctor.clinician.id),
                 render_redacted(WELCOME, params), restored)


async def _returning_doctor(session: AsyncSession, place: roster.ClinicPlace, phone: str) -> Doctor | None:
    """The removed doctor of this clinic with ``phone`` (locked), None when the number is free; 409 when someone
    else of the clinic signs in with it."""
    found = await roster.staff_with_phone(session, place.organization_id, phone)
    if found is None:
        return None
    user, clinician = found
    if clinician is None or clinician.deactivated_at is None or clinician.is_deleted:
        raise Duplicate("Someone at this clinic already signs in with this WhatsApp number",
                        details=[{"field": "whatsapp_number", "message": "already registered"}])
    locked = await roster.doctor_for_update(session, place.organization_id, clinician.id)
    return Doctor(*locked)


async def update(session: AsyncSession, principal: Principal, clinician_id: int, changes: dict[str, Any]) -> Updated:
    """Change what ``changes`` (names of CHANGEABLE; money in paise) gives. The admin may change any doctor of the
    clinic; a doctor only themselves, and not what the clinic charges (403 naming the field). A new week
    regenerates the weekly rules; a new number is told by WhatsApp (as is the old one)."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    if not _may_see(principal, clinician_id):
        raise DoctorNotFound()
    found = await roster.doctor_for_update(session, principal.organization_id, clinician_id)
    if found is None:
        raise DoctorNotFound()
    doctor = Doctor(*found)
    current = _values(doctor)
    wanted = {name: fields.normalised(name, value) for name, value in changes.items()}
    changed = [name for name in CHANGEABLE if name in wanted and wanted[name] != current[name]]
    refused = [name for name in changed if name in ADMIN_ONLY]
    if refused and not _is_admin(principal):
        raise Forbidden("Only the clinic admin can change a doctor's fees",
                        details=[{"field": name.removesuffix("_paise"),
                                  "message": "only the clinic admin can change this"} for name in refused])
    values = {**current, **wanted}
    fields.check_money(values["consultation_fee_paise"], values["advance_amount_paise"])
    fields.check_daily_limit(values["daily_limit"])
    hours = fields.working_hours(values) if SCHEDULE & set(changed) else None
    old_phone = current["whatsapp_number"]
    if "whatsapp_number" in changed and await repository.phone_taken(
            session, principal.organization_id, values["whatsapp_number"], exclude_user_id=doctor.user.id):
        raise Duplicate("Someone at this clinic already signs in with this WhatsApp number",
                        details=[{"field": "whatsapp_number", "message": "already registered"}])
    if not changed:
        return Updated(doctor, [], False, False)
    _apply(doctor, values)
    await session.flush()
    if hours is not None:
        place = await _place(session, principal.organization_id)
        await _store_rules(session, doctor.clinician, hours, place.centre_id)
    notified = False
    if "whatsapp_number" in changed:
        notified = await _tell_numbers(session, doctor, old_phone)
    await audit.record(session, principal, action="doctor.update", resource_type="clinician",
                       resource_id=clinician_id, details={"fields": changed})
    return Updated(await _reload(session, principal.organization_id, clinician_id), changed,
                   "whatsapp_number" in changed, notified)


async def _tell_numbers(session: AsyncSession, doctor: Doctor, old_phone: str) -> bool:
    """Both numbers hear of a sign-in number change: the new one to confirm it, the old one in case it was not
    the doctor's wish."""
    place = await _place(session, doctor.clinician.organization_id)
    params = {"doctor": doctor.user.full_name, "clinic": place.name, "phone": doctor.user.phone}
    sent = await queue_message(session, template=NUMBER_CHANGED, recipient=doctor.user.phone, params=params,
                               organization_id=place.organization_id, recipient_name=doctor.user.full_name)
    await queue_message(session, template=NUMBER_CHANGED, recipient=old_phone, params=params,
                        organization_id=place.organization_id, recipient_name=doctor.user.full_name)
    return sent is not None


async def remove(session: AsyncSession, principal: Principal, clinician_id: int) -> Doctor:
    """Deactivate the doctor's profile and login and end their sessions at once; their records stay. Refused
    (409) while they have upcoming appointments. Removing a removed doctor changes nothing."""
    _require_admin(principal)
    found = await roster.doctor_for_update(session, principal.organization_id, clinician_id)
    if found is None:
        raise DoctorNotFound()
    doctor = Doctor(*found)
    if doctor.clinician.deactivated_at is not None:
        return doctor
    if doctor.user.id == principal.user_id:
        raise Forbidden("You cannot remove yourself")
    upcoming = await repository.future_active_count(session, clinician_id, utcnow())
    if upcoming:
        raise HasFutureAppointments(
            f"The doctor has {upcoming} upcoming appointment(s); cancel or reschedule them first")
    doctor.clinician.is_active = False
    doctor.clinician.deactivated_at = utcnow()
    doctor.clinician.updated_at = utcnow()
    if await repository.has_other_roles(session, doctor.user.id):
        await repository.set_clinician_roles(session, doctor.user.id, [])  # they stay on in their other role
    else:
        doctor.user.is_active = False
    await session.flush()
    await sessions.revoke_all_for_user(session, doctor.user.id, "doctor_removed")
    await plans.record_doctors(session, principal.organization_id)  # the seat is free for billing from today
    await audit.record(session, principal, action="doctor.remove", resource_type="clinician", resource_id=clinician_id)
    return await _reload(session, principal.organization_id, clinician_id)


__all__ = ["NewDoctor", "Doctor", "Added", "Updated", "DoctorNotFound", "ADMIN_ONLY", "CHANGEABLE", "list_doctors",
           "get_doctor", "month_statistics", "MonthStatistics", "add", "update", "remove", "temporary_password"]
