"""The directory cache stays right across processes: two caches, each with its own change feed (listener
connection), play two API processes, and every change committed through one (or behind both of their backs) is
seen by the other on its next read once the change's notification has arrived. Without a listening feed nothing
is served from memory."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import event, text, update

from clinicops.auth.models import User
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians import availability, service as clinicians
from clinicops.clinicians.availability import RuleSpec
from clinicops import changes
from clinicops.clinicians.cache import DirectoryCache
from clinicops.config import get_settings
from clinicops.organizations.keys import OrganizationKey
from clinicops.organizations.models import Centre
from tests.builders.clinicians import make_clinician
from tests.builders.feeds import caught_up, running_feeds
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_staff

QUERY = clinicians.DirectoryQuery()


def public() -> OrganizationKey:
    """The hospital surface's public organization, as its edge names it (http/tenant.py)."""
    return OrganizationKey(slug=get_settings().default_organization)


def names(rows: list[dict], *, staff: bool) -> list[tuple[str, str | None]]:
    return [(r["full_name"], r["primary_centre_name"]) for r in rows]


def rules_of(clinician_id: int, rules: list[dict]) -> list[tuple[int, time]]:
    return [(r["weekday"], r["start_time"]) for r in rules]


@pytest.fixture
async def feeds(database_url):
    async with running_feeds(database_url, 2) as found:
        yield found


@pytest.fixture
async def world(committed):
    factory, _client = committed
    async with factory() as session, session.begin():
        org = await make_org(session, slug=get_settings().default_organization)
        centre = await make_centre(session, org=org, name="Lake Centre")
        doctor = await make_clinician(session, org=org, centre=centre, full_name="Dr. First", weekdays=(1,))
        admin = await make_staff(session, org=org, role="ADMIN")
    principal = Principal(user_id=admin.id, user_type="STAFF", organization_id=org.id,
                          roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})
    return factory, principal, doctor, centre


async def read(factory, cache: DirectoryCache):
    async with factory() as session, session.begin():
        return await clinicians.directory(session, None, organization=public(), query=QUERY, render=names,
                                          cache=cache)


async def write(factory, change):
    async with factory() as session, session.begin():
        await change(session)


async def test_a_change_through_one_process_is_seen_by_the_other(world, feeds):
    factory, principal, doctor, _centre = world
    one, two = DirectoryCache(feeds[0]), DirectoryCache(feeds[1])
    assert await read(factory, two) == [("Dr. First", "Lake Centre")]
    assert await read(factory, two) == [("Dr. First", "Lake Centre")]
    assert two.hits == 1

    async def rename(session):
        await clinicians.update(session, principal, doctor.id, account=clinicians.Account(full_name="Dr. Renamed"),
                                profile_fields={})
        await clinicians.directory(session, principal, organization=OrganizationKey(id=principal.organization_id),
                                   query=QUERY, render=names, cache=one)

    await write(factory, rename)
    await caught_up(factory, *feeds)
    assert await read(factory, two) == [("Dr. Renamed", "Lake Centre")]

    async def deactivate(session):
        await clinicians.set_active(session, principal, doctor.id, False)

    await write(factory, deactivate)
    await caught_up(factory, *feeds)
    assert await read(factory, two) == []
    assert await read(factory, one) == []


async def test_changes_made_behind_the_service_are_seen_too(world, feeds):
    factory, _principal, doctor, centre = world
    cache = DirectoryCache(feeds[0])
    assert await read(factory, cache) == [("Dr. First", "Lake Centre")]

    async def raw_user_rename(session):  # raw SQL that does not touch updated_at
        await session.execute(text("UPDATE users SET full_name = 'Dr. Raw' WHERE id = :u"), {"u": doctor.user_id})

    await write(factory, raw_user_rename)
    await caught_up(factory, *feeds)
    assert await read(factory, cache) == [("Dr. Raw", "Lake Centre")]

    async def rename_centre(session):
        await session.execute(update(Centre).where(Centre.id == centre.id).values(name="Hill Centre"))

    await write(factory, rename_centre)
    await caught_up(factory, *feeds)
    assert await read(factory, cache) == [("Dr. Raw", "Hill Centre")]

    async def deactivate_login(session):
        await session.execute(update(User).where(User.id == doctor.user_id).values(is_active=False))

    await write(factory, deactivate_login)
    await caught_up(factory, *feeds)
    assert await read(factory, cache) == []


