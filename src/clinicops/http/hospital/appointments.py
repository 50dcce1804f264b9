"""/api/appointments: the staff appointment book, and the clinician's own day.

Bodies arrive snake_case or camelCase; rows go out snake_case as the admin panel reads them.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import service
from clinicops.appointments.models import STATUSES
from clinicops.appointments.queries import AppointmentView
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.errors import ValidationFailed
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.schemas.appointments import (AppointmentDetail, DashboardStats, MyAppointments,
                                                          StaffAppointment, StatusChange)
from clinicops.http.hospital.schemas.common import Listing
from clinicops.http.hospital.wire import Field, HospitalInput, either, field_validator, iso, listing
from clinicops.http.openapi import declares_query, query_param
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit import phones
from clinicops.kit.money import to_rupees
from clinicops.http.envelope import clamp_limit, created, ok

router = new_router(prefix="/appointments", tags=["appointments"])

# The admin panel's older lower-case names (types/index.ts) for our statuses.
STATUS_ALIASES = {"SCHEDULED": "BOOKED", "PENDING": "BOOKED", "ONGOING": "IN_PROGRESS"}
# What the admin panel's appointment_type means in our model: (mode, kind).
APPOINTMENT_TYPES = {
    "IN_PERSON": ("IN_PERSON", "CONSULTATION"),
    "ONLINE": ("ONLINE", "CONSULTATION"),
    "FOLLOW_UP": ("IN_PERSON", "FOLLOW_UP"),
    "INPATIENT_ASSESSMENT": ("IN_PERSON", "INPATIENT_ASSESSMENT"),
}
# The clinician dashboard's tiles, each counting what clicking it lists (the admin panel's own grouping).
DASHBOARD_TILES = {"waiting": ("BOOKED", "CONFIRMED"), "ongoing": ("IN_PROGRESS",), "confirmed": ("CONFIRMED",),
                   "completed": ("COMPLETED",), "cancelled": ("CANCELLED",), "booked": ("BOOKED",),
                   "checkedIn": ("CHECKED_IN",), "noShow": ("NO_SHOW",)}


# --- wire ----------------------------------------------------------------------------------------------------

def appointment_type_of(mode: str, kind: str) -> str:
    return kind if kind in ("FOLLOW_UP", "INPATIENT_ASSESSMENT") else mode


def appointment_type(value: str, mode: str | None = None) -> tuple[str, str]:
    """(mode, kind) of an admin-panel appointment_type; a follow-up may say its own mode."""
    found_mode, kind = APPOINTMENT_TYPES[value]
    return (mode or found_mode) if kind != "CONSULTATION" else found_mode, kind


def dashboard_tiles(counts: dict[str, int]) -> dict[str, int]:
    """The dashboard's ``total`` and one count per :data:`DASHBOARD_TILES` entry, from the counts per status."""
    return {"total": sum(counts.values())} | {
        tile: sum(counts.get(status, 0) for status in statuses) for tile, statuses in DASHBOARD_TILES.items()}


def staff_row(v: AppointmentView) -> dict:
    a = v.appointment
    return {
        "id": a.id, "patient_id": a.patient_id, "patient_name": v.patient_name,
        "patient_phone": phones.wire(v.patient_phone), "patient_mrn": v.patient_mrn,
        "clinician_id": a.clinician_id, "clinician_name": v.clinician_name, "centre_id": a.centre_id,
        "centre_name": v.centre_name, "appointment_type": appointment_type_of(a.mode, a.kind), "mode": a.mode,
        "kind": a.kind, "scheduled_start_at": iso(a.starts_at), "scheduled_end_at": iso(a.ends_at),
        "duration_minutes": a.duration_minutes, "status": a.status, "source": a.source,
        "parent_appointment_id": a.parent_appointment_id, "booked_by_user_id": a.booked_by_user_id,
        "bookedByUserName": v.booked_by_name, "booked_by_name": v.booked_by_name,
        "consultation_fee": to_rupees(a.fee_paise), "payment_status": v.payment_status,
        "payment_method": v.payment_method, "payment_notes": v.payment_notes,
        "meet_link": a.meet_link, "google_meet_link": a.meet_link, "notes": a.notes,
        "patient_notes": a.notes if a.source == "WEB_PATIENT" else None,
        "hold_expires_at": iso(a.hold_expires_at), "checked_in_at": iso(a.checked_in_at),
        "session_started_at": iso(a.started_at), "session_ended_at": iso(a.finished_at),
        "cancelled_at": iso(a.cancelled_at), "cancellation_reason": a.cancellation_reason,
        "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
    }


