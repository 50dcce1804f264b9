"""The slot engine against a real database: rules, exceptions, appointments, and what booking accepts."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clinicops.appointments.slots import day_slots, ensure_bookable
from clinicops.errors import NotFound, SlotUnavailable
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient
from tests.builders.slots import add_appointment, add_exception, next_date, weekday_of

UTC = timezone.utc
IST = ZoneInfo("Asia/Kolkata")
MONDAY = 1


@pytest.fixture
async def world(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org, timezone="Asia/Kolkata")
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(MONDAY,), start=time(9), end=time(17))
    patient = await make_patient(db, org=org)
    return org, centre, clinician, patient


def at(day: date, hh: int, mm: int = 0, tz: ZoneInfo = IST) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz)


async def slots_of(db, org, clinician, centre, day, **kw):
    return await day_slots(db, organization_id=org.id, clinician_id=clinician.id, centre_id=centre.id, day=day, **kw)


async def bookable(db, org, clinician, centre, starts_at, mode="IN_PERSON", minutes=None):
    return await ensure_bookable(db, organization_id=org.id, clinician_id=clinician.id, centre_id=centre.id,
                                 mode=mode, starts_at=starts_at, duration_minutes=minutes)


async def test_kolkata_rule_gives_slots_in_ist(db, world):
    org, centre, clinician, _ = world
    monday = next_date(MONDAY)
    slots = await slots_of(db, org, clinician, centre, monday)
    assert len(slots) == 16
    assert slots[0].starts_at == datetime.combine(monday, time(3, 30), tzinfo=UTC)
    assert slots[0].starts_at.tzinfo is not None and slots[0].starts_at.utcoffset() == timedelta(0)
    assert slots[-1].ends_at == at(monday, 17)
    assert all(s.available and s.status == "available" and s.mode == "IN_PERSON" for s in slots)
    assert await slots_of(db, org, clinician, centre, monday + timedelta(days=1)) == []


async def test_late_and_early_wall_clock_slots_belong_to_their_local_date(db, world):
    org, centre, clinician, _ = world
    tuesday = next_date(2)
    await add_rule(db, clinician=clinician, centre=centre, weekday=2, start=time(0, 0), end=time(1, 0))
    await add_rule(db, clinician=clinician, centre=centre, weekday=2, start=time(23, 0), end=time(23, 59),
                   slot_minutes=29)
    slots = await slots_of(db, org, clinician, centre, tuesday)
    local = [s.starts_at.astimezone(IST) for s in slots]
    assert [t.strftime("%H:%M") for t in local] == ["00:00", "00:30", "23:00", "23:29"]
    assert all(t.date() == tuesday for t in local)
    # 00:30 IST on Tuesday is Monday evening in UTC, yet it is a Tuesday slot, never a Monday one.
    assert slots[1].starts_at.astimezone(UTC).date() == tuesday - timedelta(days=1)
    monday_slots = await slots_of(db, org, clinician, centre, tuesday - timedelta(days=1))
    assert all(s.starts_at.astimezone(IST).date() == tuesday - timedelta(days=1) for s in monday_slots)
    await bookable(db, org, clinician, centre, at(tuesday, 23, 29))
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(tuesday, 23, 30))


def _second_sunday_of_march(year: int) -> date:
    day = date(year, 3, 8)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def _first_sunday_of_november(year: int) -> date:
    day = date(year, 11, 1)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def _upcoming(fn) -> date:
    year = date.today().year
    return fn(year) if fn(year) > date.today() + timedelta(days=1) else fn(year + 1)


async def test_new_york_across_spring_forward(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org, timezone="America/New_York")
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(0,), start=time(1), end=time(4))
    await add_rule(db, clinician=clinician, centre=centre, weekday=0, start=time(9), end=time(11))
    change = _upcoming(_second_sunday_of_march)
    ny = ZoneInfo("America/New_York")
    slots = await slots_of(db, org, clinician, centre, change)
    walls = [s.starts_at.astimezone(ny).strftime("%H:%M") for s in slots]
    # 02:00-03:00 does not exist that night: the 01:00-04:00 window is two real hours long.
    assert walls == ["01:00", "01:30", "03:00", "03:30", "09:00", "09:30", "10:00", "10:30"]
    assert all(b.starts_at >= a.ends_at for a, b in zip(slots, slots[1:]))
    assert slots[4].starts_at == datetime.combine(change, time(13), tzinfo=UTC)  # 09:00 EDT
    week_before = await slots_of(db, org, clinician, centre, change - timedelta(days=7))
    assert week_before[-4].starts_at == datetime.combine(change - timedelta(days=7), time(14), tzinfo=UTC)  # EST


async def test_new_york_across_fall_back(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org, timezone="America/New_York")
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(0,), start=time(1), end=time(3),
                                     slot_minutes=60)
    change = _upcoming(_first_sunday_of_november)
    slots = await slots_of(db, org, clinician, centre, change)
    # 01:00-03:00 that night lasts three hours (01:00-02:00 happens twice): three distinct one-hour slots.
    assert [s.ends_at - s.starts_at for s in slots] == [timedelta(hours=1)] * 3
    assert len({s.starts_at for s in slots}) == 3
    assert slots[0].starts_at == datetime.combine(change, time(5), tzinfo=UTC)


async def test_whole_day_unavailable_blocks_every_slot(db, world):
    org, centre, clinician, _ = world
    monday = next_date(MONDAY)
    await add_exception(db, clinician=clinician, on=monday)
    slots = await slots_of(db, org, clinician, centre, monday)
    assert len(slots) == 16 and all(s.status == "blocked" and not s.available for s in slots)
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 10))
    following = await slots_of(db, org, clinician, centre, monday + timedelta(days=7))
    assert all(s.available for s in following)


async def test_partial_block_matches_by_overlap_not_exact_times(db, world):
    org, centre, clinician, _ = world
    monday = next_date(MONDAY)
    await add_exception(db, clinician=clinician, on=monday, start=time(10, 15), end=time(10, 45), centre=centre)
    slots = {s.starts_at.astimezone(IST).strftime("%H:%M"): s for s in await slots_of(db, org, clinician, centre,
                                                                                       monday)}
    assert slots["10:00"].status == "blocked" and slots["10:30"].status == "blocked"
    assert slots["09:30"].available and slots["11:00"].available
    for hh, mm in ((10, 0), (10, 30)):
        with pytest.raises(SlotUnavailable):
            await bookable(db, org, clinician, centre, at(monday, hh, mm))
    await bookable(db, org, clinician, centre, at(monday, 11))


async def test_block_scoped_by_centre_and_mode(db, world):
    org, centre, clinician, _ = world
    other = await make_centre(db, org=org)
    monday = next_date(MONDAY)
    await add_rule(db, clinician=clinician, centre=centre, weekday=MONDAY, start=time(9), end=time(17), mode="ONLINE")
    await add_exception(db, clinician=clinician, on=monday, centre=other)  # elsewhere: no effect here
    await add_exception(db, clinician=clinician, on=monday, start=time(9), end=time(10), mode="ONLINE")
    slots = await slots_of(db, org, clinician, centre, monday)
    early = [s for s in slots if s.starts_at < at(monday, 10)]
    assert {(s.mode, s.status) for s in early} == {("IN_PERSON", "available"), ("ONLINE", "blocked")}
    assert all(s.available for s in slots if s.starts_at >= at(monday, 10))
    await add_exception(db, clinician=clinician, on=monday, start=time(16), end=time(17))  # all centres, all modes
    late = [s for s in await slots_of(db, org, clinician, centre, monday) if s.starts_at >= at(monday, 16)]
    assert late and all(s.status == "blocked" for s in late)


async def test_extra_hours_add_slots_on_a_day_without_rules(db, world):
    org, centre, clinician, _ = world
    saturday = next_date(6)
    assert await slots_of(db, org, clinician, centre, saturday) == []
    await add_exception(db, clinician=clinician, kind="EXTRA", on=saturday, start=time(18), end=time(19),
                        centre=centre, slot_minutes=20)
    slots = await slots_of(db, org, clinician, centre, saturday)
    assert [s.starts_at.astimezone(IST).strftime("%H:%M") for s in slots] == ["18:00", "18:20", "18:40"]
    assert {s.mode for s in slots} == {"IN_PERSON"}  # the modes the clinician's rules offer at that centre
    await bookable(db, org, clinician, centre, at(saturday, 18, 20))
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(saturday, 18, 30))


async def test_past_slots_hidden_unless_asked(db, world):
    org, centre, clinician, _ = world
    monday = next_date(MONDAY)
    noon = at(monday, 12, 10)
    upcoming = await slots_of(db, org, clinician, centre, monday, now=noon)
    assert upcoming[0].starts_at == at(monday, 12, 30) and len(upcoming) == 9
    everything = await slots_of(db, org, clinician, centre, monday, now=noon, include_past=True)
    assert len(everything) == 16
    assert [s.available for s in everything] == [False] * 7 + [True] * 9
    with pytest.raises(SlotUnavailable):
        await ensure_bookable(db, organization_id=org.id, clinician_id=clinician.id, centre_id=centre.id,
                              mode="IN_PERSON", starts_at=at(monday, 12), now=noon)
    a_year_ago = monday - timedelta(days=7 * 52)
    assert await slots_of(db, org, clinician, centre, a_year_ago) == []
    assert len(await slots_of(db, org, clinician, centre, a_year_ago, include_past=True)) == 16


async def test_effective_dates_bound_a_rule(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre)
    monday = next_date(MONDAY)
    rule = await add_rule(db, clinician=clinician, centre=centre, weekday=MONDAY)
    rule.effective_from, rule.effective_to = monday + timedelta(days=7), monday + timedelta(days=14)
    await db.flush()
    counts = [len(await slots_of(db, org, clinician, centre, monday + timedelta(days=7 * k))) for k in range(4)]
    assert counts == [0, 16, 16, 0]


async def test_adjacent_slots_both_bookable(db, world):
    org, centre, clinician, patient = world
    monday = next_date(MONDAY)
    await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 10))
    slots = {s.starts_at.astimezone(IST).strftime("%H:%M"): s for s in await slots_of(db, org, clinician, centre,
                                                                                       monday)}
    assert slots["10:00"].status == "booked" and slots["10:00"].appointment_id is not None
    assert slots["09:30"].available and slots["10:30"].available
    _, _, ends_at = await bookable(db, org, clinician, centre, at(monday, 10, 30))
    assert ends_at == at(monday, 11)
    await bookable(db, org, clinician, centre, at(monday, 9, 30))


async def test_fifty_minute_appointment_blocks_every_slot_it_overlaps(db, world):
    org, centre, clinician, patient = world
    monday = next_date(MONDAY)
    _, _, ends_at = await bookable(db, org, clinician, centre, at(monday, 10), minutes=50)
    assert ends_at == at(monday, 10, 50)
    long = await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 10),
                                 minutes=50)
    slots = {s.starts_at.astimezone(IST).strftime("%H:%M"): s for s in await slots_of(db, org, clinician, centre,
                                                                                       monday)}
    assert slots["10:00"].appointment_id == long.id and slots["10:30"].appointment_id == long.id
    assert slots["10:30"].status == "booked" and not slots["10:30"].available
    assert slots["11:00"].available
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 10, 30))
    await bookable(db, org, clinician, centre, at(monday, 11))
    # A long appointment must fit the rule's hours and free slots all the way.
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 16, 30), minutes=50)
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 9, 30), minutes=50)


async def test_released_statuses_and_holds(db, world):
    org, centre, clinician, patient = world
    monday = next_date(MONDAY)
    now = datetime.now(UTC)
    await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 9),
                          status="CANCELLED")
    held = await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 10),
                                 hold_expires_at=now + timedelta(minutes=15))
    await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=at(monday, 11),
                          hold_expires_at=now - timedelta(minutes=1))
    slots = {s.starts_at.astimezone(IST).strftime("%H:%M"): s for s in await slots_of(db, org, clinician, centre,
                                                                                       monday)}
    assert slots["09:00"].available
    assert slots["10:00"].status == "booked" and slots["10:00"].appointment_id == held.id
    assert slots["11:00"].available  # the hold lapsed: free again, even before the release job runs
    await bookable(db, org, clinician, centre, at(monday, 11))
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 10))


async def test_booking_refuses_what_is_not_offered(db, world):
    org, centre, clinician, _ = world
    monday = next_date(MONDAY)
    other_centre = await make_centre(db, org=org)
    refused = [at(monday, 10, 10), at(monday, 8, 30), at(monday, 17), at(monday + timedelta(days=1), 10)]
    for starts_at in refused:
        with pytest.raises(SlotUnavailable):
            await bookable(db, org, clinician, centre, starts_at)
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 10), mode="ONLINE")
    with pytest.raises(SlotUnavailable):  # no rules at that centre
        await bookable(db, org, clinician, other_centre, at(monday, 10))
    assert await slots_of(db, org, clinician, other_centre, monday) == []
    clinician_obj, centre_obj, ends_at = await bookable(db, org, clinician, centre, at(monday, 10))
    assert (clinician_obj.id, centre_obj.id, ends_at) == (clinician.id, centre.id, at(monday, 10, 30))


async def test_other_organization_is_not_found(db, world):
    org, centre, clinician, _ = world
    stranger = await make_org(db)
    monday = next_date(MONDAY)
    with pytest.raises(NotFound):
        await day_slots(db, organization_id=stranger.id, clinician_id=clinician.id, centre_id=centre.id, day=monday)
    with pytest.raises(NotFound):
        await ensure_bookable(db, organization_id=stranger.id, clinician_id=clinician.id, centre_id=centre.id,
                              mode="IN_PERSON", starts_at=at(monday, 10))
    foreign_centre = await make_centre(db, org=stranger)
    with pytest.raises(NotFound):
        await slots_of(db, org, clinician, foreign_centre, monday)
    clinician.is_active = False
    await db.flush()
    with pytest.raises(NotFound):
        await slots_of(db, org, clinician, centre, monday)


async def test_online_only_rule_never_yields_in_person(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre, weekdays=(MONDAY,), mode="ONLINE")
    monday = next_date(MONDAY)
    assert await slots_of(db, org, clinician, centre, monday, mode="IN_PERSON") == []
    every = await slots_of(db, org, clinician, centre, monday)
    assert len(every) == 16 and {s.mode for s in every} == {"ONLINE"}
    with pytest.raises(SlotUnavailable):
        await bookable(db, org, clinician, centre, at(monday, 10), mode="IN_PERSON")
    await bookable(db, org, clinician, centre, at(monday, 10), mode="ONLINE")


async def test_without_centre_lists_every_centre_with_rules(db, world):
    org, centre, clinician, _ = world
    second = await make_centre(db, org=org, timezone="Asia/Dubai")
    await make_centre(db, org=org)  # no rules there: never listed
    monday = next_date(MONDAY)
    await add_rule(db, clinician=clinician, centre=second, weekday=weekday_of(monday), start=time(18), end=time(19))
    slots = await day_slots(db, organization_id=org.id, clinician_id=clinician.id, centre_id=None, day=monday)
    assert {s.centre_id for s in slots} == {centre.id, second.id}
    dubai = [s for s in slots if s.centre_id == second.id]
    assert dubai[0].starts_at == datetime.combine(monday, time(18), tzinfo=ZoneInfo("Asia/Dubai"))
