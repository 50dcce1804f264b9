"""Each organization has its own rules (cities, registration fee, free-cancellation window), and the hospital
surface's anonymous routes serve the organization CLINICOPS_DEFAULT_ORGANIZATION names, never another tenant.

Every test has two tenants: the served hospital chain and another organization with different rules.
"""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from clinicops.auth.models import User
from clinicops.authz.principal import Principal, Role
from clinicops.config import get_settings
from clinicops.errors import ValidationFailed
from clinicops.http import tenant
from clinicops.messaging.models import OutboxMessage
from clinicops.organizations import service as organizations
from clinicops.organizations.keys import OrganizationKey
from clinicops.organizations.models import Centre, Organization
from clinicops.patients.models import PatientRegistration
from clinicops.payments.service import registration_fee_due
from clinicops.seed import catalog
from tests.builders.auth import auth, patient_sign_in
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import bearer, make_patient, make_staff, next_phone
from tests.builders.slots import next_date, weekday_of


def admin_of(user) -> Principal:
    return Principal(user_id=user.id, user_type="STAFF", organization_id=user.organization_id,
                     roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None})


async def _tenants(db):
    """The served chain (bangalore/kochi/mumbai, ₹100) and another chain (pune/nagpur, ₹250), each with an ADMIN."""
    served = await make_org(db, slug=get_settings().default_organization, name="Main Hospital")
    other = await make_org(db, name="Deccan Care", cities=["pune", "nagpur"], registration_fee_paise=250_00)
    return served, admin_of(await make_staff(db, org=served)), other, admin_of(await make_staff(db, org=other))


async def _otp_messages(db, phone: str) -> list[OutboxMessage]:
    return list((await db.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == phone, OutboxMessage.template == "otp"))).scalars())


# --- cities ---------------------------------------------------------------------------------------------------

async def test_a_chain_s_centres_accept_its_own_cities_and_refuse_others(db):
    served, served_admin, other, other_admin = await _tenants(db)
    pune = await organizations.create_centre(db, other_admin, name="Deccan Kothrud", city=" Pune ",
                                             address_line1="1 Karve Road")
    assert (pune.organization_id, pune.city) == (other.id, "pune")
    with pytest.raises(ValidationFailed) as refused:
        await organizations.create_centre(db, other_admin, name="Deccan Kochi", city="kochi", address_line1="2 Road")
    assert refused.value.details == [{"field": "city", "message": "city must be one of pune, nagpur"}]
    with pytest.raises(ValidationFailed):
        await organizations.update_centre(db, other_admin, pune.id, changes={"city": "mumbai"})
    moved = await organizations.update_centre(db, other_admin, pune.id, changes={"city": "Nagpur"})
    assert moved.city == "nagpur"

    kochi = await organizations.create_centre(db, served_admin, name="Main Kochi", city="Kochi", address_line1="3 Road")
    assert kochi.city == "kochi"
    with pytest.raises(ValidationFailed) as refused:
        await organizations.create_centre(db, served_admin, name="Main Pune", city="pune", address_line1="4 Road")
    assert refused.value.details[0]["message"] == "city must be one of bangalore, kochi, mumbai"


async def test_the_demo_clinic_adds_its_pune_centre_through_the_service(db):
    served, _served_admin, _other, _other_admin = await _tenants(db)
    clinic = Organization(**catalog.CLINIC)
    db.add(clinic)
    await db.flush()
    clinic_admin = admin_of(await make_staff(db, org=clinic))
    centre = await organizations.create_centre(db, clinic_admin, name=catalog.CLINIC_CENTRE["name"],
                                               city=catalog.CLINIC_CENTRE["city"],
                                               address_line1=catalog.CLINIC_CENTRE["address_line1"],
                                               pincode=catalog.CLINIC_CENTRE["pincode"])
    assert (centre.organization_id, centre.city) == (clinic.id, "pune")
    assert served.cities == ["bangalore", "kochi", "mumbai"]  # the chain's list is its own


