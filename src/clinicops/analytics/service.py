"""The chain's dashboard: headline figures, top doctors, revenue over time and bookings by source.

Who reads what: ADMIN and MANAGER read their whole organization; a CENTRE_MANAGER reads only the centres of
that role. A centre outside the caller's reach (another organization's, a deleted one, or one the centre
manager does not run) is 404, exactly like a centre that does not exist.

Periods are calendar days in the organization's zone (``periods``); money stays in paise here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.analytics import repository
from clinicops.analytics.periods import (BucketUnit, SeriesPeriod, Window, dashboard_windows, percent_change,
                                         series, share)
from clinicops.analytics.repository import DoctorRow, Scope
from clinicops.authz.policies import VIEW_ANALYTICS
from clinicops.authz.principal import Principal
from clinicops.errors import Forbidden, NotFound
from clinicops.kit.timezones import utcnow, zone

TOP_DOCTORS_DEFAULT = 5
TOP_DOCTORS_MAX = 50


def _readable_centres(principal: Principal) -> frozenset[int] | None:
    """The centres whose figures ``principal`` reads (``authz.policies.VIEW_ANALYTICS``): None = the whole
    organization."""
    if not VIEW_ANALYTICS.allows(principal):
        raise Forbidden("Your role does not allow reading the dashboard")
    return VIEW_ANALYTICS.centres(principal)


@dataclass(frozen=True)
class Context:
    scope: Scope
    timezone: str
    today: date


async def _context(session: AsyncSession, principal: Principal, centre_id: int | None,
                   now: datetime | None) -> Context:
    readable = _readable_centres(principal)
    if centre_id is not None and readable is not None and centre_id not in readable:
        raise NotFound("Centre not found")
    found = await repository.organization_context(session, principal.organization_id, centre_id)
    if found is None:
        raise NotFound("Organization not found")
    timezone, centre_ok = found
    if not centre_ok:
        raise NotFound("Centre not found")
    centres = frozenset({centre_id}) if centre_id is not None else readable
    today = (now or utcnow()).astimezone(zone(timezone)).date()
    return Context(Scope(principal.organization_id, centres), timezone, today)


@dataclass(frozen=True)
class Metric:
    current: int
    previous: int

    @property
    def change(self) -> float | None:
        return percent_change(self.current, self.previous)


@dataclass(frozen=True)
class Dashboard:
    period: Window
    previous_period: Window
    timezone: str
    patients: Metric
    doctors: Metric
    follow_ups: Metric
    revenue_paise: Metric


async def dashboard(session: AsyncSession, principal: Principal, *, centre_id: int | None = None,
                    now: datetime | None = None) -> Dashboard:
    """Month to date against the same days of the previous month (see ``periods.dashboard_windows``)."""
    ctx = await _context(session, principal, centre_id, now)
    current, previous = dashboard_windows(ctx.today, zone(ctx.timezone))
    figures = await repository.dashboard_figures(session, ctx.scope, current, previous)
    return Dashboard(current, previous, ctx.timezone, Metric(*figures.patients), Metric(*figures.doctors),
                     Metric(*figures.follow_ups), Metric(*figures.revenue_paise))


@dataclass(frozen=True)
class TopDoctors:
    period: Window
    doctors: list[DoctorRow]


async def top_doctors(session: AsyncSession, principal: Principal, *, centre_id: int | None = None,
                      limit: int = TOP_DOCTORS_DEFAULT, now: datetime | None = None) -> TopDoctors:
    """Clinicians of the dashboard's period ranked by their counted appointments (``repository.top_doctors``)."""
    ctx = await _context(session, principal, centre_id, now)
    current, _previous = dashboard_windows(ctx.today, zone(ctx.timezone))
    limit = max(1, min(limit, TOP_DOCTORS_MAX))
    return TopDoctors(current, await repository.top_doctors(session, ctx.scope, current, limit=limit))


@dataclass(frozen=True)
class RevenuePoint:
    first_day: date
    revenue_paise: int


@dataclass(frozen=True)
class RevenueSeries:
    period: SeriesPeriod
    unit: BucketUnit
    timezone: str
    points: list[RevenuePoint]


async def revenue(session: AsyncSession, principal: Principal, *, period: SeriesPeriod,
                  centre_id: int | None = None, now: datetime | None = None) -> RevenueSeries:
    """Revenue per day (week, month) or per calendar month (year), every bucket present, empty ones 0."""
    ctx = await _context(session, principal, centre_id, now)
    chart = series(period, ctx.today, zone(ctx.timezone))
    totals = await repository.revenue_by_bucket(session, ctx.scope, chart.span, chart.unit, ctx.timezone)
    points = [RevenuePoint(day, totals.get(datetime.combine(day, time(0)), 0)) for day in chart.starts]
    return RevenueSeries(period, chart.unit, ctx.timezone, points)


@dataclass(frozen=True)
class SourceShare:
    source: str
    bookings: int
    percentage: float


@dataclass(frozen=True)
class Sources:
    period: Window
    total: int
    sources: list[SourceShare]


async def bookings_by_source(session: AsyncSession, principal: Principal, *, centre_id: int | None = None,
                             now: datetime | None = None) -> Sources:
    """Appointments booked in the dashboard's period, per source, with each source's share of them."""
    ctx = await _context(session, principal, centre_id, now)
    current, _previous = dashboard_windows(ctx.today, zone(ctx.timezone))
    counts = await repository.bookings_by_source(session, ctx.scope, current)
    total = sum(n for _source, n in counts)
    return Sources(current, total, [SourceShare(source, n, share(n, total)) for source, n in counts])
