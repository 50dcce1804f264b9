"""Plan features gate what they list: advanced analytics come with Professional. Tested on the analytics that
exist today (the hospital surface's, which a clinic's admin may call): Basic gets 403 naming the plan to buy."""

from __future__ import annotations

from tests.builders.clinic import make_clinic

ADVANCED = ("/api/analytics/revenue", "/api/analytics/top-doctors", "/api/analytics/leads-by-source")


async def test_advanced_analytics_need_a_plan_that_has_them(client, db):
    basic = await make_clinic(db, name="Small Clinic", plan="BASIC", doctors=1)
    professional = await make_clinic(db, name="Bigger Clinic", plan="PROFESSIONAL", doctors=1)
    for path in ADVANCED:
        refused = await client.get(path, headers=basic.admin.headers)
        assert refused.status_code == 403, (path, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "FEATURE_NOT_IN_PLAN"
        assert "BASIC" in error["message"] and "PROFESSIONAL" in error["message"]
        allowed = await client.get(path, headers=professional.admin.headers)
        assert allowed.status_code == 200, (path, allowed.text)
    # the basic dashboard is in every plan
    assert (await client.get("/api/analytics/dashboard", headers=basic.admin.headers)).status_code == 200
