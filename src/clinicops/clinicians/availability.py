"""Weekly availability rules: wall-clock hours per centre, weekday (0 = Sunday) and mode, in the centre's zone.

The slot engine (appointments/slots) reads these rows; this module only validates and stores them.
A centre manager's ``PUT`` replaces only the rules at their own centres (rules elsewhere are not theirs to drop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from itertools import combinations

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import Principal
from clinicops.clinicians import repository
from clinicops.clinicians.exceptions import CentreNotFound, ClinicianNotFound
from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.errors import Conflict, ValidationFailed

FIELD = "availability_rules"
MAX_RULES = 200
MODES = ("IN_PERSON", "ONLINE")


@dataclass(frozen=True)
class RuleSpec:
    centre_id: int
    weekday: int  # 0 = Sunday … 6 = Saturday
    start_time: time
    end_time: time
    mode: str = "IN_PERSON"
    slot_minutes: int | None = None  # None: the clinician's default duration
    effective_from: date | None = None
    effective_to: date | None = None


def _dates_meet(a: RuleSpec, b: RuleSpec) -> bool:
    a_from, a_to = a.effective_from or date.min, a.effective_to or date.max
    b_from, b_to = b.effective_from or date.min, b.effective_to or date.max
    return a_from <= b_to and b_from <= a_to


def _check_shapes(rules: list[RuleSpec]) -> None:
    if len(rules) > MAX_RULES:
        raise ValidationFailed(FIELD, f"at most {MAX_RULES} rules")
    for i, rule in enumerate(rules):
        if not 0 <= rule.weekday <= 6:
            raise ValidationFailed(f"{FIELD}.{i}.day_of_week", "day_of_week must be 0 (Sunday) to 6 (Saturday)")
        if rule.start_time >= rule.end_time:
            raise ValidationFailed(f"{FIELD}.{i}.end_time", "end_time must be later than start_time")
        if rule.mode not in MODES:
            raise ValidationFailed(f"{FIELD}.{i}.consultation_mode", "consultation_mode must be IN_PERSON or ONLINE")
        if rule.slot_minutes is not None and not 5 <= rule.slot_minutes <= 480:
            raise ValidationFailed(f"{FIELD}.{i}.slot_duration_minutes", "slot_duration_minutes must be 5 to 480")
        if rule.effective_from and rule.effective_to and rule.effective_from > rule.effective_to:
            raise ValidationFailed(f"{FIELD}.{i}.effective_to", "effective_to must not be before effective_from")
    for (i, a), (j, b) in combinations(enumerate(rules), 2):
        if ((a.centre_id, a.mode, a.weekday) == (b.centre_id, b.mode, b.weekday)
                and a.start_time < b.end_time and b.start_time < a.end_time and _dates_meet(a, b)):
            raise ValidationFailed(
                f"{FIELD}.{j}.start_time",
                f"rule {j} overlaps rule {i} ({a.start_time:%H:%M}-{a.end_time:%H:%M}) at the same centre, "
                f"weekday and mode")


def ensure_rules_editable(principal: Principal) -> None:
    """A clinic's doctors work the week their clinic typed (working days, hours, lunch break:
    ``clinicians.roster``), and their weekly rules are written from it alone. Editing those rules one by one
    would leave the typed week and the slots disagreeing, so it is refused (409) for a clinic's staff."""
    if principal.organization_kind == "CLINIC":
        raise Conflict("A clinic doctor's hours are set as the doctor's working days, start and end time and "
                       "lunch break, not rule by rule")


async def check_rules(session: AsyncSession, principal: Principal, rules: list[RuleSpec]) -> None:
    """Everything that can be wrong with replacing the weekly rules by ``rules``, raised before anything is
    written."""
    ensure_rules_editable(principal)
    _check_shapes(rules)
    centres = await repository.centres_in_org(session, principal.organization_id, {r.centre_id for r in rules})
    for i, rule in enumerate(rules):
        if rule.centre_id not in centres or not principal.can_access_centre(rule.centre_id):
            raise CentreNotFound(f"Centre {rule.centre_id} not found",
                                 details=[{"field": f"{FIELD}.{i}.centre_id", "message": "centre not found"}])