def history_rows(events) -> list[dict]:
    return [{"id": e.id, "fromStatus": e.from_status, "toStatus": e.to_status, "changedBy": e.actor_user_id,
             "changedByName": name, "actor": e.actor, "reason": e.reason, "changedAt": iso(e.created_at)}
            for e, name in events]


def parse_instant(value: object) -> datetime:
    """ISO-8601 date-time; without an offset it is wall-clock time at the appointment's centre."""
    if not isinstance(value, str) or len(value.strip()) < 16:
        raise ValueError("must be an ISO-8601 date-time such as 2026-01-15T10:00:00+05:30")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO-8601 date-time such as 2026-01-15T10:00:00+05:30") from None


def normalize_status(value: object) -> str:
    text = str(value).strip().upper().replace("-", "_").replace(" ", "_") if isinstance(value, str) else ""
    text = STATUS_ALIASES.get(text, text)
    if text not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    return text


class CreateIn(HospitalInput):
    patient_id: int = Field(gt=0)
    clinician_id: int = Field(gt=0)
    centre_id: int = Field(gt=0)
    appointment_type: str
    scheduled_start_at: datetime
    duration_minutes: int | None = Field(None, ge=5, le=480)
    notes: str | None = Field(None, max_length=4000)
    # the admin panel's booking wizard sends what the patient said as patient_notes (kept with the notes)
    patient_notes: str | None = Field(None, max_length=4000)
    parent_appointment_id: int | None = Field(None, gt=0)
    mode: str | None = Field(None, validation_alias=either("mode", "consultationMode", "consultation_mode"))

    @field_validator("appointment_type", mode="before")
    @classmethod
    def _type(cls, value: object) -> str:
        text = value.strip().upper().replace("-", "_") if isinstance(value, str) else ""
        if text not in APPOINTMENT_TYPES:
            raise ValueError(f"appointment_type must be one of {', '.join(APPOINTMENT_TYPES)}")
        return text

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> str | None:
        if value in (None, ""):
            return None
        text = value.strip().upper() if isinstance(value, str) else ""
        if text not in ("IN_PERSON", "ONLINE"):
            raise ValueError("mode must be IN_PERSON or ONLINE")
        return text

    @field_validator("scheduled_start_at", mode="before")
    @classmethod
    def _start(cls, value: object) -> datetime:
        return parse_instant(value)

    def all_notes(self) -> str | None:
        parts = [text for text in (self.notes, self.patient_notes) if text]
        return "\n".join(parts)[:4000] if parts else None


class UpdateIn(HospitalInput):
    scheduled_start_at: datetime | None = None
    duration_minutes: int | None = Field(None, ge=5, le=480)
    status: str | None = None
    notes: str | None = Field(None, max_length=4000)
    reason: str | None = Field(None, max_length=1000)

    @field_validator("scheduled_start_at", mode="before")
    @classmethod
    def _start(cls, value: object) -> datetime | None:
        return None if value in (None, "") else parse_instant(value)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> str | None:
        return None if value in (None, "") else normalize_status(value)


class StatusIn(HospitalInput):
    status: str
    reason: str | None = Field(None, max_length=1000)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> str:
        return normalize_status(value)


class RescheduleIn(HospitalInput):
    scheduled_start_at: datetime
    duration_minutes: int | None = Field(None, ge=5, le=480)
    reason: str | None = Field(None, max_length=1000)

    @field_validator("scheduled_start_at", mode="before")
    @classmethod
    def _start(cls, value: object) -> datetime:
        return parse_instant(value)


class CancelIn(HospitalInput):
    reason: str | None = Field(None, max_length=1000)


def query_int(request: Request, *names: str) -> int | None:
    """The first of ``names`` in the query string as a non-negative integer (422 naming it otherwise)."""
    for name in names:
        raw = request.query_params.get(name)
        if raw not in (None, "", "ALL", "all"):
            try:
                value = int(raw)
            except ValueError:
                raise ValidationFailed(name, f"{name} must be an integer") from None
            if value < 0:
                raise ValidationFailed(name, f"{name} must not be negative")
            return value
    return None


def _date(request: Request, *names: str) -> date | None:
    for name in names:
        raw = request.query_params.get(name)
        if raw:
            try:
                # the admin panel may send a full ISO instant; its date part is the day meant
                return date.fromisoformat(raw.strip()[:10])
            except ValueError:
                raise ValidationFailed(name, f"{name} must be a date YYYY-MM-DD") from None
    return None


_DAY = {"type": "string", "format": "date"}
_ID = {"type": "integer", "format": "int64", "minimum": 0}


