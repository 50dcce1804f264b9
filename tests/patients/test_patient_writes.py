"""/api/patients writes: walk-in registration, profile updates, medical notes — role matrix and validation."""

from __future__ import annotations

from sqlalchemy import func, select

from clinicops.audit import repository as audit_log
from clinicops.auth.models import User
from clinicops.patients.models import ClinicalNote, Patient, PatientRegistration
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_appointment
from tests.builders.people import bearer, make_patient, make_staff, next_phone

DESK = ("ADMIN", "MANAGER", "CENTRE_MANAGER", "CARE_COORDINATOR", "FRONT_DESK")


async def _world(db):
    org = await make_org(db)
    centre = await make_centre(db, org=org)
    clinician = await make_clinician(db, org=org, centre=centre)
    doctor = await db.get(User, clinician.user_id)
    desk = await make_staff(db, org=org, role="FRONT_DESK", centres=[centre])
    return org, centre, clinician, doctor, desk


async def _count(db, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return (await db.execute(stmt)).scalar_one()


async def test_every_desk_role_registers_a_walk_in(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    for role in DESK:
        caller = await make_staff(db, org=org, role=role, centres=[centre])
        phone = next_phone()
        response = await client.post("/api/patients", headers=bearer(caller), json={
            "fullName": "Ravi Kumar", "phone": phone[-10:], "dateOfBirth": "1990-04-01", "gender": "male",
            "bloodGroup": "o+", "emergencyContact": {"name": "Sita", "phone": "9812345670"}})
        assert response.status_code == 201, (role, response.text)
        data = response.json()["data"]
        assert data["firstName"] == "Ravi" and data["lastName"] == "Kumar" and data["phone"] == phone.lstrip("+")
        assert data["gender"] == "MALE" and data["bloodGroup"] == "O+" and data["dateOfBirth"] == "1990-04-01"
        assert data["emergencyContact"] == {"name": "Sita", "phone": "919812345670"}
        assert data["mrn"] and data["userId"]
        assert await _count(db, PatientRegistration, organization_id=org.id, patient_id=data["id"]) == 1
        [event] = await audit_log.events(db, org.id, patient_id=data["id"], action="patient.create")
        assert event.actor_user_id == caller.id


async def test_clinicians_cannot_register_or_update_patients(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    patient = await make_patient(db, org=org)
    await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    response = await client.post("/api/patients", headers=bearer(doctor),
                                 json={"fullName": "X Y", "phone": next_phone()[-10:]})
    assert response.status_code == 403
    update = await client.put(f"/api/patients/{patient.id}", headers=bearer(doctor), json={"fullName": "Changed"})
    assert update.status_code == 403
    await db.refresh(patient)
    assert patient.full_name == "Asha Rao"


async def test_duplicate_phone_is_409_and_changes_nothing(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    patient = await make_patient(db, org=org, first_name="Asha", last_name="Rao")
    before = (await _count(db, Patient), await _count(db, PatientRegistration), await _count(db, User))
    for phone in (patient.phone, patient.phone.lstrip("+"), patient.phone[-10:]):
        response = await client.post("/api/patients", headers=bearer(desk),
                                     json={"fullName": "Someone Else", "phone": phone, "email": "x@example.com"})
        assert response.status_code == 409 and response.json()["error"]["code"] == "DUPLICATE"
    assert (await _count(db, Patient), await _count(db, PatientRegistration), await _count(db, User)) == before
    await db.refresh(patient)
    assert patient.full_name == "Asha Rao" and patient.email is None


async def test_a_person_known_elsewhere_is_registered_here_without_overwriting(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    known = await make_patient(db, org=await make_org(db), first_name="Leela", last_name="Menon")
    response = await client.post("/api/patients", headers=bearer(desk), json={
        "firstName": "Other", "lastName": "Name", "phone": known.phone, "bloodGroup": "A-"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["id"] == known.id and data["fullName"] == "Leela Menon" and data["bloodGroup"] == "A-"
    assert await _count(db, PatientRegistration, organization_id=org.id, patient_id=known.id) == 1


async def test_walk_in_validation_names_the_field_and_changes_nothing(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    before = await _count(db, Patient)
    good = {"fullName": "Valid Name", "phone": next_phone()[-10:]}
    cases = [({"phone": None}, "phone"), ({"phone": "12345"}, "phone"), ({"fullName": None}, "fullName"),
             ({"dateOfBirth": "2999-01-01"}, "dateOfBirth"), ({"dateOfBirth": "01/02/1990"}, "dateOfBirth"),
             ({"gender": "X"}, "gender"), ({"bloodGroup": "Z+"}, "bloodGroup"), ({"email": "nope"}, "email"),
             ({"emergencyContact": {"phone": "123"}}, "emergencyContact.phone"), ({"age": -1}, "age")]
    for patch, field in cases:
        body = {k: v for k, v in (good | patch).items() if v is not None}
        response = await client.post("/api/patients", headers=bearer(desk), json=body)
        assert response.status_code == 422, (patch, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}, (patch, response.json())
    assert await _count(db, Patient) == before


async def test_protected_fields_cannot_be_set(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    other = await make_org(db)
    stranger = await make_staff(db, org=other, role="ADMIN")
    response = await client.post("/api/patients", headers=bearer(desk), json={
        "fullName": "Ravi Kumar", "phone": next_phone()[-10:], "id": 424242, "userId": stranger.id,
        "user_id": stranger.id, "organizationId": other.id, "isActive": False, "role": "ADMIN",
        "userType": "STAFF"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    patient = await db.get(Patient, data["id"])
    assert data["id"] != 424242 and patient.user_id != stranger.id and patient.is_active is True
    login = await db.get(User, patient.user_id)
    assert login.user_type == "PATIENT" and login.organization_id is None
    assert await _count(db, PatientRegistration, organization_id=other.id) == 0
    update = await client.put(f"/api/patients/{patient.id}", headers=bearer(desk),
                              json={"userId": stranger.id, "isActive": False, "organizationId": other.id})
    assert update.status_code == 200
    await db.refresh(patient)
    assert patient.user_id == login.id and patient.is_active is True


async def test_update_profile_is_audited_and_phone_clash_is_409(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    patient = await make_patient(db, org=org)
    other = await make_patient(db, org=org, first_name="Bina", last_name="Shah")
    response = await client.put(f"/api/patients/{patient.id}", headers=bearer(desk), json={
        "firstName": "Asha", "lastName": "Rao-Iyer", "bloodGroup": "AB+", "emergency_contact_name": "Kiran"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["fullName"] == "Asha Rao-Iyer" and data["bloodGroup"] == "AB+"
    assert data["emergencyContact"]["name"] == "Kiran"
    [event] = await audit_log.events(db, org.id, patient_id=patient.id, action="patient.update")
    assert event.details["fields"] == ["blood_group", "emergency_contact_name", "first_name", "last_name"]
    clash = await client.put(f"/api/patients/{patient.id}", headers=bearer(desk),
                             json={"phone": other.phone[-10:], "fullName": "Changed Name"})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "DUPLICATE"
    await db.refresh(patient)
    assert patient.full_name == "Asha Rao-Iyer" and patient.phone != other.phone


async def test_phone_change_moves_the_sign_in_too(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    patient = await make_patient(db, org=org)
    new_phone = next_phone()
    response = await client.put(f"/api/patients/{patient.id}", headers=bearer(desk), json={"phone": new_phone})
    assert response.status_code == 200 and response.json()["data"]["phone"] == new_phone.lstrip("+")
    login = await db.get(User, patient.user_id)
    await db.refresh(login)
    assert login.phone == new_phone


async def test_clinician_adds_a_note_for_their_patient(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    patient = await make_patient(db, org=org)
    await make_appointment(db, centre=centre, clinician=clinician, patient=patient)
    for key in ("noteText", "note", "text"):
        response = await client.post(f"/api/patients/{patient.id}/notes", headers=bearer(doctor),
                                     json={key: f"Plan via {key}"})
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["noteText"] == f"Plan via {key}" and data["clinicianId"] == clinician.id
    events = await audit_log.events(db, org.id, patient_id=patient.id, action="patient.note.create")
    assert len(events) == 3 and all(e.actor_user_id == doctor.id for e in events)
    assert await _count(db, ClinicalNote, patient_id=patient.id) == 3


async def test_note_rules(db, client):
    org, centre, clinician, doctor, desk = await _world(db)
    stranger = await make_patient(db, org=org)  # no appointment with this clinician
    admin = await make_staff(db, org=org, role="ADMIN")
    denied = await client.post(f"/api/patients/{stranger.id}/notes", headers=bearer(doctor), json={"noteText": "x"})
    assert denied.status_code == 404
    [event] = await audit_log.events(db, org.id, resource_id=stranger.id, outcome="DENIED")
    assert event.action == "patient.note.create"
    for role in ("MANAGER", "CENTRE_MANAGER", "CARE_COORDINATOR", "FRONT_DESK"):
        caller = await make_staff(db, org=org, role=role, centres=[centre])
        response = await client.post(f"/api/patients/{stranger.id}/notes", headers=bearer(caller),
                                     json={"noteText": "x"})
        assert response.status_code == 403, role
    empty = await client.post(f"/api/patients/{stranger.id}/notes", headers=bearer(admin), json={"noteText": ""})
    assert empty.status_code == 422 and empty.json()["error"]["details"][0]["field"] == "noteText"
    assert (await client.post(f"/api/patients/{stranger.id}/notes", headers=bearer(admin),
                              json={"noteText": "Admin note"})).status_code == 201
    assert await _count(db, ClinicalNote, patient_id=stranger.id) == 1
