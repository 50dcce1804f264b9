"""Dated exceptions and slot blocking.

/api/clinicians/:id/slot-exceptions (also under /api/clinicians/clinicians/...): block a date or a window, or
add extra hours. /api/admin/slots/block, /block-multiple, /block-day, /unblock/:id, /blocked, /affected-patients:
the admin panel's slot blocking.
A block answers with the active appointments it overlaps; their patients get a WhatsApp notice through the
outbox, and staff then reschedule or cancel them (a block cancels nothing by itself).
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, ValidationError, WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.clinicians import availability as weekly, blocks
from clinicops.clinicians.blocks import BlockResult, ExceptionSpec
from clinicops.clinicians.models import AvailabilityException
from clinicops.clinicians.repository import AffectedAppointment
from clinicops.errors import ValidationFailed
from clinicops.http.deps import get_db, require
from clinicops.http.hospital import slots as slot_routes
from clinicops.http.hospital.clinicians import CAN_MANAGE, PREFIXES, Mode, WallTime, query_params, rule_wire
from clinicops.http.hospital.schemas.availability import AffectedPatient, BlockOutcome, GridSlot, SlotException
from clinicops.http.hospital.schemas.clinicians import DeletedRules, RuleWithSlotCount
from clinicops.http.hospital.wire import Field, HospitalInput, either, iso
from clinicops.http.openapi import declares_query_model
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit import phones
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.kit.timezones import zone

router = new_router(tags=["availability"])
Db = Annotated[AsyncSession, Depends(get_db)]
Manager = Annotated[Principal, Depends(require(policies.MANAGE_AVAILABILITY))]

_KINDS = {"UNAVAILABLE": "UNAVAILABLE", "BLOCK": "UNAVAILABLE", "BLOCKED": "UNAVAILABLE", "LEAVE": "UNAVAILABLE",
          "OFF": "UNAVAILABLE", "EXTRA": "EXTRA", "EXTRA_HOURS": "EXTRA", "AVAILABLE": "EXTRA", "ADD": "EXTRA"}


def _kind(value: Any) -> str | None:
    if value is None or value == "":
        return None
    key = str(value).strip().upper().replace("-", "_").replace(" ", "_")
    if key not in _KINDS:
        raise ValueError("type must be UNAVAILABLE or EXTRA")
    return _KINDS[key]


Kind = Annotated[str | None, BeforeValidator(_kind), WithJsonSchema(
    {"anyOf": [{"type": "string", "enum": ["UNAVAILABLE", "EXTRA"]}, {"type": "null"}]})]


class ExceptionIn(HospitalInput):
    kind: Kind = Field(None, validation_alias=either("type", "kind", "exceptionType", "exception_type"))
    is_available: bool | None = Field(None, validation_alias=either("isAvailable", "is_available"))
    start_date: date | None = Field(None, validation_alias=either("date", "startDate", "start_date", "exceptionDate",
                                                                  "exception_date"))
    end_date: date | None = Field(None, validation_alias=either("endDate", "end_date"))
    start_time: WallTime = Field(None, validation_alias=either("startTime", "start_time"))
    end_time: WallTime = Field(None, validation_alias=either("endTime", "end_time"))
    centre_id: int | None = Field(None, validation_alias=either("centreId", "centre_id"))
    mode: Mode = Field(None, validation_alias=either("mode", "consultationMode", "consultation_mode"))
    slot_duration_minutes: int | None = Field(None, validation_alias=either(
        "slotDurationMinutes", "slot_duration_minutes", "slotMinutes"))
    reason: str | None = Field(None, max_length=500)

    def spec(self, *, kind: str | None = None, whole_day: bool = False) -> ExceptionSpec:
        if self.start_date is None:
            raise ValidationFailed("date", "date is required (YYYY-MM-DD)")
        chosen = kind or self.kind or ("EXTRA" if self.is_available else "UNAVAILABLE")
        return ExceptionSpec(
            kind=chosen, start_date=self.start_date, end_date=self.end_date or self.start_date,
            start_time=None if whole_day else self.start_time, end_time=None if whole_day else self.end_time,
            centre_id=self.centre_id, mode=None if self.mode == "BOTH" else self.mode,
            slot_minutes=self.slot_duration_minutes, reason=self.reason or None)


class BlockIn(ExceptionIn):
    clinician_id: int = Field(validation_alias=either("clinicianId", "clinician_id", "doctorId"))


class SlotsIn(HospitalInput):
    """Several slots, each the body of /admin/slots/block; checked one by one so a problem names ``slots[i].field``."""
    slots: list[dict[str, Any]] = Field(validation_alias=either("slots", "blocks"))
    reason: str | None = Field(None, max_length=500)

    def specs(self, *, timed: bool) -> list[tuple[int, ExceptionSpec]]:
        if not self.slots:
            raise ValidationFailed("slots", "give at least one slot")
        if len(self.slots) > blocks.MAX_SLOTS:
            raise ValidationFailed("slots", f"at most {blocks.MAX_SLOTS} slots at once")
        out = []
        for i, raw in enumerate(self.slots):
            try:
                slot = BlockIn.model_validate({"reason": self.reason, **raw})
            except ValidationError as exc:
                raise RequestValidationError(
                    [{**err, "loc": ("body", f"slots[{i}]", *err.get("loc", ()))} for err in exc.errors()]) from None
            if timed and (slot.start_time is None or slot.end_time is None):
                raise ValidationFailed(f"slots[{i}].{'startTime' if slot.start_time is None else 'endTime'}",
                                       "startTime and endTime are required (use block-day for whole days)")
            try:
                out.append((slot.clinician_id, slot.spec(kind="UNAVAILABLE")))
            except ValidationFailed as exc:
                exc.details = [{**d, "field": f"slots[{i}].{d['field']}"} for d in exc.details or []]
                raise
        return out


class ExceptionQuery(HospitalInput):
    clinician_id: int | None = Field(None, validation_alias=either("clinicianId", "clinician_id"))
    first_day: date | None = Field(None, validation_alias=either("from", "startDate", "start_date", "fromDate"))
    last_day: date | None = Field(None, validation_alias=either("to", "endDate", "end_date", "toDate"))
    kind: Kind = Field(None, validation_alias=either("type", "kind"))
    limit: int | None = None
    offset: int = Field(0, ge=0)


class ByDayQuery(HospitalInput):
    centre_id: int | None = Field(None, validation_alias=either("centreId", "centre_id"))


class DeleteDayIn(HospitalInput):
    day_of_week: int = Field(ge=0, le=6, validation_alias=either("dayOfWeek", "day_of_week", "weekday"))
    centre_id: int | None = Field(None, validation_alias=either("centreId", "centre_id"))


class DeleteQuery(HospitalInput):
    exception_id: int | None = Field(None, validation_alias=either("exceptionId", "exception_id", "id"))
    day: date | None = Field(None, validation_alias=either("date",))
    start_time: WallTime = Field(None, validation_alias=either("startTime", "start_time"))


# --- output --------------------------------------------------------------------------------------------------------

def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def exception_wire(row: AvailabilityException) -> dict:
    return {"id": row.id, "clinicianId": row.clinician_id, "centreId": row.centre_id, "type": row.kind,
            "kind": row.kind, "date": row.start_date.isoformat(), "startDate": row.start_date.isoformat(),
            "endDate": row.end_date.isoformat(), "startTime": _hhmm(row.start_time), "endTime": _hhmm(row.end_time),
            "isFullDay": row.start_time is None, "mode": row.mode, "slotDurationMinutes": row.slot_minutes,
            "reason": row.reason, "createdAt": iso(row.created_at)}


def affected_wire(appt: AffectedAppointment) -> dict:
    tz = zone(appt.timezone)
    start, end = appt.starts_at.astimezone(tz), appt.ends_at.astimezone(tz)
    return {"id": appt.id, "appointmentId": appt.id, "patientId": appt.patient_id, "patientName": appt.patient_name,
            "patientPhone": phones.wire(appt.patient_phone), "centreId": appt.centre_id,
            "centreName": appt.centre_name, "mode": appt.mode, "status": appt.status,
            "scheduledStartAt": iso(start), "scheduledEndAt": iso(end), "date": start.date().isoformat(),
            "startTime": start.strftime("%H:%M"), "endTime": end.strftime("%H:%M")}


def result_wire(result: BlockResult) -> dict:
    rows = [exception_wire(r) for r in result.exceptions]
    return {"block": rows[0], "exception": rows[0], "blocks": rows, "exceptions": rows,
            "affectedAppointments": [affected_wire(a) for a in result.affected],
            "affectedCount": len(result.affected), "notifiedCount": result.notified,
            # the admin panel's block dialogs read these two
            "blocked_count": len(rows), "affected_patients": affected_patients_wire(result.affected)}


def affected_patients_wire(affected: list[AffectedAppointment]) -> list[dict]:
    """The patients of the affected appointments, once each (in appointment order), with their appointments."""
    patients: dict[int, dict] = {}
    for appt in affected:
        patient = patients.get(appt.patient_id)
        if patient is None:
            phone = phones.wire(appt.patient_phone)
            patient = patients[appt.patient_id] = {
                "id": appt.patient_id, "patient_id": appt.patient_id, "patientId": appt.patient_id,
                "name": appt.patient_name, "full_name": appt.patient_name, "patientName": appt.patient_name,
                "phone": phone, "patientPhone": phone, "appointment_ids": [], "appointments": []}
        patient["appointment_ids"].append(appt.id)
        patient["appointments"].append(affected_wire(appt))
    return list(patients.values())


def _result_message(result: BlockResult) -> str:
    if result.exceptions[0].kind == "EXTRA":
        return "Extra hours added"
    if not result.affected:
        return "Slots blocked; no booked appointments are affected"
    return (f"Slots blocked; {len(result.affected)} booked appointment(s) affected: the patients have been "
            f"notified, please reschedule or cancel them")


async def _json_body(request: Request) -> dict:
    """DELETE may carry its selector in a JSON body (some clients) or in the query string."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# --- /clinicians/:id/slot-exceptions -------------------------------------------------------------------------------