async def test_an_organization_without_a_city_list_accepts_any_city(db):
    _served, _admin, _other, _other_admin = await _tenants(db)
    fresh = Organization(slug="fresh-chain", name="Fresh Chain")  # as create-admin makes one: every rule default
    db.add(fresh)
    await db.flush()
    assert (fresh.cities, fresh.registration_fee_paise, fresh.free_cancellation_hours) == ([], 0, 24)
    admin = admin_of(await make_staff(db, org=fresh))
    centre = await organizations.create_centre(db, admin, name="Jaipur", city="JAIPUR", address_line1="5 Road")
    assert centre.city == "jaipur"
    with pytest.raises(ValidationFailed):
        await organizations.create_centre(db, admin, name="Blank", city="   ", address_line1="6 Road")


async def test_the_centre_route_checks_the_city_against_the_caller_s_organization(client, db):
    served, _served_admin, other, other_admin = await _tenants(db)
    other_user = await db.get(User, other_admin.user_id)
    body = {"name": "Deccan Camp", "addressLine1": "7 Road", "pincode": "411001"}
    response = await client.post("/api/centres", headers=bearer(other_user), json=body | {"city": "Pune"})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["city"] == "pune"
    response = await client.post("/api/centres", headers=bearer(other_user), json=body | {"city": "bangalore"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "city", "message": "city must be one of pune, nagpur"}]
    stored = (await db.execute(select(Centre.city).where(Centre.organization_id == other.id))).scalars().all()
    assert stored == ["pune"]
    assert served.cities == ["bangalore", "kochi", "mumbai"]


async def test_settings_are_validated_and_normalised(db):
    _served, _admin, other, _other_admin = await _tenants(db)
    await organizations.update_settings(db, other, cities=[" Pune", "pune", "SATARA"], free_cancellation_hours=48)
    assert (other.cities, other.free_cancellation_hours, other.registration_fee_paise) == (["pune", "satara"], 48,
                                                                                           250_00)
    for bad in ({"registration_fee_paise": -1}, {"free_cancellation_hours": -1}, {"cities": ["pune", " "]},
                {"timezone": "Mars/Olympus"}):
        with pytest.raises(ValidationFailed):
            await organizations.update_settings(db, other, **bad)


# --- the registration fee -------------------------------------------------------------------------------------

async def test_the_registration_fee_due_is_each_organization_s_own(db):
    served, _admin, other, _other_admin = await _tenants(db)
    patient = await make_patient(db, org=served)
    db.add(PatientRegistration(organization_id=other.id, patient_id=patient.id, mrn="DEC0001"))
    await db.flush()
    assert await registration_fee_due(db, organization_id=served.id, patient_id=patient.id) == 100_00
    assert await registration_fee_due(db, organization_id=other.id, patient_id=patient.id) == 250_00
    registration = (await db.execute(select(PatientRegistration).where(
        PatientRegistration.organization_id == other.id, PatientRegistration.patient_id == patient.id))).scalar_one()
    registration.registration_fee_paid = True
    await db.flush()
    assert await registration_fee_due(db, organization_id=other.id, patient_id=patient.id) == 0
    assert await registration_fee_due(db, organization_id=served.id, patient_id=patient.id) == 100_00


async def test_a_changed_fee_is_seen_on_the_next_request(client, db):
    served, _admin, other, _other_admin = await _tenants(db)
    signed_in = await patient_sign_in(client, db, next_phone())
    headers = auth(signed_in["accessToken"])

    async def due() -> float:
        response = await client.get("/api/payments/registration-fee-status", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]["registrationFee"]

    assert await due() == 100
    await organizations.update_settings(db, served, registration_fee_paise=175_00)
    assert await due() == 175
    await organizations.update_settings(db, other, registration_fee_paise=999_00)  # another tenant's fee: no effect
    assert await due() == 175


# --- the tenant of anonymous routes ---------------------------------------------------------------------------

