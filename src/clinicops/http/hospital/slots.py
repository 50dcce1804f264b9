"""Slot reads: the patient website's public lists, staff availability and the staff slot grid.

Public routes take no principal at all (a stale token can never matter). Times go out as wall-clock ``HH:MM`` in
the centre's zone; the staff views add the instants (``startsAt``/``endsAt``, ISO-8601 with offset).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import slots
from clinicops.authz.principal import Principal
from clinicops.errors import ValidationFailed
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.schemas.availability import DatedSlot, DateWithSlots, GridSlot, PublicDay, StaffDay
from clinicops.http.openapi import declares_query, query_param
from clinicops.http.envelope import Json
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import PublicKey, ReaderKey

router = new_router(tags=["slots"])

_MODES = {"IN_PERSON": "IN_PERSON", "INPERSON": "IN_PERSON", "OFFLINE": "IN_PERSON", "ONLINE": "ONLINE",
          "VIDEO": "ONLINE"}


def _raw(request: Request, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = request.query_params.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _id(request: Request, *names: str, required: bool = True) -> int | None:
    value = _raw(request, names)
    if value is None:
        if required:
            raise ValidationFailed(names[0], f"{names[0]} is required")
        return None
    if not value.isdigit() or not 0 < int(value) < 2**63:
        raise ValidationFailed(names[0], f"{names[0]} must be a positive integer")
    return int(value)


def _date(request: Request, *names: str) -> date:
    value = _raw(request, names)
    if value is None:
        raise ValidationFailed(names[0], f"{names[0]} is required (YYYY-MM-DD)")
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(names[0], f"{names[0]} must be a date as YYYY-MM-DD") from None


def _mode(request: Request) -> str | None:
    value = _raw(request, ("mode", "consultationMode", "appointmentType", "appointment_type"))
    if value is None:
        return None
    mode = _MODES.get(value.upper().replace("-", "_").replace(" ", "_"))
    if mode is None:
        raise ValidationFailed("mode", "mode must be IN_PERSON or ONLINE")
    return mode


# The names the handlers read by hand (parsed here, not by FastAPI: these are the hot public reads), for OpenAPI.
_ID = {"type": "integer", "format": "int64", "minimum": 1}
_DAY = {"type": "string", "format": "date"}
_CLINICIAN = query_param("clinicianId", _ID, also=("clinician_id",), required=True)
_DATE = query_param("date", _DAY, required=True, description="The centre's calendar day, YYYY-MM-DD.")
_MODE = query_param("mode", {"type": "string", "enum": ["IN_PERSON", "ONLINE"]},
                    also=("consultationMode", "appointmentType", "appointment_type"),
                    description="Only slots of this consultation mode (any case; OFFLINE/VIDEO also understood).")


def _centre(required: bool) -> list[dict]:
    return query_param("centreId", _ID, also=("centre_id",), required=required)


def _hm(instant, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def _ok(data) -> JSONResponse:
    return Json({"success": True, "data": data})


@router.get("/booking/available-slots", response_model=Envelope[PublicDay])
@declares_query(_CLINICIAN, _centre(True), _DATE, _MODE)
async def available_slots(request: Request, organization: PublicKey,
                          session: AsyncSession = Depends(get_db)) -> JSONResponse:
    view = await slots.public_day(
        session, organization=organization, clinician_id=_id(request, "clinicianId", "clinician_id"),
        centre_id=_id(request, "centreId", "centre_id"), day=_date(request, "date"), mode=_mode(request))
    hm = view.clock.hm
    return _ok({"date": view.day.isoformat(), "slots": [
        {"startTime": hm(s.start), "endTime": hm(s.end), "available": s.available, "mode": s.mode}
        for s in view.slots]})


@router.get("/booking/dates-with-slots", response_model=Envelope[list[DateWithSlots]])
@declares_query(_CLINICIAN, _centre(True), query_param("startDate", _DAY, also=("start_date",), required=True),
                query_param("endDate", _DAY, also=("end_date",), required=True), _MODE)
async def dates_with_slots(request: Request, organization: PublicKey,
                           session: AsyncSession = Depends(get_db)) -> JSONResponse:
    found = await slots.public_dates(
        session, organization=organization, clinician_id=_id(request, "clinicianId", "clinician_id"),
        centre_id=_id(request, "centreId", "centre_id"), first_day=_date(request, "startDate", "start_date"),
        last_day=_date(request, "endDate", "end_date"), mode=_mode(request))
    return _ok([{"date": d.day.isoformat(), "slotCount": d.slot_count, "firstSlot": d.first_slot.strftime("%H:%M")}
                for d in found])


def _staff_slot(slot: slots.Slot, tz: ZoneInfo) -> dict:
    return {"startTime": _hm(slot.starts_at, tz), "endTime": _hm(slot.ends_at, tz), "available": slot.available,
            "status": slot.status, "mode": slot.mode, "centreId": slot.centre_id,
            "startsAt": slot.starts_at.isoformat(), "endsAt": slot.ends_at.isoformat()}


@router.get("/appointments/availability", response_model=Envelope[StaffDay])
@declares_query(_CLINICIAN, _centre(False), _DATE, _MODE)
async def staff_availability(request: Request, session: AsyncSession = Depends(get_db),
                             principal: Principal = Depends(require())) -> JSONResponse:
    clinician_id = _id(request, "clinicianId", "clinician_id")
    centre_id = _id(request, "centreId", "centre_id", required=False)
    view = await slots.staff_day(session, principal, clinician_id=clinician_id, centre_id=centre_id,
                                 day=_date(request, "date"), mode=_mode(request), include_past=False, grid=False)
    return _ok({"date": view.day.isoformat(), "clinicianId": clinician_id, "centreId": centre_id,
                "slots": [_staff_slot(s, view.zones[s.centre_id]) for s in view.slots]})


@router.get("/booking/clinician-slots", response_model=Envelope[list[DatedSlot]])
@declares_query(_CLINICIAN, _centre(False),
                query_param("startDate", _DAY, also=("start_date",), required=True),
                query_param("endDate", _DAY, also=("end_date",), required=True,
                            description=f"At most {slots.MAX_RANGE_DAYS} days after startDate, inclusive."),
                _MODE)
async def clinician_slots(request: Request, organization: ReaderKey,
                          session: AsyncSession = Depends(get_db)) -> JSONResponse:
    """The admin panel's booking wizard and clinician page: every upcoming slot of a range of dates, with its
    status (available, booked or blocked) and mode; it filters them by ``date``. The clinician page asks without
    a token: then the slots are the public organization's (they name no patient)."""
    clinician_id = _id(request, "clinicianId", "clinician_id")
    days = await slots.staff_range(
        session, organization, clinician_id=clinician_id,
        centre_id=_id(request, "centreId", "centre_id", required=False),
        first_day=_date(request, "startDate", "start_date"), last_day=_date(request, "endDate", "end_date"),
        mode=_mode(request))
    rows = []
    for day in days:
        for slot in day.slots:
            row = _staff_slot(slot, day.zones[slot.centre_id])
            # unique even on a day whose wall clock repeats an hour: centre, mode and the start instant
            rows.append({"id": f"{slot.centre_id}-{slot.mode}-{int(slot.starts_at.timestamp())}",
                         "clinicianId": clinician_id, "date": day.day.isoformat(), **row})
    return _ok(rows)


