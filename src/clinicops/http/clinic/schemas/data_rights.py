"""Wire models of a patient's data rights: the record export (JSON) and the erasure request."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from clinicops.http.clinic.ids import (AssociationIdOut, ClinicIdOut, DoctorIdOut, PatientIdOut, VisitIdOut)
from clinicops.http.clinic.schemas.base import Body, PhoneOut, Wire
from clinicops.http.responses import Instant


class ExportClinic(Wire):
    clinic_id: ClinicIdOut
    name: str


class ExportPatient(Wire):
    """The patient as this clinic recorded them."""

    patient_id: PatientIdOut
    patient_phone: PhoneOut
    mrn: str
    name: str | None
    date_of_birth: date | None
    age: int | None
    gender: str | None
    blood_group: str | None
    address: str | None
    emergency_contact: str | None
    allergies: list[str]
    chronic_conditions: list[str]
    current_medications: list[str]
    registered_at: Instant


class ExportAssociation(Wire):
    association_id: AssociationIdOut
    doctor_id: DoctorIdOut
    doctor_name: str
    association_date: Instant
    status: str
    total_visits: int
    last_visit_date: Instant | None
    preferences: dict[str, Any]
    notes: str | None


class ExportVisit(Wire):
    """A visit record (private notes are not part of an export)."""

    visit_id: VisitIdOut
    doctor_id: DoctorIdOut
    doctor_name: str
    visit_date: date
    status: str
    chief_complaint: str | None
    vital_signs: dict[str, Any]
    examination: str | None
    diagnosis: str | None
    icd10_code: str | None
    severity: str | None
    diagnosis_notes: str | None
    medications: list[dict[str, Any]]
    prescription: str | None
    prescription_notes: str | None
    notes: str | None
    follow_up_date: date | None
    created_at: Instant
    updated_at: Instant


class ExportErasure(Wire):
    requested_at: Instant


class PatientExport(Wire):
    clinic: ExportClinic
    generated_at: Instant
    patient: ExportPatient
    associations: list[ExportAssociation]
    visits: list[ExportVisit]
    erasure_requests: list[ExportErasure]


class ErasureBody(Body):
    reason: str | None = Field(default=None, max_length=500)


class ErasureDone(Wire):
    patient_id: PatientIdOut
    erased: list[str]
    retained: list[str]
    retain_until: date | None = Field(description="Until when the law makes the clinic keep what is retained; "
                                                  "null: no visit records")
    completed_at: Instant
