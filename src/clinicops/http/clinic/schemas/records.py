"""Wire models of the care-record routes: patients (6.4), doctor–patient associations (6.5), visits (6.8) and a
patient's audit trail. Field for field as section 6 shows them; additions are named in docs/clinic-api.md."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

from clinicops.http.clinic import ids
from clinicops.http.clinic.schemas.base import Body, Phone, PhoneOut, Wire
from clinicops.http.responses import Instant, one_of
from clinicops.patients.associations import COMMUNICATION_METHODS, PREFERRED_TIMES
from clinicops.patients.models import BLOOD_GROUPS, GENDERS
from clinicops.visits.models import Severity, VisitStatus

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(value: object) -> date:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return date.fromisoformat(value)  # an impossible date (2025-02-30) is a ValueError too


# A calendar day, YYYY-MM-DD on the wire.
Day = Annotated[date, BeforeValidator(_day), WithJsonSchema({"type": "string", "format": "date",
                                                             "examples": ["1980-05-15"]})]
Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Rajesh Kumar"])]
Age = Annotated[int, Field(ge=0, le=150, examples=[45])]
Gender = one_of(GENDERS)
BloodGroup = one_of(BLOOD_GROUPS)
Item = Annotated[str, Field(min_length=1, max_length=200)]
Items = Annotated[list[Item], Field(max_length=50, examples=[["Penicillin", "Dust"]])]
Text = Annotated[str, Field(max_length=10_000)]
Short = Annotated[str, Field(max_length=50)]
Address = Annotated[str, Field(max_length=2_000, examples=["123 ABC Street, Mumbai"])]


# --- patients (6.4) -------------------------------------------------------------------------------------------------

class NewPatient(Body):
    """``POST /patients``. ``age`` and ``currentMedications`` are accepted besides section 6.4's fields."""

    phone: Phone
    name: Name
    date_of_birth: Day | None = None
    age: Age | None = None
    gender: Gender | None = None
    address: Address | None = None
    emergency_contact: Phone | None = None
    blood_group: BloodGroup | None = None
    allergies: Items = []
    chronic_conditions: Items = []
    current_medications: Items = []


class PatientChanges(Body):
    """``PUT /patients/{patientId}``: the fields sent change (null clears one); the phone is the person's and
    stays."""

    name: Name | None = None
    date_of_birth: Day | None = None
    age: Age | None = None
    gender: Gender | None = None
    address: Address | None = None
    emergency_contact: Phone | None = None
    blood_group: BloodGroup | None = None
    allergies: Items | None = None
    chronic_conditions: Items | None = None
    current_medications: Items | None = None


class PatientFound(Wire):
    patient_id: ids.PatientIdOut
    phone: PhoneOut
    name: str | None
    age: int | None
    gender: str | None
    last_visit: date | None
    total_visits: int
    is_associated_with_doctor: bool


class PatientSearch(Wire):
    patients: list[PatientFound]
    total_found: int
    search_term: str | None


class PatientCreated(Wire):
    patient_id: ids.PatientIdOut
    phone: PhoneOut
    name: str | None
    age: int | None
    gender: str | None
    blood_group: str | None
    allergies: list[str]
    created_at: Instant


class PatientDetail(Wire):
    patient_id: ids.PatientIdOut
    patient_phone: PhoneOut
    name: str | None
    date_of_birth: date | None
    age: int | None
    gender: str | None
    address: str | None
    emergency_contact: str | None
    blood_group: str | None
    allergies: list[str]
    chronic_conditions: list[str]
    current_medications: list[str]
    created_at: Instant
    updated_at: Instant


class PatientOne(Wire):
    patient: PatientDetail


class PatientUpdated(Wire):
    patient_id: ids.PatientIdOut
    updated_at: Instant


class AuditEntry(Wire):
    action: str
    resource_type: str
    resource_id: str | None
    actor_id: ids.UserIdOut | None
    actor_role: str | None
    outcome: str
    at: Instant


class AuditTrail(Wire):
    events: list[AuditEntry]
    total_count: int


# --- associations (6.5) ---------------------------------------------------------------------------------------------

class Preferences(Body):
    preferred_time: one_of(PREFERRED_TIMES) | None = None
    communication_method: one_of(COMMUNICATION_METHODS) | None = None


class PreferencesOut(Wire):
    preferred_time: str | None
    communication_method: str | None


class NewAssociation(Body):
    """``POST /doctors/{doctorId}/patients``: ``patientName`` may be left out for a patient the clinic knows."""

    patient_phone: Phone
    patient_name: Name | None = None
    age: Age | None = None
    gender: Gender | None = None
    preferences: Preferences | None = None


class AssociationChanges(Body):
    preferences: Preferences | None = None
    notes: Annotated[str, Field(max_length=5_000)] | None = None


class DoctorsPatient(Wire):
    patient_id: ids.PatientIdOut
    patient_phone: PhoneOut
    name: str | None
    age: int | None
    gender: str | None
    association_date: Instant
    last_visit_date: date | None
    total_visits: int
    preferences: PreferencesOut


