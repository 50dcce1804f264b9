"""Patient data rights at a clinic: export one patient's record, carry out an erasure request.

Who may call: the clinic admin (the route decides; a doctor gets 403). Which patient: one the admin's clinic has
registered (``authz.scopes.patient_records``); any other id is 404, another clinic's patient included. What is read:
this clinic's registration, associations and visit records only — nothing another clinic recorded.

Erasure follows one rule (docs/clinic-api.md, section E): the clinic removes what it holds only to be in touch
with the patient, and keeps the medical record, which the law requires it to keep:
- erased now: the contact details this clinic recorded (address, emergency contact); this clinic's associations
  end and lose their preferences and notes; the text of the messages this clinic sent the patient. Nothing
  another clinic recorded is touched (each clinic keeps its own profile of the person, on its registration);
- kept: identity (name, phone, date of birth, gender), medical history, visits with diagnoses, prescriptions and
  notes, appointments and payments, the audit trail — until ``retain_until``: three years after the last visit
  (Indian Medical Council (Professional Conduct, Etiquette and Ethics) Regulations 2002, 1.3.1; the Digital
  Personal Data Protection Act 2023, s. 8(7), lets retention required by law override erasure).
Every export and erasure writes an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.kit.timezones import utcnow
from clinicops.patients import profiles
from clinicops.patients.exceptions import PatientNotFound
from clinicops.patients.models import CareRelationship, Patient, PatientRegistration
from clinicops.privacy import repository as repo
from clinicops.visits.models import Visit

RETENTION_YEARS = 3
ERASED = ("contact details", "association preferences and notes", "message texts")
RETAINED = ("identity", "medical history", "visit records", "prescriptions", "diagnoses", "appointments",
            "payments", "audit trail")


@dataclass(frozen=True)
class Association:
    care: CareRelationship
    doctor_name: str


@dataclass(frozen=True)
class VisitEntry:
    visit: Visit
    doctor_name: str


@dataclass(frozen=True)
class PatientRecord:
    """Everything one clinic holds about one patient, as of ``generated_at`` (private notes excluded)."""

    clinic_id: int
    clinic_name: str
    generated_at: datetime
    patient_id: int
    phone: str
    profile: PatientRegistration  # this clinic's record of the person (MRN, name, birth date, allergies, ...)
    age: int | None  # from the birth date on the clinic's calendar when known, else as recorded
    associations: list[Association]
    visits: list[VisitEntry]
    erasure_dates: list[datetime]


@dataclass(frozen=True)
class ErasureOutcome:
    request_id: int
    patient_id: int
    erased: list[str]
    retained: list[str]
    retain_until: date | None
    at: datetime


async def _record(session: AsyncSession, principal: Principal, patient_id: int, action: str, *,
                  lock: bool = False) -> tuple[Patient, PatientRegistration]:
    found = await repo.readable_record(session, principal, patient_id, lock=lock)
    if found is None:
        audit.record_denied(session, principal, action=action, resource_type="patient", resource_id=patient_id)
        raise PatientNotFound(details=[{"field": "patient_id", "message": "Patient not found"}])
    return found


async def export_record(session: AsyncSession, principal: Principal, patient_id: int, *,
                        file_format: Literal["json", "pdf"]) -> PatientRecord:
    """The patient's record at the caller's clinic, audited as ``patient.export``."""
    patient, profile = await _record(session, principal, patient_id, "patient.export")
    org_id = principal.organization_id
    clinic = await repo.organization(session, org_id)
    record = PatientRecord(
        clinic_id=org_id, clinic_name=clinic.name, generated_at=utcnow(), patient_id=patient_id,
        phone=patient.phone, profile=profile,
        age=profiles.age_on(profile.date_of_birth, profile.age, await profiles.clinic_today(session, org_id)),
        associations=[Association(c, n) for c, n in await repo.associations(session, org_id, patient_id)],
        visits=[VisitEntry(v, n) for v, n in await repo.visits(session, principal, patient_id)],
        erasure_dates=[e.created_at for e in await repo.erasures(session, org_id, patient_id)])
    await audit.record(session, principal, action="patient.export", resource_type="patient",
                       resource_id=patient_id, patient_id=patient_id,
                       details={"format": file_format, "visits": len(record.visits)})
    return record


async def erase(session: AsyncSession, principal: Principal, patient_id: int, *,
                reason: str | None = None) -> ErasureOutcome:
    """Carries out the patient's erasure request at the caller's clinic (see the module's rule); audited."""
    await _record(session, principal, patient_id, "patient.erasure", lock=True)  # one request at a time
    org_id = principal.organization_id
    erased = list(ERASED)
    await repo.clear_contact_details(session, org_id, patient_id)
    await repo.end_associations(session, org_id, patient_id)
    await repo.blank_sent_messages(session, org_id, patient_id)
    last_visit = await repo.last_visit_date(session, org_id, patient_id)
    retain_until = _years_after(last_visit, RETENTION_YEARS) if last_visit else None
    now = utcnow()
    request = repo.add_erasure(session, organization_id=org_id, patient_id=patient_id, user_id=principal.user_id,
                               reason=reason, erased=erased, retained=list(RETAINED), retain_until=retain_until,
                               at=now)
    await session.flush()
    await audit.record(session, principal, action="patient.erasure", resource_type="patient",
                       resource_id=patient_id, patient_id=patient_id,
                       details={"erasure_request_id": request.id, "erased": erased, "retained": list(RETAINED),
                                "retain_until": retain_until.isoformat() if retain_until else None})
    return ErasureOutcome(request.id, patient_id, erased, list(RETAINED), retain_until, now)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
