"""/api/v1/doctors (section 6.3, without ``/stats``): the clinic's doctors, their accounts and their week.

Translation only: who may do what to which doctor is decided in ``clinicians.roster``; these handlers parse the
wire, call one use case and render section 6.3's shapes (ids prefixed, money in rupees, times ``HH:MM``).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from fastapi import Depends
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz import clinic_roles
from clinicops.clinicians import roster
from clinicops.clinicians.roster import Doctor
from clinicops.errors import ValidationFailed
from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicAdmin, ClinicMember
from clinicops.http.clinic.schemas import doctors as wire
from clinicops.http.deps import get_db
from clinicops.http.envelope import created, ok
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit.money import to_paise, to_rupees

router = new_router(tags=["clinic: doctors"])

# Request field (snake_case of the wire name) -> the use case's name, where they differ.
_CORE_NAMES = {"consultation_fee": "consultation_fee_paise", "advance_amount": "advance_amount_paise"}
_WIRE_NAMES = {core: to_camel(name) for name, core in _CORE_NAMES.items()}
_NULLABLE = frozenset({"specialization", "daily_limit", "lunch_break"})
NUMBER_NOTICE = "WhatsApp number change confirmed via WhatsApp to the new number"


def _hm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _status(active: bool) -> str:
    return "ACTIVE" if active else "INACTIVE"


def _schedule(doctor: Doctor) -> dict[str, Any]:
    c = doctor.clinician
    lunch = doctor.lunch_break
    return {"specialization": doctor.specialization, "consultation_fee": to_rupees(c.consultation_fee_paise),
            "advance_amount": to_rupees(c.advance_amount_paise), "daily_limit": c.daily_token_limit,
            "consultation_duration": c.default_duration_minutes, "start_time": _hm(c.work_start_time),
            "end_time": _hm(c.work_end_time),
            "lunch_break": None if lunch is None else f"{_hm(lunch[0])}-{_hm(lunch[1])}",
            "working_days": [wire.WEEKDAY_NAMES[d] for d in sorted(c.working_days or ())]}


def _list_item(doctor: Doctor) -> wire.DoctorListItem:
    c, u = doctor.clinician, doctor.user
    return wire.DoctorListItem(
        doctor_id=ids.render(ids.DOCTOR, c.id), user_id=ids.render(ids.USER, u.id), name=u.full_name,
        whatsapp_number=u.phone, status=_status(c.is_active), account_status=_status(u.is_active),
        last_login=u.last_login_at, created_at=c.created_at, **_schedule(doctor))


def _money(value: float | None) -> int | None:
    return None if value is None else to_paise(value)


@router.get("/doctors", response_model=Envelope[wire.DoctorList], summary="The clinic's doctors")
async def list_doctors(principal: ClinicMember, session: AsyncSession = Depends(get_db)):
    """The admin: every doctor of the clinic, removed ones too (``status: INACTIVE``). A doctor: only themselves."""
    found = await roster.list_doctors(session, principal)
    return ok(wire.DoctorList(doctors=[_list_item(d) for d in found], total_doctors=len(found)).dump())


@router.post("/doctors", status_code=201, response_model=Envelope[wire.DoctorAdded], summary="Add a doctor")
async def add_doctor(body: wire.AddDoctor, principal: ClinicAdmin, session: AsyncSession = Depends(get_db)):
    """Creates the doctor's account and profile within the plan's limit (409 naming plan and limit beyond it) and
    sends the sign-in details by WhatsApp; the doctor must change the password at the first sign-in."""
    new = roster.NewDoctor(
        name=body.name, whatsapp_number=body.whatsapp_number, specialization=body.specialization,
        consultation_fee_paise=to_paise(body.consultation_fee), advance_amount_paise=to_paise(body.advance_amount),
        daily_limit=body.daily_limit, consultation_duration=body.consultation_duration, start_time=body.start_time,
        end_time=body.end_time, lunch_break=body.lunch_break,
        working_days=None if body.working_days is None else tuple(body.working_days),
        initial_password=body.initial_password)
    added = await roster.add(session, principal, new,
                             clinic_login_id=ids.render(ids.CLINIC, principal.organization_id))
    c, u = added.doctor.clinician, added.doctor.user
    data = wire.DoctorAdded(
        doctor=wire.NewDoctorSummary(
            doctor_id=ids.render(ids.DOCTOR, c.id), user_id=ids.render(ids.USER, u.id), name=u.full_name,
            whatsapp_number=u.phone, specialization=added.doctor.specialization,
            consultation_fee=to_rupees(c.consultation_fee_paise), status=_status(c.is_active)),
        account=wire.NewAccount(user_id=ids.render(ids.USER, u.id), role="DOCTOR", status=_status(u.is_active),
                                must_change_password=u.must_change_password),
        whatsapp_message=added.message_text)
    return created(data.dump(), "Doctor added successfully. Login credentials sent via WhatsApp.")


@router.get("/doctors/{doctorId}", response_model=Envelope[wire.DoctorDetail], summary="One doctor")
async def get_doctor(doctor_id: ids.DoctorIdPath, principal: ClinicMember,
                     session: AsyncSession = Depends(get_db)):
    """Any doctor of the clinic for the admin; a doctor only themselves (another doctor is 404)."""
    doctor = await roster.get_doctor(session, principal, doctor_id)
    stats = await roster.month_statistics(session, principal, doctor)
    c, u = doctor.clinician, doctor.user
    data = wire.DoctorDetail(
        doctor=wire.DoctorProfile(doctor_id=ids.render(ids.DOCTOR, c.id), name=u.full_name,
                                  status=_status(c.is_active), created_at=c.created_at, **_schedule(doctor)),
        account=wire.DoctorAccount(user_id=ids.render(ids.USER, u.id), whatsapp_number=u.phone, role="DOCTOR",
                                   permissions=list(clinic_roles.permissions(clinic_roles.DOCTOR)),
                                   status=_status(u.is_active), last_login=u.last_login_at,
                                   must_change_password=u.must_change_password),
        statistics=wire.DoctorStatistics(
            total_patients_this_month=stats.patients, total_tokens_this_month=stats.consultations,
            average_rating=None,
            total_revenue=None if stats.revenue_paise is None else to_rupees(stats.revenue_paise)))
    return ok(data.dump())


@router.put("/doctors/{doctorId}", response_model=Envelope[wire.DoctorUpdated], summary="Update a doctor")
async def update_doctor(doctor_id: ids.DoctorIdPath, body: wire.UpdateDoctor, principal: ClinicMember,
                        session: AsyncSession = Depends(get_db)):
    """The admin: any doctor of the clinic. A doctor: only themselves, and not their fee or advance (403)."""
    changes: dict[str, Any] = {}
    for name, value in body.given().items():
        if value is None and name not in _NULLABLE:
            raise ValidationFailed(name, f"{name} cannot be null")
        if name in _CORE_NAMES:
            value = _money(value)
        elif name == "working_days":
            value = tuple(value)
        changes[_CORE_NAMES.get(name, name)] = value
    updated = await roster.update(session, principal, doctor_id, changes)
    data = wire.DoctorUpdated(
        doctor_id=ids.render(ids.DOCTOR, doctor_id),
        updated_fields=[_WIRE_NAMES.get(name) or to_camel(name) for name in updated.changed],
        whatsapp_updated=updated.whatsapp_updated,
        notification_sent=NUMBER_NOTICE if updated.notification_sent else None,
        updated_at=updated.doctor.clinician.updated_at)
    return ok(data.dump(), "Doctor profile updated successfully")


@router.delete("/doctors/{doctorId}", response_model=Envelope[wire.DoctorRemoved], summary="Remove a doctor")
async def remove_doctor(doctor_id: ids.DoctorIdPath, principal: ClinicAdmin,
                        session: AsyncSession = Depends(get_db)):
    """Deactivates the doctor's profile and account and ends their sessions at once; their patients' records and
    visit history stay with the clinic. Refused (409) while they have upcoming appointments."""
    doctor = await roster.remove(session, principal, doctor_id)
    c, u = doctor.clinician, doctor.user
    data = wire.DoctorRemoved(
        doctor_id=ids.render(ids.DOCTOR, c.id), user_id=ids.render(ids.USER, u.id), name=u.full_name,
        status=_status(c.is_active), deactivated_at=c.deactivated_at,
        data_retention=wire.DataRetention(patient_records_preserved=True, visit_history_preserved=True,
                                          access_revoked=True))
    return ok(data.dump(), "Doctor removed from clinic successfully")
