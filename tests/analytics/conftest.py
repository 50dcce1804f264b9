"""A chain with two centres (and an empty third), two clinicians, staff of every role, and a second organization.

``month_history`` books a known set of appointments and payments around the dashboard's periods, placed relative
to the real current date in the organization's zone (computed here independently of the code under test), so the
expected figures hold on any day, the 1st and the 31st included.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from clinicops.auth.models import User
from clinicops.clinicians.models import Clinician
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import Patient
from tests.analytics.builders import book, local, pay
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient, make_staff


@dataclass
class Chain:
    tz: ZoneInfo
    org: Organization
    c1: Centre
    c2: Centre
    empty: Centre
    dr1: Clinician
    dr2: Clinician
    patients: list[Patient]
    admin: User
    other_org: Organization
    other_centre: Centre
    other_doctor: Clinician
    other_admin: User
    booked: dict = field(default_factory=dict)


async def make_chain(db, *, timezone: str = "Asia/Kolkata") -> Chain:
    org = await make_org(db, name="Chain One", timezone=timezone)
    c1 = await make_centre(db, org=org, name="One Bangalore", timezone=timezone)
    c2 = await make_centre(db, org=org, name="One Kochi", city="kochi", timezone=timezone)
    empty = await make_centre(db, org=org, name="One Mumbai", city="mumbai", timezone=timezone)
    dr1 = await make_clinician(db, org=org, centre=c1, full_name="Dr. Anil Kumar")
    dr2 = await make_clinician(db, org=org, centre=c2, full_name="Dr. Bina Shah")
    dr2.specializations = ["Psychology", "Couples therapy"]
    patients = [await make_patient(db, org=org, first_name=f"P{n}") for n in range(1, 5)]
    admin = await make_staff(db, org=org, role="ADMIN", full_name="Chain Admin")
    other = await make_org(db, name="Chain Two", timezone=timezone)
    other_centre = await make_centre(db, org=other, name="Two Bangalore", timezone=timezone)
    other_doctor = await make_clinician(db, org=other, centre=other_centre, full_name="Dr. Other")
    other_admin = await make_staff(db, org=other, role="ADMIN", full_name="Other Admin")
    return Chain(ZoneInfo(timezone), org, c1, c2, empty, dr1, dr2, patients, admin, other, other_centre,
                 other_doctor, other_admin)


@dataclass(frozen=True)
class Calendar:
    """The dashboard's periods as the tests expect them: month to date, and as many days of the previous month."""

    tz: ZoneInfo
    today: date

    @property
    def month_start(self) -> date:
        return self.today.replace(day=1)

    @property
    def previous_start(self) -> date:
        return (self.month_start - timedelta(days=1)).replace(day=1)

    def current(self, hours: float) -> datetime:
        """Hours after the first instant of this period (always inside it: today counts whole)."""
        return local(self.month_start, self.tz) + timedelta(hours=hours)

    def previous(self, hours: float) -> datetime:
        """Hours after the start of the previous period (inside it: it is at least one day long)."""
        return local(self.previous_start, self.tz) + timedelta(hours=hours)

    def before(self, hours: float) -> datetime:
        """The day before the previous period: outside both."""
        return local(self.previous_start - timedelta(days=1), self.tz) + timedelta(hours=hours)

    def after(self, hours: float) -> datetime:
        """Tomorrow: after this period, outside both."""
        return local(self.today + timedelta(days=1), self.tz) + timedelta(hours=hours)


def calendar_for(tz: ZoneInfo, now: datetime | None = None) -> Calendar:
    return Calendar(tz, (now or datetime.now(tz)).astimezone(tz).date())


