"""Free cancellation, one rule (lifecycle.cancellation) read from the organization: the patient website's cancel
is refused inside it, and a patient's cancellation inside it refunds no consultation fee."""
from __future__ import annotations

from datetime import timedelta

import pytest

from clinicops.appointments import portal
from clinicops.appointments.exceptions import CancellationWindowClosed
from clinicops.authz.principal import Principal
from clinicops.kit.timezones import utcnow
from clinicops.lifecycle import Actor, cancellation, change_status
from clinicops.lifecycle import AppointmentStatus as S
from clinicops.payments.models import Payment
from tests.builders.payments import make_appointment, make_clinic


def test_the_rule():
    now = utcnow()
    assert cancellation.is_free(now + timedelta(hours=24), now, hours=24)
    assert not cancellation.is_free(now + timedelta(hours=24) - timedelta(seconds=1), now, hours=24)
    assert cancellation.is_free(now + timedelta(hours=3), now, hours=0)
    assert cancellation.is_free(None, now, hours=24)  # a walk-in token has no start to count from


@pytest.fixture
async def clinic(db):
    clinic = await make_clinic(db)
    clinic.org.free_cancellation_hours = 48
    await db.flush()
    return clinic


def _patient(clinic) -> Principal:
    return Principal(user_id=clinic.patient_user.id, user_type="PATIENT", organization_id=clinic.org.id,
                     patient_id=clinic.patient.id)


async def _appointment(db, clinic, hours_ahead: float, *, paid: bool = False):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient, status=S.CONFIRMED if paid else S.BOOKED,
                                         hold_minutes=None if paid else 15,
                                         starts_at=utcnow().replace(microsecond=0) + timedelta(hours=hours_ahead))
    payment = None
    if paid:
        payment = Payment(organization_id=clinic.org.id, patient_id=clinic.patient.id, appointment_id=appointment.id,
                          provider="DIRECT", amount_paise=appointment.fee_paise,
                          consultation_fee_paise=appointment.fee_paise, status="SUCCESS", method="CASH")
        db.add(payment)
        await db.flush()
    return appointment, payment


async def test_the_patient_website_applies_the_organizations_hours(db, clinic):
    inside, _ = await _appointment(db, clinic, 30)
    with pytest.raises(CancellationWindowClosed) as refused:
        await portal.cancel(db, _patient(clinic), inside.id, organization_id=clinic.org.id)
    assert "within 48 hours" in refused.value.message
    assert inside.status == "BOOKED"
    outside, _ = await _appointment(db, clinic, 50)
    view = await portal.cancel(db, _patient(clinic), outside.id, organization_id=clinic.org.id)
    assert view.appointment.status == "CANCELLED"


async def test_the_refund_applies_the_organizations_hours(db, clinic):
    inside, late = await _appointment(db, clinic, 30, paid=True)
    await change_status(db, inside, S.CANCELLED, actor_user_id=clinic.patient_user.id, actor=Actor.PATIENT)
    assert late.refund_eligible_paise == 0 and "within 48 hours" in late.notes

    clinic.org.free_cancellation_hours = 24
    await db.flush()
    ahead, early = await _appointment(db, clinic, 30, paid=True)
    await change_status(db, ahead, S.CANCELLED, actor_user_id=clinic.patient_user.id, actor=Actor.PATIENT)
    assert early.refund_eligible_paise == ahead.fee_paise
