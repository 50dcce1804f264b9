"""/api/patients: staff search, record, walk-in registration, update and medical notes (all audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import EmailStr, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import records as patient_records
from clinicops.appointments.queries import NextAppointment
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.errors import ValidationFailed
from clinicops.http.deps import client_ip, get_db, require
from clinicops.http.hospital.schemas.common import Listing
from clinicops.http.hospital.schemas.patients import MedicalNote, Patient, PatientAppointment, PatientDetail
from clinicops.http.hospital.wire import Field, HospitalInput, either, iso, listing, phone_field
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit import phones, timezones
from clinicops.kit.money import to_rupees
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.patients import service as patients
from clinicops.payments.models import Payment
from clinicops.patients.models import normalize_gender

router = new_router(prefix="/patients", tags=["patients"])
# The admin panel reads the whole list at once (it does not page): a page is this long unless `limit` says less.
LIST_LIMIT = 500
any_staff = require(policies.VIEW_PATIENT_RECORDS)
desk = require(policies.REGISTER_PATIENTS)
note_writers = require(policies.WRITE_CLINICAL_NOTES)


# ---- wire out -------------------------------------------------------------------------------------------------

def next_appointment_wire(n: NextAppointment) -> dict[str, Any]:
    tz = timezones.zone(n.centre_timezone)
    return {"id": n.id, "scheduledStartAt": iso(n.starts_at.astimezone(tz)),
            "scheduledEndAt": iso(n.ends_at.astimezone(tz)) if n.ends_at else None,
            "appointmentType": n.mode, "kind": n.kind, "status": n.status,
            "clinicianName": n.clinician_name, "centreName": n.centre_name}


def patient_wire(record: patient_records.PatientRecord) -> dict[str, Any]:
    """A patient row. ``userId``/``user_id`` are the patient's own id (docs/patients.md, "One patient id"): the
    admin panel keys patients by ``userId`` and sends it back as ``patient_id``, so no number it can hold for a
    patient may be anything but that patient's id."""
    p = record.patient
    following = record.next_appointment
    return {
        "id": p.id, "userId": p.id, "user_id": p.id, "patientId": p.id, "mrn": record.mrn,
        "username": record.username, "fullName": p.full_name, "firstName": p.first_name,
        "lastName": p.last_name, "phone": phones.wire(p.phone), "email": p.email,
        "dateOfBirth": p.date_of_birth.isoformat() if p.date_of_birth else None, "age": p.age,
        "gender": p.gender, "bloodGroup": p.blood_group, "address": p.address,
        "emergencyContact": {"name": p.emergency_contact_name,
                             "phone": phones.wire(p.emergency_contact_phone)},
        "emergencyContactName": p.emergency_contact_name,
        "emergencyContactPhone": phones.wire(p.emergency_contact_phone),
        "upcomingAppointmentsCount": record.upcoming_count, "pastAppointmentsCount": record.past_count,
        "upcomingAppointments": [next_appointment_wire(following)] if following else [],
        "isActive": p.is_active, "createdAt": iso(p.created_at), "updatedAt": iso(p.updated_at),
    }


def appointment_wire(row: dict[str, Any]) -> dict[str, Any]:
    a = row["appointment"]
    tz = timezones.zone(row["centre_timezone"])
    return {
        "id": a.id, "patientId": a.patient_id, "clinicianId": a.clinician_id, "clinicianName": row["clinician_name"],
        "centreId": a.centre_id, "centreName": row["centre_name"], "appointmentType": a.mode, "kind": a.kind,
        "status": a.status, "source": a.source,
        "scheduledStartAt": iso(a.starts_at.astimezone(tz)) if a.starts_at else None,
        "scheduledEndAt": iso(a.ends_at.astimezone(tz)) if a.ends_at else None,
        "durationMinutes": a.duration_minutes, "consultationFee": to_rupees(a.fee_paise), "meetLink": a.meet_link,
        "notes": a.notes, "parentAppointmentId": a.parent_appointment_id, "tokenNumber": a.token_number,
        "createdAt": iso(a.created_at),
    }


def payment_wire(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id, "appointmentId": payment.appointment_id, "amount": to_rupees(payment.amount_paise),
        "currency": payment.currency, "status": payment.status, "method": payment.method,
        "provider": payment.provider, "orderId": payment.order_id, "paymentId": payment.payment_id,
        "paidAt": iso(payment.paid_at), "createdAt": iso(payment.created_at),
    }


def note_wire(row: dict[str, Any]) -> dict[str, Any]:
    n = row["note"]
    return {"id": n.id, "patientId": n.patient_id, "noteText": n.body, "note": n.body,
            "authorUserId": n.author_user_id, "authorName": row["author_name"], "clinicianId": n.clinician_id,
            "createdAt": iso(n.created_at)}


def detail_wire(record: patient_records.PatientRecord) -> dict[str, Any]:
    return patient_wire(record) | {
        "appointments": [appointment_wire(r) for r in record.appointments],
        "payments": [payment_wire(p) for p in record.payments],
        "medicalNotes": [note_wire(n) for n in record.notes],
    }


# ---- wire in --------------------------------------------------------------------------------------------------

class EmergencyContact(HospitalInput):
    name: str | None = Field(None, max_length=150)
    phone: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        return phone_field(str(value)) if value is not None else None


