"""The access-token check's identity cache, in one process: filled on a miss, dropped by the change feed on every
change to what it holds (whatever wrote it), never trusted while the feed is not listening, bounded in size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from clinicops.auth import service as auth, sessions
from clinicops.auth.identities import IdentityCache
from clinicops.auth.repository import IdentityRow
from clinicops.kit.timezones import utcnow
from tests.builders.feeds import caught_up, running_feeds
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_patient, make_staff


@pytest.fixture
async def signed_in(committed, database_url):
    """A staff member with a live session, a cache on a listening feed, and the session factory."""
    factory, _client = committed
    async with factory() as session, session.begin():
        org = await make_org(session)
        centre = await make_centre(session, org=org)
        user = await make_staff(session, org=org, role="ADMIN")
        tokens = await sessions.start(session, user, policy=sessions.STATIC, surface=sessions.HOSPITAL)
    async with running_feeds(database_url) as (feed,):
        yield factory, feed, IdentityCache(feed), user, tokens.family_id, centre


async def identity(factory, cache: IdentityCache, user_id: int, family: str | None) -> IdentityRow | None:
    async with factory() as session, session.begin():
        return await auth.identity(session, user_id, family, cache=cache)


async def change(factory, feed, statement: str, **params) -> None:
    async with factory() as session, session.begin():
        await session.execute(text(statement), params)
    await caught_up(factory, feed)


async def test_a_warm_identity_costs_no_query(signed_in, engine):
    factory, _feed, cache, user, family, _centre = signed_in
    first = await identity(factory, cache, user.id, family)
    assert first is not None and first.session_live_at(utcnow())
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await identity(factory, cache, user.id, family) == first
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert cache.hits == 1
    assert [s for s in statements if "FROM users" in s] == []


@pytest.mark.parametrize("statement, check", [
    ("UPDATE users SET is_active = false WHERE id = :u", lambda row: not row.is_active),
    ("UPDATE users SET is_deleted = true WHERE id = :u", lambda row: row.is_deleted),
    ("UPDATE users SET token_version = token_version + 1 WHERE id = :u", lambda row: row.token_version == 1),
    ("UPDATE users SET password_hash = 'x' WHERE id = :u", lambda row: True),
    ("UPDATE user_roles SET role = 'FRONT_DESK' WHERE user_id = :u", lambda row: row.roles == [("FRONT_DESK", None)]),
    ("UPDATE user_roles SET centre_id = :centre WHERE user_id = :u", lambda row: row.roles[0][1] is not None),
    ("INSERT INTO user_roles (user_id, role) VALUES (:u, 'MANAGER')", lambda row: len(row.roles) == 2),
    ("DELETE FROM user_roles WHERE user_id = :u", lambda row: row.roles == []),
    ("UPDATE auth_sessions SET revoked_at = now() WHERE user_id = :u",
     lambda row: not row.session_live_at(utcnow())),
])
async def test_every_change_the_check_reads_drops_the_entry(signed_in, statement, check):
    factory, feed, cache, user, family, centre = signed_in
    before = await identity(factory, cache, user.id, family)
    assert before is not None and len(cache) == 1
    await change(factory, feed, statement, u=user.id, centre=centre.id)
    assert len(cache) == 0
    after = await identity(factory, cache, user.id, family)
    assert after is not None and check(after)


async def test_the_service_paths_drop_it_too(signed_in):
    factory, feed, cache, user, family, _centre = signed_in
    await identity(factory, cache, user.id, family)
    async with factory() as session, session.begin():
        await sessions.revoke_family(session, family, "logout")
    await caught_up(factory, feed)
    assert not (await identity(factory, cache, user.id, family)).session_live_at(utcnow())

    other = await identity(factory, cache, user.id, None)
    async with factory() as session, session.begin():
        await sessions.revoke_all_for_user(session, user.id, "deactivated")
    await caught_up(factory, feed)
    assert (await identity(factory, cache, user.id, None)).token_version == other.token_version + 1


async def test_a_linked_patient_or_clinician_drops_it(signed_in):
    factory, feed, cache, _user, _family, _centre = signed_in
    async with factory() as session, session.begin():
        patient = await make_patient(session, with_login=False)
        org = await make_org(session)
        login = await make_staff(session, org=org, role="FRONT_DESK")
    assert (await identity(factory, cache, login.id, None)).patient_id is None
    await change(factory, feed, "UPDATE patients SET user_id = :u WHERE id = :p", u=login.id, p=patient.id)
    assert (await identity(factory, cache, login.id, None)).patient_id == patient.id


async def test_an_expired_session_is_judged_at_each_use(signed_in):
    """Entries never expire by time; the session's own expiry is judged each time the entry is used."""
    factory, _feed, cache, user, family, _centre = signed_in
    row = await identity(factory, cache, user.id, family)
    assert row.session_live_at(utcnow())
    assert not row.session_live_at(row.session_expires_at + timedelta(seconds=1))


async def test_nothing_is_trusted_while_the_feed_is_down(signed_in):
    factory, feed, cache, user, family, _centre = signed_in
    await identity(factory, cache, user.id, family)
    await feed.stop()
    assert len(cache) == 0 and feed.fill_token() is None
    async with factory() as session, session.begin():  # announced to nobody
        await session.execute(text("UPDATE users SET is_active = false WHERE id = :u"), {"u": user.id})
    assert not (await identity(factory, cache, user.id, family)).is_active
    assert len(cache) == 0 and cache.hits == 0


async def test_an_identity_read_before_a_change_is_not_stored_after_it(signed_in):
    factory, feed, cache, user, family, _centre = signed_in
    token = feed.fill_token()
    async with factory() as session, session.begin():
        stale = await auth.repository.load_identity(session, user.id, family)
    await change(factory, feed, "UPDATE users SET is_active = false WHERE id = :u", u=user.id)
    cache.put(token, stale)
    assert len(cache) == 0
    assert not (await identity(factory, cache, user.id, family)).is_active


async def test_the_cache_is_bounded(signed_in):
    factory, feed, _cache, user, family, _centre = signed_in
    cache = IdentityCache(feed, max_entries=2)
    async with factory() as session, session.begin():
        org = await make_org(session)
        others = [await make_staff(session, org=org) for _ in range(3)]
    for other in others:
        await identity(factory, cache, other.id, None)
    assert len(cache) == 2
    await identity(factory, cache, others[1].id, None)
    assert cache.hits == 1  # the oldest was evicted, the newer ones kept
    await change(factory, feed, "UPDATE users SET is_active = false WHERE id = :u", u=others[2].id)
    assert len(cache) == 1
