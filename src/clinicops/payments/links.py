"""Payment links: made by the desk, sent on WhatsApp, valid ``settings.payment_link_minutes``.

A link replaces the slot's hold: when the appointment is held, the hold now ends when the link expires, and
an unpaid link's expiry (webhook, verify or reconciliation) releases the slot. A booking without a hold keeps
its slot; only the payment is marked FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.errors import NotFound
from clinicops.kit.timezones import utcnow
from clinicops.messaging import notify
from clinicops.payments import repository, settlement
from clinicops.payments.exceptions import InvalidSignature
from clinicops.payments.models import Payment
from clinicops.payments.providers import get_provider
from clinicops.payments.providers.base import PaymentLink, link_signature_valid
from clinicops.payments.repository import OPEN_STATUSES, PAID_STATUSES
from clinicops.payments.service import ensure_awaiting_payment, fees_due, loaded, visible_appointment


@dataclass(frozen=True)
class LinkIssued:
    """A payment link (its payment row) for an appointment, and whether it was sent to the patient."""

    payment: Payment
    appointment: Appointment
    sent: bool


@dataclass(frozen=True)
class LinkState:
    """A link as the provider reports it (``link_status``), and our payment brought in line with it."""

    link_id: str
    link_status: str
    payment: Payment
    appointment: Appointment | None

    @property
    def paid(self) -> bool:
        return self.payment.status in PAID_STATUSES


async def _open_link(session: AsyncSession, appointment: Appointment, amount: int) -> Payment | None:
    fresh_until = utcnow() + timedelta(minutes=2)
    for payment in await repository.payments_of_appointment(session, appointment.id, lock=True):
        if (payment.link_id and payment.status in OPEN_STATUSES and payment.amount_paise == amount
                and payment.link_expires_at and payment.link_expires_at > fresh_until):
            return payment
    return None


async def create_link(session: AsyncSession, principal: Principal, *, appointment_id: int,
                      callback_url: str | None) -> tuple[Payment, Appointment]:
    appointment = await visible_appointment(session, principal, appointment_id, lock=True)
    await ensure_awaiting_payment(session, appointment)
    consultation, registration = await fees_due(session, appointment)
    amount = consultation + registration
    existing = await _open_link(session, appointment, amount)
    if existing is not None:
        return existing, appointment
    settings = get_settings()
    patient = await repository.patient(session, appointment.patient_id)
    assert patient is not None
    now = utcnow()
    expires_at = now + timedelta(minutes=settings.payment_link_minutes)
    customer = {k: v for k, v in {"name": patient.full_name, "contact": patient.phone,
                                  "email": patient.email}.items() if v}
    provider = get_provider()
    link = await provider.create_payment_link(
        amount, customer, expires_at, f"appt_{appointment.id}_{int(now.timestamp())}",
        {"appointment_id": str(appointment.id), "patient_id": str(appointment.patient_id)},
        callback_url,
        description=f"Consultation on appointment #{appointment.id}")
    payment = Payment(organization_id=appointment.organization_id, patient_id=appointment.patient_id,
                      appointment_id=appointment.id, provider=provider.name, link_id=link.id,
                      link_url=link.short_url, link_expires_at=expires_at, amount_paise=amount,
                      consultation_fee_paise=consultation, registration_fee_paise=registration, currency="INR",
                      status="CREATED", recorded_by_user_id=principal.user_id)
    session.add(payment)
    if appointment.hold_expires_at is not None:
        appointment.hold_expires_at = expires_at
    await session.flush()
    return payment, appointment


async def create(session: AsyncSession, principal: Principal, *, appointment_id: int,
                 callback_url: str | None) -> LinkIssued:
    """A link (or the open one) for the appointment. ``callback_url``: where the provider sends the patient's
    browser back once paid (a page of the calling surface)."""
    payment, appointment = await create_link(session, principal, appointment_id=appointment_id,
                                             callback_url=callback_url)
    await loaded(session, payment, appointment)
    return LinkIssued(payment, appointment, sent=False)


async def send(session: AsyncSession, principal: Principal, *, appointment_id: int,
               callback_url: str | None) -> LinkIssued:
    """Create (or reuse the open) link and send it to the patient on WhatsApp, in this transaction."""
    payment, appointment = await create_link(session, principal, appointment_id=appointment_id,
                                             callback_url=callback_url)
    await notify.payment_request(session, appointment, link_url=payment.link_url or "",
                                 amount_paise=payment.amount_paise)
    await loaded(session, payment, appointment)
    return LinkIssued(payment, appointment, sent=True)


async def apply_link_state(session: AsyncSession, payment: Payment, appointment: Appointment | None,
                           link: PaymentLink) -> None:
    """Bring our row in line with the provider's link (rows locked by the caller)."""
    if link.status == "paid":
        captured = next((p for p in link.payments if p.status == "captured"), None)
        await settlement.settle_paid(session, payment, appointment,
                                     provider_payment_id=captured.id if captured else None, method="PAYMENT_LINK")
    elif link.status in ("expired", "cancelled"):
        await expire(session, payment, appointment, status=link.status)


async def expire(session: AsyncSession, payment: Payment, appointment: Appointment | None, *, status: str) -> None:
    if not settlement.mark_failed(payment, code=f"LINK_{status.upper()}", reason=f"Payment link {status}"):
        return
    if appointment is not None and appointment.hold_expires_at is not None:
        await settlement.release_hold(session, appointment, reason=f"Payment link {status} unpaid")


async def verify(session: AsyncSession, principal: Principal, *, link_id: str) -> LinkState:
    """Ask the provider for the link's state and apply it."""
    found = await repository.by_link_id(session, link_id)
    if found is None or await repository.payment_for(session, principal, found.id) is None:
        raise NotFound("Payment link not found")
    link = await get_provider().fetch_payment_link(link_id)
    payment, appointment = await settlement.lock(session, found)
    await apply_link_state(session, payment, appointment, link)
    current = await repository.appointment_locked(session, payment.appointment_id) if payment.appointment_id else None
    await loaded(session, payment, current)
    return LinkState(link_id, link.status, payment, current)


async def callback(session: AsyncSession, *, link_id: str, reference_id: str, status: str, payment_id: str,
                   signature: str) -> Payment:
    """The patient's browser returning from Razorpay; its query string is signed with the key secret."""
    if not link_signature_valid(get_settings(), link_id, reference_id, status, payment_id, signature):
        raise InvalidSignature()
    found = await repository.by_link_id(session, link_id)
    if found is None:
        raise NotFound("Payment link not found")
    payment, appointment = await settlement.lock(session, found)
    if status == "paid":
        await settlement.settle_paid(session, payment, appointment, provider_payment_id=payment_id,
                                     method="PAYMENT_LINK")
    return payment
