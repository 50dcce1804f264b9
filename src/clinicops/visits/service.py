"""Visit records (spec 6.8): a doctor's visit history with a patient, create, read, update, diagnosis,
prescription and private notes.

A visit belongs to one doctor–patient association at one clinic: its doctor and the clinic admin read and write
it, nobody else (``authz.scopes.visits``: another doctor's visit, or another clinic's, is not found). A private
note is readable only by its author and the clinic admin (``authz.scopes.visit_notes``) and is never part of a
list. Every read and write is audited in the request's transaction, with the patient, so it shows in the
patient's audit trail; a refused read is audited as DENIED (invariant 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.errors import InvalidTransition, ValidationFailed
from clinicops.patients import association_repository, associations, profiles
from clinicops.patients.exceptions import AssociationNotFound, DoctorInactive
from clinicops.patients.models import ClinicalNote
from clinicops.visits import prescribing, repository
from clinicops.visits.exceptions import TokenNotFound, VisitNotFound
from clinicops.visits.models import Visit, VisitStatus
from clinicops.visits.repository import VisitRow

VITAL_SIGNS = ("blood_pressure", "pulse", "temperature", "weight")
TEXT_MAX, VITAL_MAX = 10_000, 50
# Fields an edit of the visit may change (``prescription_text``: the prescription as free text).
EDITABLE = ("chief_complaint", "vitals", "examination", "diagnosis", "prescription_text", "notes", "status",
            "follow_up_date")
MOVES: dict[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.DRAFT: frozenset({VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED}),
    VisitStatus.IN_PROGRESS: frozenset({VisitStatus.COMPLETED}),
    VisitStatus.COMPLETED: frozenset(),
}


@dataclass(frozen=True)
class VisitView:
    """A visit as its reader sees it: ``notes`` holds only the notes on it this reader may read."""

    visit: Visit
    patient_phone: str
    patient_name: str | None
    doctor_name: str
    private_notes: list[ClinicalNote]


def _text(field: str, value: str | None, *, maximum: int = TEXT_MAX) -> str | None:
    text = (value or "").strip()
    if len(text) > maximum:
        raise ValidationFailed(field, f"{field} must be at most {maximum} characters")
    return text or None


def _vitals(values: dict[str, Any]) -> dict[str, str]:
    assert not set(values) - set(VITAL_SIGNS), values
    return {key: text for key in VITAL_SIGNS
            if (text := _text(f"vitals.{key}", values.get(key), maximum=VITAL_MAX)) is not None}


async def _visit(session: AsyncSession, principal: Principal, visit_id: int, *, action: str, ip: str | None,
                 lock: bool = False) -> Visit:
    visit = await repository.get(session, principal, visit_id, lock=lock)
    if visit is None:
        audit.record_denied(session, principal, action=action, resource_type="visit", resource_id=visit_id, ip=ip)
        raise VisitNotFound()
    return visit


async def _audited(session: AsyncSession, principal: Principal, visit: Visit, action: str, ip: str | None,
                   **details: Any) -> Visit:
    await audit.record(session, principal, action=action, resource_type="visit", resource_id=visit.id,
                       patient_id=visit.patient_id, ip=ip, details=details or None)
    return visit


async def history(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
                  limit: int = 20, offset: int = 0,
                  ip: str | None = None) -> tuple[profiles.PatientRecord, list[Visit], int]:
    """The doctor's visits with the patient, newest first (no private notes); audited as a read of the
    patient's visits."""
    doctor = await associations.doctor(session, principal, clinician_id)
    record = await profiles.open_record(session, principal, patient_id, action="visit.list", ip=ip)
    visits, total = await repository.page(session, principal, clinician_id=doctor.id, patient_id=record.patient_id,
                                          limit=limit, offset=offset)
    return record, visits, total


async def create(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
                 visit_date: date | None = None, chief_complaint: str | None = None,
                 vitals: dict[str, Any] | None = None, examination: str | None = None, token_id: int | None = None,
                 ip: str | None = None) -> Visit:
    """Record a consultation of the doctor with a patient in their care (dated today in the clinic's zone unless
    given; never in the future). From a queue token once the live queue exists: until then a token id is 404."""
    doctor = await associations.doctor(session, principal, clinician_id)
    if not doctor.is_active:
        raise DoctorInactive()
    if token_id is not None:
        raise TokenNotFound()
    if await association_repository.one(session, principal, doctor.id, patient_id) is None:
        raise AssociationNotFound()
    today = await profiles.clinic_today(session, doctor.organization_id)
    day = visit_date or today
    if day > today:
        raise ValidationFailed("visit_date", "visit_date cannot be in the future")
    visit = await repository.add(session, Visit(
        organization_id=doctor.organization_id, clinician_id=doctor.id, patient_id=patient_id, visit_date=day,
        chief_complaint=_text("chief_complaint", chief_complaint), vitals=_vitals(vitals or {}),
        examination=_text("examination", examination), status=VisitStatus.IN_PROGRESS))
    assert isinstance(visit, Visit)
    return await _audited(session, principal, visit, "visit.create", ip)


