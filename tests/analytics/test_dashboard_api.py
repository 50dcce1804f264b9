"""The four dashboard endpoints over HTTP: exact figures on a small hand-built month (see conftest.month_history).

Figures of the scenario, month to date against the same days of the previous month:
- this period: P1 (a1 at centre 1, a3 at centre 2), P2 (a2, a follow-up), P3 (a7, a no-show booked last period);
  a4 is cancelled, a5 rescheduled (superseded), a6 a follow-up booked now for tomorrow.
- the previous period: P1 and P2 with Dr. Anil at centre 1 (b1 a follow-up).
- payments: ₹1,500 (a1) + ₹1,000.50 less ₹500 refunded (a3) + ₹300 (a6) now; ₹2,000 (b1) before; a refunded
  payment, a failed one, one outside both periods, and another organization's ₹5,000 never count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinicops.analytics import service
from tests.analytics.conftest import make_chain, month_history
from tests.builders.people import bearer


async def get(client, path, user, **params):
    response = await client.get(f"/api/analytics/{path}", params=params, headers=bearer(user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


HEADLINE = ("totalPatients", "totalPatientsChange", "activeDoctors", "activeDoctorsChange", "followUpsBooked",
            "followUpsBookedChange", "totalRevenue", "totalRevenueChange")


def headline(data: dict) -> tuple:
    return tuple(data[k] for k in HEADLINE)


@pytest.mark.parametrize("timezone", ["Asia/Kolkata", "America/New_York"])
async def test_dashboard_figures_for_the_whole_organization(client, db, timezone):
    chain = await make_chain(db, timezone=timezone)
    cal = await month_history(db, chain)
    data = await get(client, "dashboard", chain.admin)
    # 3 patients vs 2 (+50 %), 2 doctors vs 1, 2 follow-ups booked vs 1, ₹2,300.50 vs ₹2,000 (+15.025 → 15.0)
    assert headline(data) == (3, 50.0, 2, 100.0, 2, 100.0, 2300.5, 15.0)
    assert data["previous"] == {"totalPatients": 2, "activeDoctors": 1, "followUpsBooked": 1, "totalRevenue": 2000}
    days = (cal.today - cal.month_start).days + 1
    assert data["period"] == {"startDate": cal.month_start.isoformat(), "endDate": cal.today.isoformat(),
                              "days": days, "timezone": timezone}
    assert data["previousPeriod"]["startDate"] == cal.previous_start.isoformat()
    assert data["previousPeriod"]["days"] == min(days, (cal.month_start - cal.previous_start).days)
    assert isinstance(data["totalRevenue"], float) and isinstance(data["previous"]["totalRevenue"], int)


IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize("now", [
    datetime(2027, 6, 1, 0, 10, tzinfo=IST),      # ten minutes into a month: a one-day period
    datetime(2027, 3, 31, 23, 50, tzinfo=IST),    # the 31st: compared with all of February
    datetime(2028, 3, 30, 12, 0, tzinfo=IST),     # leap year: compared with 1-29 February
    datetime(2027, 1, 1, 0, 5, tzinfo=IST),       # new year: compared with 1 December
    datetime(2027, 2, 28, 20, 0, tzinfo=UTC),  # already 1 March in Kolkata
])
async def test_the_figures_hold_on_any_day(client, db, monkeypatch, now):
    monkeypatch.setattr(service, "utcnow", lambda: now.astimezone(UTC))
    chain = await make_chain(db)
    cal = await month_history(db, chain, now=now)
    data = await get(client, "dashboard", chain.admin)
    assert headline(data) == (3, 50.0, 2, 100.0, 2, 100.0, 2300.5, 15.0)
    assert data["period"]["endDate"] == cal.today.isoformat()
    doctors = await get(client, "top-doctors", chain.admin)
    assert [(d["id"], d["appointmentCount"], d["revenue"]) for d in doctors] == [(chain.dr1.id, 3, 1500),
                                                                                  (chain.dr2.id, 1, 800.5)]
    leads = await get(client, "leads-by-source", chain.admin)
    assert [(s["source"], s["value"]) for s in leads] == [("WEB_PATIENT", 2), ("ADMIN_FRONT_DESK", 1),
                                                           ("WHATSAPP", 1)]


async def test_dashboard_figures_per_centre(client, db, chain):
    await month_history(db, chain)
    centre1 = await get(client, "dashboard", chain.admin, centreId=chain.c1.id)
    # centre 1: P1, P2, P3 vs P1, P2; Dr. Anil both times; a2 vs b1; ₹1,500 vs ₹2,000
    assert headline(centre1) == (3, 50.0, 1, 0.0, 1, 0.0, 1500, -25.0)
    assert centre1["centreId"] == chain.c1.id
    # centre 2 had nothing in the previous period: no comparison is possible, and none is made up
    centre2 = await get(client, "dashboard", chain.admin, centre_id=chain.c2.id)
    assert headline(centre2) == (1, None, 1, None, 1, None, 800.5, None)
    # an empty centre: 0 against 0 is no change
    empty = await get(client, "dashboard", chain.admin, centreId=chain.empty.id)
    assert headline(empty) == (0, 0.0, 0, 0.0, 0, 0.0, 0, 0.0)


async def test_another_organization_sees_only_its_own_figures(client, db, chain):
    await month_history(db, chain)
    data = await get(client, "dashboard", chain.other_admin)
    assert headline(data) == (2, None, 1, None, 1, None, 5000, None)
    assert await get(client, "top-doctors", chain.other_admin) == [{
        "id": chain.other_doctor.id, "clinicianId": chain.other_doctor.id, "name": "Dr. Other",
        "specialty": "Psychiatry", "specialization": "Psychiatry", "specializations": ["Psychiatry"],
        "avatar": None, "appointmentCount": 2, "completedCount": 1, "patientCount": 2, "revenue": 5000}]
    sources = await get(client, "leads-by-source", chain.other_admin)
    assert [(s["source"], s["value"]) for s in sources] == [("CLINIC_STAFF", 1), ("WEB_PATIENT", 1)]


async def test_top_doctors_rank_by_appointments_in_the_period(client, db, chain):
    await month_history(db, chain)
    doctors = await get(client, "top-doctors", chain.admin)
    assert [(d["id"], d["name"], d["appointmentCount"], d["completedCount"], d["patientCount"], d["revenue"])
            for d in doctors] == [(chain.dr1.id, "Dr. Anil Kumar", 3, 1, 3, 1500),
                                  (chain.dr2.id, "Dr. Bina Shah", 1, 0, 1, 800.5)]
    assert doctors[1]["specialty"] == "Psychology, Couples therapy"
    assert doctors[1]["specializations"] == ["Psychology", "Couples therapy"]
    assert [d["id"] for d in await get(client, "top-doctors", chain.admin, limit=1)] == [chain.dr1.id]
    at_centre2 = await get(client, "top-doctors", chain.admin, centreId=chain.c2.id)
    assert [(d["id"], d["appointmentCount"], d["revenue"]) for d in at_centre2] == [(chain.dr2.id, 1, 800.5)]
    assert await get(client, "top-doctors", chain.admin, centreId=chain.empty.id) == []


async def test_top_doctors_ties_go_to_revenue_then_name(client, db, chain):
    from tests.analytics.builders import book, pay
    from tests.analytics.conftest import calendar_for

    cal = calendar_for(chain.tz)
    p1, p2 = chain.patients[:2]
    first = await book(db, centre=chain.c1, clinician=chain.dr1, patient=p1, starts_at=cal.current(1))
    second = await book(db, centre=chain.c2, clinician=chain.dr2, patient=p2, starts_at=cal.current(1))
    await pay(db, appointment=first, amount_paise=100_00, paid_at=cal.current(0.5))
    await pay(db, appointment=second, amount_paise=200_00, paid_at=cal.current(0.5))
    ranked = await get(client, "top-doctors", chain.admin)
    assert [d["id"] for d in ranked] == [chain.dr2.id, chain.dr1.id]


async def test_leads_by_source_count_bookings_made_in_the_period(client, db, chain):
    await month_history(db, chain)
    leads = await get(client, "leads-by-source", chain.admin)
    assert [(s["source"], s["label"], s["value"], s["count"], s["percentage"]) for s in leads] == [
        ("WEB_PATIENT", "Website", 2, 2, 50.0), ("ADMIN_FRONT_DESK", "Front desk", 1, 1, 25.0),
        ("WHATSAPP", "WhatsApp", 1, 1, 25.0)]
    assert all(s["color"].startswith("#") for s in leads)
    at_centre1 = await get(client, "leads-by-source", chain.admin, centreId=chain.c1.id)
    assert [(s["source"], s["value"], s["percentage"]) for s in at_centre1] == [
        ("ADMIN_FRONT_DESK", 1, 50.0), ("WEB_PATIENT", 1, 50.0)]
    assert await get(client, "leads-by-source", chain.admin, centreId=chain.empty.id) == []


async def test_leads_percentages_round_to_one_decimal(client, db, chain):
    from tests.analytics.builders import book
    from tests.analytics.conftest import calendar_for

    cal = calendar_for(chain.tz)
    for hour, source in enumerate(("WEB_PATIENT", "WEB_PATIENT", "WALK_IN"), start=1):
        await book(db, centre=chain.c1, clinician=chain.dr1, patient=chain.patients[0], starts_at=cal.after(hour),
                   created_at=cal.current(hour / 10), source=source)
    leads = await get(client, "leads-by-source", chain.admin)
    assert [(s["source"], s["value"], s["percentage"]) for s in leads] == [("WEB_PATIENT", 2, 66.7),
                                                                          ("WALK_IN", 1, 33.3)]


async def test_revenue_series_zero_filled_in_the_organizations_days(client, db, chain):
    from tests.analytics.builders import book, local, pay
    from tests.analytics.conftest import calendar_for

    tz, today = chain.tz, calendar_for(chain.tz).today
    at_c1 = await book(db, centre=chain.c1, clinician=chain.dr1, patient=chain.patients[0],
                       starts_at=local(today, tz, 9))
    at_c2 = await book(db, centre=chain.c2, clinician=chain.dr2, patient=chain.patients[1],
                       starts_at=local(today, tz, 9))
    year_start = today.replace(day=1)
    for _ in range(11):
        year_start = (year_start - timedelta(days=1)).replace(day=1)
    paid = [  # (instant, rupees, appointment)
        (local(today, tz, 0, 30), 100, at_c1), (local(today, tz, 23, 59), 25, at_c2),
        (local(today - timedelta(days=6), tz, 23, 30), 200, at_c1),
        (local(today - timedelta(days=7), tz, 12), 400, at_c1),
        (local(today - timedelta(days=29), tz, 0), 800, at_c1),
        (local(today - timedelta(days=30), tz, 23, 59), 1600, at_c1),
        (local(year_start, tz, 0), 3200, at_c1),
        (local(year_start, tz) - timedelta(minutes=1), 6400, at_c1),  # the month before the year's first
    ]
    for instant, rupees, appointment in paid:
        await pay(db, appointment=appointment, amount_paise=rupees * 100, paid_at=instant)
    await pay(db, appointment=at_c1, amount_paise=50_00, status="FAILED", paid_at=None)
    other = await book(db, centre=chain.other_centre, clinician=chain.other_doctor, patient=chain.patients[0],
                       starts_at=local(today, tz, 9))
    await pay(db, appointment=other, amount_paise=12800_00, paid_at=local(today, tz, 1))

    week = await get(client, "revenue", chain.admin, period="week")
    assert [p["date"] for p in week] == [(today - timedelta(days=d)).isoformat() for d in range(6, -1, -1)]
    assert [p["revenue"] for p in week] == [200, 0, 0, 0, 0, 0, 125]
    assert [p["value"] for p in week] == [p["revenue"] for p in week]
    assert week[-1]["label"] == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[today.weekday()]

    month = await get(client, "revenue", chain.admin)  # month is the default
    assert len(month) == 30 and month[0]["date"] == (today - timedelta(days=29)).isoformat()
    expected = [0] * 30
    expected[0], expected[22], expected[23], expected[29] = 800, 400, 200, 125
    assert [p["revenue"] for p in month] == expected

    year = await get(client, "revenue", chain.admin, period="YEAR")
    assert len(year) == 12 and year[0]["date"] == year_start.isoformat() and year[-1]["date"] == today.replace(
        day=1).isoformat()
    by_month: dict[str, int] = {}
    for instant, rupees, _appointment in paid[:-1]:
        key = instant.astimezone(tz).date().replace(day=1).isoformat()
        by_month[key] = by_month.get(key, 0) + rupees
    assert [p["revenue"] for p in year] == [by_month.get(p["date"], 0) for p in year]
    assert sum(p["revenue"] for p in year) == 100 + 25 + 200 + 400 + 800 + 1600 + 3200
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert year[0]["label"] == f"{months[year_start.month - 1]} {year_start.year}"
    assert month[-1]["label"] == f"{today.day} {months[today.month - 1]}"

    centre2 = await get(client, "revenue", chain.admin, period="week", centreId=chain.c2.id)
    assert [p["revenue"] for p in centre2] == [0, 0, 0, 0, 0, 0, 25]