async def _both_with_a_clinician(db):
    served, _admin, other, _other_admin = await _tenants(db)
    day = next_date(3)
    served_centre = await make_centre(db, org=served, city="kochi")
    other_centre = await make_centre(db, org=other, city="pune")
    mine = await make_clinician(db, org=served, centre=served_centre, full_name="Dr. Served",
                                weekdays=(weekday_of(day),), start=time(9), end=time(11))
    theirs = await make_clinician(db, org=other, centre=other_centre, full_name="Dr. Elsewhere",
                                  weekdays=(weekday_of(day),), start=time(9), end=time(11))
    return day, (served, served_centre, mine), (other, other_centre, theirs)


async def test_anonymous_reads_serve_the_default_organization_only(client, db):
    day, (_served, served_centre, mine), (_other, other_centre, theirs) = await _both_with_a_clinician(db)
    listed = await client.get("/api/clinicians")
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["data"]] == [mine.id]
    assert (await client.get(f"/api/clinicians/{mine.id}")).status_code == 200
    assert (await client.get(f"/api/clinicians/{theirs.id}")).status_code == 404
    assert (await client.get(f"/api/clinicians/{theirs.id}/availability")).status_code == 404

    slots = await client.get("/api/booking/available-slots", params={
        "clinicianId": mine.id, "centreId": served_centre.id, "date": str(day)})
    assert slots.status_code == 200 and len(slots.json()["data"]["slots"]) == 4
    for path, params in (("/api/booking/available-slots", {"date": str(day)}),
                         ("/api/booking/dates-with-slots", {"startDate": str(day), "endDate": str(day)}),
                         ("/api/booking/clinician-slots", {"startDate": str(day), "endDate": str(day)})):
        response = await client.get(path, params={"clinicianId": theirs.id, "centreId": other_centre.id, **params})
        assert response.status_code == 404, (path, response.text)

    centres = await client.get("/api/centres")
    assert [c["id"] for c in centres.json()["data"]] == [served_centre.id]
    assert (await client.get(f"/api/centres/{other_centre.id}")).status_code == 404


async def test_staff_read_their_own_organization_on_the_same_routes(client, db):
    _day, (_served, served_centre, mine), (other, other_centre, theirs) = await _both_with_a_clinician(db)
    desk = await make_staff(db, org=other, role="FRONT_DESK", centres=[other_centre])
    listed = await client.get("/api/clinicians", headers=bearer(desk))
    assert [c["id"] for c in listed.json()["data"]] == [theirs.id]
    centres = await client.get("/api/centres", headers=bearer(desk))
    assert [c["id"] for c in centres.json()["data"]] == [other_centre.id]
    assert (await client.get(f"/api/clinicians/{mine.id}", headers=bearer(desk))).status_code == 404


async def test_patient_sign_in_registers_with_the_default_organization_and_names_it(client, db):
    served, _admin, other, _other_admin = await _tenants(db)
    phone = next_phone()
    signed_in = await patient_sign_in(client, db, phone)
    registrations = (await db.execute(select(PatientRegistration.organization_id).where(
        PatientRegistration.patient_id == signed_in["patient"]["id"]))).scalars().all()
    assert registrations == [served.id]
    [message] = await _otp_messages(db, phone)
    assert (message.organization_id, message.params["organization"]) == (served.id, "Main Hospital")
    assert other.id not in registrations


async def test_nothing_is_served_until_the_default_organization_exists(client, db):
    other = await make_org(db, name="Deccan Care", cities=["pune"])
    centre = await make_centre(db, org=other, city="pune")
    theirs = await make_clinician(db, org=other, centre=centre, full_name="Dr. Elsewhere")
    assert (await client.get("/api/clinicians")).status_code == 404
    assert (await client.get("/api/centres")).status_code == 404
    response = await client.get("/api/booking/available-slots", params={
        "clinicianId": theirs.id, "centreId": centre.id, "date": str(next_date(3))})
    assert response.status_code == 404
    response = await client.post("/api/patient-auth/send-otp", json={"phone": "9876543210"})
    assert response.status_code == 404


def test_the_edge_names_the_public_organization_by_its_slug():
    assert tenant.public_key() == OrganizationKey(slug=get_settings().default_organization)
    with pytest.raises(ValueError):
        OrganizationKey()
    with pytest.raises(ValueError):
        OrganizationKey(id=1, slug="main")
