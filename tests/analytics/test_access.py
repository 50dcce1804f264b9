"""Who reads the dashboard and which centres: ADMIN/MANAGER the organization, CENTRE_MANAGER their centres.

Out of reach is 404 (like a centre that does not exist), a role without the dashboard 403, no token 401, and bad
input 422 naming the field — on every one of the four endpoints.
"""

from __future__ import annotations

import pytest

from clinicops.auth.models import User
from tests.analytics.conftest import month_history
from tests.builders.people import bearer, make_staff

ENDPOINTS = ("dashboard", "top-doctors", "revenue", "leads-by-source")


def assert_error(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code and body["message"]
    if field is not None:
        assert field in [d["field"] for d in body["error"]["details"]], body


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_no_token_is_401(client, db, chain, path):
    assert_error(await client.get(f"/api/analytics/{path}"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("role", ["FRONT_DESK", "CLINICIAN", "CARE_COORDINATOR"])
async def test_other_staff_roles_are_403(client, db, chain, role):
    user = await make_staff(db, org=chain.org, role=role, centres=[chain.c1])
    for path in ENDPOINTS:
        assert_error(await client.get(f"/api/analytics/{path}", headers=bearer(user)), 403, "FORBIDDEN")


async def test_a_patient_is_403(client, db, chain):
    patient_user = await db.get(User, chain.patients[0].user_id)
    for path in ENDPOINTS:
        assert_error(await client.get(f"/api/analytics/{path}", headers=bearer(patient_user)), 403, "FORBIDDEN")


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER"])
async def test_admin_and_manager_read_every_centre(client, db, chain, role):
    await month_history(db, chain)
    user = await make_staff(db, org=chain.org, role=role)
    for path in ENDPOINTS:
        for params in ({}, {"centreId": chain.c1.id}, {"centreId": chain.c2.id}):
            response = await client.get(f"/api/analytics/{path}", params=params, headers=bearer(user))
            assert response.status_code == 200, (path, params, response.text)
    whole = (await client.get("/api/analytics/dashboard", headers=bearer(user))).json()["data"]
    assert whole["totalPatients"] == 3


async def test_a_centre_manager_reads_only_their_centres(client, db, chain):
    await month_history(db, chain)
    manager = await make_staff(db, org=chain.org, role="CENTRE_MANAGER", centres=[chain.c1])
    headers = bearer(manager)
    own = (await client.get("/api/analytics/dashboard", headers=headers)).json()["data"]
    filtered = (await client.get("/api/analytics/dashboard", params={"centreId": chain.c1.id},
                                 headers=headers)).json()["data"]
    admin_view = (await client.get("/api/analytics/dashboard", params={"centreId": chain.c1.id},
                                   headers=bearer(chain.admin))).json()["data"]
    # no filter = their centres only: exactly the centre-1 figures
    for key in ("totalPatients", "activeDoctors", "followUpsBooked", "totalRevenue", "totalRevenueChange"):
        assert own[key] == filtered[key] == admin_view[key], key
    assert (own["totalPatients"], own["activeDoctors"], own["totalRevenue"]) == (3, 1, 1500)
    doctors = (await client.get("/api/analytics/top-doctors", headers=headers)).json()["data"]
    assert [d["id"] for d in doctors] == [chain.dr1.id]
    leads = (await client.get("/api/analytics/leads-by-source", headers=headers)).json()["data"]
    assert sorted(s["source"] for s in leads) == ["ADMIN_FRONT_DESK", "WEB_PATIENT"]
    for path in ENDPOINTS:
        for centre in (chain.c2, chain.other_centre):
            response = await client.get(f"/api/analytics/{path}", params={"centreId": centre.id}, headers=headers)
            assert_error(response, 404, "NOT_FOUND")


async def test_a_centre_manager_of_two_centres_sees_both(client, db, chain):
    await month_history(db, chain)
    manager = await make_staff(db, org=chain.org, role="CENTRE_MANAGER", centres=[chain.c1, chain.c2])
    data = (await client.get("/api/analytics/dashboard", headers=bearer(manager))).json()["data"]
    assert (data["totalPatients"], data["activeDoctors"], data["followUpsBooked"], data["totalRevenue"]) == (
        3, 2, 2, 2300.5)
    response = await client.get("/api/analytics/dashboard", params={"centreId": chain.empty.id},
                                headers=bearer(manager))
    assert_error(response, 404, "NOT_FOUND")


async def test_a_centre_outside_the_organization_is_404(client, db, chain):
    await month_history(db, chain)
    chain.empty.is_deleted = True
    await db.flush()
    for path in ENDPOINTS:
        for centre_id in (chain.other_centre.id, chain.empty.id, 987654321):
            response = await client.get(f"/api/analytics/{path}", params={"centreId": centre_id},
                                        headers=bearer(chain.admin))
            assert_error(response, 404, "NOT_FOUND")


@pytest.mark.parametrize(("path", "params", "field"), [
    ("revenue", {"period": "decade"}, "period"),
    ("dashboard", {"centreId": "abc"}, "centreId"),
    ("leads-by-source", {"centre_id": "abc"}, "centre_id"),
    ("revenue", {"centreId": "1.5"}, "centreId"),
    ("top-doctors", {"centreId": "0"}, "centreId"),
    ("dashboard", {"centreId": "-3"}, "centreId"),
    ("top-doctors", {"limit": "0"}, "limit"),
    ("top-doctors", {"limit": "-1"}, "limit"),
    ("top-doctors", {"limit": "ten"}, "limit"),
    ("dashboard", {"centreId": "9" * 30}, "centreId"),
])
async def test_bad_input_is_422_naming_the_field(client, db, chain, path, params, field):
    response = await client.get(f"/api/analytics/{path}", params=params, headers=bearer(chain.admin))
    assert_error(response, 422, "VALIDATION_ERROR", field)


async def test_all_centres_and_a_large_limit_are_accepted(client, db, chain):
    await month_history(db, chain)
    headers = bearer(chain.admin)
    for value in ("", "all", "ALL"):
        data = (await client.get("/api/analytics/dashboard", params={"centreId": value}, headers=headers)).json()
        assert data["data"]["totalPatients"] == 3 and data["data"]["centreId"] is None
    doctors = await client.get("/api/analytics/top-doctors", params={"limit": 500}, headers=headers)
    assert doctors.status_code == 200 and len(doctors.json()["data"]) == 2  # clamped to 50, two exist


async def test_each_endpoint_sends_at_most_three_statements(client, db, chain, count_sql):
    await month_history(db, chain)
    headers = bearer(chain.admin)
    for path in ENDPOINTS:
        for params in ({}, {"centreId": chain.c1.id}):
            with count_sql() as sent:
                response = await client.get(f"/api/analytics/{path}", params=params, headers=headers)
            assert response.status_code == 200
            # the caller's identity, the organization's zone with the centre check, the figures
            assert len(sent) <= 3, (path, params, sent)
