"""A patient's data rights at the clinic (admin only): export the record (JSON or PDF), carry out an erasure.

    GET  /api/v1/patients/{patientId}/export?format=json|pdf
    POST /api/v1/patients/{patientId}/erasure   {"reason"?: "..."}

A doctor gets 403; a patient the clinic has not registered (another clinic's included, or a malformed id) 404.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicAdmin
from clinicops.http.clinic.ids import PatientIdPath
from clinicops.http.clinic.schemas.data_rights import (ErasureBody, ErasureDone, ExportAssociation, ExportClinic,
                                                       ExportErasure, ExportPatient, ExportVisit, PatientExport)
from clinicops.http.deps import get_db
from clinicops.http.envelope import ok
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.privacy import pdf
from clinicops.privacy import service as privacy

router = new_router(tags=["clinic: data rights"])

PDF_RESPONSE = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                      "description": "The record as JSON (format=json, the default) or as a PDF (format=pdf)"}}


@router.get("/patients/{patientId}/export", response_model=Envelope[PatientExport], responses=PDF_RESPONSE,
            summary="Export a patient's record (JSON or PDF)")
async def export_patient(patient_id: PatientIdPath, principal: ClinicAdmin,
                         file_format: Literal["json", "pdf"] = Query("json", alias="format"),
                         session: AsyncSession = Depends(get_db)) -> Response:
    """This clinic's record of the patient only (no private notes); audited. Admin only."""
    record = await privacy.export_record(session, principal, patient_id, file_format=file_format)
    name = f"patient-{ids.render(ids.PATIENT, patient_id)}"
    if file_format == "pdf":
        return Response(pdf.render(record), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    response = ok(_export(record).dump())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@router.post("/patients/{patientId}/erasure", response_model=Envelope[ErasureDone],
             summary="Carry out a patient's erasure request")
async def erase_patient(patient_id: PatientIdPath, principal: ClinicAdmin, body: ErasureBody | None = None,
                        session: AsyncSession = Depends(get_db)) -> JSONResponse:
    """Erases what the clinic may (contact details, association notes, message texts) and keeps the medical
    record the law requires (until ``retainUntil``); audited. Admin only."""
    done = await privacy.erase(session, principal, patient_id, reason=body.reason if body else None)
    return ok(ErasureDone(patient_id=ids.render(ids.PATIENT, done.patient_id), erased=done.erased,
                          retained=done.retained, retain_until=done.retain_until, completed_at=done.at).dump(),
              "Erasure request carried out")


def _camel(value: Any) -> Any:
    """Keys of stored free-form JSON (vital signs, medication lines) as this surface names fields."""
    if isinstance(value, dict):
        return {to_camel(str(k)): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _export(record: privacy.PatientRecord) -> PatientExport:
    p = record.profile
    return PatientExport(
        clinic=ExportClinic(clinic_id=ids.render(ids.CLINIC, record.clinic_id), name=record.clinic_name),
        generated_at=record.generated_at,
        patient=ExportPatient(
            patient_id=ids.render(ids.PATIENT, record.patient_id), patient_phone=record.phone, mrn=p.mrn,
            name=p.full_name, date_of_birth=p.date_of_birth, age=record.age, gender=p.gender,
            blood_group=p.blood_group,
            address=p.address, emergency_contact=p.emergency_contact, allergies=list(p.allergies or []),
            chronic_conditions=list(p.chronic_conditions or []),
            current_medications=list(p.current_medications or []),
            registered_at=p.created_at),
        associations=[ExportAssociation(
            association_id=ids.render(ids.ASSOCIATION, a.care.id),
            doctor_id=ids.render(ids.DOCTOR, a.care.clinician_id),
            doctor_name=a.doctor_name, association_date=a.care.since, status=a.care.status,
            total_visits=a.care.visit_count, last_visit_date=a.care.last_visit_at,
            preferences=_camel(a.care.preferences or {}), notes=a.care.notes) for a in record.associations],
        visits=[_visit(entry) for entry in record.visits],
        erasure_requests=[ExportErasure(requested_at=at) for at in record.erasure_dates])


def _visit(entry: privacy.VisitEntry) -> ExportVisit:
    v = entry.visit
    return ExportVisit(
        visit_id=ids.render(ids.VISIT, v.id), doctor_id=ids.render(ids.DOCTOR, v.clinician_id),
        doctor_name=entry.doctor_name, visit_date=v.visit_date, status=v.status, chief_complaint=v.chief_complaint,
        vital_signs=_camel(v.vitals or {}), examination=v.examination, diagnosis=v.diagnosis,
        icd10_code=v.icd10_code, severity=v.severity, diagnosis_notes=v.diagnosis_notes,
        medications=_camel(list(v.prescription or [])), prescription=v.prescription_text,
        prescription_notes=v.prescription_notes, notes=v.notes, follow_up_date=v.follow_up_date,
        created_at=v.created_at, updated_at=v.updated_at)