class _PatientFields(HospitalInput):
    full_name: str | None = Field(None, validation_alias=either("fullName", "full_name", "name"), max_length=200)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: EmailStr | None = None
    date_of_birth: date | None = Field(None, validation_alias=either("dateOfBirth", "date_of_birth", "dob"))
    age: int | None = Field(None, ge=0, le=150)
    gender: str | None = Field(None, max_length=20)
    blood_group: str | None = Field(None, max_length=10)
    address: str | None = Field(None, max_length=1000)
    emergency_contact: EmergencyContact | None = None
    emergency_contact_name: str | None = Field(None, max_length=150)
    emergency_contact_phone: str | None = None

    @field_validator("email", "gender", "blood_group", "date_of_birth", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        return normalize_gender(value)

    @field_validator("blood_group")
    @classmethod
    def _blood_group(cls, value: str | None) -> str | None:
        return value.replace(" ", "").upper() if value is not None else None

    @field_validator("phone", "emergency_contact_phone", mode="before", check_fields=False)
    @classmethod
    def _phones(cls, value: Any) -> Any:
        return phone_field(str(value)) if value is not None else None

    def profile(self) -> dict[str, Any]:
        """The fields the caller sent, as the service's names (emergency contact flattened)."""
        data = self.model_dump(exclude_unset=True)
        contact = data.pop("emergency_contact", None)
        if contact:
            for key in ("name", "phone"):
                if key in contact:
                    data[f"emergency_contact_{key}"] = contact[key]
        return data


class PatientCreate(_PatientFields):
    phone: str

    @field_validator("phone")
    @classmethod
    def _required(cls, value: str | None) -> str:
        if not value:
            raise ValueError("phone is required")
        return value


class PatientUpdate(_PatientFields):
    phone: str | None = None


class NoteIn(HospitalInput):
    note_text: str = Field(validation_alias=either("noteText", "note_text", "note", "text"), min_length=1,
                           max_length=patients.NOTE_MAX)


def _phone_filter(phone: str | None = Query(None, max_length=20)) -> str | None:
    try:
        return phone_field(phone)
    except ValueError as exc:
        raise ValidationFailed("phone", str(exc)) from None


# ---- routes ---------------------------------------------------------------------------------------------------

@router.get("", response_model=Listing[Patient])
async def list_patients(search: str | None = Query(None, max_length=100), phone: str | None = Depends(_phone_filter),
                        limit: int | None = Query(None), offset: int = Query(0, ge=0),
                        page: int | None = Query(None, ge=1), principal: Principal = Depends(any_staff),
                        ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)) -> JSONResponse:
    size = clamp_limit(limit, default=LIST_LIMIT, maximum=LIST_LIMIT)
    start = (page - 1) * size if page else offset
    found, total = await patient_records.list_patients(session, principal, search=search, phone=phone, limit=size,
                                                       offset=start, ip=ip)
    return listing([patient_wire(r) for r in found], total=total, limit=size, offset=start)


@router.get("/{patient_id:int}", response_model=Envelope[PatientDetail])
async def get_patient(patient_id: int, principal: Principal = Depends(any_staff), ip: str = Depends(client_ip),
                      session: AsyncSession = Depends(get_db)) -> JSONResponse:
    return ok(detail_wire(await patient_records.get_patient(session, principal, patient_id, ip=ip)))


@router.post("", status_code=201, response_model=Envelope[Patient])
async def create_patient(body: PatientCreate, principal: Principal = Depends(desk), ip: str = Depends(client_ip),
                         session: AsyncSession = Depends(get_db)) -> JSONResponse:
    profile = body.profile()
    profile.pop("phone", None)
    record = await patient_records.create_patient(session, principal, phone=body.phone, ip=ip, **profile)
    return created(patient_wire(record), "Patient registered")


@router.put("/{patient_id:int}", response_model=Envelope[Patient])
async def update_patient(patient_id: int, body: PatientUpdate, principal: Principal = Depends(desk),
                         ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)) -> JSONResponse:
    record = await patient_records.update_patient(session, principal, patient_id, changes=body.profile(),
                                                  ip=ip)
    return ok(patient_wire(record), "Patient updated")


@router.get("/{patient_id:int}/appointments", response_model=Envelope[list[PatientAppointment]])
async def patient_appointments(patient_id: int, principal: Principal = Depends(any_staff),
                               ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)) -> JSONResponse:
    rows = await patient_records.patient_appointments(session, principal, patient_id, ip=ip)
    return ok([appointment_wire(r) for r in rows])


@router.get("/{patient_id:int}/notes", response_model=Envelope[list[MedicalNote]])
async def patient_notes(patient_id: int, principal: Principal = Depends(any_staff), ip: str = Depends(client_ip),
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    rows = await patients.patient_notes(session, principal, patient_id, ip=ip)
    return ok([note_wire(r) for r in rows])


@router.post("/{patient_id:int}/notes", status_code=201, response_model=Envelope[MedicalNote])
async def add_note(patient_id: int, body: NoteIn, principal: Principal = Depends(note_writers),
                   ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)) -> JSONResponse:
    row = await patients.add_note(session, principal, patient_id, text=body.note_text, ip=ip)
    return created(note_wire(row), "Note added")