def route(method: str, path: str, **kwargs: Any):
    def register(handler):
        for prefix in PREFIXES:  # the schema shows the canonical /clinicians path only
            router.add_api_route(prefix + path, handler, methods=[method], include_in_schema=prefix == PREFIXES[0],
                                 **kwargs)
        return handler

    return register


@route("POST", "/{clinician_id:int}/slot-exceptions", status_code=201, response_model=Envelope[BlockOutcome])
async def add_exception(clinician_id: int, body: ExceptionIn, session: Db, principal: Manager) -> Response:
    result = await blocks.add(session, principal, clinician_id, body.spec())
    return created(result_wire(result), _result_message(result))


@route("GET", "/{clinician_id:int}/slot-exceptions", response_model=Envelope[list[SlotException]])
async def list_exceptions(clinician_id: int, session: Db, principal: Manager,
                          q: Annotated[ExceptionQuery, Depends(query_params(ExceptionQuery))]) -> Response:
    rows = await blocks.listing(session, principal, clinician_id=clinician_id, first_day=q.first_day,
                                last_day=q.last_day, kind=q.kind, limit=clamp_limit(q.limit, 100), offset=q.offset)
    return ok([exception_wire(r) for r in rows])


@route("DELETE", "/{clinician_id:int}/slot-exceptions/{exception_id:int}", response_model=Envelope[SlotException])
async def delete_exception(clinician_id: int, exception_id: int, session: Db, principal: Manager) -> Response:
    row = await blocks.remove(session, principal, exception_id, clinician_id=clinician_id)
    return ok(exception_wire(row), "Exception removed")


