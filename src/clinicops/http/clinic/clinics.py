"""The clinic's own record (/api/v1/clinics): profile (6.2) and subscription."""

from __future__ import annotations

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import ClinicAdmin
from clinicops.http.clinic.schemas import profile as wire
from clinicops.http.clinic.schemas.base import weekday_names, weekday_numbers
from clinicops.http.deps import get_db
from clinicops.http.envelope import ok
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.kit.money import to_rupees
from clinicops.organizations import clinics
from clinicops.organizations.models import Organization

router = new_router(prefix="/clinics", tags=["clinic: clinic"])


def _subscription(usage: clinics.SubscriptionUsage | None) -> wire.SubscriptionSummary | None:
    if usage is None:
        return None
    sub = usage.subscription
    return wire.SubscriptionSummary(
        plan=sub.plan, max_doctors=sub.max_doctors, current_doctors=usage.current_doctors,
        price_per_doctor=to_rupees(sub.price_per_doctor_paise), total_amount=to_rupees(usage.total_paise),
        billing_cycle=sub.billing_cycle, next_billing_date=usage.next_billing_date, status=sub.status)


def _clinic(clinic: Organization) -> wire.ClinicProfile:
    return wire.ClinicProfile(
        clinic_id=ids.render(ids.CLINIC, clinic.id), name=clinic.name, address=clinic.address, phone=clinic.phone,
        whatsapp_number=clinic.whatsapp_number, status=clinic.status, working_days=weekday_names(clinic.working_days),
        timezone=clinic.timezone, created_at=clinic.created_at)


@router.get("/profile", response_model=Envelope[wire.ProfileView])
async def get_profile(principal: ClinicAdmin, db: AsyncSession = Depends(get_db)):
    found = await clinics.profile(db, principal.organization_id)
    return ok(wire.ProfileView(clinic=_clinic(found.clinic), subscription=_subscription(found.usage)).dump())


@router.put("/profile", response_model=Envelope[wire.ProfileUpdated])
async def update_profile(body: wire.ProfileIn, principal: ClinicAdmin, db: AsyncSession = Depends(get_db)):
    changes = body.given()
    if changes.get("working_days") is not None:
        changes["working_days"] = weekday_numbers(changes["working_days"])
    clinic = await clinics.update_profile(db, principal.organization_id, changes=changes)
    shown = _clinic(clinic)
    return ok(wire.ProfileUpdated(**shown.model_dump(exclude={"status", "created_at"}),
                                  updated_at=clinic.updated_at).dump(), "Clinic profile updated successfully")