async def get(session: AsyncSession, principal: Principal, visit_id: int, *, ip: str | None = None) -> VisitView:
    """The visit with the notes on it the caller may read (audited)."""
    row: VisitRow | None = await repository.detail(session, principal, visit_id)
    if row is None:
        audit.record_denied(session, principal, action="visit.read", resource_type="visit", resource_id=visit_id,
                            ip=ip)
        raise VisitNotFound()
    notes = await repository.notes(session, principal, row.visit.id)
    await _audited(session, principal, row.visit, "visit.read", ip)
    return VisitView(row.visit, row.patient_phone, row.patient_name, row.doctor_name, notes)


def _move(visit: Visit, to: str) -> None:
    try:
        target = VisitStatus(to)
    except ValueError:
        raise ValidationFailed("status", f"status must be one of {', '.join(VisitStatus)}") from None
    current = VisitStatus(visit.status)
    if target != current and target not in MOVES[current]:
        raise InvalidTransition(f"A {current} visit cannot become {target}",
                                details=[{"field": "status", "message": f"cannot go from {current} to {target}"}])
    visit.status = target


async def update(session: AsyncSession, principal: Principal, visit_id: int, *, changes: dict[str, Any],
                 ip: str | None = None) -> Visit:
    """Edit the visit's documentation (only the given fields of :data:`EDITABLE`)."""
    assert not set(changes) - set(EDITABLE), changes
    visit = await _visit(session, principal, visit_id, action="visit.update", ip=ip, lock=True)
    for name, value in changes.items():
        if name == "status":
            _move(visit, value)
        elif name == "vitals":
            visit.vitals = _vitals(value or {})
        elif name == "follow_up_date":
            visit.follow_up_date = value
        else:
            setattr(visit, name, _text(name, value))
    visit = await repository.save(session, visit)
    return await _audited(session, principal, visit, "visit.update", ip, fields=sorted(changes))


async def diagnose(session: AsyncSession, principal: Principal, visit_id: int, *, icd10_code: str,
                   diagnosis: str | None = None, severity: str | None = None, notes: str | None = None,
                   ip: str | None = None) -> Visit:
    """Set the visit's diagnosis: a WHO ICD-10 code (its description is the diagnosis when none is written),
    a severity and notes."""
    code = prescribing.icd10_code(icd10_code)
    level = prescribing.severity(severity)
    visit = await _visit(session, principal, visit_id, action="visit.diagnosis.write", ip=ip, lock=True)
    visit.icd10_code, visit.severity = code.code, level
    visit.diagnosis = _text("diagnosis", diagnosis) or code.description
    visit.diagnosis_notes = _text("notes", notes)
    visit = await repository.save(session, visit)
    return await _audited(session, principal, visit, "visit.diagnosis.write", ip, icd10_code=code.code)


async def prescribe(session: AsyncSession, principal: Principal, visit_id: int, *,
                    medications: list[dict[str, Any]], notes: str | None = None,
                    ip: str | None = None) -> Visit:
    """Set the visit's prescription (replacing the previous one): its medication lines, their summary as the
    prescription's text, and notes. A visit has one prescription."""
    lines = prescribing.medication_lines(medications)
    visit = await _visit(session, principal, visit_id, action="visit.prescription.write", ip=ip, lock=True)
    visit.prescription, visit.prescription_text = lines, prescribing.summary(lines)
    visit.prescription_notes = _text("notes", notes)
    visit = await repository.save(session, visit)
    return await _audited(session, principal, visit, "visit.prescription.write", ip, medicines=len(lines))


async def add_note(session: AsyncSession, principal: Principal, visit_id: int, *, text: str,
                   confidential: bool = True, ip: str | None = None) -> ClinicalNote:
    """Add a note to the visit; a confidential (private) one is readable only by its author and the clinic
    admin, a plain one by whoever reads the visit."""
    body = _text("private_notes", text)
    if body is None:
        raise ValidationFailed("private_notes", "private_notes is required")
    visit = await _visit(session, principal, visit_id, action="visit.note.create", ip=ip)
    note = await repository.add(session, ClinicalNote(
        organization_id=visit.organization_id, patient_id=visit.patient_id, visit_id=visit.id,
        author_user_id=principal.user_id, clinician_id=principal.clinician_id, body=body,
        is_private=confidential))
    assert isinstance(note, ClinicalNote)
    await audit.record(session, principal, action="visit.note.create", resource_type="visit", resource_id=visit.id,
                       patient_id=visit.patient_id, ip=ip, details={"note_id": note.id, "private": confidential})
    return note
