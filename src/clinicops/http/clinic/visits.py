"""/api/v1 visit records (section 6.8): translation only. Who reads or writes which visit, which notes a reader
sees and what is audited live in ``visits.service``."""

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
from clinicops.visits import service as visits
from clinicops.visits.models import Visit
from clinicops.visits.service import VisitView

router = new_router(tags=["clinic: visits"])

# Wire name (snake_case) -> the visit's field, where they differ.
_CORE_NAMES = {"vital_signs": "vitals", "prescription": "prescription_text"}
NOTES_SEPARATOR = "\n\n"


def _vitals(body: wire.VitalSigns | None) -> dict | None:
    return None if body is None else body.model_dump(exclude_none=True)


def _item(v: Visit) -> wire.VisitListItem:
    return wire.VisitListItem(visit_id=ids.render(ids.VISIT, v.id), date=v.visit_date, token_id=None,
                              status=v.status, diagnosis=v.diagnosis, prescription=v.prescription_text,
                              notes=v.notes, created_at=v.created_at)


def _detail(view: VisitView) -> wire.VisitDetail:
    v = view.visit
    private = NOTES_SEPARATOR.join(note.body for note in view.private_notes) or None
    return wire.VisitDetail(
        visit_id=ids.render(ids.VISIT, v.id), patient_id=ids.render(ids.PATIENT, v.patient_id),
        patient_phone=view.patient_phone, patient_name=view.patient_name,
        doctor_id=ids.render(ids.DOCTOR, v.clinician_id), doctor_name=view.doctor_name, visit_date=v.visit_date,
        token_id=None, status=v.status, chief_complaint=v.chief_complaint, vital_signs=wire.VitalSignsOut(**v.vitals),
        examination=v.examination, diagnosis=v.diagnosis, icd10_code=v.icd10_code, severity=v.severity,
        diagnosis_notes=v.diagnosis_notes, prescription=v.prescription_text,
        medications=[wire.MedicationOut(**line) for line in v.prescription], prescription_notes=v.prescription_notes,
        notes=v.notes, private_notes=private, created_at=v.created_at, updated_at=v.updated_at)


def _updated(v: Visit) -> dict:
    return wire.VisitUpdated(visit_id=ids.render(ids.VISIT, v.id), updated_at=v.updated_at).dump()


@router.get("/doctors/{doctorId}/patients/{patientId}/visits", response_model=Envelope[wire.VisitHistory],
            summary="A patient's visits with a doctor")
