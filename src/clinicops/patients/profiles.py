"""The clinic surface's patient records: search, create, read, update (spec 6.4), and a patient's audit trail.

A patient is one person per phone across organizations (``patients``), but what a clinic records about them
(name, birth date, allergies, ...) is that clinic's own, kept on its registration of the person
(``PatientRegistration``): another clinic that registers the same phone starts from an empty record and never sees
this one (spec 9.3). A clinic sees a patient only once it has registered them (here, or by associating them with
one of its doctors); a doctor only their own patients (``authz.scopes.patient_records``).

Every read of a patient record and every write is audited in the request's transaction (invariant 10); a refused
read (404) is audited as DENIED in its own unit of work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.audit import repository as audit_events
from clinicops.audit import service as audit
from clinicops.audit.models import AuditEvent
from clinicops.authz.principal import Principal, Role
from clinicops.errors import Forbidden, ValidationFailed
from clinicops.kit import timezones
from clinicops.patients import association_repository
from clinicops.patients import profile_repository as repository
from clinicops.patients import registry
from clinicops.patients.exceptions import DoctorNotFound, DuplicatePatient, PatientNotFound
from clinicops.patients.models import BLOOD_GROUPS, GENDERS, Patient, PatientRegistration, normalize_gender
from clinicops.patients.profile_repository import RecordRow

# What a clinic records about a person (the wire maps its names onto these; nothing else is ever bound).
PROFILE_FIELDS = ("full_name", "date_of_birth", "age", "gender", "blood_group", "address", "emergency_contact",
                  "allergies", "chronic_conditions", "current_medications")
LIST_FIELDS = ("allergies", "chronic_conditions", "current_medications")
LIST_MAX, ITEM_MAX, TEXT_MAX, NAME_MAX = 50, 200, 2_000, 200
OLDEST = date(1900, 1, 1)
_PHONE_PREFIX = re.compile(r"\+?[0-9]{1,15}")


@dataclass(frozen=True)
class PatientRecord:
    """A patient as the caller's clinic recorded them; ``age`` from the birth date (in the clinic's zone) when
    known, else as recorded. The visit figures count the visits the caller may see."""

    patient_id: int
    phone: str
    record: PatientRegistration
    age: int | None
    last_visit_date: date | None = None
    total_visits: int = 0
    associated: bool = False

    @property
    def updated_at(self) -> datetime:
        return self.record.updated_at


def age_on(born: date | None, recorded: int | None, today: date) -> int | None:
    if born is None:
        return recorded
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def clinic_today(session: AsyncSession, organization_id: int) -> date:
    return timezones.today_in(timezones.zone(await repository.zone_name(session, organization_id)))


def of(row: RecordRow, today: date) -> PatientRecord:
    return PatientRecord(row.patient_id, row.phone, row.record, age_on(row.record.date_of_birth, row.record.age,
                                                                       today),
                         row.last_visit_date, row.total_visits, row.associated)


def _items(field: str, values: list[str]) -> list[str]:
    cleaned = [str(v).strip() for v in values if str(v).strip()]
    if len(cleaned) > LIST_MAX:
        raise ValidationFailed(field, f"{field} may list at most {LIST_MAX} items")
    if any(len(v) > ITEM_MAX for v in cleaned):
        raise ValidationFailed(field, f"each of {field} must be at most {ITEM_MAX} characters")
    return list(dict.fromkeys(cleaned))  # in order, without repeats


def checked_profile(values: dict[str, Any], today: date) -> dict[str, Any]:
    """``values`` (a subset of :data:`PROFILE_FIELDS`) checked and normalised; ValidationFailed naming the field."""
    assert not set(values) - set(PROFILE_FIELDS), values
    out = dict(values)
    if "full_name" in out:
        name = (out["full_name"] or "").strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationFailed("full_name", f"full_name is required (at most {NAME_MAX} characters)")
        out["full_name"] = name
    born = out.get("date_of_birth")
    if born is not None and not OLDEST <= born <= today:
        raise ValidationFailed("date_of_birth", "date_of_birth must be a past date after 1900")
    if out.get("age") is not None and not 0 <= out["age"] <= 150:
        raise ValidationFailed("age", "age must be between 0 and 150")
    if out.get("gender") is not None:
        try:
            out["gender"] = normalize_gender(out["gender"])
        except ValueError:
            raise ValidationFailed("gender", f"gender must be one of {', '.join(GENDERS)}") from None
    if out.get("blood_group") is not None and out["blood_group"] not in BLOOD_GROUPS:
        raise ValidationFailed("blood_group", f"blood_group must be one of {', '.join(BLOOD_GROUPS)}")
    if out.get("address") is not None and len(out["address"]) > TEXT_MAX:
        raise ValidationFailed("address", f"address must be at most {TEXT_MAX} characters")
    for field in LIST_FIELDS:
        if field in out:
            out[field] = _items(field, out[field] or [])
    return out


def phone_prefix(value: str | None) -> str | None:
    """A search's phone (or its start) as the start of an E.164 number: ``+9199..`` as given, a national
    ``99887..`` (or ``9199887..``) of an Indian number; ValidationFailed when it is no phone at all."""
    if value is None or not value.strip():
        return None
    text = re.sub(r"[\s()-]", "", value)
    if not _PHONE_PREFIX.fullmatch(text):
        raise ValidationFailed("phone", "phone must be digits, optionally starting with +")
    if text.startswith("+"):
        return text
    if len(text) == 12 and text.startswith("91"):
        return "+" + text
    return "+91" + text.lstrip("0")


async def _visible(session: AsyncSession, principal: Principal, patient_id: int, *, action: str,
                   ip: str | None, lock: bool = False) -> tuple[Patient, PatientRegistration]:
    found = await repository.get(session, principal, patient_id, lock=lock)
    if found is None:
        audit.record_denied(session, principal, action=action, resource_type="patient", resource_id=patient_id,
                            ip=ip)
        raise PatientNotFound(details=[{"field": "patient_id", "message": "Patient not found"}])
    return found


async def open_record(session: AsyncSession, principal: Principal, patient_id: int, *, action: str,
                      ip: str | None = None) -> PatientRecord:
    """The caller's clinic's record of a patient they may read, for a read of (part of) it: audited as
    ``action``; 404 (audited as DENIED) otherwise."""
    patient, record = await _visible(session, principal, patient_id, action=action, ip=ip)
    await audit.record(session, principal, action=action, resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip)
    today = await clinic_today(session, record.organization_id)
    return PatientRecord(patient.id, patient.phone, record, age_on(record.date_of_birth, record.age, today))


async def search(session: AsyncSession, principal: Principal, *, phone: str | None = None,
                 name: str | None = None, doctor_id: int | None = None, limit: int = 20, offset: int = 0,
                 ip: str | None = None) -> tuple[list[PatientRecord], int]:
    """The caller's patients whose phone and/or name start with what was given (all of them when neither), and
    for each whether they are in the care of ``doctor_id`` (a doctor: themselves; an admin: any doctor of the
    clinic when not given). One audit event for the search (a list, not a record read)."""
    assert principal.organization_id is not None
    if doctor_id is not None and await association_repository.doctor(session, principal, doctor_id) is None:
        raise DoctorNotFound()  # another clinic's doctor; for a doctor, anyone but themselves
    if principal.only_own_clinician():
        doctor_id = principal.own_clinician_id
    rows, total = await repository.search(
        session, principal, phone_prefix=phone_prefix(phone), name_prefix=(name or "").strip() or None,
        associated_with=doctor_id, limit=limit, offset=offset)
    await audit.record(session, principal, action="patient.search", resource_type="patient", ip=ip,
                       details={"returned": len(rows), "total": total})
    if not rows:
        return [], total
    today = timezones.today_in(timezones.zone(rows[0].zone))  # the page read the clinic's zone
    return [of(r, today) for r in rows], total


async def register(session: AsyncSession, principal: Principal, *, phone: str, source: str,
                   profile: dict[str, Any]) -> tuple[PatientRecord, bool]:
    """The clinic's record of the person with this phone: made from ``profile`` (checked) when the clinic has
    none (the person is created when unknown anywhere), else the existing one with only its empty fields filled.
    Returns ``(record, created)``; the caller audits. Not scoped: the caller has checked who may register."""
    assert principal.organization_id is not None
    today = await clinic_today(session, principal.organization_id)
    values = checked_profile({k: v for k, v in profile.items() if v is not None}, today)
    patient, _ = await registry.find_or_create(session, phone=phone, organization_id=None, with_login=False)
    record = await repository.register(session, organization_id=principal.organization_id, patient_id=patient.id,
                                       source=source, profile=values)
    created = record is not None
    if record is None:
        record = await repository.record_of(session, organization_id=principal.organization_id,
                                            patient_id=patient.id, lock=True)
        assert record is not None
        for name, value in values.items():
            if getattr(record, name) in (None, "", []):
                setattr(record, name, value)
        record = await repository.save(session, record)
    return PatientRecord(patient.id, patient.phone, record, age_on(record.date_of_birth, record.age, today)), created


async def create(session: AsyncSession, principal: Principal, *, phone: str, ip: str | None = None,
                 **profile: Any) -> PatientRecord:
    """Record a new patient at the caller's clinic (409 when the clinic already has this phone). A person known
    only to other organizations gets a fresh, empty record here: nothing of theirs is copied."""
    if not (profile.get("full_name") or "").strip():
        raise ValidationFailed("full_name", "full_name is required")
    found, created = await register(session, principal, phone=phone, source="CLINIC", profile=profile)
    if not created:
        raise DuplicatePatient()
    await audit.record(session, principal, action="patient.create", resource_type="patient",
                       resource_id=found.patient_id, patient_id=found.patient_id, ip=ip)
    return found


async def get(session: AsyncSession, principal: Principal, patient_id: int, *,
              ip: str | None = None) -> PatientRecord:
    return await open_record(session, principal, patient_id, action="patient.read", ip=ip)


async def update(session: AsyncSession, principal: Principal, patient_id: int, *, changes: dict[str, Any],
                 ip: str | None = None) -> PatientRecord:
    """Change the clinic's record of a patient (only the given fields; the phone is the person and stays)."""
    patient, record = await _visible(session, principal, patient_id, action="patient.update", ip=ip, lock=True)
    today = await clinic_today(session, record.organization_id)
    for name, value in checked_profile(changes, today).items():
        setattr(record, name, value)
    record = await repository.save(session, record)
    await audit.record(session, principal, action="patient.update", resource_type="patient", resource_id=patient.id,
                       patient_id=patient.id, ip=ip, details={"fields": sorted(changes)})
    return PatientRecord(patient.id, patient.phone, record, age_on(record.date_of_birth, record.age, today))


async def audit_trail(session: AsyncSession, principal: Principal, patient_id: int, *, limit: int = 50,
                      offset: int = 0, ip: str | None = None) -> tuple[list[AuditEvent], int]:
    """Who read or changed this patient's records at the caller's clinic, newest first: for its ADMIN only
    (a doctor: 403). Reading the trail is itself audited."""
    if not principal.has(Role.ADMIN):
        raise Forbidden("Only the clinic admin can read a patient's audit trail")
    patient, record = await _visible(session, principal, patient_id, action="patient.audit.read", ip=ip)
    events, total = await audit_events.page(session, record.organization_id, patient_id=patient.id, limit=limit,
                                            offset=offset)
    await audit.record(session, principal, action="patient.audit.read", resource_type="patient",
                       resource_id=patient.id, patient_id=patient.id, ip=ip)
    return events, total
