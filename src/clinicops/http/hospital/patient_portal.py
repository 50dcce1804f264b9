"""/api/patient: the patient website's dashboard, appointments, payments, profile and notification history.

Rows are snake_case with instants as ISO-8601 with offset, as the website reads them.
"""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Query
from pydantic import EmailStr
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import portal
from clinicops.appointments.models import STATUSES
from clinicops.appointments.queries import AppointmentView
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require_patient
from clinicops.http.hospital.schemas.portal import (MarkedRead, PortalAppointment, PortalAppointments,
                                                    PortalDashboard, PortalNotifications, PortalPayments,
                                                    PortalProfile, UnreadCount)
from clinicops.http.hospital.wire import Field, HospitalInput, field_validator, iso, phone_field
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import ActingOrganizationId
from clinicops.kit import phones
from clinicops.kit.money import to_rupees
from clinicops.http.envelope import clamp_limit, ok
from clinicops.kit.timezones import utcnow
from clinicops.patients.models import BLOOD_GROUPS, normalize_gender

router = new_router(prefix="/patient", tags=["patient portal"])



def row(v: AppointmentView) -> dict:
    a = v.appointment
    specs = v.specializations or []
    return {
        "id": a.id, "clinician_id": a.clinician_id, "clinician_name": v.clinician_name,
        "specialization": specs[0] if specs else None, "centre_id": a.centre_id, "centre_name": v.centre_name,
        "centre_address": v.centre_address, "centre_city": v.centre_city,
        # The website tells an online visit from an in-person one by appointment_type alone ("ONLINE" shows the
        # Join button and no centre); a follow-up keeps its kind in `kind`.
        "appointment_type": a.mode, "mode": a.mode, "kind": a.kind,
        "scheduled_start_at": iso(a.starts_at), "scheduled_end_at": iso(a.ends_at),
        "duration_minutes": a.duration_minutes, "status": a.status, "notes": a.notes,
        "consultation_fee": to_rupees(a.fee_paise), "payment_status": v.payment_status,
        "google_meet_link": a.meet_link if a.mode == "ONLINE" else None,
        "hold_expires_at": iso(a.hold_expires_at), "cancellation_reason": a.cancellation_reason,
        "created_at": iso(a.created_at),
    }


def payment_row(p) -> dict:
    return {"id": p.id, "appointment_id": p.appointment_id, "amount": to_rupees(p.amount_paise),
            "currency": p.currency, "status": p.status, "method": p.method, "provider": p.provider,
            "razorpay_order_id": p.order_id, "razorpay_payment_id": p.payment_id,
            "refunded_amount": to_rupees(p.refunded_paise), "paid_at": iso(p.paid_at), "created_at": iso(p.created_at)}


def profile_body(user, patient) -> dict:
    return {
        "user": {"id": user.id, "phone": phones.wire(user.phone), "full_name": patient.full_name or user.full_name,
                 "first_name": patient.first_name, "last_name": patient.last_name,
                 "email": patient.email or user.email, "created_at": iso(user.created_at)},
        "profile": {"id": patient.id, "age": patient.age, "gender": patient.gender,
                    "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
                    "blood_group": patient.blood_group, "address": patient.address,
                    "emergency_contact_name": patient.emergency_contact_name,
                    "emergency_contact_phone": phones.wire(patient.emergency_contact_phone),
                    "allergies": patient.allergies, "chronic_conditions": patient.chronic_conditions,
                    "medications": patient.medications},
    }


