"""Property: the slot list and the booking check never disagree.

Every slot the engine lists as available is accepted by the booking check, and every start time the booking
check accepts is a slot listed as available, over random rules, extra hours, blocks and appointments.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from clinicops.appointments import slot_engine as engine
from clinicops.appointments.slots import day_slots, ensure_bookable
from clinicops.errors import SlotUnavailable
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient
from tests.builders.slots import add_appointment, add_exception, next_date, weekday_of

DAY = date(2031, 3, 9)  # a Sunday: New York springs forward that night
ZONES = ("Asia/Kolkata", "America/New_York", "UTC")
CENTRE = 1
minutes_st = st.sampled_from([10, 15, 20, 30, 45, 60])
mode_st = st.sampled_from(engine.MODES)


@st.composite
def windows(draw):
    start = draw(st.integers(0, 23 * 4 - 1)) * 15
    length = draw(st.integers(1, 6 * 4)) * 15
    end = min(start + length, 23 * 60 + 59)
    return time(start // 60, start % 60), time(end // 60, end % 60)


@st.composite
def schedules(draw):
    tz = draw(st.sampled_from(ZONES))
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        start, end = draw(windows())
        rules.append(engine.Rule(CENTRE, engine.sunday_weekday(DAY), start, end, draw(minutes_st), draw(mode_st)))
    exceptions = []
    for _ in range(draw(st.integers(0, 3))):
        start, end = draw(windows())
        kind = draw(st.sampled_from(["UNAVAILABLE", "EXTRA"]))
        whole = kind == "UNAVAILABLE" and draw(st.booleans())
        exceptions.append(engine.DateException(
            kind, CENTRE if kind == "EXTRA" or draw(st.booleans()) else None, DAY, DAY,
            None if whole else start, None if whole else end,
            draw(st.one_of(st.none(), mode_st)), draw(st.one_of(st.none(), minutes_st))))
    schedule = engine.Schedule(1, "Asia/Kolkata", 1, draw(minutes_st), {CENTRE: tz}, rules=rules,
                               exceptions=exceptions)
    midnight = engine.midnight(DAY, ZoneInfo(tz))
    cursor, appointment_id = midnight, 1
    for _ in range(draw(st.integers(0, 6))):  # non-overlapping, as the exclusion constraint guarantees
        cursor += draw(st.integers(0, 8 * 12)) * 300
        length = draw(st.integers(1, 12)) * 300
        schedule.busy.append((cursor, cursor + length, appointment_id))
        cursor += length
        appointment_id += 1
    return schedule, midnight


@settings(max_examples=300, deadline=None)
@given(schedules(), st.integers(0, 24 * 12))
def test_listed_available_iff_bookable(data, now_step):
    schedule, midnight = data
    now = midnight + now_step * 300
    for mode in engine.MODES:
        listed = {s.start for s in engine.centre_day(schedule, CENTRE, DAY, mode=mode, now=now) if s.available}
        for start in range(midnight - 3600, midnight + 25 * 3600, 300):
            refusal, _ = engine.span_refusal(schedule, CENTRE, DAY, mode=mode, start=start, end=None, now=now)
            assert (refusal is None) == (start in listed), (mode, start - midnight, refusal)


@settings(max_examples=200, deadline=None)
@given(schedules(), st.integers(5, 180))
def test_a_longer_booking_only_covers_free_offered_time(data, duration):
    schedule, midnight = data
    tz = ZoneInfo(schedule.centres[CENTRE])
    for mode in engine.MODES:
        for slot in engine.centre_day(schedule, CENTRE, DAY, mode=mode, now=midnight):
            refusal, end = engine.span_refusal(schedule, CENTRE, DAY, mode=mode, start=slot.start,
                                               end=slot.start + duration * 60, now=midnight)
            if refusal is None:
                assert end == slot.start + duration * 60
                if duration * 60 >= slot.end - slot.start:
                    assert slot.available  # (a shorter one may use the free part of a partly booked slot)
                assert engine.overlapping_appointment(schedule, slot.start, end) is None
                assert not engine.is_blocked(engine.blocks_at(schedule, CENTRE, tz), slot.start, end, mode)


async def test_database_path_agrees_with_booking(db):
    """The same property end to end through SQL, over a few seeded random weeks."""
    rng = random.Random(20261121)
    org = await make_org(db)
    centre = await make_centre(db, org=org, timezone="Asia/Kolkata")
    clinician = await make_clinician(db, org=org, centre=centre)
    patient = await make_patient(db, org=org)
    tz = ZoneInfo("Asia/Kolkata")
    first = next_date(1)
    for offset in range(3):
        day = first + timedelta(days=offset)
        for _ in range(rng.randint(1, 2)):
            hour = rng.randint(6, 18)
            await add_rule(db, clinician=clinician, centre=centre, weekday=weekday_of(day), start=time(hour),
                           end=time(hour + rng.randint(1, 4)), slot_minutes=rng.choice([15, 20, 30]),
                           mode=rng.choice(engine.MODES))
        if rng.random() < 0.6:
            hour = rng.randint(6, 20)
            await add_exception(db, clinician=clinician, on=day, start=time(hour, rng.choice([0, 10, 25])),
                                end=time(hour + 1, rng.choice([0, 40])), mode=rng.choice([None, *engine.MODES]))
        cursor = datetime.combine(day, time(6), tzinfo=tz)
        for _ in range(rng.randint(0, 4)):
            cursor += timedelta(minutes=rng.choice([0, 15, 35, 60, 120]))
            minutes = rng.choice([20, 30, 50])
            await add_appointment(db, clinician=clinician, centre=centre, patient=patient, starts_at=cursor,
                                  minutes=minutes)
            cursor += timedelta(minutes=minutes)
    for offset in range(3):
        day = first + timedelta(days=offset)
        slots = await day_slots(db, organization_id=org.id, clinician_id=clinician.id, centre_id=centre.id, day=day)
        for mode in engine.MODES:
            offered = {s.starts_at for s in slots if s.available and s.mode == mode}
            probe = datetime.combine(day, time(6), tzinfo=tz)
            while probe < datetime.combine(day, time(23), tzinfo=tz):
                try:
                    await ensure_bookable(db, organization_id=org.id, clinician_id=clinician.id,
                                          centre_id=centre.id, mode=mode, starts_at=probe)
                    accepted = True
                except SlotUnavailable:
                    accepted = False
                assert accepted == (probe in offered), (mode, probe.astimezone(tz))
                probe += timedelta(minutes=5)
