"""The public clinician directory: what it shows, to whom, and its aliases."""

from __future__ import annotations

from datetime import time

from clinicops.auth.models import User
from tests.builders.clinicians import add_rule, make_clinician
from tests.builders.organizations import make_centre, make_org

PUBLIC_FIELDS = {"id", "fullName", "specialization", "qualification", "yearsOfExperience", "expertise",
                 "profilePictureUrl", "primaryCentreId", "primaryCentreName", "languages", "consultationFee",
                 "consultationModes", "defaultDurationMinutes", "bio", "isActive"}


async def test_public_list_has_the_documented_fields_and_no_contact_details(client, db, chain, doctor):
    response = await client.get("/api/clinicians")
    assert response.status_code == 200
    [item] = response.json()["data"]
    assert PUBLIC_FIELDS <= set(item)
    assert item["id"] == doctor.id and item["fullName"] == "Dr. North Doctor"
    assert item["consultationFee"] == 1500 and isinstance(item["consultationFee"], int)
    # the city is in the name the website's experts page filters on; the real name stays available
    assert item["primaryCentreName"] == "North Centre – Bangalore"
    assert item["primaryCentre"]["name"] == item["primaryCentreRealName"] == "North Centre"
    user = await db.get(User, doctor.user_id)
    for secret in ("phone", "email", "password", "username"):
        assert secret not in item
    assert user.phone.lstrip("+") not in response.text and user.phone[3:] not in response.text
    assert response.headers["x-total-count"] == "1"


async def test_public_list_hides_inactive_and_deleted_and_other_organizations(client, db, chain, doctor):
    await make_clinician(db, org=chain.org, centre=chain.north, full_name="Dr. Inactive", is_active=False)
    await make_clinician(db, org=chain.org, centre=chain.north, full_name="Dr. Deleted", is_deleted=True)
    other_org = await make_org(db, slug="elsewhere")
    other_centre = await make_centre(db, org=other_org)
    await make_clinician(db, org=other_org, centre=other_centre, full_name="Dr. Elsewhere")
    names = [c["fullName"] for c in (await client.get("/api/clinicians")).json()["data"]]
    assert names == ["Dr. North Doctor"]


async def test_a_garbage_or_stale_token_is_ignored(client, chain, doctor):
    for header in ("Bearer garbage.token.here", "Bearer null", "Basic abc"):
        response = await client.get("/api/clinicians", headers={"Authorization": header})
        assert response.status_code == 200, header
        assert [c["id"] for c in response.json()["data"]] == [doctor.id]
        detail = await client.get(f"/api/clinicians/{doctor.id}", headers={"Authorization": header})
        assert detail.status_code == 200


async def test_aliases_serve_the_same_list_and_detail(client, chain, doctor):
    canonical = (await client.get("/api/clinicians")).json()
    for path in ("/api/clinicians/clinicians", "/api/users/clinicians"):
        assert (await client.get(path)).json() == canonical
    detail = (await client.get(f"/api/clinicians/{doctor.id}")).json()
    for path in (f"/api/clinicians/clinicians/{doctor.id}", f"/api/users/clinicians/{doctor.id}"):
        assert (await client.get(path)).json() == detail
    assert [(r["dayOfWeek"], r["startTime"], r["endTime"]) for r in detail["data"]["availabilityRules"]] == [
        (1, "09:00", "13:00"), (3, "09:00", "13:00")]
    assert "phone" not in detail["data"] and "email" not in detail["data"]


async def test_filters_by_centre_city_specialization_and_mode(client, db, chain, doctor):
    south = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. South Online",
                                 consultation_modes=["ONLINE"])
    south.specializations = ["Clinical Psychology"]
    await db.flush()
    visiting = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. Visiting")
    await add_rule(db, clinician=visiting, centre=chain.north, weekday=5, start=time(9), end=time(10))

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/clinicians?{query}")
        assert response.status_code == 200, response.text
        return sorted(c["id"] for c in response.json()["data"])

    assert await ids(f"centreId={chain.north.id}") == sorted([doctor.id, visiting.id])
    assert await ids(f"centre_id={chain.south.id}") == sorted([south.id, visiting.id])
    assert await ids("city=KOCHI") == sorted([south.id, visiting.id])
    assert await ids("specialization=psychology") == [south.id]
    assert await ids("mode=in-person") == sorted([doctor.id, visiting.id])  # south is online only
    assert await ids("search=visit") == [visiting.id]
    bad = await client.get("/api/clinicians?centreId=abc")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "centreId"


async def test_unknown_or_inactive_detail_is_404(client, db, chain):
    inactive = await make_clinician(db, org=chain.org, centre=chain.north, is_active=False)
    assert (await client.get(f"/api/clinicians/{inactive.id}")).status_code == 404
    assert (await client.get("/api/clinicians/999999")).status_code == 404


async def test_managers_may_include_inactive_and_see_contact_details(client, db, chain, doctor):
    inactive = await make_clinician(db, org=chain.org, centre=chain.north, full_name="Dr. Away", is_active=False)
    away_south = await make_clinician(db, org=chain.org, centre=chain.south, full_name="Dr. Away South",
                                      is_active=False)
    admin = await client.get("/api/clinicians?includeInactive=true", headers=chain.auth("ADMIN"))
    assert {c["id"] for c in admin.json()["data"]} == {doctor.id, inactive.id, away_south.id}
    assert all("phone" in c for c in admin.json()["data"])
    scoped = await client.get("/api/clinicians?includeInactive=true", headers=chain.auth("CENTRE_MANAGER"))
    assert {c["id"] for c in scoped.json()["data"]} == {doctor.id, inactive.id}
    ignored = await client.get("/api/clinicians?includeInactive=true", headers=chain.auth("FRONT_DESK"))
    assert [c["id"] for c in ignored.json()["data"]] == [doctor.id]
    anonymous = await client.get("/api/clinicians?includeInactive=true")
    assert [c["id"] for c in anonymous.json()["data"]] == [doctor.id]
    detail = await client.get(f"/api/clinicians/{inactive.id}", headers=chain.auth("ADMIN"))
    assert detail.status_code == 200 and detail.json()["data"]["isActive"] is False


async def test_public_availability_read(client, chain, doctor):
    response = await client.get(f"/api/clinicians/{doctor.id}/availability",
                                headers={"Authorization": "Bearer stale"})
    assert response.status_code == 200
    rules = response.json()["data"]
    assert [(r["centre_id"], r["dayOfWeek"], r["consultationMode"]) for r in rules] == [
        (chain.north.id, 1, "IN_PERSON"), (chain.north.id, 3, "IN_PERSON")]


async def test_list_paginates(client, db, chain):
    for n in range(3):
        await make_clinician(db, org=chain.org, centre=chain.north, full_name=f"Dr. Page {n}")
    first = await client.get("/api/clinicians?limit=2")
    second = await client.get("/api/clinicians?limit=2&offset=2")
    assert [c["fullName"] for c in first.json()["data"]] == ["Dr. Page 0", "Dr. Page 1"]
    assert [c["fullName"] for c in second.json()["data"]] == ["Dr. Page 2"]
    assert first.headers["x-total-count"] == "3"
