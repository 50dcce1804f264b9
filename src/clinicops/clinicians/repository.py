"""All SQL of clinicians, their logins, weekly rules and dated exceptions.

Every statement is filtered by organization; the centre scope of a centre manager is applied here too
(a clinician is in scope when their primary centre or one of their weekly rules is at one of the centres).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES
from clinicops.auth.models import User, UserRole
from clinicops.authz.principal import Principal
from clinicops.clinicians.exceptions import ClinicianNotFound
from clinicops.clinicians.models import AvailabilityException, AvailabilityRule, Clinician
from clinicops.kit.search import contains_pattern
from clinicops.lifecycle import AppointmentStatus, holds
from clinicops.organizations.models import Centre

Scope = frozenset[int] | None  # None: every centre of the organization

# Appointments that no longer need the clinician (or never will again) are not "affected" by a block.
_NOT_AFFECTED = ", ".join(f"'{s}'" for s in (*RELEASED_STATUSES, AppointmentStatus.COMPLETED))


def _scope_clause(scope: Scope):
    if scope is None:
        return None
    ids = sorted(scope)
    return or_(Clinician.primary_centre_id.in_(ids), exists().where(
        AvailabilityRule.clinician_id == Clinician.id, AvailabilityRule.centre_id.in_(ids)))


async def get_clinician(session: AsyncSession, organization_id: int, clinician_id: int, *, scope: Scope = None,
                        for_update: bool = False, include_deleted: bool = False) -> Clinician | None:
    stmt = select(Clinician).where(Clinician.id == clinician_id, Clinician.organization_id == organization_id)
    if not include_deleted:
        stmt = stmt.where(Clinician.is_deleted.is_(False))
    clause = _scope_clause(scope)
    if clause is not None:
        stmt = stmt.where(clause)
    if for_update:
        stmt = stmt.with_for_update(of=Clinician)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: int) -> User:
    return (await session.execute(select(User).where(User.id == user_id))).scalar_one()


async def centres_in_org(session: AsyncSession, organization_id: int, centre_ids: Iterable[int]) -> dict[int, Centre]:
    ids = sorted(set(centre_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Centre).where(
        Centre.id.in_(ids), Centre.organization_id == organization_id, Centre.is_deleted.is_(False)))
    return {c.id: c for c in rows.scalars()}


async def phone_taken(session: AsyncSession, organization_id: int, phone: str, *,
                      exclude_user_id: int | None = None) -> bool:
    stmt = select(User.id).where(User.organization_id == organization_id, User.user_type == "STAFF",
                                 User.phone == phone, User.is_deleted.is_(False))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def username_taken(session: AsyncSession, username: str, *, exclude_user_id: int | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.lower(), User.is_deleted.is_(False))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def set_clinician_roles(session: AsyncSession, user_id: int, centre_ids: Iterable[int]) -> None:
    """The login's CLINICIAN role rows become exactly one per centre (other roles are left alone)."""
    await session.execute(delete(UserRole).where(UserRole.user_id == user_id, UserRole.role == "CLINICIAN"))
    session.add_all([UserRole(user_id=user_id, role="CLINICIAN", centre_id=c) for c in sorted(set(centre_ids))])
    await session.flush()


async def clinician_role_centres(session: AsyncSession, user_id: int) -> list[int]:
    rows = await session.execute(select(UserRole.centre_id).where(
        UserRole.user_id == user_id, UserRole.role == "CLINICIAN", UserRole.centre_id.is_not(None)))
    return sorted(r for (r,) in rows)


async def has_other_roles(session: AsyncSession, user_id: int) -> bool:
    return (await session.execute(select(UserRole.id).where(
        UserRole.user_id == user_id, UserRole.role != "CLINICIAN").limit(1))).first() is not None


async def future_active_count(session: AsyncSession, clinician_id: int, now: datetime) -> int:
    return (await session.execute(text(
        f"SELECT count(*) FROM appointments WHERE clinician_id = :c AND starts_at > :now "
        f"AND status NOT IN ({_NOT_AFFECTED})"), {"c": clinician_id, "now": now})).scalar_one()


