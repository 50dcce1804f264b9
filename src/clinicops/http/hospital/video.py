"""/api/video: Meet links of ONLINE appointments (staff; scoped to their organization, centres, own patients)."""

from __future__ import annotations

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require
from clinicops.http.hospital.schemas.operations import MeetLink, MeetLinks
from clinicops.http.hospital.wire import Field, HospitalInput, either, iso
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.envelope import clamp_limit, ok
from clinicops.video import service

router = new_router(prefix="/video", tags=["video"])
staff = require()


class AppointmentRef(HospitalInput):
    appointment_id: int


class LinkInput(HospitalInput):
    meet_link: str = Field(validation_alias=either("meetLink", "meet_link", "googleMeetLink", "google_meet_link",
                                                   "link"), min_length=1, max_length=500)


def link_of(appointment: Appointment) -> dict:
    return {"appointmentId": appointment.id, "meetLink": appointment.meet_link,
            "googleMeetLink": appointment.meet_link, "eventId": appointment.meet_event_id,
            "appointmentType": appointment.mode, "status": appointment.status,
            "scheduledStartAt": iso(appointment.starts_at), "scheduledEndAt": iso(appointment.ends_at)}


@router.post("/generate-meet-link", response_model=Envelope[MeetLink])
async def generate_meet_link(body: AppointmentRef, principal: Principal = Depends(staff),
                             db: AsyncSession = Depends(get_db)):
    appointment = await service.generate(db, principal, appointment_id=body.appointment_id)
    return ok(link_of(appointment), "Meet link ready")


@router.get("/appointment/{appointment_id:int}/meet-link", response_model=Envelope[MeetLink])
async def get_meet_link(appointment_id: int, principal: Principal = Depends(staff),
                        db: AsyncSession = Depends(get_db)):
    return ok(link_of(await service.get_link(db, principal, appointment_id=appointment_id)))


@router.put("/appointment/{appointment_id:int}/meet-link", response_model=Envelope[MeetLink])
async def put_meet_link(appointment_id: int, body: LinkInput, principal: Principal = Depends(staff),
                        db: AsyncSession = Depends(get_db)):
    appointment = await service.set_link(db, principal, appointment_id=appointment_id, link=body.meet_link)
    return ok(link_of(appointment), "Meet link updated")


@router.delete("/appointment/{appointment_id:int}/meet-link", response_model=Envelope[MeetLink])
async def delete_meet_link(appointment_id: int, principal: Principal = Depends(staff),
                           db: AsyncSession = Depends(get_db)):
    appointment = await service.remove_link(db, principal, appointment_id=appointment_id)
    return ok(link_of(appointment), "Meet link removed")


@router.get("/links", response_model=Envelope[MeetLinks])
async def list_links(centreId: int | None = None, centre_id: int | None = Query(default=None),
                     limit: int | None = None, offset: int = 0, principal: Principal = Depends(staff),
                     db: AsyncSession = Depends(get_db)):
    limit, offset = clamp_limit(limit), max(0, offset)
    rows, total = await service.list_links(db, principal, centre_id=centreId if centreId is not None else centre_id,
                                           limit=limit, offset=offset)
    links = [link_of(a) | {"patientName": patient, "clinicianName": clinician, "centreId": a.centre_id,
                           "centreName": centre} for a, patient, clinician, centre in rows]
    return ok({"links": links, "total": total, "limit": limit, "offset": offset})
