"""All SQL of the clinic surface's patient records: an organization's own record of a person (its registration,
``PatientRegistration``), joined to the person (``Patient``: the phone). Every caller-facing statement starts from
``authz.scopes.patient_records``, so a record the caller may not read is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Text, and_, bindparam, cast, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clinicops.authz import scopes
from clinicops.authz.principal import Principal
from clinicops.kit.search import prefix_pattern
from clinicops.organizations.models import Organization
from clinicops.patients.models import CareRelationship, Patient, PatientRegistration, mrn_of
from clinicops.visits.models import Visit


@dataclass(frozen=True)
class RecordRow:
    """One patient as the caller's organization recorded them, with the visits the caller may see."""

    patient_id: int
    phone: str
    record: PatientRegistration
    last_visit_date: date | None = None
    total_visits: int = 0
    associated: bool = False
    zone: str | None = None  # the organization's time zone (for ages), read with the page


def zone_of(organization_id: int) -> Any:
    """The organization's time zone as a one-off scalar subquery (an InitPlan), to read with a page instead of
    a statement of its own."""
    return select(Organization.timezone).where(Organization.id == organization_id).scalar_subquery()


async def zone_name(session: AsyncSession, organization_id: int) -> str:
    return (await session.execute(select(Organization.timezone).where(
        Organization.id == organization_id))).scalar_one()


def _visible(principal: Principal, *columns: Any) -> Select:
    return (select(*columns).select_from(PatientRegistration)
            .join(Patient, Patient.id == PatientRegistration.patient_id)
            .where(scopes.patient_records(principal)))


async def get(session: AsyncSession, principal: Principal, patient_id: int, *,
              lock: bool = False) -> tuple[Patient, PatientRegistration] | None:
    stmt = _visible(principal, Patient, PatientRegistration).where(PatientRegistration.patient_id == patient_id)
    if lock:
        stmt = stmt.with_for_update(of=PatientRegistration)
    found = (await session.execute(stmt)).first()
    return (found[0], found[1]) if found is not None else None


def visit_stats(principal: Principal, patient_id: ColumnElement, *,
                clinician_id: ColumnElement | int | None = None) -> tuple[Any, Any]:
    """(count, last visit date) of the patient's visits the caller may see (of one clinician if given), as
    scalar subqueries correlated to ``patient_id``."""
    conditions = [Visit.patient_id == patient_id, scopes.visits(principal)]
    if clinician_id is not None:
        conditions.append(Visit.clinician_id == clinician_id)
    count = select(func.count(Visit.id)).where(*conditions).scalar_subquery()
    last = select(func.max(Visit.visit_date)).where(*conditions).scalar_subquery()
    return count, last


def _associated(principal: Principal, clinician_id: int | None) -> ColumnElement[bool]:
    conditions = [CareRelationship.patient_id == PatientRegistration.patient_id,
                  CareRelationship.organization_id == principal.organization_id,
                  CareRelationship.status == "ACTIVE"]
    if clinician_id is not None:
        conditions.append(CareRelationship.clinician_id == clinician_id)
    return exists().where(*conditions)


def _matching(principal: Principal, *columns: Any, phone_prefix: str | None, name_prefix: str | None) -> Select:
    """``columns`` of the visible records whose phone and name start with the prefixes given. The person's row is
    joined only for a phone (``ix_patients_phone_prefix``); a name is the clinic's own
    (``ix_patient_registrations_org_name_prefix``)."""
    stmt = select(*columns).select_from(PatientRegistration).where(scopes.patient_records(principal))
    if phone_prefix:
        person = _PERSON
        stmt = stmt.join(person, person.id == PatientRegistration.patient_id).where(
            *_starts(cast(person.phone, Text), "phone"))
    if name_prefix:
        stmt = stmt.where(*_starts(func.lower(PatientRegistration.full_name), "name"))
    return stmt


def _starts(column: Any, name: str) -> tuple[ColumnElement[bool], ...]:
    """``column`` starts with the parameter ``{name}_like``: the LIKE, and the range ``[{name}_from, {name}_to)``
    in ``text_pattern_ops`` order. The range is what the prefix index is searched by: PostgreSQL derives it from
    a constant LIKE pattern only, and a prepared statement run a few times gets a generic plan, which would scan
    the clinic's every record."""
    return (column.op("~>=~")(bindparam(f"{name}_from", type_=Text)),
            column.op("~<~")(bindparam(f"{name}_to", type_=Text)),
            column.like(bindparam(f"{name}_like", type_=String)))