class ProfileIn(HospitalInput):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    full_name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    date_of_birth: date | None = None
    age: int | None = Field(None, ge=0, le=150)
    gender: str | None = None
    blood_group: str | None = None
    address: str | None = Field(None, max_length=1000)
    emergency_contact_name: str | None = Field(None, max_length=150)
    emergency_contact_phone: str | None = None

    @field_validator("email", "gender", "blood_group", "date_of_birth", "emergency_contact_phone", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        return normalize_gender(value)

    @field_validator("blood_group")
    @classmethod
    def _blood(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in BLOOD_GROUPS:
            raise ValueError(f"blood group must be one of {', '.join(BLOOD_GROUPS)}")
        return value.upper() if value else None

    @field_validator("date_of_birth")
    @classmethod
    def _past(cls, value: date | None) -> date | None:
        if value is not None and (value > utcnow().date() or value.year < 1900):
            raise ValueError("date of birth must be a past date")
        return value

    @field_validator("emergency_contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return phone_field(value)

    def changes(self) -> dict:
        given = self.model_dump(exclude_unset=True)
        full = given.pop("full_name", None)
        if full and "first_name" not in given:
            first, _, last = full.partition(" ")
            given["first_name"], given["last_name"] = first, last.strip() or None
        return given


class CancelIn(HospitalInput):
    reason: str | None = Field(None, max_length=1000)


@router.get("/dashboard", response_model=Envelope[PortalDashboard])
async def dashboard(organization_id: ActingOrganizationId, principal: Principal = Depends(require_patient),
                    session: AsyncSession = Depends(get_db)):
    d = await portal.dashboard(session, principal, organization_id=organization_id)
    p = d.patient
    return ok({
        "patient": {"id": p.id, "name": p.full_name, "phone": phones.wire(p.phone), "email": p.email,
                    "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
                    "gender": p.gender, "blood_group": p.blood_group},
        "statistics": {"totalAppointments": d.counts["total"], "completedAppointments": d.counts["completed"],
                       "upcomingAppointments": d.counts["upcoming"], "pastAppointments": d.counts["past"],
                       "cancelledAppointments": d.counts["cancelled"], "totalSpent": to_rupees(d.spent_paise)},
        "nextAppointment": row(d.upcoming[0]) if d.upcoming else None,
        "upcomingAppointments": [row(v) for v in d.upcoming],
        "recentAppointments": [row(v) for v in d.recent],
        "recentPayments": [payment_row(x) for x in d.payments],
    })


@router.get("/appointments", response_model=Envelope[PortalAppointments])
async def appointments(organization_id: ActingOrganizationId,
                       status: str | None = Query(None, json_schema_extra={"enum": list(STATUSES)}),
                       upcoming: bool | None = None,
                       limit: int | None = Query(None, ge=0), offset: int = Query(0, ge=0),
                       principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    rows, total = await portal.my_appointments(session, principal, organization_id=organization_id,
                                               status=status.upper() if status else None, upcoming=upcoming,
                                               limit=clamp_limit(limit, default=50), offset=offset)
    return ok({"appointments": [row(v) for v in rows], "total": total})


@router.get("/appointments/{appointment_id:int}", response_model=Envelope[PortalAppointment])
async def appointment(appointment_id: int, organization_id: ActingOrganizationId,
                      principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    return ok(row(await portal.get(session, principal, appointment_id, organization_id=organization_id)))


@router.post("/appointments/{appointment_id:int}/cancel", response_model=Envelope[PortalAppointment])
async def cancel(appointment_id: int, organization_id: ActingOrganizationId, body: CancelIn | None = None,
                 principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    found = await portal.cancel(session, principal, appointment_id, organization_id=organization_id,
                                reason=body.reason if body else None)
    return ok(row(found), "Appointment cancelled")


@router.get("/payments", response_model=Envelope[PortalPayments])
async def payments(organization_id: ActingOrganizationId, limit: int | None = Query(None, ge=0),
                   offset: int = Query(0, ge=0), principal: Principal = Depends(require_patient),
                   session: AsyncSession = Depends(get_db)):
    found, total = await portal.payments(session, principal, organization_id=organization_id,
                                         limit=clamp_limit(limit, default=50), offset=offset)
    return ok({"payments": [payment_row(p) for p in found], "total": total})


@router.get("/profile", response_model=Envelope[PortalProfile])
async def get_profile(principal: Principal = Depends(require_patient), session: AsyncSession = Depends(get_db)):
    return ok(profile_body(*await portal.profile(session, principal)))


@router.put("/profile", response_model=Envelope[PortalProfile])
async def update_profile(body: ProfileIn, principal: Principal = Depends(require_patient),
                         session: AsyncSession = Depends(get_db)):
    return ok(profile_body(*await portal.update_profile(session, principal, changes=body.changes())),
              "Profile updated")


def notification_row(m) -> dict:
    return {"id": m.id, "patient_id": m.patient_id, "notification_type": "GENERAL",
            "title": m.template.replace("_", " ").capitalize(), "message": m.body,
            "appointment_id": m.appointment_id, "status": m.status, "is_read": True, "read_at": None,
            "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}


@router.get("/notifications", response_model=Envelope[PortalNotifications])
async def notifications(organization_id: ActingOrganizationId, limit: int | None = Query(None, ge=0),
                        offset: int = Query(0, ge=0), principal: Principal = Depends(require_patient),
                        session: AsyncSession = Depends(get_db)):
    found, total = await portal.notifications(session, principal, organization_id=organization_id,
                                              limit=clamp_limit(limit), offset=offset)
    return ok({"notifications": [notification_row(m) for m in found], "total": total, "unreadCount": 0})


@router.get("/notifications/unread-count", response_model=Envelope[UnreadCount])
async def unread_count(principal: Principal = Depends(require_patient)):
    # WhatsApp messages are read in WhatsApp; the site keeps no unread state of its own.
    return ok({"count": 0, "unreadCount": 0})


@router.put("/notifications/{notification_id:int}/read", response_model=Envelope[MarkedRead])
async def mark_read(notification_id: int, principal: Principal = Depends(require_patient)):
    return ok({"id": notification_id, "is_read": True})
