"""/api/v1/doctors/{doctorId}/patients (section 6.5): doctor–patient associations, translation only.

Whose patients a caller may open, and what is audited, live in ``patients.associations``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicMember
from clinicops.http.clinic.schemas import records as wire
from clinicops.http.deps import client_ip, get_db
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.patients import associations
from clinicops.patients.associations import Association

router = new_router(tags=["clinic: associations"])


def _preferences(values: dict) -> wire.PreferencesOut:
    return wire.PreferencesOut(preferred_time=values.get("preferred_time"),
                               communication_method=values.get("communication_method"))


def _listed(a: Association) -> dict:
    p = a.patient
    return dict(patient_id=ids.render(ids.PATIENT, p.patient_id), patient_phone=p.phone, name=p.record.full_name,
                age=p.age, gender=p.record.gender, association_date=a.relationship.since,
                last_visit_date=a.last_visit_date, total_visits=a.total_visits,
                preferences=_preferences(a.relationship.preferences))


def _given_preferences(body: wire.Preferences | None) -> dict | None:
    return None if body is None else body.given()


@router.get("/doctors/{doctorId}/patients", response_model=Envelope[wire.DoctorsPatients],
            summary="A doctor's patients")
async def list_doctors_patients(doctor_id: ids.DoctorIdPath, principal: ClinicMember,
                                limit: Annotated[int | None, Query()] = None,
                                offset: Annotated[int, Query(ge=0)] = 0, ip: str = Depends(client_ip),
                                session: AsyncSession = Depends(get_db)):
    """A doctor: only their own list (another doctor's id: 404); the admin: any doctor of the clinic."""
    found, total = await associations.patients_of(session, principal, doctor_id, limit=clamp_limit(limit),
                                                  offset=offset, ip=ip)
    data = wire.DoctorsPatients(patients=[wire.DoctorsPatient(**_listed(a)) for a in found], total_count=total)
    return ok(data.dump())


@router.post("/doctors/{doctorId}/patients", status_code=201, response_model=Envelope[wire.AssociationCreated],
             summary="Associate a patient with a doctor")
async def associate_patient(doctor_id: ids.DoctorIdPath, body: wire.NewAssociation, principal: ClinicMember,
                            ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Records the patient at the clinic if new there. 409 when already associated."""
    a = await associations.associate(session, principal, doctor_id, phone=body.patient_phone,
                                     patient_name=body.patient_name, age=body.age, gender=body.gender,
                                     preferences=_given_preferences(body.preferences), ip=ip)
    data = wire.AssociationCreated(
        association_id=ids.render(ids.ASSOCIATION, a.relationship.id),
        patient_id=ids.render(ids.PATIENT, a.patient.patient_id), patient_phone=a.patient.phone,
        doctor_id=ids.render(ids.DOCTOR, a.relationship.clinician_id), association_date=a.relationship.since)
    return created(data.dump(), "Patient associated successfully")


@router.get("/doctors/{doctorId}/patients/{patientId}", response_model=Envelope[wire.DoctorsPatientOne],
            summary="A doctor's patient, with the relationship")
async def get_doctors_patient(doctor_id: ids.DoctorIdPath, patient_id: ids.PatientIdPath, principal: ClinicMember,
                              ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    a = await associations.get(session, principal, doctor_id, patient_id, ip=ip)
    record = a.patient.record
    history = wire.MedicalHistory(allergies=record.allergies, chronic_conditions=record.chronic_conditions,
                                  current_medications=record.current_medications)
    detail = wire.DoctorsPatientDetail(**_listed(a), notes=a.relationship.notes, medical_history=history)
    return ok(wire.DoctorsPatientOne(patient=detail).dump())


@router.put("/doctors/{doctorId}/patients/{patientId}", response_model=Envelope[wire.PatientUpdated],
            summary="Update a doctor–patient relationship")
async def update_doctors_patient(doctor_id: ids.DoctorIdPath, patient_id: ids.PatientIdPath,
                                 body: wire.AssociationChanges, principal: ClinicMember,
                                 ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Preferences sent change (the others stay); ``notes`` replaces the notes (null clears them)."""
    notes = (body.notes or "") if "notes" in body.model_fields_set else None
    relationship = await associations.update(session, principal, doctor_id, patient_id,
                                             preferences=_given_preferences(body.preferences), notes=notes, ip=ip)
    data = wire.PatientUpdated(patient_id=ids.render(ids.PATIENT, relationship.patient_id),
                               updated_at=relationship.updated_at)
    return ok(data.dump(), "Patient association updated successfully")


@router.delete("/doctors/{doctorId}/patients/{patientId}", response_model=Envelope[wire.AssociationRemoved],
               summary="End a doctor–patient relationship")
async def remove_doctors_patient(doctor_id: ids.DoctorIdPath, patient_id: ids.PatientIdPath,
                                 principal: ClinicMember, ip: str = Depends(client_ip),
                                 session: AsyncSession = Depends(get_db)):
    """The visits and notes stay; associating again revives the relationship."""
    removed_at = await associations.remove(session, principal, doctor_id, patient_id, ip=ip)
    data = wire.AssociationRemoved(patient_id=ids.render(ids.PATIENT, patient_id), removed_at=removed_at)
    return ok(data.dump(), "Patient association removed successfully")