async def touch(session: AsyncSession, clinician_id: int) -> None:
    """Every change to a clinician, their rules or exceptions moves clinicians.updated_at (wall clock, not the
    transaction's start, so two changes in one long transaction still differ)."""
    await session.execute(update(Clinician).where(Clinician.id == clinician_id)
                          .values(updated_at=func.clock_timestamp()))


# --- weekly rules -------------------------------------------------------------------------------------------------

async def rules_of(session: AsyncSession, organization_id: int, clinician_id: int) -> list[AvailabilityRule]:
    rows = await session.execute(select(AvailabilityRule).where(
        AvailabilityRule.organization_id == organization_id, AvailabilityRule.clinician_id == clinician_id,
        AvailabilityRule.is_active.is_(True),
    ).order_by(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.centre_id,
               AvailabilityRule.mode))
    return list(rows.scalars())


async def delete_rules(session: AsyncSession, clinician_id: int, *, centre_ids: Iterable[int] | None = None,
                       weekday: int | None = None) -> None:
    """Delete the clinician's rules (only those at ``centre_ids`` / on ``weekday`` when given)."""
    stmt = delete(AvailabilityRule).where(AvailabilityRule.clinician_id == clinician_id)
    if centre_ids is not None:
        stmt = stmt.where(AvailabilityRule.centre_id.in_(sorted(set(centre_ids))))
    if weekday is not None:
        stmt = stmt.where(AvailabilityRule.weekday == weekday)
    await session.execute(stmt)


async def rule_centre_ids(session: AsyncSession, clinician_id: int) -> set[int]:
    rows = await session.execute(select(AvailabilityRule.centre_id).where(
        AvailabilityRule.clinician_id == clinician_id, AvailabilityRule.is_active.is_(True)).distinct())
    return {r for (r,) in rows}


# --- dated exceptions ---------------------------------------------------------------------------------------------

async def list_exceptions(session: AsyncSession, organization_id: int, *, clinician_id: int | None = None,
                          scope: Scope = None, first_day: date | None = None, last_day: date | None = None,
                          kind: str | None = None, timed_only: bool = False,
                          limit: int = 100, offset: int = 0) -> list[AvailabilityException]:
    stmt = select(AvailabilityException).join(Clinician, Clinician.id == AvailabilityException.clinician_id).where(
        AvailabilityException.organization_id == organization_id, Clinician.is_deleted.is_(False))
    if clinician_id is not None:
        stmt = stmt.where(AvailabilityException.clinician_id == clinician_id)
    clause = _scope_clause(scope)
    if clause is not None:
        stmt = stmt.where(clause)
    if first_day is not None:
        stmt = stmt.where(AvailabilityException.end_date >= first_day)
    if last_day is not None:
        stmt = stmt.where(AvailabilityException.start_date <= last_day)
    if kind is not None:
        stmt = stmt.where(AvailabilityException.kind == kind)
    if timed_only:
        stmt = stmt.where(AvailabilityException.start_time.is_not(None))
    stmt = stmt.order_by(AvailabilityException.start_date, AvailabilityException.start_time.nulls_first(),
                         AvailabilityException.id).limit(limit).offset(offset)
    return list((await session.execute(stmt)).scalars())


async def get_exception(session: AsyncSession, organization_id: int, exception_id: int) -> AvailabilityException | None:
    return (await session.execute(select(AvailabilityException).where(
        AvailabilityException.id == exception_id,
        AvailabilityException.organization_id == organization_id))).scalar_one_or_none()


async def delete_exceptions(session: AsyncSession, exception_ids: Iterable[int]) -> None:
    await session.execute(delete(AvailabilityException).where(AvailabilityException.id.in_(sorted(exception_ids))))


