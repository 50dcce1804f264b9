"""/api/patients reads: scope (organization, clinician's own patients), record contents, audit of every read."""

from __future__ import annotations

from clinicops.audit import repository as audit_log
from clinicops.auth.models import User
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_appointment, make_note, make_payment
from tests.builders.people import bearer, make_patient, make_staff


async def _world(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org, name="Indiranagar")
    clinician = await make_clinician(db, org=org, centre=centre, full_name="Dr. Meera Iyer")
    doctor = await db.get(User, clinician.user_id)
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre])
    admin = await make_staff(db, org=org, role="ADMIN")
    patient = await make_patient(db, org=org, first_name="Asha", last_name="Rao", blood_group="B+",
                                 emergency_contact_name="Ravi Rao", emergency_contact_phone="+919812345678")
    return org, centre, clinician, doctor, desk, admin, patient


async def test_detail_carries_appointments_payments_and_notes_and_is_audited(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    appointment = await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    await make_payment(db, patient=patient, appointment=appointment, amount_paise=1600_00)
    await make_note(db, patient=patient, author=doctor, text="Review in 2 weeks")
    response = await client.get(f"/api/patients/{patient.id}", headers=bearer(desk))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    # one patient id: userId (what the admin panel keys patients by) is the patient's own id, never the sign-in's
    assert data["id"] == data["userId"] == data["user_id"] == patient.id
    assert data["fullName"] == "Asha Rao" and data["phone"] == patient.phone.lstrip("+")
    assert data["bloodGroup"] == "B+"
    assert data["emergencyContact"] == {"name": "Ravi Rao", "phone": "919812345678"}
    [row] = data["appointments"]
    assert row["id"] == appointment.id and row["clinicianName"] == "Dr. Meera Iyer"
    assert row["centreName"] == "Indiranagar" and row["status"] == "BOOKED"
    [paid] = data["payments"]
    assert paid["amount"] == 1600 and isinstance(paid["amount"], int)
    [note] = data["medicalNotes"]
    assert note["noteText"] == "Review in 2 weeks" and note["authorUserId"] == doctor.id
    events = await audit_log.events(db, org.id, patient_id=patient.id, action="patient.read")
    assert len(events) == 1
    assert events[0].actor_user_id == desk.id and events[0].outcome == "ALLOWED"
    assert events[0].actor_role == "FRONT_DESK" and events[0].ip == "203.0.113.10"


async def test_every_read_writes_its_own_audit_event(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    headers = bearer(desk)
    for path in (f"/api/patients/{patient.id}", f"/api/patients/{patient.id}/appointments",
                 f"/api/patients/{patient.id}/notes", f"/api/patients/{patient.id}"):
        assert (await client.get(path, headers=headers)).status_code == 200
    actions = sorted(e.action for e in await audit_log.events(db, org.id, patient_id=patient.id))
    assert actions == ["patient.appointments.read", "patient.notes.read", "patient.read", "patient.read"]


async def test_another_organizations_admin_gets_404_and_a_denied_audit(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    other = await make_org(db)
    outsider = await make_staff(db, org=other, role="ADMIN")
    for path in (f"/api/patients/{patient.id}", f"/api/patients/{patient.id}/appointments"):
        response = await client.get(path, headers=bearer(outsider))
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    put = await client.put(f"/api/patients/{patient.id}", headers=bearer(outsider), json={"fullName": "Hacked"})
    assert put.status_code == 404
    await db.refresh(patient)
    assert patient.full_name == "Asha Rao"
    denied = await audit_log.events(db, other.id, resource_type="patient", resource_id=patient.id, outcome="DENIED")
    assert sorted(e.action for e in denied) == ["patient.appointments.read", "patient.read", "patient.update"]
    assert all(e.actor_user_id == outsider.id and e.patient_id is None for e in denied)
    assert await audit_log.events(db, org.id, patient_id=patient.id) == []
    listed = (await client.get("/api/patients", headers=bearer(outsider))).json()["data"]
    assert patient.id not in {p["id"] for p in listed}


async def test_a_missing_patient_is_the_same_404(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    response = await client.get("/api/patients/987654321", headers=bearer(admin))
    assert response.status_code == 404
    [event] = await audit_log.events(db, org.id, resource_id=987654321, outcome="DENIED")
    assert event.action == "patient.read"


async def test_clinician_sees_only_patients_with_an_appointment_with_them(db, client):
    org, centre, clinician, doctor, desk, admin, mine = await _world(db)
    theirs = await make_patient(db, org=org, first_name="Bina", last_name="Shah")
    colleague = await make_clinician(db, org=org, centre=centre, full_name="Dr. Other")
    await make_appointment(db, centre=centre, clinician=clinician, patient=mine)
    await make_appointment(db, centre=centre, clinician=colleague, patient=theirs)
    headers = bearer(doctor)
    listed = (await client.get("/api/patients", headers=headers)).json()["data"]
    assert [p["id"] for p in listed] == [mine.id]
    assert (await client.get(f"/api/patients/{mine.id}", headers=headers)).status_code == 200
    refused = await client.get(f"/api/patients/{theirs.id}", headers=headers)
    assert refused.status_code == 404
    [event] = await audit_log.events(db, org.id, resource_id=theirs.id, outcome="DENIED")
    assert event.actor_user_id == doctor.id


async def test_clinician_sees_only_their_own_appointments_in_a_shared_patients_record(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    colleague = await make_clinician(db, org=org, centre=centre, full_name="Dr. Other")
    own = await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    await make_appointment(db, centre=centre, clinician=colleague, patient=patient)
    data = (await client.get(f"/api/patients/{patient.id}", headers=bearer(doctor))).json()["data"]
    assert [a["id"] for a in data["appointments"]] == [own.id]
    desk_view = (await client.get(f"/api/patients/{patient.id}", headers=bearer(desk))).json()["data"]
    assert len(desk_view["appointments"]) == 2


async def test_centre_bound_roles_see_appointments_at_their_centres_only(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    elsewhere = await make_centre(db, org=org)
    here = await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    there = await make_appointment(db, centre=elsewhere, clinician=clinician, patient=patient)
    await make_payment(db, patient=patient, appointment=there)
    rows = (await client.get(f"/api/patients/{patient.id}/appointments", headers=bearer(desk))).json()["data"]
    assert [r["id"] for r in rows] == [here.id]
    admin_rows = (await client.get(f"/api/patients/{patient.id}/appointments", headers=bearer(admin))).json()["data"]
    assert {r["id"] for r in admin_rows} == {here.id, there.id}
    detail = (await client.get(f"/api/patients/{patient.id}", headers=bearer(desk))).json()["data"]
    assert detail["payments"] == []


async def test_private_notes_of_others_are_hidden(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    await make_note(db, patient=patient, author=doctor, text="private thought", is_private=True)
    await make_note(db, patient=patient, author=doctor, text="shared note")
    admin_notes = (await client.get(f"/api/patients/{patient.id}/notes", headers=bearer(admin))).json()["data"]
    assert [n["noteText"] for n in admin_notes] == ["shared note"]
    await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    own = (await client.get(f"/api/patients/{patient.id}/notes", headers=bearer(doctor))).json()["data"]
    assert sorted(n["noteText"] for n in own) == ["private thought", "shared note"]


async def test_search_by_name_phone_digits_and_exact_phone(db, client):
    org, centre, clinician, doctor, desk, admin, asha = await _world(db)
    bina = await make_patient(db, org=org, first_name="Bina", last_name="Shah")
    stranger = await make_patient(db, org=await make_org(db), first_name="Asha", last_name="Other")
    headers = bearer(desk)

    async def ids(**params):
        response = await client.get("/api/patients", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert await ids(search="asha") == [asha.id]
    assert await ids(search=bina.phone[-7:]) == [bina.id]
    assert await ids(search=bina.phone.lstrip("+")[:8] + bina.phone[-4:]) == [bina.id]
    assert await ids(phone=bina.phone[-10:]) == [bina.id]
    assert await ids(phone=asha.phone.lstrip("+")) == [asha.id]
    assert set(await ids()) == {asha.id, bina.id}
    assert stranger.id not in await ids(search="Asha")
    bad = await client.get("/api/patients", headers=headers, params={"phone": "12"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "phone"
    page = (await client.get("/api/patients", headers=headers, params={"limit": 1})).json()
    assert len(page["data"]) == 1 and page["pagination"]["total"] == 2


async def test_patients_are_not_staff(db, client):
    org, centre, clinician, doctor, desk, admin, patient = await _world(db)
    patient_user = await db.get(User, patient.user_id)
    assert (await client.get(f"/api/patients/{patient.id}", headers=bearer(patient_user))).status_code == 403
    assert (await client.get("/api/patients")).status_code == 401
