"""The dashboard use cases at fixed instants (``now``): month edges and the organization's zone decide."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from clinicops.analytics import service
from clinicops.analytics.periods import SeriesPeriod
from clinicops.authz.principal import Principal, Role
from tests.analytics.builders import book, pay
from tests.analytics.conftest import make_chain

IST = ZoneInfo("Asia/Kolkata")


def admin_of(chain) -> Principal:
    return Principal(user_id=chain.admin.id, user_type="STAFF", organization_id=chain.org.id,
                     roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})


async def paid_at(db, chain, *instants_and_rupees):
    appointment = await book(db, centre=chain.c1, clinician=chain.dr1, patient=chain.patients[0],
                             starts_at=datetime(2027, 3, 10, 10, tzinfo=IST))
    for instant, rupees in instants_and_rupees:
        await pay(db, appointment=appointment, amount_paise=rupees * 100, paid_at=instant)


async def test_on_the_31st_the_previous_period_is_all_of_february(db):
    chain = await make_chain(db)
    await paid_at(db, chain,
                  (datetime(2027, 1, 31, 23, 30, tzinfo=IST), 1),     # before both
                  (datetime(2027, 2, 1, 0, 0, tzinfo=IST), 10),       # first instant of the previous period
                  (datetime(2027, 2, 28, 23, 59, tzinfo=IST), 100),   # last minute of February
                  (datetime(2027, 3, 1, 0, 0, tzinfo=IST), 1000),     # first instant of this period
                  (datetime(2027, 3, 31, 23, 59, tzinfo=IST), 10000),  # later today still counts
                  (datetime(2027, 4, 1, 0, 0, tzinfo=IST), 100000))   # tomorrow
    now = datetime(2027, 3, 31, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata
    found = await service.dashboard(db, admin_of(chain), now=now)
    assert (found.period.first_day, found.period.last_day) == (date(2027, 3, 1), date(2027, 3, 31))
    assert (found.previous_period.first_day, found.previous_period.last_day) == (date(2027, 2, 1), date(2027, 2, 28))
    assert (found.revenue_paise.current, found.revenue_paise.previous) == (1100000, 11000)
    assert found.revenue_paise.change == 9900.0


async def test_the_organizations_zone_decides_which_month_it_is(db):
    chain = await make_chain(db)  # Asia/Kolkata; the instant is still 31 March in UTC
    await paid_at(db, chain,
                  (datetime(2027, 3, 1, 5, 0, tzinfo=IST), 10),    # previous period: 1 March
                  (datetime(2027, 3, 2, 0, 0, tzinfo=IST), 20),    # after the previous period (2 March)
                  (datetime(2027, 3, 31, 22, 0, tzinfo=IST), 40),  # March, but not the 1st
                  (datetime(2027, 4, 1, 0, 10, tzinfo=IST), 80))   # 31 March 18:40 UTC: this period
    now = datetime(2027, 3, 31, 20, 0, tzinfo=UTC)  # 1 April 01:30 in Kolkata
    found = await service.dashboard(db, admin_of(chain), now=now)
    assert (found.period.first_day, found.period.last_day) == (date(2027, 4, 1), date(2027, 4, 1))
    assert (found.previous_period.first_day, found.previous_period.last_day) == (date(2027, 3, 1), date(2027, 3, 1))
    assert (found.revenue_paise.current, found.revenue_paise.previous) == (8000, 1000)


async def test_patients_and_doctors_by_start_follow_ups_by_booking_instant(db):
    chain = await make_chain(db)
    p1, p2, p3, _p4 = chain.patients
    march = datetime(2027, 3, 15, 10, tzinfo=IST)
    await book(db, centre=chain.c1, clinician=chain.dr1, patient=p1, starts_at=march,
               created_at=datetime(2027, 2, 10, 9, tzinfo=IST), kind="FOLLOW_UP")   # booked last period
    await book(db, centre=chain.c2, clinician=chain.dr2, patient=p2, starts_at=datetime(2027, 4, 20, 9, tzinfo=IST),
               created_at=datetime(2027, 3, 2, 9, tzinfo=IST), kind="FOLLOW_UP")    # booked now, seen later
    await book(db, centre=chain.c2, clinician=chain.dr2, patient=p3, starts_at=datetime(2027, 2, 27, 9, tzinfo=IST),
               created_at=datetime(2027, 2, 1, 9, tzinfo=IST))
    found = await service.dashboard(db, admin_of(chain), now=datetime(2027, 3, 31, 6, 30, tzinfo=UTC))
    assert (found.patients.current, found.patients.previous) == (1, 1)
    assert (found.doctors.current, found.doctors.previous) == (1, 1)
    assert (found.follow_ups.current, found.follow_ups.previous) == (1, 1)
    assert found.patients.change == 0.0


async def test_revenue_days_follow_the_zone_across_a_dst_change(db):
    ny = ZoneInfo("America/New_York")
    chain = await make_chain(db, timezone="America/New_York")
    await paid_at(db, chain,
                  (datetime(2027, 3, 13, 23, 59, tzinfo=ny), 1),   # the day before the week
                  (datetime(2027, 3, 14, 0, 30, tzinfo=ny), 10),   # EST, 05:30 UTC
                  (datetime(2027, 3, 14, 23, 30, tzinfo=ny), 20),  # EDT, 03:30 UTC on the 15th
                  (datetime(2027, 3, 20, 23, 0, tzinfo=ny), 40))   # today, 03:00 UTC on the 21st
    chart = await service.revenue(db, admin_of(chain), period=SeriesPeriod.WEEK,
                                  now=datetime(2027, 3, 20, 16, 0, tzinfo=UTC))
    assert [(p.first_day.day, p.revenue_paise // 100) for p in chart.points] == [
        (14, 30), (15, 0), (16, 0), (17, 0), (18, 0), (19, 0), (20, 40)]
    year = await service.revenue(db, admin_of(chain), period=SeriesPeriod.YEAR,
                                 now=datetime(2027, 3, 20, 16, 0, tzinfo=UTC))
    assert year.points[0].first_day == date(2026, 4, 1)
    assert year.points[-1].revenue_paise == 7100


async def test_top_doctors_and_sources_use_the_dashboard_period(db):
    chain = await make_chain(db)
    p1, p2, _p3, _p4 = chain.patients
    in_march = datetime(2027, 3, 5, 10, tzinfo=IST)
    await book(db, centre=chain.c1, clinician=chain.dr1, patient=p1, starts_at=in_march, created_at=in_march,
               source="WALK_IN", status="COMPLETED")
    await book(db, centre=chain.c2, clinician=chain.dr2, patient=p2, starts_at=datetime(2027, 2, 5, 10, tzinfo=IST),
               created_at=datetime(2027, 2, 5, 9, tzinfo=IST), source="WEB_PATIENT")
    now = datetime(2027, 3, 31, 6, 30, tzinfo=UTC)
    top = await service.top_doctors(db, admin_of(chain), now=now)
    assert [(d.clinician_id, d.appointments, d.completed) for d in top.doctors] == [(chain.dr1.id, 1, 1)]
    sources = await service.bookings_by_source(db, admin_of(chain), now=now)
    assert (sources.total, [(s.source, s.bookings, s.percentage) for s in sources.sources]) == (
        1, [("WALK_IN", 1, 100.0)])
