"""Doctor–patient associations (spec 6.5): a doctor's patient list, associate, read, update, remove.

An association is the doctor's relationship with a patient at their clinic (``care_relationships``); a doctor
opens only their own (another doctor's id: 404), the clinic admin any of the clinic's doctors
(``authz.scopes.doctor_records``). Associating a phone the clinic does not know yet records the patient at the
clinic first. Removing ends the relationship (status INACTIVE) and keeps every record; associating again revives
it. Reads of the patient record through an association are audited like any patient read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import service as audit
from clinicops.authz.principal import Principal
from clinicops.clinicians.models import Clinician
from clinicops.errors import ValidationFailed
from clinicops.kit import timezones
from clinicops.patients import association_repository as repository
from clinicops.patients import profiles
from clinicops.patients.association_repository import AssociationRow
from clinicops.patients.exceptions import AlreadyAssociated, AssociationNotFound, DoctorInactive, DoctorNotFound
from clinicops.patients.models import CareRelationship

PREFERRED_TIMES = ("MORNING", "AFTERNOON", "EVENING", "ANY")
COMMUNICATION_METHODS = ("WHATSAPP", "SMS", "CALL", "EMAIL")
NOTES_MAX = 5_000


@dataclass(frozen=True)
class Association:
    """A doctor's patient: the association and the clinic's record of the patient, with the doctor's visits."""

    relationship: CareRelationship
    patient: profiles.PatientRecord

    @property
    def last_visit_date(self) -> date | None:
        return self.patient.last_visit_date

    @property
    def total_visits(self) -> int:
        return self.patient.total_visits


def _of(row: AssociationRow, today: date) -> Association:
    record = profiles.PatientRecord(
        row.relationship.patient_id, row.phone, row.record, profiles.age_on(row.record.date_of_birth, row.record.age,
                                                                       today),
        last_visit_date=row.last_visit_date, total_visits=row.total_visits, associated=True)
    return Association(row.relationship, record)


def checked_preferences(values: dict[str, Any]) -> dict[str, Any]:
    """Preferences with snake_case keys ``preferred_time`` and ``communication_method``, each from its list."""
    allowed = {"preferred_time": PREFERRED_TIMES, "communication_method": COMMUNICATION_METHODS}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in allowed:
            raise ValidationFailed(f"preferences.{key}", f"preferences.{key} is not a known preference")
        if value is None:
            continue
        if value not in allowed[key]:
            raise ValidationFailed(f"preferences.{key}", f"preferences.{key} must be one of {', '.join(allowed[key])}")
        out[key] = value
    return out


async def doctor(session: AsyncSession, principal: Principal, clinician_id: int) -> Clinician:
    """A doctor whose records the caller may open (a doctor: themselves; the admin: any of the clinic's)."""
    found = await repository.doctor(session, principal, clinician_id)
    if found is None:
        raise DoctorNotFound()
    return found


async def patients_of(session: AsyncSession, principal: Principal, clinician_id: int, *, limit: int = 20,
                      offset: int = 0, ip: str | None = None) -> tuple[list[Association], int]:
    """The doctor's patients, newest association first; the list is audited as one read."""
    found = await doctor(session, principal, clinician_id)
    rows, total = await repository.page(session, principal, found.id, limit=limit, offset=offset)
    await audit.record(session, principal, action="association.list", resource_type="doctor",
                       resource_id=found.id, ip=ip, details={"returned": len(rows), "total": total})
    if not rows:
        return [], total
    today = timezones.today_in(timezones.zone(rows[0].zone))  # the page read the clinic's zone
    return [_of(r, today) for r in rows], total


async def associate(session: AsyncSession, principal: Principal, clinician_id: int, *, phone: str,
                    patient_name: str | None = None, age: int | None = None, gender: str | None = None,
                    preferences: dict[str, Any] | None = None, ip: str | None = None) -> Association:
    """Put the patient with this phone in the doctor's care (recording them at the clinic if new there;
    the clinic's existing record keeps what it has, only empty fields are filled). 409 when already associated,
    or when the doctor has been removed."""
    found = await doctor(session, principal, clinician_id)
    if not found.is_active:
        raise DoctorInactive()
    prefs = checked_preferences(preferences or {})
    record, created = await profiles.register(session, principal, phone=phone, source="ASSOCIATION",
                                              profile={"full_name": patient_name, "age": age, "gender": gender})
    if not record.record.full_name:
        raise ValidationFailed("patient_name", "patient_name is required for a patient new to the clinic")
    relationship = await repository.any_of(session, clinician_id=found.id, patient_id=record.patient_id, lock=True)
    if relationship is not None and relationship.status == "ACTIVE":
        raise AlreadyAssociated()
    if relationship is None:
        relationship = await repository.add(session, CareRelationship(
            organization_id=found.organization_id, clinician_id=found.id, patient_id=record.patient_id,
            preferences=prefs))
    else:  # associated before and removed: the relationship resumes from today
        relationship.status, relationship.since = "ACTIVE", timezones.utcnow()
        relationship.preferences = {**relationship.preferences, **prefs}
        relationship = await repository.save(session, relationship)
    await audit.record(session, principal, action="association.create", resource_type="association",
                       resource_id=relationship.id, patient_id=record.patient_id, ip=ip,
                       details={"patient_recorded": created})
    return Association(relationship, record)


async def _one(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *, action: str,
               ip: str | None, lock: bool = False) -> AssociationRow:
    found = await doctor(session, principal, clinician_id)
    row = await repository.one(session, principal, found.id, patient_id, lock=lock)
    if row is None:
        audit.record_denied(session, principal, action=action, resource_type="patient", resource_id=patient_id,
                            ip=ip)
        raise AssociationNotFound()
    return row


async def get(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
              ip: str | None = None) -> Association:
    """The doctor's patient with the relationship and the clinic's medical history of them (audited read)."""
    row = await _one(session, principal, clinician_id, patient_id, action="association.read", ip=ip)
    await audit.record(session, principal, action="association.read", resource_type="association",
                       resource_id=row.relationship.id, patient_id=row.relationship.patient_id, ip=ip)
    return _of(row, timezones.today_in(timezones.zone(row.zone)))


async def update(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
                 preferences: dict[str, Any] | None = None, notes: str | None = None,
                 ip: str | None = None) -> CareRelationship:
    """Change the relationship's preferences (the given ones) and notes."""
    row = await _one(session, principal, clinician_id, patient_id, action="association.update", ip=ip, lock=True)
    relationship = row.relationship
    if preferences is not None:
        relationship.preferences = {**relationship.preferences, **checked_preferences(preferences)}
    if notes is not None:
        if len(notes) > NOTES_MAX:
            raise ValidationFailed("notes", f"notes must be at most {NOTES_MAX} characters")
        relationship.notes = notes.strip() or None
    relationship = await repository.save(session, relationship)
    await audit.record(session, principal, action="association.update", resource_type="association",
                       resource_id=relationship.id, patient_id=row.relationship.patient_id, ip=ip)
    return relationship


async def remove(session: AsyncSession, principal: Principal, clinician_id: int, patient_id: int, *,
                 ip: str | None = None) -> datetime:
    """End the relationship (its visits and notes stay); returns when."""
    row = await _one(session, principal, clinician_id, patient_id, action="association.remove", ip=ip, lock=True)
    row.relationship.status = "INACTIVE"
    relationship = await repository.save(session, row.relationship)
    await audit.record(session, principal, action="association.remove", resource_type="association",
                       resource_id=relationship.id, patient_id=row.relationship.patient_id, ip=ip)
    return relationship.updated_at
