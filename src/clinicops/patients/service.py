"""Staff use cases on patients: search, record, walk-in registration, profile update, medical notes.

Every read of a patient's record and every write is audited in the request's transaction (invariant 10). A
patient outside the caller's scope (or missing) is a 404, audited as DENIED in its own unit of work because
the 404 rolls the request's transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.errors import ValidationFailed
from clinicops.kit import timezones
from clinicops.patients import registry, repository
from clinicops.patients.exceptions import DuplicatePatient, PatientNotFound
from clinicops.patients.models import BLOOD_GROUPS, GENDERS, ClinicalNote, Patient
from clinicops.patients.repository import PatientRow

# Profile fields staff may set (the wire layer maps its names onto these; nothing else is ever bound).
PROFILE_FIELDS = ("full_name", "first_name", "last_name", "phone", "email", "date_of_birth", "age", "gender",
                  "blood_group", "address", "emergency_contact_name", "emergency_contact_phone")
NOTE_MAX = 10_000


@dataclass
class PatientView:
    """A patient as staff see them: the list row and, for the detail, the medical notes. (The appointments and
    payments of a record are added above this package, by ``appointments.records``.)"""

    patient: Patient
    mrn: str | None
    username: str | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, row: PatientRow, **record: Any) -> PatientView:
        return cls(row.patient, row.mrn, username=row.username, **record)


def split_name(full_name: str) -> tuple[str, str | None]:
    first, _, last = full_name.strip().partition(" ")
    return first, (last.strip() or None)


async def _visible(session: AsyncSession, principal: Principal, patient_id: int, *, action: str,
                   ip: str | None) -> Patient:
    patient = await repository.visible(session, principal, patient_id)
    if patient is None:
        audit.record_denied(session, principal, action=action, resource_type="patient", resource_id=patient_id,
                            ip=ip)
        raise PatientNotFound()
    return patient


async def _listed(session: AsyncSession, principal: Principal, patient: Patient, **record: Any) -> PatientView:
    """``patient`` as the lists show it (MRN, username), plus ``record``."""
    found = await repository.row(session, principal, patient.id)
    assert found is not None, patient.id  # the caller has just seen (or registered) it
    return PatientView.of(found, **record)


async def list_patients(session: AsyncSession, principal: Principal, *, search: str | None = None,
                        phone: str | None = None, limit: int = 20, offset: int = 0,
                        ip: str | None = None) -> tuple[list[PatientView], int]:
    rows, total = await repository.search(session, principal, text=search, phone=phone, limit=limit,
                                          offset=offset)
    await audit.record(session, principal, action="patient.search", resource_type="patient", ip=ip,
                       details={"returned": len(rows), "total": total})
    return [PatientView.of(r) for r in rows], total


async def get_patient(session: AsyncSession, principal: Principal, patient_id: int, *,
                      ip: str | None = None) -> PatientView:
    patient = await _visible(session, principal, patient_id, action="patient.read", ip=ip)
    notes = await repository.notes_of(session, principal, patient.id)
    record = await _listed(session, principal, patient, notes=notes)
    await audit.record(session, principal, action="patient.read", resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip)
    return record


async def open_record(session: AsyncSession, principal: Principal, patient_id: int, *, action: str,
                      ip: str | None = None) -> Patient:
    """A patient the caller may read, for a read of part of their record (``action``, audited); 404 otherwise."""
    patient = await _visible(session, principal, patient_id, action=action, ip=ip)
    await audit.record(session, principal, action=action, resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip)
    return patient


async def patient_notes(session: AsyncSession, principal: Principal, patient_id: int, *,
                        ip: str | None = None) -> list[dict[str, Any]]:
    patient = await _visible(session, principal, patient_id, action="patient.notes.read", ip=ip)
    rows = await repository.notes_of(session, principal, patient.id)
    await audit.record(session, principal, action="patient.notes.read", resource_type="patient",
                       resource_id=patient.id, patient_id=patient.id, ip=ip)
    return rows


async def add_note(session: AsyncSession, principal: Principal, patient_id: int, *, text: str,
                   ip: str | None = None) -> dict[str, Any]:
    patient = await _visible(session, principal, patient_id, action="patient.note.create", ip=ip)
    body = (text or "").strip()
    if not body:
        raise ValidationFailed("note_text", "note_text is required")
    if len(body) > NOTE_MAX:
        raise ValidationFailed("note_text", f"note_text must be at most {NOTE_MAX} characters")
    assert principal.organization_id is not None
    note = await repository.add_note(session, ClinicalNote(
        organization_id=principal.organization_id, patient_id=patient.id, author_user_id=principal.user_id,
        clinician_id=principal.clinician_id, body=body))
    await audit.record(session, principal, action="patient.note.create", resource_type="clinical_note",
                       resource_id=note.id, patient_id=patient.id, ip=ip)
    return {"note": note, "author_name": principal.full_name}


def _check_profile(values: dict[str, Any]) -> None:
    born = values.get("date_of_birth")
    if born is not None and born > timezones.utcnow().date():
        raise ValidationFailed("date_of_birth", "date_of_birth cannot be in the future")
    if values.get("gender") is not None and values["gender"] not in GENDERS:
        raise ValidationFailed("gender", f"gender must be one of {', '.join(GENDERS)}")
    if values.get("blood_group") is not None and values["blood_group"] not in BLOOD_GROUPS:
        raise ValidationFailed("blood_group", f"blood_group must be one of {', '.join(BLOOD_GROUPS)}")


def _names(values: dict[str, Any], patient: Patient | None = None) -> dict[str, Any]:
    """first/last/full name kept consistent whichever of them the caller sent."""
    first = values.get("first_name", patient.first_name if patient else None)
    last = values.get("last_name", patient.last_name if patient else None)
    if values.get("full_name") and values.get("first_name") is None and values.get("last_name") is None:
        first, last = split_name(values["full_name"])
    full = registry.full_name_of(first, last)
    if not full:
        raise ValidationFailed("full_name", "full_name (or first_name) is required")
    return {"first_name": first, "last_name": last, "full_name": full}


async def create_patient(session: AsyncSession, principal: Principal, *, phone: str, ip: str | None = None,
                         **profile: Any) -> PatientView:
    """Register a walk-in with the caller's organization (409 if this organization already has the phone).

    A person already known to another organization (or from the website) keeps their record; only empty fields
    are filled from this form, and they become registered here too.
    """
    assert principal.organization_id is not None and not set(profile) - set(PROFILE_FIELDS), profile
    values = {k: v for k, v in profile.items() if v is not None} | _names(profile)
    _check_profile(values)
    existing = await registry.by_phone(session, phone)
    if existing is not None and await repository.is_registered(
            session, organization_id=principal.organization_id, patient_id=existing.id):
        raise DuplicatePatient()
    patient, _created = await registry.find_or_create(
        session, phone=phone, organization_id=None, first_name=values["first_name"], last_name=values["last_name"],
        email=values.get("email"), source="WALK_IN")
    for name, value in values.items():
        if getattr(patient, name) in (None, "", []):
            setattr(patient, name, value)
    if not await repository.register(session, organization_id=principal.organization_id, patient_id=patient.id,
                                     source="WALK_IN"):
        raise DuplicatePatient()  # registered by a concurrent request a moment ago
    patient = await repository.save(session, patient)
    await audit.record(session, principal, action="patient.create", resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip)
    return await _listed(session, principal, patient)


async def _change_phone(session: AsyncSession, patient: Patient, phone: str) -> None:
    if phone == patient.phone:
        return
    if await repository.phone_in_use(session, phone, except_patient_id=patient.id):
        raise DuplicatePatient("Another patient already has this phone number")
    login = await repository.login_of(session, patient)
    if login is not None:
        login.phone = phone  # the patient signs in with the new number from now on
    patient.phone = phone


async def update_patient(session: AsyncSession, principal: Principal, patient_id: int, *,
                         changes: dict[str, Any], ip: str | None = None) -> PatientView:
    assert not set(changes) - set(PROFILE_FIELDS), changes
    patient = await _visible(session, principal, patient_id, action="patient.update", ip=ip)
    values = dict(changes)
    if {"full_name", "first_name", "last_name"} & set(values):
        values |= _names(values, patient)
    if "phone" in values:
        if not values["phone"]:
            raise ValidationFailed("phone", "phone cannot be empty")
        await _change_phone(session, patient, values.pop("phone"))
    _check_profile(values)
    for name, value in values.items():
        setattr(patient, name, value)
    patient = await repository.save(session, patient)
    await audit.record(session, principal, action="patient.update", resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip, details={"fields": sorted(changes)})
    return await _listed(session, principal, patient)