async def visit_history(doctor_id: ids.DoctorIdPath, patient_id: ids.PatientIdPath, principal: ClinicMember,
                        limit: Annotated[int | None, Query()] = None, offset: Annotated[int, Query(ge=0)] = 0,
                        ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Newest first; private notes are never in a list. Audited as a read of the patient's visits."""
    record, found, total = await visits.history(session, principal, doctor_id, patient_id, limit=clamp_limit(limit),
                                                offset=offset, ip=ip)
    patient = wire.VisitPatient(patient_id=ids.render(ids.PATIENT, record.patient_id), patient_phone=record.phone,
                                name=record.record.full_name)
    return ok(wire.VisitHistory(patient=patient, visits=[_item(v) for v in found], total_count=total).dump())


@router.post("/doctors/{doctorId}/patients/{patientId}/visits", status_code=201,
             response_model=Envelope[wire.VisitCreated], summary="Record a visit")
async def create_visit(doctor_id: ids.DoctorIdPath, patient_id: ids.PatientIdPath, body: wire.NewVisit,
                       principal: ClinicMember, ip: str = Depends(client_ip),
                       session: AsyncSession = Depends(get_db)):
    """For a patient in the doctor's care; ``visitDate`` defaults to today at the clinic, never in the future."""
    # The live queue's token ids come with the queue; until then ``visits.create`` knows no token (404).
    token_id = None if body.token_id is None else ids.parse("tkn", body.token_id, field="tokenId")
    visit = await visits.create(session, principal, doctor_id, patient_id, visit_date=body.visit_date,
                                token_id=token_id,
                                chief_complaint=body.chief_complaint, vitals=_vitals(body.vital_signs),
                                examination=body.examination, ip=ip)
    data = wire.VisitCreated(visit_id=ids.render(ids.VISIT, visit.id),
                             patient_id=ids.render(ids.PATIENT, visit.patient_id),
                             doctor_id=ids.render(ids.DOCTOR, visit.clinician_id), created_at=visit.created_at)
    return created(data.dump(), "Visit record created successfully")


@router.get("/visits/{visitId}", response_model=Envelope[wire.VisitOne], summary="A visit record")
async def get_visit(visit_id: ids.VisitIdPath, principal: ClinicMember, ip: str = Depends(client_ip),
                    session: AsyncSession = Depends(get_db)):
    """``privateNotes``: the notes on the visit this caller may read (a private one: its author and the clinic
    admin), oldest first, separated by a blank line; null when none. Audited."""
    view = await visits.get(session, principal, visit_id, ip=ip)
    return ok(wire.VisitOne(visit=_detail(view)).dump())


@router.put("/visits/{visitId}", response_model=Envelope[wire.VisitUpdated], summary="Update a visit record")
async def update_visit(visit_id: ids.VisitIdPath, body: wire.VisitChanges, principal: ClinicMember,
                       ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    changes = {_CORE_NAMES.get(name, name): value for name, value in body.given().items()}
    if "vitals" in changes:
        changes["vitals"] = _vitals(body.vital_signs) or {}
    visit = await visits.update(session, principal, visit_id, changes=changes, ip=ip)
    return ok(_updated(visit), "Visit record updated successfully")


@router.post("/visits/{visitId}/diagnosis", response_model=Envelope[wire.DiagnosisSet],
             summary="Set a visit's diagnosis (ICD-10)")
async def set_diagnosis(visit_id: ids.VisitIdPath, body: wire.Diagnosis, principal: ClinicMember,
                        ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """``icd10Code`` must be a WHO ICD-10 category or subcategory (``I10``, ``E11.9``); without ``diagnosis`` its
    WHO description is the diagnosis."""
    visit = await visits.diagnose(session, principal, visit_id, icd10_code=body.icd10_code,
                                  diagnosis=body.diagnosis, severity=body.severity, notes=body.notes, ip=ip)
    data = wire.DiagnosisSet(visit_id=ids.render(ids.VISIT, visit.id), diagnosis=visit.diagnosis,
                             updated_at=visit.updated_at)
    return ok(data.dump(), "Diagnosis updated successfully")


@router.post("/visits/{visitId}/prescription", response_model=Envelope[wire.PrescriptionSet],
             summary="Set a visit's prescription")
async def set_prescription(visit_id: ids.VisitIdPath, body: wire.Prescription, principal: ClinicMember,
                           ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """Replaces the visit's prescription (one per visit, so ``prescriptionId`` stays the same)."""
    visit = await visits.prescribe(session, principal, visit_id,
                                   medications=[m.model_dump() for m in body.medications], notes=body.notes, ip=ip)
    data = wire.PrescriptionSet(visit_id=ids.render(ids.VISIT, visit.id),
                                prescription_id=ids.render(ids.PRESCRIPTION, visit.id), updated_at=visit.updated_at)
    return ok(data.dump(), "Prescription updated successfully")


@router.post("/visits/{visitId}/notes", status_code=201, response_model=Envelope[wire.NoteAdded],
             summary="Add a private note to a visit")
async def add_visit_note(visit_id: ids.VisitIdPath, body: wire.PrivateNote, principal: ClinicMember,
                         ip: str = Depends(client_ip), session: AsyncSession = Depends(get_db)):
    """A confidential note (the default) is readable only by its author and the clinic admin, never in lists."""
    note = await visits.add_note(session, principal, visit_id, text=body.private_notes,
                                 confidential=body.is_confidential, ip=ip)
    data = wire.NoteAdded(visit_id=ids.render(ids.VISIT, visit_id), notes_id=ids.render(ids.NOTE, note.id),
                          is_confidential=note.is_private, created_at=note.created_at)
    return created(data.dump(), "Private notes added successfully")