async def test_rule_changes_invalidate_the_cached_availability(world, feeds):
    factory, principal, doctor, centre = world
    one, two = DirectoryCache(feeds[0]), DirectoryCache(feeds[1])

    async def rules_via(cache):
        async with factory() as session, session.begin():
            return await clinicians.rules(session, None, doctor.id, organization=public(), render=rules_of,
                                          cache=cache)

    assert await rules_via(two) == [(1, time(9))]

    async def replace(session):
        await availability.replace(session, principal, doctor.id, [
            RuleSpec(centre_id=centre.id, weekday=3, start_time=time(14), end_time=time(16))])
        own = OrganizationKey(id=principal.organization_id)
        await clinicians.rules(session, principal, doctor.id, organization=own, render=rules_of, cache=one)

    await write(factory, replace)
    await caught_up(factory, *feeds)
    assert await rules_via(two) == [(3, time(14))]


async def test_a_hit_costs_no_statement(world, feeds, engine):
    factory, _principal, _doctor, _centre = world
    cache = DirectoryCache(feeds[0])
    await read(factory, cache)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await read(factory, cache) == [("Dr. First", "Lake Centre")]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert cache.hits == 1
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == []


async def test_nothing_is_served_from_memory_while_the_feed_is_not_listening(world, database_url):
    factory, _principal, doctor, _centre = world
    async with running_feeds(database_url) as (feed,):
        cache = DirectoryCache(feed)
        assert await read(factory, cache) == [("Dr. First", "Lake Centre")]
        assert len(cache) == 1
    # The listener stopped: the cache was emptied, and a change nobody announces to it is still seen.
    assert len(cache) == 0
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE users SET full_name = 'Dr. Unheard' WHERE id = :u"),
                              {"u": doctor.user_id})
    assert await read(factory, cache) == [("Dr. Unheard", "Lake Centre")]
    assert await read(factory, cache) == [("Dr. Unheard", "Lake Centre")]
    assert cache.hits == 0 and len(cache) == 0


async def test_a_page_built_while_a_change_arrives_is_not_stored(world, feeds):
    factory, _principal, _doctor, centre = world
    cache = DirectoryCache(feeds[0])
    token = feeds[0].fill_token()
    assert token is not None
    async with factory() as session, session.begin():
        await session.execute(update(Centre).where(Centre.id == centre.id).values(name="Renamed Centre"))
    await caught_up(factory, feeds[0])
    cache.put(token, 1, "page", "built before the change")
    assert len(cache) == 0
    cache.put(feeds[0].fill_token(), 1, "page", "built after it")
    assert cache.get(1, "page") == "built after it"


async def test_every_directory_table_announces_its_changes(world, feeds):
    factory, _principal, doctor, centre = world
    heard: list[tuple[str, str]] = []
    feeds[0].subscribe(DirectoryCache.TOPICS, lambda topic, key: heard.append((topic, key)))
    statements = [
        ("UPDATE clinicians SET bio = 'new' WHERE id = :c", (changes.CLINICIAN, doctor.id)),
        ("UPDATE availability_rules SET slot_minutes = 20 WHERE clinician_id = :c", (changes.CLINICIAN, doctor.id)),
        ("UPDATE users SET full_name = 'Dr. X' WHERE id = :u", (changes.CLINICIAN, doctor.id)),
        ("UPDATE centres SET city = 'kochi' WHERE id = :ce", (changes.CENTRE, centre.id)),
        ("UPDATE organizations SET name = 'Renamed' WHERE id = :o", (changes.ORGANIZATION, centre.organization_id)),
    ]
    for statement, expected in statements:
        heard.clear()
        async with factory() as session, session.begin():
            await session.execute(text(statement), {"c": doctor.id, "u": doctor.user_id, "ce": centre.id,
                                                    "o": centre.organization_id})
        await caught_up(factory, feeds[0])
        assert (expected[0], str(expected[1])) in heard, statement
