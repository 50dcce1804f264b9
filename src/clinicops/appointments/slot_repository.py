"""The SQL of the slot engine: one statement loads a clinician's whole schedule for a range of dates.

Organization, clinician, centres, weekly rules, dated exceptions and the active appointments come back as rows of
one ``UNION ALL`` (tagged by their first column; the appointments aggregated into one row of arrays), so a slot
list or a 61-day calendar costs one round trip.
Everything is filtered by organization: a clinician or centre of another organization simply is not found.

A lapsed unpaid hold no longer occupies its slot (booking releases it first, see ``holds``); when a hold has lapsed
is the one rule of ``lifecycle.holds`` (never while a successful payment exists for it). The schedule notes when
the next unpaid hold in it lapses (``Schedule.hold_lapses_at``): from that instant it is no longer exact, which
is what a cached copy needs to know (``appointments.schedule_cache``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import RELEASED_STATUSES
from clinicops.appointments.slot_engine import DateException, Rule, Schedule
from clinicops.errors import NotFound
from clinicops.kit.timezones import UTC
from clinicops.lifecycle import holds
from clinicops.lifecycle.statuses import AppointmentStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELEASED = ", ".join(f"'{s}'" for s in RELEASED_STATUSES)

_SQL = """
WITH org AS (
  SELECT id, timezone FROM organizations WHERE {org_filter} AND status = 'ACTIVE'
), cl AS (
  SELECT c.id, c.default_duration_minutes FROM clinicians c JOIN org ON c.organization_id = org.id
  WHERE c.id = :clinician_id AND c.is_active AND NOT c.is_deleted
)
SELECT 'O'::text AS k, org.id::bigint AS ref, cl.id::bigint AS centre_id, cl.default_duration_minutes::int AS n,
       org.timezone::text AS txt, NULL::text AS mode, NULL::date AS d1, NULL::date AS d2, NULL::time AS t1,
       NULL::time AS t2, NULL::bigint[] AS starts, NULL::bigint[] AS ends, NULL::bigint[] AS ids
  FROM org LEFT JOIN cl ON true
UNION ALL
SELECT 'Z', ce.id, NULL, NULL, ce.timezone, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM centres ce JOIN org ON ce.organization_id = org.id
 WHERE ce.is_active AND NOT ce.is_deleted AND {centre_filter}
UNION ALL
SELECT 'R', r.weekday, r.centre_id, r.slot_minutes, NULL, r.mode, r.effective_from, r.effective_to, r.start_time,
       r.end_time, NULL, NULL, NULL
  FROM availability_rules r JOIN cl ON r.clinician_id = cl.id
 WHERE r.organization_id = (SELECT id FROM org) AND r.is_active {rule_centre}
   AND (r.effective_to IS NULL OR r.effective_to >= :first_day)
   AND (r.effective_from IS NULL OR r.effective_from <= :last_day)
UNION ALL
SELECT 'X', x.id, x.centre_id, x.slot_minutes, x.kind, x.mode, x.start_date, x.end_date, x.start_time, x.end_time,
       NULL, NULL, NULL
  FROM availability_exceptions x JOIN cl ON x.clinician_id = cl.id
 WHERE x.organization_id = (SELECT id FROM org) {exception_centre}
   AND x.start_date <= :last_day AND x.end_date >= :first_day
UNION ALL
SELECT 'A', (min(extract(epoch FROM a.hold_expires_at) * 1000000)
              FILTER (WHERE a.status = '{booked}' AND a.hold_expires_at > :now))::bigint,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       array_agg(extract(epoch FROM a.starts_at)::bigint ORDER BY a.starts_at),
       array_agg(extract(epoch FROM a.ends_at)::bigint ORDER BY a.starts_at), array_agg(a.id ORDER BY a.starts_at)
  FROM appointments a JOIN cl ON a.clinician_id = cl.id
 WHERE a.organization_id = (SELECT id FROM org) AND a.starts_at IS NOT NULL
   AND a.status NOT IN ({released})
   AND NOT {lapsed}
   AND a.starts_at >= :scan_from AND a.starts_at < :scan_to AND a.ends_at > :busy_from
