"""/api/payments: checkout, payment links, desk payments, refunds and history. Amounts in rupees, except an
order's ``amount`` (paise, what Razorpay Checkout takes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clinicops.http.hospital.schemas.common import AppointmentKind, AppointmentStatus, Mode, PaymentStatus
from clinicops.http.responses import Instant, Rupees, WireModel


class Payment(WireModel):
    id: int
    appointmentId: int | None
    patientId: int
    provider: str
    orderId: str | None
    paymentId: str | None
    paymentLinkId: str | None
    paymentLinkUrl: str | None
    paymentLinkExpiresAt: Instant | None
    amount: Rupees
    consultationFee: Rupees
    registrationFee: Rupees
    currency: str
    status: PaymentStatus
    method: str | None
    paidAt: Instant | None
    failureCode: str | None
    failureReason: str | None
    refundEligibleAmount: Rupees | None
    refundedAmount: Rupees
    refundId: str | None
    refundStatus: str | None
    notes: str | None
    createdAt: Instant
    updatedAt: Instant


class PaidAppointment(WireModel):
    """The appointment a payment is for."""

    id: int
    status: AppointmentStatus
    patientId: int
    clinicianId: int
    centreId: int
    appointmentType: Mode
    kind: AppointmentKind
    scheduledStartAt: Instant | None
    scheduledEndAt: Instant | None
    holdExpiresAt: Instant | None
    consultationFee: Rupees


class Order(WireModel):
    orderId: str
    amount: int = Field(description="Paise: what Razorpay Checkout takes")
    currency: str
    razorpayKeyId: str
    appointment: PaidAppointment
    registrationFee: Rupees
    consultationFee: Rupees
    paymentId: int  # the payment row's id


class Verified(WireModel):
    verified: Literal[True]
    payment: Payment
    appointment: PaidAppointment


class FailureRecorded(WireModel):
    appointment: PaidAppointment
    released: bool  # the held slot was freed
    payment: Payment | None


class DirectPayment(WireModel):
    payment: Payment
    appointment: PaidAppointment


class PaymentLink(WireModel):
    paymentLinkId: str
    paymentLink: str
    shortUrl: str
    amount: Rupees
    expiresAt: Instant | None
    sent: bool
    payment: Payment
    appointment: PaidAppointment


class LinkStatus(WireModel):
    paymentLinkId: str
    linkStatus: str  # Razorpay's status of the link
    status: PaymentStatus
    paid: bool
    payment: Payment
    appointment: PaidAppointment | None


class AppointmentPayment(Payment):
    """The appointment's current payment (paid, else the latest), its appointment and every attempt."""

    appointment: PaidAppointment
    attempts: list[Payment]


class PaymentWithAppointment(Payment):
    appointment: PaidAppointment


class PaymentHistory(WireModel):
    payments: list[PaymentWithAppointment]
    total: int
    limit: int
    offset: int


class RegistrationFeeStatus(WireModel):
    hasPaidRegistrationFee: bool
    registrationFee: Rupees
    registrationFeeDue: Rupees
    paidAt: Instant | None


class WebhookReceived(WireModel):
    received: Literal[True]
    duplicate: bool


class OfflineCheckout(WireModel):
    """What Razorpay Checkout hands the website after a payment (development: the offline provider)."""

    razorpay_order_id: str
    razorpay_payment_id: str
    razorpay_signature: str
