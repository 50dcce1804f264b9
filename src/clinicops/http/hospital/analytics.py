"""/api/analytics: the admin panel's home page (ADMIN, MANAGER; CENTRE_MANAGER for their centres).

Every endpoint takes an optional ``centreId`` (or ``centre_id``). Money goes out in rupees; a change against an
empty previous period is ``null`` (no comparison possible). docs/analytics.md has the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BeforeValidator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.analytics import service
from clinicops.analytics.periods import BucketUnit, SeriesPeriod, Window
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require
from clinicops.http.features import requires_feature
from clinicops.http.hospital.clinicians import query_params
from clinicops.http.hospital.schemas.operations import DashboardFigures, LeadSource, RevenuePoint, TopDoctor
from clinicops.http.hospital.wire import Field, HospitalInput, either
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit.money import to_rupees
from clinicops.organizations.plans import Feature
from clinicops.http.envelope import ok

router = new_router(prefix="/analytics", tags=["analytics"])
Reader = Annotated[Principal, Depends(require(policies.VIEW_ANALYTICS))]
# Beyond the dashboard, analytics come with a plan that has them (a clinic on Basic: 403; a chain has no plan).
ADVANCED = [requires_feature(Feature.ADVANCED_ANALYTICS)]
Db = Annotated[AsyncSession, Depends(get_db)]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SOURCES = {  # label and chart colour the panel's donut shows for each booking source
    "WEB_PATIENT": ("Website", "#3b82f6"), "ADMIN_FRONT_DESK": ("Front desk", "#2CA5A9"),
    "ADMIN_CARE_COORDINATOR": ("Care coordinator", "#f59e0b"), "ADMIN_MANAGER": ("Manager", "#8b5cf6"),
    "ADMIN": ("Admin", "#ec4899"), "CLINICIAN": ("Clinician", "#14b8a6"), "WHATSAPP": ("WhatsApp", "#22c55e"),
    "WALK_IN": ("Walk-in", "#f97316"), "CLINIC_STAFF": ("Clinic staff", "#64748b"),
}


def _all_is_none(value: Any) -> Any:
    """The panel's "all centres" choice arrives as an empty value or ``all``."""
    return None if isinstance(value, str) and value.strip().lower() in ("", "all") else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


CentreId = Annotated[int | None, BeforeValidator(_all_is_none)]


class Filter(HospitalInput):
    centre_id: CentreId = Field(None, gt=0, validation_alias=either("centreId", "centre_id"))


class TopDoctorsQuery(Filter):
    # beyond the maximum the list is clamped (as every list of this surface is); below 1 it is refused
    limit: int = Field(service.TOP_DOCTORS_DEFAULT, ge=1)


class RevenueQuery(Filter):
    period: Annotated[SeriesPeriod, BeforeValidator(_lower)] = SeriesPeriod.MONTH


CentreFilter = Annotated[Filter, Depends(query_params(Filter))]
TopDoctorsParams = Annotated[TopDoctorsQuery, Depends(query_params(TopDoctorsQuery))]
RevenueParams = Annotated[RevenueQuery, Depends(query_params(RevenueQuery))]


def _period(window: Window) -> dict:
    return {"startDate": window.first_day.isoformat(), "endDate": window.last_day.isoformat(), "days": window.days}


def _label(day: date, unit: BucketUnit, period: SeriesPeriod) -> str:
    if unit is BucketUnit.MONTH:
        return f"{MONTHS[day.month - 1]} {day.year}"
    if period is SeriesPeriod.WEEK:
        return WEEKDAYS[day.weekday()]
    return f"{day.day} {MONTHS[day.month - 1]}"


@router.get("/dashboard", response_model=Envelope[DashboardFigures])
async def dashboard(principal: Reader, db: Db, query: CentreFilter):
    d = await service.dashboard(db, principal, centre_id=query.centre_id)
    return ok({
        "totalPatients": d.patients.current, "totalPatientsChange": d.patients.change,
        "activeDoctors": d.doctors.current, "activeDoctorsChange": d.doctors.change,
        "followUpsBooked": d.follow_ups.current, "followUpsBookedChange": d.follow_ups.change,
        "totalRevenue": to_rupees(d.revenue_paise.current), "totalRevenueChange": d.revenue_paise.change,
        "previous": {"totalPatients": d.patients.previous, "activeDoctors": d.doctors.previous,
                     "followUpsBooked": d.follow_ups.previous,
                     "totalRevenue": to_rupees(d.revenue_paise.previous)},
        "period": {**_period(d.period), "timezone": d.timezone}, "previousPeriod": _period(d.previous_period),
        "centreId": query.centre_id,
    })


@router.get("/top-doctors", response_model=Envelope[list[TopDoctor]], dependencies=ADVANCED)
async def top_doctors(principal: Reader, db: Db, query: TopDoctorsParams):
    found = await service.top_doctors(db, principal, centre_id=query.centre_id, limit=query.limit)
    return ok([{
        "id": d.clinician_id, "clinicianId": d.clinician_id, "name": d.name,
        "specialty": ", ".join(d.specializations), "specialization": ", ".join(d.specializations),
        "specializations": d.specializations, "avatar": d.picture_url, "appointmentCount": d.appointments,
        "completedCount": d.completed, "patientCount": d.patients, "revenue": to_rupees(d.revenue_paise),
    } for d in found.doctors])


@router.get("/revenue", response_model=Envelope[list[RevenuePoint]], dependencies=ADVANCED)
async def revenue(principal: Reader, db: Db, query: RevenueParams):
    chart = await service.revenue(db, principal, period=query.period, centre_id=query.centre_id)
    return ok([{
        "date": p.first_day.isoformat(), "label": _label(p.first_day, chart.unit, chart.period),
        "revenue": to_rupees(p.revenue_paise), "value": to_rupees(p.revenue_paise),
    } for p in chart.points])


@router.get("/leads-by-source", response_model=Envelope[list[LeadSource]], dependencies=ADVANCED)
async def leads_by_source(principal: Reader, db: Db, query: CentreFilter):
    found = await service.bookings_by_source(db, principal, centre_id=query.centre_id)
    return ok([{
        "source": s.source, "label": SOURCES.get(s.source, (s.source, ""))[0],
        "color": SOURCES.get(s.source, ("", "#6b7280"))[1], "value": s.bookings, "count": s.bookings,
        "percentage": s.percentage,
    } for s in found.sources])