"""

_ONE_CENTRE = {"centre_filter": "ce.id = :centre_id", "rule_centre": "AND r.centre_id = :centre_id",
               "exception_centre": "AND (x.centre_id IS NULL OR x.centre_id = :centre_id)"}
# Without a centre: every centre where the clinician has weekly rules or extra hours.
_ALL_CENTRES = {"centre_filter": "ce.id IN (SELECT centre_id FROM availability_rules WHERE clinician_id = "
                                 "(SELECT id FROM cl) AND is_active UNION SELECT centre_id FROM "
                                 "availability_exceptions WHERE clinician_id = (SELECT id FROM cl) AND kind = 'EXTRA')",
                "rule_centre": "", "exception_centre": ""}


@lru_cache(maxsize=8)
def _statement(by_slug: bool, one_centre: bool):
    org_filter = "slug = :org_slug" if by_slug else "id = :organization_id"
    parts = _ONE_CENTRE if one_centre else _ALL_CENTRES
    return text(_SQL.format(org_filter=org_filter, released=_RELEASED, lapsed=holds.lapsed_sql("a"),
                            booked=AppointmentStatus.BOOKED, **parts))


async def load_schedule(session: AsyncSession, *, clinician_id: int, centre_id: int | None, first_day: date,
                        last_day: date, now: datetime, organization_id: int | None = None,
                        organization_slug: str | None = None) -> Schedule:
    """The schedule of ``clinician_id`` for ``first_day..last_day`` (centre-local dates), in one round trip.

    Raises NotFound for an unknown, inactive or other-organization clinician or centre.
    """
    params: dict = {"clinician_id": clinician_id, "first_day": first_day,
                    # a slot late on the last day may run into the next day: its blocks and extras count
                    "last_day": last_day + timedelta(days=1), "now": now}
    # Appointments are scanned over a UTC window wide enough for any zone (UTC-12..UTC+14) and slot length.
    busy_from = datetime.combine(first_day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    params.update(busy_from=busy_from, scan_from=busy_from - timedelta(days=1),
                  scan_to=datetime.combine(last_day + timedelta(days=3), datetime.min.time(), tzinfo=UTC))
    if organization_slug is not None:
        params["org_slug"] = organization_slug
    else:
        params["organization_id"] = organization_id
    if centre_id is not None:
        params["centre_id"] = centre_id
    # Core execution on the session's connection: same transaction, without the ORM's per-statement overhead.
    connection = await session.connection()
    rows = (await connection.execute(_statement(organization_slug is not None, centre_id is not None),
                                     params)).all()
    return _assemble(rows, centre_id)


def _assemble(rows, centre_id: int | None) -> Schedule:
    head = next((row for row in rows if row[0] == "O"), None)
    if head is None:
        raise NotFound("Organization not found")
    if head[2] is None:
        raise NotFound("Clinician not found")
    schedule = Schedule(organization_id=head[1], organization_timezone=head[4], clinician_id=head[2],
                        default_minutes=head[3], centres={})
    for k, ref, centre, n, txt, mode, d1, d2, t1, t2, starts, ends, ids in rows:
        if k == "Z":
            schedule.centres[ref] = txt
        elif k == "R":
            schedule.rules.append(Rule(centre, ref, t1, t2, n, mode, d1, d2))
        elif k == "X":
            schedule.exceptions.append(DateException(txt, centre, d1, d2, t1, t2, mode, n, ref))
        elif k == "A":  # one row: the appointments as arrays, ordered by start
            if ref is not None:  # microseconds since the epoch: exact, like the SQL's own comparison
                schedule.hold_lapses_at = _EPOCH + timedelta(microseconds=ref)
            if starts:
                schedule.set_busy(starts, ends, ids)
    if centre_id is not None and centre_id not in schedule.centres:
        raise NotFound("Centre not found")
    schedule.rules.sort(key=lambda r: (r.start, r.minutes, r.mode))
    return schedule