_AFFECTED_SQL = text(f"""
SELECT DISTINCT ON (a.id) a.id, a.starts_at, a.ends_at, a.status, a.mode, a.centre_id, ce.name AS centre_name,
       ce.timezone, a.patient_id, p.full_name AS patient_name, p.phone AS patient_phone
  FROM appointments a
  JOIN centres ce ON ce.id = a.centre_id
  JOIN patients p ON p.id = a.patient_id
  JOIN unnest(CAST(:starts AS timestamp[]), CAST(:ends AS timestamp[])) AS w(ls, le)
    ON a.starts_at < (w.le AT TIME ZONE ce.timezone) AND a.ends_at > (w.ls AT TIME ZONE ce.timezone)
 WHERE a.organization_id = :org AND a.clinician_id = :clinician_id AND a.starts_at IS NOT NULL
   AND a.status NOT IN ({_NOT_AFFECTED}) AND a.ends_at > :now
   AND NOT {holds.lapsed_sql('a')}
   AND (CAST(:centre_id AS bigint) IS NULL OR a.centre_id = CAST(:centre_id AS bigint))
   AND (CAST(:mode AS text) IS NULL OR a.mode = CAST(:mode AS text))
 ORDER BY a.id
""")


@dataclass(frozen=True)
class AffectedAppointment:
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    mode: str
    centre_id: int
    centre_name: str
    timezone: str
    patient_id: int
    patient_name: str
    patient_phone: str


async def affected_appointments(session: AsyncSession, organization_id: int, clinician_id: int, *,
                                windows: list[tuple[datetime, datetime]], centre_id: int | None, mode: str | None,
                                now: datetime) -> list[AffectedAppointment]:
    """Active future appointments overlapping any window; windows are naive wall-clock times read in each
    appointment's centre zone (so one block without a centre is right at centres in different zones)."""
    if not windows:
        return []
    rows = await session.execute(_AFFECTED_SQL, {
        "starts": [w[0] for w in windows], "ends": [w[1] for w in windows], "org": organization_id,
        "clinician_id": clinician_id, "now": now, "centre_id": centre_id, "mode": mode})
    found = [AffectedAppointment(**row._mapping) for row in rows]
    return sorted(found, key=lambda a: (a.starts_at, a.id))


# --- public directory ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DirectoryOrganization:
    """The organization a directory read serves, resolved from its key (id or slug)."""

    id: int
    active: bool


async def directory_organization(session: AsyncSession, *, organization_id: int | None,
                                 slug: str | None) -> DirectoryOrganization | None:
    """The organization a directory read serves (by id, else by slug), and whether it is active."""
    row = (await session.execute(_ORGANIZATION_SQL, {"org_id": organization_id, "slug": slug})).first()
    if row is None:
        return None
    return DirectoryOrganization(id=row[0], active=row[1] == "ACTIVE")


_ORGANIZATION_SQL = text("""
SELECT o.id, o.status FROM organizations o
 WHERE o.id = coalesce(CAST(:org_id AS bigint), (SELECT id FROM organizations WHERE slug = :slug))
""")


_DIRECTORY_SQL = """
SELECT c.id, c.user_id, u.full_name, u.phone, u.email, u.username, c.specializations, c.qualifications,
       c.languages, c.expertise, c.consultation_modes, c.registration_number, c.years_of_experience,
       c.consultation_fee_paise, c.advance_amount_paise, c.daily_token_limit, c.default_duration_minutes,
       c.profile_picture_url, c.bio, c.is_active, c.is_deleted, c.primary_centre_id, pc.name AS primary_centre_name,
       pc.city AS primary_centre_city, c.created_at, c.updated_at,
       (SELECT coalesce(json_agg(json_build_object('id', ce.id, 'name', ce.name, 'city', ce.city) ORDER BY ce.id),
                        '[]'::json)
          FROM centres ce WHERE NOT ce.is_deleted AND (ce.id = c.primary_centre_id OR ce.id IN (
                SELECT r.centre_id FROM availability_rules r WHERE r.clinician_id = c.id AND r.is_active))) AS centres,
       count(*) OVER () AS total
  FROM clinicians c
  JOIN users u ON u.id = c.user_id
  LEFT JOIN centres pc ON pc.id = c.primary_centre_id
 WHERE c.organization_id = :org {conditions}
 ORDER BY lower(u.full_name), c.id
 LIMIT :limit OFFSET :offset
"""

_WORKS_AT = ("(c.primary_centre_id {op} OR EXISTS (SELECT 1 FROM availability_rules r "
             "WHERE r.clinician_id = c.id AND r.is_active AND r.centre_id {op}))")