async def month_history(db, chain: Chain, *, now: datetime | None = None) -> Calendar:
    """The scenario every dashboard figure is asserted on (figures listed in test_dashboard_api.py)."""
    cal = calendar_for(chain.tz, now)
    p1, p2, p3, p4 = chain.patients
    c1, c2, dr1, dr2 = chain.c1, chain.c2, chain.dr1, chain.dr2
    b = chain.booked
    # this period
    b["a1"] = await book(db, centre=c1, clinician=dr1, patient=p1, starts_at=cal.current(1), created_at=cal.current(0.1),
                         status="COMPLETED", source="WEB_PATIENT")
    b["a2"] = await book(db, centre=c1, clinician=dr1, patient=p2, starts_at=cal.current(2), created_at=cal.current(0.2),
                         kind="FOLLOW_UP", source="ADMIN_FRONT_DESK")
    b["a3"] = await book(db, centre=c2, clinician=dr2, patient=p1, starts_at=cal.current(1), created_at=cal.current(0.3),
                         status="CONFIRMED", source="WEB_PATIENT")
    b["a4"] = await book(db, centre=c2, clinician=dr2, patient=p3, starts_at=cal.current(2), created_at=cal.current(0.4),
                         status="CANCELLED", kind="FOLLOW_UP", source="WEB_PATIENT")
    b["a5"] = await book(db, centre=c1, clinician=dr1, patient=p4, starts_at=cal.current(3), created_at=cal.current(0.5),
                         status="RESCHEDULED", source="ADMIN_MANAGER")
    b["a6"] = await book(db, centre=c2, clinician=dr2, patient=p4, starts_at=cal.after(1), created_at=cal.current(0.6),
                         kind="FOLLOW_UP", source="WHATSAPP")
    b["a7"] = await book(db, centre=c1, clinician=dr1, patient=p3, starts_at=cal.current(4), created_at=cal.previous(0.5),
                         status="NO_SHOW", source="ADMIN_CARE_COORDINATOR")
    # the previous period
    b["b1"] = await book(db, centre=c1, clinician=dr1, patient=p1, starts_at=cal.previous(1),
                         created_at=cal.previous(0.1), status="COMPLETED", kind="FOLLOW_UP")
    b["b2"] = await book(db, centre=c1, clinician=dr1, patient=p2, starts_at=cal.previous(2),
                         created_at=cal.previous(0.2), status="COMPLETED", source="ADMIN_FRONT_DESK")
    # outside both
    b["c1"] = await book(db, centre=c2, clinician=dr2, patient=p2, starts_at=cal.before(1), created_at=cal.before(0.5),
                         status="COMPLETED", kind="FOLLOW_UP")
    b["c2"] = await book(db, centre=c1, clinician=dr1, patient=p1, starts_at=cal.after(2), created_at=cal.before(0.6))
    # payments
    await pay(db, appointment=b["a1"], amount_paise=1500_00, paid_at=cal.current(0.7))
    await pay(db, appointment=b["a3"], amount_paise=1000_50, refunded_paise=500_00, paid_at=cal.current(0.8))
    await pay(db, appointment=b["a4"], amount_paise=800_00, refunded_paise=800_00, status="REFUNDED",
              paid_at=cal.current(0.9))
    await pay(db, appointment=b["b1"], amount_paise=2000_00, paid_at=cal.previous(0.3))
    await pay(db, appointment=b["c1"], amount_paise=999_00, paid_at=cal.before(0.7))
    await pay(db, appointment=b["a2"], amount_paise=700_00, status="FAILED", paid_at=None)
    await pay(db, appointment=b["a6"], amount_paise=300_00, paid_at=cal.current(1.5))
    # the other organization, same period, one of the same patients: never counted for the chain
    await book(db, centre=chain.other_centre, clinician=chain.other_doctor, patient=p1, starts_at=cal.current(1),
               created_at=cal.current(0.1), kind="FOLLOW_UP", source="CLINIC_STAFF")
    other = await book(db, centre=chain.other_centre, clinician=chain.other_doctor, patient=p2,
                       starts_at=cal.current(2), created_at=cal.current(0.2), status="COMPLETED")
    await pay(db, appointment=other, amount_paise=5000_00, paid_at=cal.current(2.5))
    return cal


@pytest.fixture
async def chain(db) -> Chain:
    return await make_chain(db)


# Transaction control the test harness adds around each request (a savepoint of the test's transaction).
_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def count_sql(engine):
    """``with count_sql() as sent: ...`` lists the statements sent to PostgreSQL inside the block."""

    @contextmanager
    def counting():
        sent: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(_HARNESS):
                sent.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)

    return counting
