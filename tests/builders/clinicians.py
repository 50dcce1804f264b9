from __future__ import annotations

from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.organizations.models import Centre, Organization
from tests.builders.people import make_staff


async def make_clinician(db: AsyncSession, *, org: Organization, centre: Centre, full_name: str = "Dr. Meera Iyer",
                         fee_paise: int = 1500_00, duration: int = 30, weekdays: tuple[int, ...] = (),
                         start: time = time(9, 0), end: time = time(17, 0), slot_minutes: int = 30,
                         mode: str = "IN_PERSON", **fields) -> Clinician:
    """A clinician with a login; ``weekdays`` (0=Sun..6) get rules from ``start`` to ``end`` at ``centre``."""
    user = await make_staff(db, org=org, role="CLINICIAN", centres=[centre], full_name=full_name)
    clinician = Clinician(organization_id=org.id, user_id=user.id, primary_centre_id=centre.id,
                          consultation_fee_paise=fee_paise, default_duration_minutes=duration,
                          specializations=["Psychiatry"], qualifications=["MBBS", "MD"], languages=["English"],
                          **fields)
    db.add(clinician)
    await db.flush()
    for weekday in weekdays:
        await add_rule(db, clinician=clinician, centre=centre, weekday=weekday, start=start, end=end,
                       slot_minutes=slot_minutes, mode=mode)
    return clinician


async def add_rule(db: AsyncSession, *, clinician: Clinician, centre: Centre, weekday: int, start: time = time(9, 0),
                   end: time = time(17, 0), slot_minutes: int = 30, mode: str = "IN_PERSON") -> AvailabilityRule:
    rule = AvailabilityRule(organization_id=clinician.organization_id, clinician_id=clinician.id,
                            centre_id=centre.id, weekday=weekday, start_time=start, end_time=end,
                            slot_minutes=slot_minutes, mode=mode)
    db.add(rule)
    await db.flush()
    return rule