_CONDITIONS = {
    "live": "NOT c.is_deleted AND NOT u.is_deleted",
    "active_only": "c.is_active AND u.is_active",
    "profile_active": "c.is_active",
    "profile_inactive": "NOT c.is_active",
    "clinician_id": "c.id = :clinician_id",
    "centre_id": _WORKS_AT.format(op="= :centre_id"),
    "scope": _WORKS_AT.format(op="= ANY(:scope)"),
    "city": ("EXISTS (SELECT 1 FROM centres ce WHERE lower(ce.city) = lower(:city) AND NOT ce.is_deleted AND "
             "(ce.id = c.primary_centre_id OR ce.id IN (SELECT r.centre_id FROM availability_rules r "
             "WHERE r.clinician_id = c.id AND r.is_active)))"),
    "specialization": ("EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.specializations) AS s(v) "
                       "WHERE lower(s.v) LIKE :specialization ESCAPE '\\')"),
    "mode": "c.consultation_modes @> CAST(:mode AS jsonb)",
    "search": "lower(u.full_name) LIKE :search ESCAPE '\\'",
}


async def directory_rows(session: AsyncSession, organization_id: int, *, active_only: bool, scope: Scope = None,
                         clinician_id: int | None = None, centre_id: int | None = None, city: str | None = None,
                         specialization: str | None = None, mode: str | None = None, search: str | None = None,
                         is_active: bool | None = None, include_deleted: bool = False,
                         limit: int = 100, offset: int = 0) -> list[dict]:
    """Directory rows. ``active_only``: what the public sees (profile and login active); ``is_active``: the
    profile's own flag (the staff filter, matching the ``isActive`` each row shows)."""
    params: dict = {"org": organization_id, "limit": limit, "offset": offset}
    used = [] if include_deleted else ["live"]
    if active_only:
        used.append("active_only")
    if is_active is not None:
        used.append("profile_active" if is_active else "profile_inactive")
    for name, value in (("clinician_id", clinician_id), ("centre_id", centre_id), ("city", city)):
        if value is not None:
            used.append(name)
            params[name] = value
    if scope is not None:
        used.append("scope")
        params["scope"] = sorted(scope)
    if specialization:
        used.append("specialization")
        params["specialization"] = contains_pattern(specialization, lower=True)
    if search:
        used.append("search")
        params["search"] = contains_pattern(search, lower=True)
    if mode:
        used.append("mode")
        params["mode"] = f'["{mode}"]'
    conditions = "".join(f" AND {_CONDITIONS[name]}" for name in used)
    rows = await session.execute(text(_DIRECTORY_SQL.format(conditions=conditions)), params)
    return [dict(row._mapping) for row in rows]


async def rules_with_centres(session: AsyncSession, organization_id: int, clinician_id: int) -> list[dict]:
    rows = await session.execute(text("""
        SELECT r.id, r.centre_id, ce.name AS centre_name, ce.city AS centre_city, r.weekday, r.start_time,
               r.end_time, r.slot_minutes, r.mode, r.effective_from, r.effective_to
          FROM availability_rules r JOIN centres ce ON ce.id = r.centre_id
         WHERE r.organization_id = :org AND r.clinician_id = :c AND r.is_active
         ORDER BY r.weekday, r.start_time, r.centre_id, r.mode"""), {"org": organization_id, "c": clinician_id})
    return [dict(row._mapping) for row in rows]


async def managed_clinician(session: AsyncSession, principal: Principal, clinician_id: int, *,
                            for_update: bool = False, include_deleted: bool = False) -> Clinician:
    """The clinician ``principal`` may manage: same organization and, for a centre manager, one of their centres.
    Anything else is :class:`ClinicianNotFound` (404), so existence does not leak. Soft-deleted clinicians are
    found only when asked for (to restore them)."""
    clinician = await get_clinician(session, principal.organization_id, clinician_id,
                                    scope=principal.centre_scope(), for_update=for_update,
                                    include_deleted=include_deleted)
    if clinician is None:
        raise ClinicianNotFound()
    return clinician