@declares_query(
    query_param("date", _DAY, description="Appointments on this calendar day of their centre. Without date, "
                                           "from or to: from a year ago to a year ahead."),
    query_param("from", _DAY, also=("startDate", "start_date", "dateFrom")),
    query_param("to", _DAY, also=("endDate", "end_date", "dateTo")),
    query_param("centreId", _ID, also=("centre_id",)), query_param("clinicianId", _ID, also=("clinician_id",)),
    query_param("patientId", _ID, also=("patient_id",)),
    query_param("status", {"type": "string", "enum": [*STATUSES, "ALL"]},
                description="ALL (or nothing) for every status; any case."),
    query_param("limit", {"type": "integer", "minimum": 0},
                description=f"At most {service.LIST_LIMIT} (default {service.LIST_LIMIT})."),
    query_param("offset", {"type": "integer", "minimum": 0, "default": 0}),
)
def list_filters(request: Request) -> service.ListFilters:
    status = request.query_params.get("status")
    if status in ("", "ALL", "all"):
        status = None
    if status is not None:
        try:
            status = normalize_status(status)
        except ValueError as exc:
            raise ValidationFailed("status", str(exc)) from None
    return service.ListFilters(
        on=_date(request, "date"), since=_date(request, "from", "startDate", "start_date", "dateFrom"),
        until=_date(request, "to", "endDate", "end_date", "dateTo"),
        centre_id=query_int(request, "centreId", "centre_id"),
        clinician_id=query_int(request, "clinicianId", "clinician_id"),
        patient_id=query_int(request, "patientId", "patient_id"), status=status,
        limit=clamp_limit(query_int(request, "limit"), default=service.LIST_LIMIT, maximum=service.LIST_LIMIT),
        offset=query_int(request, "offset") or 0)


# --- routes --------------------------------------------------------------------------------------------------
# A handler served under two methods or paths appears once in the OpenAPI schema, under the documented one.

@router.get("", response_model=Listing[StaffAppointment])
async def list_appointments(filters: service.ListFilters = Depends(list_filters),
                            principal: Principal = Depends(require(policies.VIEW_APPOINTMENTS)), session: AsyncSession = Depends(get_db)):
    rows, total = await service.list_appointments(session, principal, filters)
    return listing([staff_row(v) for v in rows], total=total, limit=filters.limit, offset=filters.offset)


@router.get("/my-appointments", response_model=Envelope[MyAppointments])
async def my_appointments(principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                          session: AsyncSession = Depends(get_db)):
    groups = await service.my_appointments(session, principal)
    body = {name: [staff_row(v) for v in rows] for name, rows in groups.items()}
    body["summary"] = {f"{name}Count": len(rows) for name, rows in groups.items()}
    return ok(body)


_RANGE = (query_param("startDate", _DAY, also=("start_date", "from"),
                      description="The centres' calendar day the range starts on (default: today)."),
          query_param("endDate", _DAY, also=("end_date", "to"), description="Last day (default: startDate)."))


_TILES = {name.lower(): statuses for name, statuses in DASHBOARD_TILES.items()}


def _dashboard_statuses(request: Request) -> tuple[str, ...] | None:
    """``status``: one status, a comma list, or a dashboard tile name (WAITING, ONGOING...); ALL or none: every."""
    raw = (request.query_params.get("status") or "").strip()
    if raw.upper() in ("", "ALL"):
        return None
    found: list[str] = []
    for name in raw.split(","):
        tile = _TILES.get(name.strip().lower())
        try:
            found += tile if tile else [normalize_status(name)]
        except ValueError as exc:
            raise ValidationFailed("status", str(exc)) from None
    return tuple(dict.fromkeys(found))


@router.get("/dashboard/stats", response_model=Envelope[DashboardStats])
@declares_query(*_RANGE)
async def dashboard_stats(request: Request, principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                          session: AsyncSession = Depends(get_db)):
    """The signed-in clinician's dashboard tiles over the range (docs/appointments.md)."""
    return ok(dashboard_tiles(await service.dashboard_stats(
        session, principal, since=_date(request, "startDate", "start_date", "from"),
        until=_date(request, "endDate", "end_date", "to"))))


@router.get("/dashboard/appointments", response_model=Listing[StaffAppointment])
@declares_query(*_RANGE, query_param("status", {"type": "string"},
                                     description="A status, a comma list, or WAITING/ONGOING/...; ALL for every."))
async def dashboard_appointments(request: Request, principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                                 session: AsyncSession = Depends(get_db)):
    """The signed-in clinician's appointments over the range, earliest first."""
    rows, total = await service.dashboard_appointments(
        session, principal, since=_date(request, "startDate", "start_date", "from"),
        until=_date(request, "endDate", "end_date", "to"), statuses=_dashboard_statuses(request))
    return listing([staff_row(v) for v in rows], total=total, limit=service.LIST_LIMIT, offset=0)


