"""The clinic roster's use cases called directly: what the HTTP tests (tests/clinic/test_doctors.py) cannot reach."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from clinicops.audit.models import AuditEvent
from clinicops.auth.models import UserRole
from clinicops.authz.principal import Principal, Role
from clinicops.clinicians import roster
from clinicops.clinicians.models import Clinician
from clinicops.errors import Forbidden, NotFound, ValidationFailed
from tests.builders.clinic import make_clinic
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.people import make_staff, next_phone


def admin_of(clinic) -> Principal:
    return Principal(user_id=clinic.admin.user.id, user_type="STAFF", organization_id=clinic.org.id,
                     roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None}, organization_kind="CLINIC")


def new(**changes) -> roster.NewDoctor:
    fields = dict(name="Dr. Anil Rao", whatsapp_number=next_phone(), start_time=time(9), end_time=time(13))
    return roster.NewDoctor(**{**fields, **changes})


async def test_a_generated_temporary_password_is_sent_and_must_be_changed(db):
    clinic = await make_clinic(db, doctors=0)
    added = await roster.add(db, admin_of(clinic), new(), clinic_login_id="clinic_1")
    assert added.doctor.user.must_change_password is True and added.doctor.user.password_hash
    assert "Temp Password: ******" in added.message_text and added.restored is False
    assert added.doctor.clinician.working_days == [0, 1, 2, 3, 4, 5, 6]  # the clinic's (every day by default)


async def test_a_chain_is_not_a_clinic(db):
    chain = await make_org(db)
    await make_centre(db, org=chain)
    admin = await make_staff(db, org=chain, role="ADMIN")
    principal = Principal(user_id=admin.id, user_type="STAFF", organization_id=chain.id,
                          roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None}, organization_kind="CHAIN")
    with pytest.raises(NotFound):
        await roster.add(db, principal, new(), clinic_login_id="clinic_1")
    with pytest.raises(NotFound):
        await roster.list_doctors(db, principal)


async def test_an_admin_who_also_sees_patients_keeps_their_login_when_their_doctor_profile_goes(db):
    clinic = await make_clinic(db, doctors=0)
    second_admin = await make_staff(db, org=clinic.org, role="ADMIN")
    profile = Clinician(organization_id=clinic.org.id, user_id=second_admin.id, primary_centre_id=clinic.centre.id)
    db.add(profile)
    db.add(UserRole(user_id=second_admin.id, role="CLINICIAN", centre_id=clinic.centre.id))
    await db.flush()
    removed = await roster.remove(db, admin_of(clinic), profile.id)
    assert removed.clinician.is_active is False and removed.user.is_active is True
    roles = (await db.execute(select(UserRole.role).where(UserRole.user_id == second_admin.id))).scalars().all()
    assert roles == ["ADMIN"]


async def test_the_admin_cannot_remove_themselves(db):
    clinic = await make_clinic(db, doctors=0)
    mine = Clinician(organization_id=clinic.org.id, user_id=clinic.admin.user.id, primary_centre_id=clinic.centre.id)
    db.add(mine)
    await db.flush()
    with pytest.raises(Forbidden):
        await roster.remove(db, admin_of(clinic), mine.id)


async def test_a_doctor_without_typed_hours_needs_start_and_end_before_the_rest_of_the_week(db):
    clinic = await make_clinic(db, doctors=0)
    legacy = await make_clinician(db, org=clinic.org, centre=clinic.centre, weekdays=(1, 2))
    with pytest.raises(ValidationFailed) as refused:
        await roster.update(db, admin_of(clinic), legacy.id, {"lunch_break": (time(13), time(14))})
    assert refused.value.details[0]["field"] == "start_time"
    updated = await roster.update(db, admin_of(clinic), legacy.id,
                                  {"start_time": time(9), "end_time": time(17), "working_days": (1,)})
    assert updated.changed == ["start_time", "end_time", "working_days"]


async def test_an_update_names_only_known_fields(db):
    clinic = await make_clinic(db, doctors=1)
    with pytest.raises(ValueError):
        await roster.update(db, admin_of(clinic), clinic.doctors[0].clinician.id, {"is_active": False})


async def test_adding_changing_and_removing_a_doctor_is_audited(db):
    clinic = await make_clinic(db, doctors=0)
    admin = admin_of(clinic)
    added = await roster.add(db, admin, new(), clinic_login_id="clinic_1")
    doctor_id = added.doctor.clinician.id
    await roster.update(db, admin, doctor_id, {"daily_limit": 12})
    await roster.remove(db, admin, doctor_id)
    await db.flush()
    rows = (await db.execute(select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.details).where(
        AuditEvent.resource_type == "clinician", AuditEvent.resource_id == str(doctor_id))
        .order_by(AuditEvent.id))).all()
    assert [(r.action, r.actor_user_id) for r in rows] == [("doctor.add", admin.user_id),
                                                           ("doctor.update", admin.user_id),
                                                           ("doctor.remove", admin.user_id)]
    assert rows[1].details == {"fields": ["daily_limit"]}
