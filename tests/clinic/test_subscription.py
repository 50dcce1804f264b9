"""/api/v1/clinics/subscription, /upgrade and /invoices through HTTP, and the read-only clinic — two clinics, two
doctors each: an admin sees only their own clinic's plan and bills; a doctor gets 403."""

from __future__ import annotations

from datetime import timedelta

from clinicops.billing import service
from clinicops.billing.models import Invoice
from clinicops.db import unit_of_work
from clinicops.kit.timezones import today_in, zone
from clinicops.organizations import plans
from tests.builders.billing import make_billed_clinic, subscription_of
from tests.builders.clinic import add_doctor, make_clinic

SUBSCRIPTION = "/api/v1/clinics/subscription"
UPGRADE = "/api/v1/clinics/subscription/upgrade"
INVOICES = "/api/v1/clinics/invoices"


async def _invoice(clinic) -> Invoice:
    async with unit_of_work() as session:
        [invoice] = await service.run_cycle(session, clinic.org.id)
    return invoice


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_the_admin_reads_their_own_plan_and_usage(client, clinics):
    a, b = clinics
    response = await client.get(SUBSCRIPTION, headers=a.admin.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["currentPlan"] == {"plan": "PROFESSIONAL", "maxDoctors": 10, "currentDoctors": 2,
                                   "pricePerDoctor": 649, "totalAmount": 1298, "billingCycle": "MONTHLY",
                                   "status": "ACTIVE"}
    # whole rupees go out as JSON integers, as the guide writes them (649, not 649.0)
    assert '"pricePerDoctor":649,' in response.text and '"totalAmount":1298,' in response.text
    assert set(data["billing"]) == {"nextBillingDate", "lastPaymentDate", "lastPaymentAmount", "paymentMethod"}
    assert data["usage"] == {"totalTokensThisMonth": 0, "totalRevenueThisMonth": 0}
    other = (await client.get(SUBSCRIPTION, headers=b.admin.headers)).json()["data"]
    assert other["currentPlan"]["currentDoctors"] == 2


async def test_doctors_have_no_access_to_subscription_or_bills(client, clinics):
    a, _ = clinics
    doctor = a.doctors[0].headers
    calls = [client.get(SUBSCRIPTION, headers=doctor),
             client.post(UPGRADE, headers=doctor, json={"newPlan": "ENTERPRISE"}),
             client.get(INVOICES, headers=doctor),
             client.post(f"{INVOICES}/inv_1/payment-link", headers=doctor)]
    for call in calls:
        response = await call
        assert response.status_code == 403, response.text
    assert (await client.get(SUBSCRIPTION)).status_code == 401


async def test_upgrade_answers_price_change_effective_date_and_next_bill(client, clinics, db):
    a, b = clinics
    response = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "ENTERPRISE",
                                                                         "estimatedDoctors": 15})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Subscription updated successfully"
    data = body["data"]
    assert (data["previousPlan"], data["newPlan"]) == ("PROFESSIONAL", "ENTERPRISE")
    assert data["priceChange"] == {"oldPricePerDoctor": 649, "newPricePerDoctor": 549,
                                   "estimatedMonthlySaving": 1500}
    assert data["effectiveDate"] == today_in(zone(a.org.timezone)).isoformat()
    assert 0 < data["nextBillingAmount"] <= 15 * 649
    after = (await client.get(SUBSCRIPTION, headers=a.admin.headers)).json()["data"]["currentPlan"]
    assert (after["plan"], after["maxDoctors"], after["pricePerDoctor"]) == ("ENTERPRISE", 50, 549)
    untouched = (await client.get(SUBSCRIPTION, headers=b.admin.headers)).json()["data"]["currentPlan"]
    assert untouched["plan"] == "PROFESSIONAL"
    # moving to a dearer plan: the saving is negative
    back = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "BASIC"})
    assert back.status_code == 200 and back.json()["data"]["priceChange"]["estimatedMonthlySaving"] == -500


async def test_a_downgrade_below_the_active_doctors_is_409_naming_plan_and_limit(client, clinics, db):
    a, _ = clinics
    for _ in range(2):
        await add_doctor(db, a)
    response = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "BASIC"})
    assert _error(response) == (409, "PLAN_LIMIT_REACHED")
    message = response.json()["message"]
    assert "BASIC" in message and "3" in message and "4" in message
    assert response.json()["error"]["details"][0]["field"] == "newPlan"
    plan = (await client.get(SUBSCRIPTION, headers=a.admin.headers)).json()["data"]["currentPlan"]["plan"]
    assert plan == "PROFESSIONAL"


async def test_upgrade_input_is_checked(client, clinics):
    a, _ = clinics
    unknown = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "ENTERPRISE", "coupon": "X"})
    assert unknown.status_code == 422 and "coupon" in unknown.text
    bad_plan = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "GOLD"})
    assert bad_plan.status_code == 422 and bad_plan.json()["error"]["details"][0]["field"] == "newPlan"
    same = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "PROFESSIONAL"})
    assert same.status_code == 409
    too_many = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "BASIC",
                                                                         "estimatedDoctors": 4})
    assert too_many.status_code == 422 and too_many.json()["error"]["details"][0]["field"] == "estimatedDoctors"
    text = await client.post(UPGRADE, headers=a.admin.headers, json={"newPlan": "ENTERPRISE",
                                                                     "estimatedDoctors": "15"})
    assert text.status_code == 422