async def _grid(clinician_id: int, request: Request, session: AsyncSession, principal: Principal) -> JSONResponse:
    view = await slots.staff_day(session, principal, clinician_id=clinician_id,
                                 centre_id=_id(request, "centreId", "centre_id", required=False),
                                 day=_date(request, "date"), mode=_mode(request), include_past=True, grid=True)
    rows = []
    for slot in view.slots:
        row = {"date": view.day.isoformat(), **_staff_slot(slot, view.zones[slot.centre_id])}
        if slot.appointment_id is not None:
            row["appointmentId"] = slot.appointment_id
        if slot.blocked_by is not None:  # what POST /admin/slots/unblock/:id takes
            row["blockedSlotId"] = row["blocked_slot_id"] = slot.blocked_by
        rows.append(row)
    return _ok(rows)


@router.get("/clinicians/{clinician_id:int}/slots", response_model=Envelope[list[GridSlot]])
@declares_query(_centre(False), _DATE, _MODE)
async def slot_grid(clinician_id: int, request: Request, session: AsyncSession = Depends(get_db),
                    principal: Principal = Depends(require())) -> JSONResponse:
    return await _grid(clinician_id, request, session, principal)


@router.get("/clinicians/clinicians/{clinician_id:int}/slots", response_model=Envelope[list[GridSlot]],
             include_in_schema=False)
async def slot_grid_alias(clinician_id: int, request: Request, session: AsyncSession = Depends(get_db),
                          principal: Principal = Depends(require())) -> JSONResponse:
    return await _grid(clinician_id, request, session, principal)
