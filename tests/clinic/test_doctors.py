"""/api/v1/doctors (section 6.3) through HTTP, across two clinics with two doctors each."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from clinicops.appointments import slots
from clinicops.appointments.models import Appointment
from clinicops.auth.models import AuthSession, User
from clinicops.clinicians.models import AvailabilityRule, Clinician
from clinicops.errors import NotFound
from clinicops.http.clinic import ids
from clinicops.kit.timezones import utcnow, zone
from clinicops.messaging.models import OutboxMessage
from clinicops.payments.models import Payment
from tests.builders.clinic import clinic_headers, make_clinic
from tests.builders.people import make_patient, next_phone

NEW_DOCTOR = {
    "name": "Dr. Priya Patel", "specialization": "Pediatrics", "consultationFee": 600, "advanceAmount": 60,
    "dailyLimit": 30, "consultationDuration": 20, "startTime": "10:00", "endTime": "18:00",
    "lunchBreak": "14:00-15:00", "initialPassword": "temporaryPassword123",
}


def new_doctor(**changes) -> dict:
    return {**NEW_DOCTOR, "whatsappNumber": next_phone(), **changes}


async def messages_to(db, phone: str) -> list[OutboxMessage]:
    rows = await db.execute(select(OutboxMessage).where(OutboxMessage.recipient == phone).order_by(OutboxMessage.id))
    return list(rows.scalars())


# --- add ----------------------------------------------------------------------------------------------------------

async def test_the_admin_adds_a_doctor_who_gets_credentials_by_whatsapp_and_must_change_password(client, db, clinic_a):
    body = new_doctor()
    response = await client.post("/api/v1/doctors", json=body, headers=clinic_a.admin.headers)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["message"] == "Doctor added successfully. Login credentials sent via WhatsApp."
    data = answer["data"]
    assert set(data) == {"doctor", "account", "whatsappMessage"}
    doctor, account = data["doctor"], data["account"]
    assert set(doctor) == {"doctorId", "userId", "name", "whatsappNumber", "specialization", "consultationFee",
                           "status"}
    assert doctor["name"] == "Dr. Priya Patel" and doctor["whatsappNumber"] == body["whatsappNumber"]
    assert doctor["consultationFee"] == 600 and doctor["status"] == "ACTIVE"
    assert doctor["doctorId"].startswith("doc_") and doctor["userId"].startswith("usr_")
    assert account == {"userId": doctor["userId"], "role": "DOCTOR", "status": "ACTIVE", "mustChangePassword": True}
    # The reply shows what was sent, never the password itself.
    assert "temporaryPassword123" not in response.text
    assert body["whatsappNumber"] in data["whatsappMessage"] and clinic_a.clinic_id in data["whatsappMessage"]

    sent = await messages_to(db, body["whatsappNumber"])
    assert [m.template for m in sent] == ["clinic_doctor_welcome"]
    assert "temporaryPassword123" in sent[0].body and clinic_a.clinic_id in sent[0].body
    user = await db.get(User, ids.parse(ids.USER, doctor["userId"]))
    assert user.must_change_password is True and user.organization_id == clinic_a.org.id

    clinician = await db.get(Clinician, ids.parse(ids.DOCTOR, doctor["doctorId"]))
    assert clinician.primary_centre_id == clinic_a.centre.id
    assert (clinician.consultation_fee_paise, clinician.advance_amount_paise) == (600_00, 60_00)
    assert (clinician.daily_token_limit, clinician.default_duration_minutes) == (30, 20)


async def test_a_new_doctor_must_change_the_temporary_password_before_anything_else(client, db, clinic_a):
    added = (await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic_a.admin.headers)).json()
    user = await db.get(User, ids.parse(ids.USER, added["data"]["account"]["userId"]))
    headers = await clinic_headers(db, user)
    response = await client.get("/api/v1/doctors", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"


async def test_a_doctor_cannot_add_doctors(client, clinic_a):
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic_a.doctors[0].headers)
    assert response.status_code == 403


async def test_adding_beyond_the_plan_limit_is_409_naming_plan_and_limit(client, db):
    clinic = await make_clinic(db, plan="BASIC", doctors=2)
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
    assert response.status_code == 201, response.text
    phone = next_phone()
    response = await client.post("/api/v1/doctors", json=new_doctor(whatsappNumber=phone),
                                 headers=clinic.admin.headers)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "PLAN_LIMIT_REACHED"
    assert "BASIC" in error["message"] and "3" in error["message"]
    # Nothing was created for the refused doctor.
    assert (await db.execute(select(User).where(User.phone == phone))).first() is None
    assert await messages_to(db, phone) == []


async def test_a_removed_doctor_frees_their_seat(client, db):
    clinic = await make_clinic(db, plan="BASIC", doctors=3)
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
    assert response.status_code == 409
    removed = await client.delete(f"/api/v1/doctors/{clinic.doctors[0].doctor_id}", headers=clinic.admin.headers)
    assert removed.status_code == 200, removed.text
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
    assert response.status_code == 201, response.text


async def test_a_number_already_signing_in_at_the_clinic_is_409(client, clinic_a, clinic_b):
    taken = clinic_a.doctors[0].phone
    response = await client.post("/api/v1/doctors", json=new_doctor(whatsappNumber=taken),
                                 headers=clinic_a.admin.headers)
    assert response.status_code == 409
    assert response.json()["error"]["details"][0]["field"] == "whatsappNumber"
    # The same person may also work at another clinic.
    response = await client.post("/api/v1/doctors", json=new_doctor(whatsappNumber=taken),
                                 headers=clinic_b.admin.headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("changes, field", [
    ({"surname": "Patel"}, "surname"),
    ({"whatsapp_number": "+919876543212"}, "whatsapp_number"),
    ({"startTime": "9am"}, "startTime"),
    ({"lunchBreak": "13:00"}, "lunchBreak"),
    ({"consultationFee": "600"}, "consultationFee"),
    ({"dailyLimit": 0}, "dailyLimit"),
    ({"workingDays": ["FUNDAY"]}, "workingDays.0"),
    ({"whatsappNumber": "12345"}, "whatsappNumber"),
    ({"endTime": "09:00"}, "endTime"),
    ({"lunchBreak": "19:00-20:00"}, "lunchBreak"),
    ({"advanceAmount": 700}, "advanceAmount"),
    ({"consultationDuration": 600}, "consultationDuration"),
    ({"initialPassword": "short"}, "initialPassword"),
])
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(client, db, clinic_a, changes, field):
    body = new_doctor(**changes)
    before = (await db.execute(select(Clinician.id).where(Clinician.organization_id == clinic_a.org.id))).all()
    response = await client.post("/api/v1/doctors", json=body, headers=clinic_a.admin.headers)
    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["error"]["details"]}, response.text
    after = (await db.execute(select(Clinician.id).where(Clinician.organization_id == clinic_a.org.id))).all()
    assert before == after


# --- the week becomes the slot engine's availability ----------------------------------------------------------------

def _next(weekday: int, after: date) -> date:
    """The first date after ``after`` on ``weekday`` (0 = Sunday)."""
    day = after + timedelta(days=1)
    while day.isoweekday() % 7 != weekday:
        day += timedelta(days=1)
    return day


async def _offered(db, clinic, doctor_id: int, day: date) -> list[str]:
    found = await slots.day_slots(db, organization_id=clinic.org.id, clinician_id=doctor_id, centre_id=None,
                                  day=day, include_past=True)
    tz = zone(clinic.centre.timezone)
    return [f"{s.starts_at.astimezone(tz):%H:%M}-{s.ends_at.astimezone(tz):%H:%M}" for s in found]


async def test_the_slot_engine_offers_exactly_the_configured_slots(client, db, clinic_a):
    body = new_doctor(startTime="10:00", endTime="13:00", lunchBreak="11:00-12:00", consultationDuration=20,
                      workingDays=["MONDAY", "WEDNESDAY"])
    response = await client.post("/api/v1/doctors", json=body, headers=clinic_a.admin.headers)
    assert response.status_code == 201, response.text
    doctor_id = ids.parse(ids.DOCTOR, response.json()["data"]["doctor"]["doctorId"])
    today = datetime.now(zone(clinic_a.centre.timezone)).date()
    monday, tuesday, wednesday = _next(1, today), _next(2, today), _next(3, today)
    expected = ["10:00-10:20", "10:20-10:40", "10:40-11:00", "12:00-12:20", "12:20-12:40", "12:40-13:00"]
    assert await _offered(db, clinic_a, doctor_id, monday) == expected
    assert await _offered(db, clinic_a, doctor_id, wednesday) == expected
    assert await _offered(db, clinic_a, doctor_id, tuesday) == []

    # A new week replaces the rules: no lunch, 30-minute consultations, Tuesdays only.
    response = await client.put(f"/api/v1/doctors/{ids.render(ids.DOCTOR, doctor_id)}", headers=clinic_a.admin.headers,
                                json={"lunchBreak": None, "consultationDuration": 30, "workingDays": ["TUESDAY"],
                                      "endTime": "11:30"})
    assert response.status_code == 200, response.text
    assert await _offered(db, clinic_a, doctor_id, monday) == []
    assert await _offered(db, clinic_a, doctor_id, tuesday) == ["10:00-10:30", "10:30-11:00", "11:00-11:30"]
    rules = (await db.execute(select(AvailabilityRule).where(AvailabilityRule.clinician_id == doctor_id))).scalars()
    assert [(r.weekday, r.centre_id, r.mode) for r in rules] == [(2, clinic_a.centre.id, "IN_PERSON")]


async def test_working_days_default_to_the_clinics(client, db, clinic_a):
    clinic_a.org.working_days = [1, 2, 3, 4, 5]
    await db.flush()
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic_a.admin.headers)
    doctor_id = response.json()["data"]["doctor"]["doctorId"]
    detail = await client.get(f"/api/v1/doctors/{doctor_id}", headers=clinic_a.admin.headers)
    assert detail.json()["data"]["doctor"]["workingDays"] == ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY",
                                                              "FRIDAY"]


# --- list and get -------------------------------------------------------------------------------------------------

async def test_the_admin_lists_every_doctor_of_their_clinic_only(client, clinics):
    a, b = clinics
    response = await client.get("/api/v1/doctors", headers=a.admin.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["totalDoctors"] == 2
    assert {d["doctorId"] for d in data["doctors"]} == {d.doctor_id for d in a.doctors}
    item = data["doctors"][0]
    assert {"doctorId", "userId", "name", "whatsappNumber", "specialization", "consultationFee", "advanceAmount",
            "dailyLimit", "consultationDuration", "startTime", "endTime", "lunchBreak", "status", "accountStatus",
            "lastLogin", "createdAt"} <= set(item)


async def test_a_doctor_lists_only_themselves(client, clinic_a):
    me = clinic_a.doctors[0]
    data = (await client.get("/api/v1/doctors", headers=me.headers)).json()["data"]
    assert [d["doctorId"] for d in data["doctors"]] == [me.doctor_id] and data["totalDoctors"] == 1


async def test_get_a_doctor_shows_profile_account_and_statistics(client, clinic_a):
    added = (await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic_a.admin.headers)).json()
    doctor_id = added["data"]["doctor"]["doctorId"]
    response = await client.get(f"/api/v1/doctors/{doctor_id}", headers=clinic_a.admin.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["doctor"]["startTime"] == "10:00" and data["doctor"]["lunchBreak"] == "14:00-15:00"
    assert data["doctor"]["advanceAmount"] == 60 and data["doctor"]["consultationDuration"] == 20
    assert data["account"]["role"] == "DOCTOR" and data["account"]["mustChangePassword"] is True
    assert data["account"]["whatsappNumber"] == added["data"]["doctor"]["whatsappNumber"]
    assert data["statistics"]["totalPatientsThisMonth"] == 0 and data["statistics"]["totalRevenue"] == 0


async def test_a_doctor_sees_themselves_without_revenue_and_never_another_doctor(client, clinics):
    a, b = clinics
    me, colleague = a.doctors
    mine = await client.get(f"/api/v1/doctors/{me.doctor_id}", headers=me.headers)
    assert mine.status_code == 200 and mine.json()["data"]["statistics"]["totalRevenue"] is None
    for other in (colleague.doctor_id, b.doctors[0].doctor_id):
        response = await client.get(f"/api/v1/doctors/{other}", headers=me.headers)
        assert response.status_code == 404, response.text


async def test_an_admin_never_sees_another_clinics_doctor_nor_a_wrong_kind_of_id(client, clinics):
    a, b = clinics
    for path in (f"/api/v1/doctors/{b.doctors[0].doctor_id}", f"/api/v1/doctors/{a.doctors[0].user_id}",
                 "/api/v1/doctors/doc_999999999", f"/api/v1/doctors/{a.doctors[0].clinician.id}"):
        for method in ("GET", "PUT", "DELETE"):
            response = await client.request(method, path, headers=a.admin.headers,
                                            json={"name": "X"} if method == "PUT" else None)
            assert response.status_code == 404, (method, path, response.text)


# --- update -------------------------------------------------------------------------------------------------------

async def test_the_admin_updates_a_doctor_and_reports_what_changed(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    new_number = next_phone()
    body = {"name": "Dr. Rajesh Kumar Sharma", "whatsappNumber": new_number,
            "specialization": "General Medicine & Diabetes", "consultationFee": 550, "advanceAmount": 55,
            "dailyLimit": 45, "startTime": "08:30", "endTime": "17:30", "lunchBreak": "13:30-14:30"}
    response = await client.put(f"/api/v1/doctors/{doctor.doctor_id}", json=body, headers=clinic_a.admin.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Doctor profile updated successfully"
    data = answer["data"]
    assert set(data) == {"doctorId", "updatedFields", "whatsappUpdated", "notificationSent", "updatedAt"}
    assert data["doctorId"] == doctor.doctor_id
    assert set(data["updatedFields"]) == set(body)
    assert data["whatsappUpdated"] is True and data["notificationSent"]
    assert [m.template for m in await messages_to(db, new_number)] == ["clinic_doctor_number_changed"]
    assert [m.template for m in await messages_to(db, doctor.phone)] == ["clinic_doctor_number_changed"]
    detail = (await client.get(f"/api/v1/doctors/{doctor.doctor_id}", headers=clinic_a.admin.headers)).json()
    assert detail["data"]["doctor"]["consultationFee"] == 550
    assert detail["data"]["account"]["whatsappNumber"] == new_number
    # The same again changes nothing.
    again = await client.put(f"/api/v1/doctors/{doctor.doctor_id}", json=body, headers=clinic_a.admin.headers)
    assert again.json()["data"]["updatedFields"] == [] and again.json()["data"]["whatsappUpdated"] is False


async def test_a_doctor_updates_their_own_week_but_not_their_fees(client, db, clinic_a):
    me = clinic_a.doctors[0]
    response = await client.put(f"/api/v1/doctors/{me.doctor_id}", headers=me.headers,
                                json={"startTime": "09:00", "endTime": "13:00", "dailyLimit": 20})
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]["updatedFields"]) == {"startTime", "endTime", "dailyLimit"}
    response = await client.put(f"/api/v1/doctors/{me.doctor_id}", headers=me.headers,
                                json={"consultationFee": 1, "dailyLimit": 25})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["details"][0]["field"] == "consultationFee"
    await db.refresh(me.clinician)
    assert me.clinician.daily_token_limit == 20  # nothing of the refused request was applied
    # Sending the fee unchanged (a whole form) is fine.
    fee = me.clinician.consultation_fee_paise // 100
    response = await client.put(f"/api/v1/doctors/{me.doctor_id}", headers=me.headers,
                                json={"consultationFee": fee, "dailyLimit": 25})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["updatedFields"] == ["dailyLimit"]


async def test_a_doctor_updating_another_doctor_is_404(client, db, clinics):
    a, b = clinics
    me, colleague = a.doctors
    for other in (colleague, b.doctors[0]):
        response = await client.put(f"/api/v1/doctors/{other.doctor_id}", headers=me.headers, json={"name": "Hacked"})
        assert response.status_code == 404, response.text
        await db.refresh(other.user)
        assert other.user.full_name != "Hacked"


async def test_update_refuses_unknown_fields_and_nulls(client, clinic_a):
    path = f"/api/v1/doctors/{clinic_a.doctors[0].doctor_id}"
    response = await client.put(path, headers=clinic_a.admin.headers, json={"status": "INACTIVE"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "status"
    response = await client.put(path, headers=clinic_a.admin.headers, json={"name": None})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "name"
    response = await client.put(path, headers=clinic_a.admin.headers,
                                json={"whatsappNumber": clinic_a.doctors[1].phone})
    assert response.status_code == 409


# --- remove -------------------------------------------------------------------------------------------------------

async def test_removing_a_doctor_deactivates_them_ends_their_sessions_and_keeps_records(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    assert (await client.get("/api/v1/doctors", headers=doctor.headers)).status_code == 200
    response = await client.delete(f"/api/v1/doctors/{doctor.doctor_id}", headers=clinic_a.admin.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Doctor removed from clinic successfully"
    data = answer["data"]
    assert data["doctorId"] == doctor.doctor_id and data["userId"] == doctor.user_id
    assert data["status"] == "INACTIVE" and data["deactivatedAt"]
    assert data["dataRetention"] == {"patientRecordsPreserved": True, "visitHistoryPreserved": True,
                                     "accessRevoked": True}
    # The doctor's token fails on the very next request.
    assert (await client.get("/api/v1/doctors", headers=doctor.headers)).status_code == 401
    sessions = (await db.execute(select(AuthSession).where(AuthSession.user_id == doctor.user.id))).scalars().all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    # The profile stays, inactive, in the admin's list; removing again changes nothing.
    listed = (await client.get("/api/v1/doctors", headers=clinic_a.admin.headers)).json()["data"]["doctors"]
    assert {d["doctorId"]: (d["status"], d["accountStatus"]) for d in listed}[doctor.doctor_id] == ("INACTIVE",
                                                                                                  "INACTIVE")
    again = await client.delete(f"/api/v1/doctors/{doctor.doctor_id}", headers=clinic_a.admin.headers)
    assert again.status_code == 200 and again.json()["data"]["deactivatedAt"] == data["deactivatedAt"]
    # No slots are offered for a removed doctor.
    with pytest.raises(NotFound):
        await _offered(db, clinic_a, doctor.clinician.id, _next(1, date.today()))


async def test_only_the_admin_removes_and_only_their_own_clinics_doctors(client, clinics):
    a, b = clinics
    response = await client.delete(f"/api/v1/doctors/{a.doctors[1].doctor_id}", headers=a.doctors[0].headers)
    assert response.status_code == 403
    response = await client.delete(f"/api/v1/doctors/{b.doctors[0].doctor_id}", headers=a.admin.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/doctors", headers=b.doctors[0].headers)).status_code == 200


async def test_adding_a_removed_doctors_number_brings_them_back(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    await client.delete(f"/api/v1/doctors/{doctor.doctor_id}", headers=clinic_a.admin.headers)
    response = await client.post("/api/v1/doctors", json=new_doctor(whatsappNumber=doctor.phone),
                                 headers=clinic_a.admin.headers)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["doctor"]["doctorId"] == doctor.doctor_id and data["doctor"]["status"] == "ACTIVE"
    assert data["account"]["mustChangePassword"] is True
    assert [m.template for m in await messages_to(db, doctor.phone)] == ["clinic_doctor_welcome"]


async def test_two_admins_adding_at_once_cannot_take_the_last_seat_twice(committed):
    factory, http = committed
    async with factory() as db:
        clinic = await make_clinic(db, plan="BASIC", doctors=2)
        await db.commit()
    responses = await asyncio.gather(*[http.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
                                       for _ in range(2)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    async with factory() as db:
        active = (await db.execute(select(Clinician).where(Clinician.organization_id == clinic.org.id,
                                                           Clinician.is_active.is_(True)))).scalars().all()
        assert len(active) == 3


async def _appointment(db, clinic, doctor, *, starts_at: datetime, status: str = "CONFIRMED") -> Appointment:
    patient = await make_patient(db, org=clinic.org)
    appointment = Appointment(
        organization_id=clinic.org.id, centre_id=clinic.centre.id, clinician_id=doctor.clinician.id,
        patient_id=patient.id, mode="IN_PERSON", kind="CONSULTATION", starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15), duration_minutes=15, status=status, source="ADMIN",
        fee_paise=500_00)
    db.add(appointment)
    await db.flush()
    return appointment


async def test_a_doctor_with_upcoming_appointments_is_not_removed(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    await _appointment(db, clinic_a, doctor, starts_at=(utcnow() + timedelta(days=2)).replace(microsecond=0))
    response = await client.delete(f"/api/v1/doctors/{doctor.doctor_id}", headers=clinic_a.admin.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "HAS_FUTURE_APPOINTMENTS"
    assert (await client.get("/api/v1/doctors", headers=doctor.headers)).status_code == 200


async def test_statistics_count_this_months_patients_and_revenue_for_the_admin_only(client, db, clinics):
    a, b = clinics
    doctor = a.doctors[0]
    visit = await _appointment(db, a, doctor, starts_at=utcnow().replace(microsecond=0), status="COMPLETED")
    db.add(Payment(organization_id=a.org.id, patient_id=visit.patient_id, appointment_id=visit.id,
                   provider="offline", amount_paise=500_00, status="SUCCESS", paid_at=utcnow()))
    await _appointment(db, a, doctor, starts_at=utcnow().replace(microsecond=0), status="CANCELLED")
    await _appointment(db, a, a.doctors[1], starts_at=utcnow().replace(microsecond=0))
    await db.flush()
    stats = (await client.get(f"/api/v1/doctors/{doctor.doctor_id}", headers=a.admin.headers)).json()["data"]
    assert stats["statistics"] == {"totalPatientsThisMonth": 1, "totalTokensThisMonth": 1, "averageRating": None,
                                   "totalRevenue": 500}
    own = (await client.get(f"/api/v1/doctors/{doctor.doctor_id}", headers=doctor.headers)).json()["data"]
    assert own["statistics"]["totalTokensThisMonth"] == 1 and own["statistics"]["totalRevenue"] is None


async def test_doctors_up_to_the_plan_limit_then_an_upgrade_makes_room(client, db):
    clinic = await make_clinic(db, plan="BASIC", doctors=0)
    for _ in range(3):
        response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
        assert response.status_code == 201, response.text
    refused = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "PLAN_LIMIT_REACHED"
    upgraded = await client.post("/api/v1/clinics/subscription/upgrade", json={"newPlan": "PROFESSIONAL"},
                                 headers=clinic.admin.headers)
    assert upgraded.status_code == 200, upgraded.text
    response = await client.post("/api/v1/doctors", json=new_doctor(), headers=clinic.admin.headers)
    assert response.status_code == 201, response.text
    listed = (await client.get("/api/v1/doctors", headers=clinic.admin.headers)).json()["data"]
    assert listed["totalDoctors"] == 4