@route("DELETE", "/{clinician_id:int}/slot-exceptions", response_model=Envelope[list[SlotException]])
@declares_query_model(DeleteQuery)  # or the same fields in a JSON body
async def delete_exceptions(clinician_id: int, request: Request, session: Db, principal: Manager) -> Response:
    selector = {**await _json_body(request), **dict(request.query_params)}
    try:
        q = DeleteQuery.model_validate(selector)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    if q.exception_id is not None:
        rows = [await blocks.remove(session, principal, q.exception_id, clinician_id=clinician_id)]
    elif q.day is not None:
        rows = await blocks.remove_on_date(session, principal, clinician_id, q.day, start_time=q.start_time)
    else:
        raise ValidationFailed("exceptionId", "give exceptionId, or date (and optionally startTime)")
    return ok([exception_wire(r) for r in rows], "Exception removed")


# --- /admin/slots --------------------------------------------------------------------------------------------------

@router.post("/admin/slots/block", status_code=201, response_model=Envelope[BlockOutcome])
async def block_slots(body: BlockIn, session: Db, principal: Manager) -> Response:
    if body.start_time is None or body.end_time is None:
        raise ValidationFailed("startTime" if body.start_time is None else "endTime",
                               "startTime and endTime are required (use block-day for whole days)")
    result = await blocks.add(session, principal, body.clinician_id, body.spec(kind="UNAVAILABLE"))
    return created(result_wire(result), _result_message(result))


