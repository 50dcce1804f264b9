"""/api/appointments/:id/... — the clinician's session record: session notes, earlier sessions' notes, a follow-up
date, and the appointment's notes (appointments/sessions.py; clinical data, audited).

Served beside the appointment book (http/hospital/appointments.py), whose row shape and roles it shares.
"""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments import service, sessions
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.appointments import appointment_type_of, query_int, staff_row
from clinicops.http.hospital.schemas.appointments import FollowUp, SessionNote, StaffAppointment
from clinicops.http.hospital.wire import Field, HospitalInput, either, field_validator, iso
from clinicops.http.openapi import declares_query, query_param
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.envelope import created, ok

router = new_router(prefix="/appointments", tags=["appointments"])
_ID = {"type": "integer", "format": "int64", "minimum": 0}


class SessionNotesIn(HospitalInput):
    session_notes: str = Field(validation_alias=either("session_notes", "sessionNotes", "notes"), max_length=10_000)


class FollowUpIn(HospitalInput):
    follow_up_date: date = Field(validation_alias=either("follow_up_date", "followUpDate"))
    follow_up_notes: str | None = Field(None, validation_alias=either("follow_up_notes", "followUpNotes"),
                                        max_length=10_000)

    @field_validator("follow_up_date", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if isinstance(value, str) and len(value.strip()) >= 10:
            return value.strip()[:10]  # the panel may send a full ISO instant; its date part is the day meant
        return value


class NotesIn(HospitalInput):
    notes: str = Field(max_length=4000)  # "" clears them


def session_note_row(note: sessions.SessionNote) -> dict:
    v, a = note.visit, note.appointment
    return {"id": v.id, "appointment_id": a.id, "appointmentId": a.id, "clinician_id": v.clinician_id,
            "patient_id": v.patient_id, "session_notes": v.notes, "sessionNotes": v.notes,
            "follow_up_date": v.follow_up_date.isoformat() if v.follow_up_date else None,
            "scheduled_start_at": iso(a.starts_at), "appointment_type": appointment_type_of(a.mode, a.kind),
            "status": a.status, "created_at": iso(v.created_at), "updated_at": iso(v.updated_at)}


@router.post("/{appointment_id:int}/clinician-notes", status_code=201, response_model=Envelope[SessionNote])
async def save_session_notes(appointment_id: int, body: SessionNotesIn,
                             principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                             session: AsyncSession = Depends(get_db)):
    note = await sessions.save_notes(session, principal, appointment_id, text=body.session_notes)
    return created(session_note_row(note), "Session notes saved")


@router.get("/{appointment_id:int}/previous-notes", response_model=Envelope[list[SessionNote]])
@declares_query(query_param("patientId", _ID, also=("patient_id",),
                            description="The appointment's patient (any other id is 404)."))
async def previous_notes(appointment_id: int, request: Request,
                         principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                         session: AsyncSession = Depends(get_db)):
    notes = await sessions.earlier_notes(session, principal, appointment_id,
                                         patient_id=query_int(request, "patientId", "patient_id"))
    return ok([session_note_row(n) for n in notes])


@router.post("/{appointment_id:int}/schedule-followup", status_code=201, response_model=Envelope[FollowUp])
async def schedule_follow_up(appointment_id: int, body: FollowUpIn,
                             principal: Principal = Depends(require(policies.CONDUCT_SESSIONS)),
                             session: AsyncSession = Depends(get_db)):
    follow_up = await sessions.schedule_follow_up(session, principal, appointment_id, on=body.follow_up_date,
                                                  notes=body.follow_up_notes)
    v = follow_up.visit
    return created({"id": v.id, "parent_appointment_id": follow_up.appointment.id, "patient_id": v.patient_id,
                    "clinician_id": v.clinician_id, "follow_up_date": v.follow_up_date.isoformat(),
                    "follow_up_notes": follow_up.notes, "created_at": iso(v.created_at)}, "Follow-up recorded")


@router.patch("/{appointment_id:int}/notes", response_model=Envelope[StaffAppointment])
async def set_notes(appointment_id: int, body: NotesIn,
                    principal: Principal = Depends(require(policies.EDIT_APPOINTMENT_NOTES)),
                    session: AsyncSession = Depends(get_db)):
    found = await service.update(session, principal, appointment_id, notes=body.notes)
    return ok(staff_row(found), "Notes updated")