@router.get("/{appointment_id:int}", response_model=Envelope[AppointmentDetail])
async def get_appointment(appointment_id: int, principal: Principal = Depends(require(policies.VIEW_APPOINTMENTS)),
                          session: AsyncSession = Depends(get_db)):
    found = await service.get(session, principal, appointment_id)
    events = await service.history(session, principal, appointment_id)
    return ok({**staff_row(found), "statusHistory": history_rows(events)})


@router.get("/{appointment_id:int}/history", response_model=Envelope[list[StatusChange]])
async def appointment_history(appointment_id: int, principal: Principal = Depends(require(policies.VIEW_APPOINTMENTS)),
                              session: AsyncSession = Depends(get_db)):
    return ok(history_rows(await service.history(session, principal, appointment_id)))


@router.post("", status_code=201, response_model=Envelope[StaffAppointment])
async def create_appointment(body: CreateIn, principal: Principal = Depends(require(policies.BOOK_FOR_PATIENTS)),
                             session: AsyncSession = Depends(get_db)):
    mode, kind = appointment_type(body.appointment_type, body.mode)
    found = await service.create(
        session, principal, patient_id=body.patient_id, clinician_id=body.clinician_id, centre_id=body.centre_id,
        mode=mode, kind=kind, scheduled_start_at=body.scheduled_start_at,
        duration_minutes=body.duration_minutes, notes=body.all_notes(),
        parent_appointment_id=body.parent_appointment_id)
    return created(staff_row(found), "Appointment booked")


@router.put("/{appointment_id:int}", response_model=Envelope[StaffAppointment])
@router.patch("/{appointment_id:int}", response_model=Envelope[StaffAppointment], include_in_schema=False)
async def update_appointment(appointment_id: int, body: UpdateIn, principal: Principal = Depends(require(policies.EDIT_APPOINTMENTS)),
                             session: AsyncSession = Depends(get_db)):
    found = await service.update(session, principal, appointment_id, scheduled_start_at=body.scheduled_start_at,
                                 duration_minutes=body.duration_minutes, status=body.status, notes=body.notes,
                                 reason=body.reason)
    return ok(staff_row(found), "Appointment updated")


@router.patch("/{appointment_id:int}/status", response_model=Envelope[StaffAppointment])
@router.post("/{appointment_id:int}/status", response_model=Envelope[StaffAppointment], include_in_schema=False)
async def change_status(appointment_id: int, body: StatusIn, principal: Principal = Depends(require(policies.EDIT_APPOINTMENTS)),
                        session: AsyncSession = Depends(get_db)):
    found = await service.set_status(session, principal, appointment_id, status=body.status, reason=body.reason)
    return ok(staff_row(found), "Status updated")


@router.post("/{appointment_id:int}/reschedule", response_model=Envelope[StaffAppointment])
@router.patch("/{appointment_id:int}/reschedule", response_model=Envelope[StaffAppointment], include_in_schema=False)
async def reschedule(appointment_id: int, body: RescheduleIn, principal: Principal = Depends(require(policies.EDIT_APPOINTMENTS)),
                     session: AsyncSession = Depends(get_db)):
    found = await service.reschedule(session, principal, appointment_id, scheduled_start_at=body.scheduled_start_at,
                                     duration_minutes=body.duration_minutes, reason=body.reason)
    return ok(staff_row(found), "Appointment rescheduled")


@router.delete("/{appointment_id:int}", response_model=Envelope[StaffAppointment])
@router.post("/{appointment_id:int}/cancel", response_model=Envelope[StaffAppointment], include_in_schema=False)
async def cancel(appointment_id: int, body: CancelIn | None = None, principal: Principal = Depends(require(policies.BOOK_FOR_PATIENTS)),
                 session: AsyncSession = Depends(get_db)):
    found = await service.cancel(session, principal, appointment_id, reason=body.reason if body else None)
    return ok(staff_row(found), "Appointment cancelled")


@router.post("/{appointment_id:int}/start-session", response_model=Envelope[StaffAppointment])
async def start_session(appointment_id: int, principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                        session: AsyncSession = Depends(get_db)):
    return ok(staff_row(await service.start_session(session, principal, appointment_id)), "Session started")


@router.post("/{appointment_id:int}/end-session", response_model=Envelope[StaffAppointment])
async def end_session(appointment_id: int, principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                      session: AsyncSession = Depends(get_db)):
    return ok(staff_row(await service.end_session(session, principal, appointment_id)), "Session ended")