def _after_prefix(prefix: str) -> str:
    """The least string greater (code point by code point, as ``text_pattern_ops`` compares UTF-8) than every
    string starting with ``prefix``."""
    text = prefix
    while text:
        following = ord(text[-1]) + 1
        if following <= 0x10FFFF:
            return text[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)
        text = text[:-1]
    return "\U0010FFFF" * (len(prefix) + 1)  # a prefix of only the last code point: as good as no bound


def _like(phone_prefix: str | None, name_prefix: str | None) -> dict[str, str]:
    """The bind parameters of ``_matching``'s prefixes."""
    params = {}
    for name, prefix in (("phone", phone_prefix), ("name", name_prefix.lower() if name_prefix else None)):
        if prefix:
            params.update({f"{name}_like": prefix_pattern(prefix), f"{name}_from": prefix,
                           f"{name}_to": _after_prefix(prefix)})
    return params


_PERSON = aliased(Patient, name="person")  # made once: an alias per call redoes the column adaptation
_ORDER = (func.lower(PatientRegistration.full_name), PatientRegistration.patient_id)


async def search(session: AsyncSession, principal: Principal, *, phone_prefix: str | None,
                 name_prefix: str | None, associated_with: int | None, limit: int,
                 offset: int) -> tuple[list[RecordRow], int]:
    """A page of the visible records whose phone and/or name start with the given prefixes, by name, and how many
    match in all. One statement: the page is chosen first (with the count of all matches, a window over them), so
    the person, the visit figures and the association are looked up for its rows only; a second one counts only
    when the page is empty past the first."""
    def build() -> Select:
        page = (_matching(principal, PatientRegistration.id, func.count().over().label("total"),
                          phone_prefix=phone_prefix, name_prefix=name_prefix)
                .order_by(*_ORDER).limit(limit).offset(offset).subquery())
        count, last = visit_stats(principal, PatientRegistration.patient_id)
        return (select(Patient.phone, PatientRegistration, count, last, _associated(principal, associated_with),
                       zone_of(principal.organization_id), page.c.total)
                .select_from(page).join(PatientRegistration, PatientRegistration.id == page.c.id)
                .join(Patient, Patient.id == PatientRegistration.patient_id).order_by(*_ORDER))

    key = ("patients.search", bool(phone_prefix), bool(name_prefix), associated_with, limit, offset)
    params = _like(phone_prefix, name_prefix)
    rows = (await session.execute(scopes.reuse(principal, key, build), params)).all()
    if rows:
        total = rows[0][-1]
    elif offset:
        total = (await session.execute(_matching(principal, func.count(), phone_prefix=phone_prefix,
                                                 name_prefix=name_prefix), params)).scalar_one()
    else:
        total = 0
    return [RecordRow(r.patient_id, phone, r, last_visit_date=d, total_visits=n, associated=a, zone=z)
            for phone, r, n, d, a, z, _ in rows], total


async def register(session: AsyncSession, *, organization_id: int, patient_id: int, source: str,
                   profile: dict[str, Any]) -> PatientRegistration | None:
    """The organization's new record of the patient; None when it already has one (race-safe)."""
    stmt = insert(PatientRegistration).values(
        organization_id=organization_id, patient_id=patient_id, mrn=mrn_of(patient_id), source=source, **profile,
    ).on_conflict_do_nothing(constraint="uq_patient_registrations_org_patient").returning(PatientRegistration.id)
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is None:
        return None
    return await session.get(PatientRegistration, new_id)


async def record_of(session: AsyncSession, *, organization_id: int, patient_id: int,
                    lock: bool = False) -> PatientRegistration | None:
    """The organization's record of the patient, unscoped: for writes that have checked the caller already."""
    stmt = select(PatientRegistration).where(and_(PatientRegistration.organization_id == organization_id,
                                                  PatientRegistration.patient_id == patient_id))
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def save(session: AsyncSession, record: PatientRegistration) -> PatientRegistration:
    await session.flush()
    await session.refresh(record)  # updated_at is set by the database
    return record
