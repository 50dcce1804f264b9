"""/api/booking: the patient website's booking (patient token) and the front desk's booking by phone.

The slot lists (available-slots, dates-with-slots) live in the slots module. The patient is always the signed-in
one: no body field can name another patient, a status, a fee or a source.
"""

from __future__ import annotations

from datetime import date, time

from fastapi import Depends, Query
from pydantic import EmailStr
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import booking, portal
from clinicops.appointments import service as appointments
from clinicops.appointments.models import STATUSES
from clinicops.appointments.queries import AppointmentView
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require, require_patient
from clinicops.http.hospital.schemas.portal import Booking, BookingList, BookingRow, DeskBooking
from clinicops.http.hospital.wire import Field, HospitalInput, either, field_validator, iso, phone_field
from clinicops.http.responses import Envelope
from clinicops.kit import phones
from clinicops.kit.money import to_rupees
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.kit.timezones import parse_wall_time
from clinicops.payments import service as payments
from clinicops.payments.exceptions import NothingToPay
from clinicops.http.routing import new_router
from clinicops.http.tenant import ActingOrganizationId

router = new_router(prefix="/booking", tags=["booking"])



def _mode(value: object) -> str:
    text = value.strip().upper().replace("-", "_") if isinstance(value, str) else ""
    if text not in booking.MODES:
        raise ValueError("appointmentType must be IN_PERSON or ONLINE")
    return text


