"""The centre list is answered from a per-process cache while the change feed listens; two caches, each with its
own feed, play two API processes: a centre changed through one (or by plain SQL behind both) is in the other's
next answer once the notification has arrived, and nothing is served from memory while a feed is not listening."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from clinicops import changes
from clinicops.authz.principal import Principal, Role
from clinicops.organizations import service as centres
from tests.builders.feeds import caught_up, running_feeds
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_staff


@pytest.fixture
async def feeds(database_url):
    async with running_feeds(database_url, 2) as found:
        yield found


@pytest.fixture
async def world(committed):
    factory, _client = committed
    async with factory() as session, session.begin():
        org = await make_org(session, slug="cache-chain", cities=["pune", "delhi"])
        other = await make_org(session, slug="cache-other")
        lake = await make_centre(session, org=org, name="Lake Centre", city="pune")
        await make_centre(session, org=org, name="Hill Centre", city="delhi")
        await make_centre(session, org=other, name="Other Centre", city="pune")
        admin = await make_staff(session, org=org, role="ADMIN")
    principal = Principal(user_id=admin.id, user_type="STAFF", organization_id=org.id,
                          roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})
    return factory, principal, org.id, lake.id


async def names(factory, principal, organization_id, cache, **filters) -> list[str]:
    async with factory() as session, session.begin():
        rows = await centres.list_centres(session, principal, organization_id=organization_id, cache=cache,
                                          **filters)
        return [c.name for c in rows]


def counting(factory):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM centres" in statement:
            statements.append(statement)
    return statements, count


async def test_a_change_behind_both_processes_is_in_the_next_answer(world, feeds, engine):
    factory, principal, org_id, lake_id = world
    one = changes.Snapshots(feeds[0], (changes.CENTRE,))
    two = changes.Snapshots(feeds[1], (changes.CENTRE,))
    statements, count = counting(factory)
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await names(factory, principal, org_id, two) == ["Hill Centre", "Lake Centre"]
        assert await names(factory, principal, org_id, two) == ["Hill Centre", "Lake Centre"]
        assert len(statements) == 1  # the second answer came from memory
        assert await names(factory, principal, org_id, one) == ["Hill Centre", "Lake Centre"]

        async with factory() as session, session.begin():
            await session.execute(text("UPDATE centres SET name = 'Lake View', is_active = false WHERE id = :id"),
                                  {"id": lake_id})
        await caught_up(factory, *feeds)
        assert await names(factory, principal, org_id, two) == ["Hill Centre", "Lake View"]
        assert await names(factory, principal, org_id, one, is_active=True) == ["Hill Centre"]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_filters_and_scope_from_one_snapshot(world, feeds):
    factory, principal, org_id, lake_id = world
    cache = changes.Snapshots(feeds[0], (changes.CENTRE,))
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE centres SET is_deleted = true WHERE id = :id"), {"id": lake_id})
    await caught_up(factory, *feeds)
    assert await names(factory, principal, org_id, cache) == ["Hill Centre"]
    assert await names(factory, principal, org_id, cache, include_deleted=True) == ["Hill Centre", "Lake Centre"]
    assert await names(factory, principal, org_id, cache, city="Delhi ") == ["Hill Centre"]
    assert await names(factory, principal, org_id, cache, city="pune", include_deleted=True) == ["Lake Centre"]
    # anyone but the organization's staff: active, live centres only, whatever they ask for
    assert await names(factory, None, org_id, cache, include_deleted=True, is_active=False) == ["Hill Centre"]
    # the other organization's centres are never in this one's answer (and the cache keys them apart)
    other_admin = Principal(user_id=0, user_type="STAFF", organization_id=org_id + 1,
                            roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})
    assert await names(factory, other_admin, org_id + 1, cache) == ["Other Centre"]


async def test_nothing_is_served_from_memory_while_the_feed_is_not_listening(world, database_url):
    factory, principal, org_id, lake_id = world
    async with running_feeds(database_url, 1) as (feed,):
        cache = changes.Snapshots(feed, (changes.CENTRE,))
        assert await names(factory, principal, org_id, cache) == ["Hill Centre", "Lake Centre"]
        assert len(cache) == 1
    # the feed stopped: the entry may be stale (a change now would not be announced to it)
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE centres SET name = 'Lake View' WHERE id = :id"), {"id": lake_id})
    assert await names(factory, principal, org_id, cache) == ["Hill Centre", "Lake View"]


async def test_a_change_during_the_read_refuses_the_store(world, feeds):
    factory, principal, org_id, lake_id = world
    cache = changes.Snapshots(feeds[0], (changes.CENTRE,))
    token = cache.feed.fill_token()
    async with factory() as session, session.begin():
        await session.execute(text("UPDATE centres SET name = 'Lake View' WHERE id = :id"), {"id": lake_id})
    await caught_up(factory, *feeds)
    cache.put(token, org_id, ["stale"])
    assert cache.get(org_id) is None