async def store_rules(session: AsyncSession, principal: Principal, clinician: Clinician,
                      rules: list[RuleSpec]) -> None:
    """Replace the clinician's rules (within the caller's centres) by ``rules``, already checked."""
    scope = principal.centre_scope()
    await repository.delete_rules(session, clinician.id, centre_ids=None if scope is None else scope)
    session.add_all([AvailabilityRule(
        organization_id=clinician.organization_id, clinician_id=clinician.id, centre_id=r.centre_id,
        weekday=r.weekday, start_time=r.start_time, end_time=r.end_time,
        slot_minutes=r.slot_minutes or clinician.default_duration_minutes, mode=r.mode,
        effective_from=r.effective_from, effective_to=r.effective_to) for r in rules])
    await session.flush()
    await repository.touch(session, clinician.id)


async def replace(session: AsyncSession, principal: Principal, clinician_id: int,
                  rules: list[RuleSpec]) -> list[dict]:
    """``PUT /clinicians/:id/availability``: the new rules, with centre names."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    await check_rules(session, principal, rules)
    await store_rules(session, principal, clinician, rules)
    return await repository.rules_with_centres(session, clinician.organization_id, clinician.id)


def in_effect(rules: list[dict], *, centre_id: int | None = None, day: date | None = None) -> list[dict]:
    """The rules (rows of ``repository.rules_with_centres``) at ``centre_id`` and in effect on ``day``."""
    weekday = None if day is None else day.isoweekday() % 7  # 0 = Sunday
    return [r for r in rules
            if (centre_id is None or r["centre_id"] == centre_id)
            and (day is None or (r["weekday"] == weekday and (r["effective_from"] or date.min) <= day
                                 <= (r["effective_to"] or date.max)))]


async def by_day(session: AsyncSession, principal: Principal, clinician_id: int, *,
                 centre_id: int | None = None) -> dict[int, list[dict]]:
    """The weekly rules grouped by weekday (0 = Sunday), for a manager of the clinician."""
    clinician = await repository.get_clinician(session, principal.organization_id, clinician_id,
                                               scope=principal.centre_scope())
    if clinician is None:
        raise ClinicianNotFound()
    grouped: dict[int, list[dict]] = {}
    for rule in in_effect(await repository.rules_with_centres(session, clinician.organization_id, clinician.id),
                          centre_id=centre_id):
        grouped.setdefault(rule["weekday"], []).append(rule)
    return grouped


async def delete_day(session: AsyncSession, principal: Principal, clinician_id: int, weekday: int, *,
                     centre_id: int | None = None) -> list[dict]:
    """Delete every weekly rule on ``weekday`` (at ``centre_id``, or at every centre the caller manages);
    the rules deleted. A centre outside the caller's organization or centres is 404 naming ``centre_id``."""
    clinician = await repository.managed_clinician(session, principal, clinician_id, for_update=True)
    ensure_rules_editable(principal)
    if not 0 <= weekday <= 6:
        raise ValidationFailed("day_of_week", "day_of_week must be 0 (Sunday) to 6 (Saturday)")
    centres = principal.centre_scope()
    if centre_id is not None:
        found = await repository.centres_in_org(session, principal.organization_id, {centre_id})
        if centre_id not in found or not principal.can_access_centre(centre_id):
            raise CentreNotFound(f"Centre {centre_id} not found",
                                 details=[{"field": "centre_id", "message": "centre not found"}])
        centres = frozenset({centre_id})
    rules = await repository.rules_with_centres(session, clinician.organization_id, clinician.id)
    doomed = [r for r in rules if r["weekday"] == weekday and (centres is None or r["centre_id"] in centres)]
    if doomed:
        await repository.delete_rules(session, clinician.id, centre_ids=centres, weekday=weekday)
        await repository.touch(session, clinician.id)
    return doomed