def _day(value: object) -> date:
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise ValueError("appointmentDate must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("appointmentDate must be a date YYYY-MM-DD") from None


def _time(value: object) -> time:
    if not isinstance(value, str):
        raise ValueError("appointmentTime must be HH:MM or HH:MM:SS")
    return parse_wall_time(value)


class BookingIn(HospitalInput):
    """``appointmentDateUTC`` is deliberately absent: the browser computes it in its own zone."""

    clinician_id: int = Field(gt=0)
    centre_id: int = Field(gt=0)
    appointment_type: str
    appointment_date: date
    appointment_time: time
    notes: str | None = Field(None, max_length=2000,
                              validation_alias=either("patientNotes", "patient_notes", "notes"))

    @field_validator("appointment_type", mode="before")
    @classmethod
    def _check_mode(cls, value: object) -> str:
        return _mode(value)

    @field_validator("appointment_date", mode="before")
    @classmethod
    def _check_day(cls, value: object) -> date:
        return _day(value)

    @field_validator("appointment_time", mode="before")
    @classmethod
    def _check_time(cls, value: object) -> time:
        return _time(value)


class FrontDeskIn(BookingIn):
    patient_phone: str
    patient_name: str = Field(min_length=1, max_length=200)
    patient_email: EmailStr | None = None

    @field_validator("patient_phone", mode="before")
    @classmethod
    def _check_phone(cls, value: object) -> str:
        if not isinstance(value, str | int) or not str(value).strip():
            raise ValueError("patientPhone is required")
        return phone_field(str(value))

    @field_validator("patient_email", mode="before")
    @classmethod
    def _blank_email(cls, value: object) -> object:
        return None if value == "" else value


class CancelIn(HospitalInput):
    reason: str | None = Field(None, max_length=1000)


# --- wire ----------------------------------------------------------------------------------------------------

def _appointment(v: AppointmentView) -> dict:
    a = v.appointment
    return {"id": a.id, "appointmentType": a.mode, "mode": a.mode, "kind": a.kind,
            "scheduledStartAt": iso(a.starts_at), "scheduledEndAt": iso(a.ends_at),
            "durationMinutes": a.duration_minutes, "status": a.status, "notes": a.notes,
            "consultationFee": to_rupees(a.fee_paise), "holdExpiresAt": iso(a.hold_expires_at),
            "meetLink": a.meet_link, "createdAt": iso(a.created_at)}


def _clinician(v: AppointmentView) -> dict:
    specs = v.specializations or []
    return {"id": v.appointment.clinician_id, "name": v.clinician_name,
            "specialization": specs[0] if specs else None, "consultationFee": to_rupees(v.appointment.fee_paise)}


def _centre(v: AppointmentView) -> dict:
    return {"id": v.appointment.centre_id, "name": v.centre_name, "address": v.centre_address,
            "city": v.centre_city, "pincode": v.centre_pincode, "phone": phones.wire(v.centre_phone)}


def _patient(v: AppointmentView) -> dict:
    return {"id": v.appointment.patient_id, "name": v.patient_name, "phone": phones.wire(v.patient_phone),
            "email": v.patient_email}


def booking_body(v: AppointmentView) -> dict:
    return {"appointment": _appointment(v), "clinician": _clinician(v), "centre": _centre(v),
            "patient": _patient(v)}


def list_row(v: AppointmentView) -> dict:
    a = v.appointment
    return {**_appointment(v), "clinician": _clinician(v), "centre": _centre(v),
            "payment": {"status": v.payment_status, "amount": to_rupees(a.fee_paise)},
            "cancellationReason": a.cancellation_reason}


# --- routes --------------------------------------------------------------------------------------------------

@router.post("/create", status_code=201, response_model=Envelope[Booking])
async def create_booking(body: BookingIn, organization_id: ActingOrganizationId,
                         principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    booked = await booking.book_as_patient(
        session, principal, organization_id=organization_id, clinician_id=body.clinician_id,
        centre_id=body.centre_id, mode=body.appointment_type, day=body.appointment_date, at=body.appointment_time,
        notes=body.notes)
    view = await portal.get(session, principal, booked.appointment.id, organization_id=organization_id)
    return created(booking_body(view), "Appointment booked; complete payment to confirm")


@router.get("/my-appointments", response_model=Envelope[BookingList])
async def my_appointments(organization_id: ActingOrganizationId,
                          status: str | None = Query(None, json_schema_extra={"enum": list(STATUSES)}),
                          upcoming: bool | None = None,
                          limit: int | None = Query(None, ge=0), offset: int = Query(0, ge=0),
                          principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    rows, total = await portal.my_appointments(session, principal, organization_id=organization_id,
                                               status=status.upper() if status else None, upcoming=upcoming,
                                               limit=clamp_limit(limit), offset=offset)
    return ok({"appointments": [list_row(v) for v in rows], "total": total})


@router.post("/front-desk", status_code=201, response_model=Envelope[DeskBooking])
async def front_desk_booking(body: FrontDeskIn, principal: Principal = Depends(require(policies.BOOK_FOR_PATIENTS)),
                             session: AsyncSession = Depends(get_db)):
    desk = await booking.book_at_front_desk(
        session, principal, clinician_id=body.clinician_id, centre_id=body.centre_id,
        patient_phone=body.patient_phone, patient_name=body.patient_name, patient_email=body.patient_email,
        mode=body.appointment_type, day=body.appointment_date, at=body.appointment_time, notes=body.notes)
    view = await appointments.get(session, principal, desk.booked.appointment.id)
    body_out = booking_body(view)
    body_out["patient"] |= {"userId": view.appointment.patient_id, "user_id": view.appointment.patient_id}
    # amount: what the desk collects, the same computation its payment records (consultation + registration due)
    try:
        consultation, registration = await payments.fees_due(session, desk.booked.appointment)
    except NothingToPay:
        consultation, registration = 0, 0
    amount = consultation + registration
    return created({**body_out, "paymentRequired": amount > 0, "amount": to_rupees(amount),
                    "consultationFee": to_rupees(consultation), "registrationFee": to_rupees(registration)},
                   "Appointment booked for the patient")


@router.get("/{appointment_id:int}", response_model=Envelope[BookingRow])
async def get_booking(appointment_id: int, organization_id: ActingOrganizationId,
                      principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    return ok(list_row(await portal.get(session, principal, appointment_id, organization_id=organization_id)))


@router.post("/{appointment_id:int}/cancel", response_model=Envelope[BookingRow])
async def cancel_booking(appointment_id: int, organization_id: ActingOrganizationId, body: CancelIn | None = None,
                         principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    found = await portal.cancel(session, principal, appointment_id, organization_id=organization_id,
                                reason=body.reason if body else None)
    return ok(list_row(found), "Appointment cancelled")
