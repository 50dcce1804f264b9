"""/api/v1/patients (section 6.4) and a patient's audit trail: translation only.

Who sees which patient, what a clinic records and what is audited live in ``patients.profiles``; these handlers
parse the wire, call one use case and render section 6.4's shapes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit.models import AuditEvent
from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicAdmin, ClinicMember
from clinicops.http.clinic.schemas import records as wire
from clinicops.http.deps import client_ip, get_db
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.patients import profiles
from clinicops.patients.profiles import PatientRecord

router = new_router(tags=["clinic: patients"])

# Wire name (snake_case) -> the clinic record's field, where they differ.
_CORE_NAMES = {"name": "full_name"}
# Which kind of id an audited resource has on this surface.
_RESOURCE_KINDS = {"patient": ids.PATIENT, "visit": ids.VISIT, "association": ids.ASSOCIATION, "doctor": ids.DOCTOR}
_ROLES = {"CLINICIAN": "DOCTOR"}


def profile_of(values: dict) -> dict:
    return {_CORE_NAMES.get(name, name): value for name, value in values.items()}


def _found(r: PatientRecord) -> wire.PatientFound:
    return wire.PatientFound(
        patient_id=ids.render(ids.PATIENT, r.patient_id), phone=r.phone, name=r.record.full_name, age=r.age,
        gender=r.record.gender, last_visit=r.last_visit_date, total_visits=r.total_visits,
        is_associated_with_doctor=r.associated)


def _detail(r: PatientRecord) -> wire.PatientDetail:
    c = r.record
    return wire.PatientDetail(
        patient_id=ids.render(ids.PATIENT, r.patient_id), patient_phone=r.phone, name=c.full_name,
        date_of_birth=c.date_of_birth, age=r.age, gender=c.gender, address=c.address,
        emergency_contact=c.emergency_contact, blood_group=c.blood_group, allergies=c.allergies,
        chronic_conditions=c.chronic_conditions, current_medications=c.current_medications,
        created_at=c.created_at, updated_at=c.updated_at)


def _resource_id(event: AuditEvent) -> str | None:
    kind = _RESOURCE_KINDS.get(event.resource_type)
    if event.resource_id is None or kind is None or not event.resource_id.isdigit():
        return event.resource_id
    return ids.render(kind, int(event.resource_id))


def _entry(event: AuditEvent) -> wire.AuditEntry:
    return wire.AuditEntry(
        action=event.action, resource_type=event.resource_type, resource_id=_resource_id(event),
        actor_id=ids.render_optional(ids.USER, event.actor_user_id),
        actor_role=_ROLES.get(event.actor_role or "", event.actor_role), outcome=event.outcome,
        at=event.created_at)


@router.get("/patients/search", response_model=Envelope[wire.PatientSearch], summary="Search patients")
async def search_patients(principal: ClinicMember,
                          phone: Annotated[str | None, Query(max_length=20)] = None,
                          name: Annotated[str | None, Query(max_length=100)] = None,
                          doctor_id: Annotated[ids.DoctorId | None, Query(alias="doctorId")] = None,
                          limit: Annotated[int | None, Query()] = None, offset: Annotated[int, Query(ge=0)] = 0,
                          ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Patients whose phone and/or name start with what is given (all when neither): a doctor their own, the
    admin the clinic's. ``isAssociatedWithDoctor``: with the calling doctor; for the admin with ``doctorId``
    (not in section 6.4), or any of the clinic's doctors."""
    found, total = await profiles.search(session, principal, phone=phone, name=name, doctor_id=doctor_id,
                                         limit=clamp_limit(limit, default=10), offset=offset, ip=ip)
    term = name if name and name.strip() else phone
    return ok(wire.PatientSearch(patients=[_found(r) for r in found], total_found=total,
                                        search_term=term).dump())


@router.post("/patients", status_code=201, response_model=Envelope[wire.PatientCreated],
             summary="Record a new patient at the clinic")
async def create_patient(body: wire.NewPatient, principal: ClinicMember, ip: str = Depends(client_ip),
                         session: AsyncSession = Depends(get_db)):
    """409 when the clinic already has this phone. A person known elsewhere starts with an empty record here."""
    values = profile_of(body.model_dump(exclude={"phone"}))
    r = await profiles.create(session, principal, phone=body.phone, ip=ip, **values)
    data = wire.PatientCreated(
        patient_id=ids.render(ids.PATIENT, r.patient_id), phone=r.phone, name=r.record.full_name, age=r.age,
        gender=r.record.gender, blood_group=r.record.blood_group, allergies=r.record.allergies,
        created_at=r.record.created_at)
    return created(data.dump(), "Patient record created successfully")


@router.get("/patients/{patientId}", response_model=Envelope[wire.PatientOne], summary="A patient's record")
async def get_patient(patient_id: ids.PatientIdPath, principal: ClinicMember, ip: str = Depends(client_ip),
                      session: AsyncSession = Depends(get_db)):
    """A doctor: their own patients; the admin: the clinic's. Audited."""
    found = await profiles.get(session, principal, patient_id, ip=ip)
    return ok(wire.PatientOne(patient=_detail(found)).dump())


@router.put("/patients/{patientId}", response_model=Envelope[wire.PatientUpdated], summary="Update a patient")
async def update_patient(patient_id: ids.PatientIdPath, body: wire.PatientChanges, principal: ClinicMember,
                         ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    found = await profiles.update(session, principal, patient_id, changes=profile_of(body.given()), ip=ip)
    data = wire.PatientUpdated(patient_id=ids.render(ids.PATIENT, found.patient_id), updated_at=found.updated_at)
    return ok(data.dump(), "Patient updated successfully")


@router.get("/patients/{patientId}/audit", response_model=Envelope[wire.AuditTrail],
            summary="Who read or changed a patient's records (admin)")
async def patient_audit_trail(patient_id: ids.PatientIdPath, principal: ClinicAdmin,
                              limit: Annotated[int | None, Query()] = None, offset: Annotated[int, Query(ge=0)] = 0,
                              ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Every read and write of the patient's records at the clinic, newest first (a doctor: 403)."""
    events, total = await profiles.audit_trail(session, principal, patient_id, limit=clamp_limit(limit, default=50),
                                               offset=offset, ip=ip)
    return ok(wire.AuditTrail(events=[_entry(e) for e in events], total_count=total).dump())