async def test_invoices_are_listed_for_their_clinic_only_and_ids_cannot_be_guessed(client, db, run_jobs):
    a = await make_billed_clinic(db, name="Sunrise", doctors=2)
    b = await make_billed_clinic(db, name="Lakeside", doctors=1)
    mine, theirs = await _invoice(a), await _invoice(b)
    await run_jobs()
    response = await client.get(INVOICES, headers=a.admin.headers)
    assert response.status_code == 200, response.text
    [listed] = response.json()["data"]
    assert response.json()["pagination"]["total"] == 1
    assert listed["invoiceId"] == f"inv_{mine.id}" and listed["amount"] == 1298 and listed["status"] == "OPEN"
    assert listed["paymentLink"] and listed["lines"] == [{"plan": "PROFESSIONAL", "pricePerDoctor": 649,
                                                          "doctors": 2, "days": listed["doctorDays"] // 2,
                                                          "amount": 1298}]
    assert listed["periodEnd"] == (mine.period_end - timedelta(days=1)).isoformat()
    for guess in (f"inv_{theirs.id}", f"pat_{mine.id}", "inv_x", "inv_999999999"):
        resent = await client.post(f"{INVOICES}/{guess}/payment-link", headers=a.admin.headers)
        assert resent.status_code == 404, (guess, resent.text)
    resent = await client.post(f"{INVOICES}/inv_{mine.id}/payment-link", headers=a.admin.headers)
    assert resent.status_code == 200 and resent.json()["data"]["paymentLink"] == listed["paymentLink"]


async def test_a_past_due_clinic_reads_but_cannot_change_anything_until_paid(client, db, run_jobs):
    late = await make_billed_clinic(db, name="Late", doctors=2)
    fine = await make_billed_clinic(db, name="Fine", doctors=2)
    invoice = await _invoice(late)
    await run_jobs()
    await plans.mark_past_due(db, late.org.id)
    change = {"name": "Renamed Clinic"}
    refused = await client.put("/api/v1/clinics/profile", headers=late.admin.headers, json=change)
    assert _error(refused) == (402, "SUBSCRIPTION_PAST_DUE")
    doctor_write = await client.put(f"/api/v1/doctors/{late.doctors[0].doctor_id}",
                                    headers=late.doctors[0].headers, json={"name": "Dr. New Name"})
    assert _error(doctor_write) == (402, "SUBSCRIPTION_PAST_DUE")
    # reads still work, and so do the bill and its link
    assert (await client.get("/api/v1/clinics/profile", headers=late.admin.headers)).json()["data"]["clinic"][
        "name"] == "Late"
    assert (await client.get("/api/v1/doctors", headers=late.doctors[0].headers)).status_code == 200
    assert (await client.get(SUBSCRIPTION, headers=late.admin.headers)).json()["data"]["currentPlan"][
        "status"] == "PAST_DUE"
    assert (await client.post(f"{INVOICES}/inv_{invoice.id}/payment-link",
                              headers=late.admin.headers)).status_code == 200
    # the other clinic is not affected
    assert (await client.put("/api/v1/clinics/profile", headers=fine.admin.headers, json=change)).status_code == 200
    # paid: writable at once
    async with unit_of_work() as session:
        locked = await session.get(Invoice, invoice.id, with_for_update=True)
        await service.settle(session, locked, provider_payment_id="pay_X", method="UPI")
    renamed = await client.put("/api/v1/clinics/profile", headers=late.admin.headers, json=change)
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get(INVOICES, headers=late.admin.headers)).json()["data"][0]
    assert (listed["status"], listed["paymentLink"], listed["paymentMethod"]) == ("PAID", None, "UPI")
    billing = (await client.get(SUBSCRIPTION, headers=late.admin.headers)).json()["data"]["billing"]
    assert billing["lastPaymentAmount"] == invoice.amount_paise / 100 and billing["paymentMethod"] == "UPI"
    assert billing["lastPaymentDate"] == today_in(zone(late.org.timezone)).isoformat()
    sub = await subscription_of(db, late)
    await db.refresh(sub)
    assert sub.status == "ACTIVE"


async def test_adding_doctors_up_to_the_limit_then_upgrading_makes_room(client, db):
    clinic = await make_clinic(db, name="Growing Clinic", plan="BASIC", doctors=2)
    other = await make_clinic(db, name="Other Clinic", plan="BASIC", doctors=3)

    def doctor(n: int) -> dict:
        return {"name": f"Dr. New {n}", "whatsappNumber": f"+9198765{n:05d}", "startTime": "09:00",
                "endTime": "13:00"}

    third = await client.post("/api/v1/doctors", headers=clinic.admin.headers, json=doctor(1))
    assert third.status_code == 201, third.text
    fourth = await client.post("/api/v1/doctors", headers=clinic.admin.headers, json=doctor(2))
    assert _error(fourth) == (409, "PLAN_LIMIT_REACHED")
    assert "BASIC" in fourth.json()["message"] and "3" in fourth.json()["message"]
    upgraded = await client.post(UPGRADE, headers=clinic.admin.headers, json={"newPlan": "PROFESSIONAL"})
    assert upgraded.status_code == 200, upgraded.text
    fourth = await client.post("/api/v1/doctors", headers=clinic.admin.headers, json=doctor(2))
    assert fourth.status_code == 201, fourth.text
    # the other clinic's plan and seats did not move
    full = await client.post("/api/v1/doctors", headers=other.admin.headers, json=doctor(3))
    assert _error(full) == (409, "PLAN_LIMIT_REACHED")