class DoctorsPatients(Wire):
    patients: list[DoctorsPatient]
    total_count: int


class MedicalHistory(Wire):
    allergies: list[str]
    chronic_conditions: list[str]
    current_medications: list[str]


class DoctorsPatientDetail(DoctorsPatient):
    notes: str | None
    medical_history: MedicalHistory


class DoctorsPatientOne(Wire):
    patient: DoctorsPatientDetail


class AssociationCreated(Wire):
    association_id: ids.AssociationIdOut
    patient_id: ids.PatientIdOut
    patient_phone: PhoneOut
    doctor_id: ids.DoctorIdOut
    association_date: Instant


class AssociationRemoved(Wire):
    patient_id: ids.PatientIdOut
    removed_at: Instant


# --- visits (6.8) ---------------------------------------------------------------------------------------------------

class VitalSigns(Body):
    blood_pressure: Short | None = None
    pulse: Short | None = None
    temperature: Short | None = None
    weight: Short | None = None


class VitalSignsOut(Wire):
    blood_pressure: str | None = None
    pulse: str | None = None
    temperature: str | None = None
    weight: str | None = None


class NewVisit(Body):
    """``POST /doctors/{doctorId}/patients/{patientId}/visits``. ``tokenId``: visits from queue tokens come with
    the live queue; until then any token id is not found (404)."""

    token_id: str | None = None
    visit_date: Day | None = None
    chief_complaint: Text | None = None
    vital_signs: VitalSigns | None = None
    examination: Text | None = None


class VisitChanges(Body):
    """``PUT /visits/{visitId}``: section 6.8's fields, and ``chiefComplaint``, ``vitalSigns``, ``status``."""

    chief_complaint: Text | None = None
    vital_signs: VitalSigns | None = None
    examination: Text | None = None
    diagnosis: Text | None = None
    prescription: Text | None = None
    notes: Text | None = None
    status: one_of(VisitStatus) | None = None


class Diagnosis(Body):
    icd10_code: Annotated[str, Field(min_length=1, max_length=10, examples=["I10"])]
    diagnosis: Text | None = None
    severity: one_of(Severity) | None = None
    notes: Text | None = None


class Medication(Body):
    name: Annotated[str, Field(min_length=1, max_length=300, examples=["Amlodipine"])]
    strength: Annotated[str, Field(max_length=300, examples=["5mg"])] | None = None
    frequency: Annotated[str, Field(max_length=300, examples=["Once daily"])] | None = None
    duration: Annotated[str, Field(max_length=300, examples=["30 days"])] | None = None
    instructions: Annotated[str, Field(max_length=300, examples=["Take in the morning"])] | None = None


class Prescription(Body):
    medications: Annotated[list[Medication], Field(min_length=1, max_length=30)]
    notes: Text | None = None


class PrivateNote(Body):
    private_notes: Annotated[str, Field(min_length=1, max_length=10_000)]
    is_confidential: bool = True


class MedicationOut(Wire):
    name: str
    strength: str | None
    frequency: str | None
    duration: str | None
    instructions: str | None


class VisitListItem(Wire):
    visit_id: ids.VisitIdOut
    date: date
    token_id: str | None
    status: str
    diagnosis: str | None
    prescription: str | None
    notes: str | None
    created_at: Instant


class VisitPatient(Wire):
    patient_id: ids.PatientIdOut
    patient_phone: PhoneOut
    name: str | None


class VisitHistory(Wire):
    patient: VisitPatient
    visits: list[VisitListItem]
    total_count: int


class VisitCreated(Wire):
    visit_id: ids.VisitIdOut
    patient_id: ids.PatientIdOut
    doctor_id: ids.DoctorIdOut
    created_at: Instant


class VisitDetail(Wire):
    visit_id: ids.VisitIdOut
    patient_id: ids.PatientIdOut
    patient_phone: PhoneOut
    patient_name: str | None
    doctor_id: ids.DoctorIdOut
    doctor_name: str
    visit_date: date
    token_id: str | None
    status: str
    chief_complaint: str | None
    vital_signs: VitalSignsOut
    examination: str | None
    diagnosis: str | None
    icd10_code: str | None
    severity: str | None
    diagnosis_notes: str | None
    prescription: str | None
    medications: list[MedicationOut]
    prescription_notes: str | None
    notes: str | None
    private_notes: str | None
    created_at: Instant
    updated_at: Instant


class VisitOne(Wire):
    visit: VisitDetail


class VisitUpdated(Wire):
    visit_id: ids.VisitIdOut
    updated_at: Instant


class DiagnosisSet(Wire):
    visit_id: ids.VisitIdOut
    diagnosis: str | None
    updated_at: Instant


class PrescriptionSet(Wire):
    visit_id: ids.VisitIdOut
    prescription_id: ids.PrescriptionIdOut
    updated_at: Instant


class NoteAdded(Wire):
    visit_id: ids.VisitIdOut
    notes_id: ids.NoteIdOut
    is_confidential: bool
    created_at: Instant