@router.post("/admin/slots/block-day", status_code=201, response_model=Envelope[BlockOutcome])
async def block_day(body: BlockIn, session: Db, principal: Manager) -> Response:
    result = await blocks.add(session, principal, body.clinician_id, body.spec(kind="UNAVAILABLE", whole_day=True))
    return created(result_wire(result), _result_message(result))


@router.post("/admin/slots/block-multiple", status_code=201, response_model=Envelope[BlockOutcome])
async def block_multiple(body: SlotsIn, session: Db, principal: Manager) -> Response:
    """Up to 100 slots (each as /block takes it) in one transaction: all are blocked, or none."""
    result = await blocks.block_many(session, principal, body.specs(timed=True))
    return created(result_wire(result), _result_message(result))


@router.post("/admin/slots/affected-patients", response_model=Envelope[list[AffectedPatient]])
async def affected_patients(body: SlotsIn, session: Db, principal: Manager) -> Response:
    """Preview of a block of these slots (whole days when a slot has no times): the patients whose active
    appointments it would affect. Nothing is stored and nobody is notified."""
    affected = await blocks.affected_by(session, principal, body.specs(timed=False))
    return ok(affected_patients_wire(affected))


@router.post("/admin/slots/unblock/{exception_id:int}", response_model=Envelope[SlotException])
async def unblock(exception_id: int, session: Db, principal: Manager) -> Response:
    row = await blocks.remove(session, principal, exception_id)
    return ok(exception_wire(row), "Slots unblocked")


@router.get("/admin/slots/blocked", response_model=Envelope[list[SlotException]])
async def blocked(session: Db, principal: Manager,
                  q: Annotated[ExceptionQuery, Depends(query_params(ExceptionQuery))]) -> Response:
    rows = await blocks.listing(session, principal, clinician_id=q.clinician_id, first_day=q.first_day,
                                last_day=q.last_day, blocks_only=True, limit=clamp_limit(q.limit, 100),
                                offset=q.offset)
    return ok([exception_wire(r) for r in rows])


# --- /clinicians/:id/availability/by-day, /delete-by-day (the admin panel's "delete a weekday" dialog) ----------

@route("GET", "/{clinician_id:int}/availability/by-day", response_model=Envelope[dict[str, list[RuleWithSlotCount]]])
async def rules_by_day(clinician_id: int, session: Db, principal: Manager,
                       q: Annotated[ByDayQuery, Depends(query_params(ByDayQuery))]) -> Response:
    grouped = await weekly.by_day(session, principal, clinician_id, centre_id=q.centre_id)
    return ok({str(day): [{**rule_wire(r, clinician_id), "slot_count": _slot_count(r)} for r in rules]
               for day, rules in sorted(grouped.items())})


@route("POST", "/{clinician_id:int}/availability/delete-by-day", response_model=Envelope[DeletedRules])
async def delete_day(clinician_id: int, body: DeleteDayIn, session: Db,
                     principal: Annotated[Principal, Depends(CAN_MANAGE)]) -> Response:
    gone = await weekly.delete_day(session, principal, clinician_id, body.day_of_week, centre_id=body.centre_id)
    return ok({"deletedCount": len(gone), "deletedRules": [rule_wire(r, clinician_id) for r in gone]},
              f"Deleted {len(gone)} availability rule(s) for the selected day")


def _slot_count(rule: dict) -> int:
    """How many slots the rule's window holds."""
    minutes = (rule["end_time"].hour * 60 + rule["end_time"].minute) - (
        rule["start_time"].hour * 60 + rule["start_time"].minute)
    return minutes // rule["slot_minutes"] if rule["slot_minutes"] else 0


# The slot grid under the admin panel's /users/clinicians prefix: the very endpoint of slots.py, so it answers
# exactly as /api/clinicians/:id/slots does.
router.add_api_route("/users/clinicians/{clinician_id:int}/slots", slot_routes.slot_grid, methods=["GET"],
                     response_model=Envelope[list[GridSlot]], include_in_schema=False)
