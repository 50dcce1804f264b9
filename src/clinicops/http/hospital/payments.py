"""Payments on the hospital surface: Razorpay checkout, webhooks, payment links, desk payments, refunds.

Paths follow hospital-api-reference.md: /api/payments/..., /api/payment/send-link (alias) and
/api/appointments/:id/send-payment-link | confirm-direct-payment. Amounts are rupees, except create-order's
``amount`` which is paise (what Razorpay Checkout takes).
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.appointments.models import Appointment
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.config import get_settings
from clinicops.http.deps import current_principal, get_db, require
from clinicops.http.hospital.schemas.payments import (AppointmentPayment, DirectPayment, FailureRecorded,
                                                      LinkStatus, OfflineCheckout, Order, Payment, PaymentHistory,
                                                      PaymentLink, RegistrationFeeStatus, Verified, WebhookReceived)
from clinicops.http.hospital.wire import Field, HospitalInput, either, iso
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import ActingOrganizationId
from clinicops.kit.money import to_paise, to_rupees
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.payments import checkout, links, refunds, service, simulate, webhooks
from clinicops.payments.models import PAYMENT_STATUSES
from clinicops.payments.models import Payment as PaymentRow

router = new_router(tags=["payments"])
desk = require(policies.TAKE_PAYMENTS)


class AppointmentRef(HospitalInput):
    appointment_id: int = Field(validation_alias=either("appointmentId", "appointment_id"), gt=0)


class VerifyBody(AppointmentRef):
    razorpay_order_id: str = Field(min_length=1, max_length=100)
    razorpay_payment_id: str = Field(min_length=1, max_length=100)
    razorpay_signature: str = Field(min_length=1, max_length=200)


class FailureBody(AppointmentRef):
    razorpay_order_id: str | None = Field(default=None, max_length=100)
    error_code: str | None = Field(default=None, max_length=100)
    error_description: str | None = Field(default=None, max_length=1000)


class DirectPaymentBody(HospitalInput):
    payment_method: Literal["CASH", "CARD", "UPI"]
    payment_notes: str | None = Field(default=None, max_length=1000)

    @field_validator("payment_method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class RefundBody(HospitalInput):
    amount: float | None = Field(default=None, gt=0, le=10_000_000,
                                  description="rupees; default: the refundable amount")
    reason: str | None = Field(default=None, max_length=500)


class OfflineCheckoutBody(HospitalInput):
    order_id: str = Field(validation_alias=either("orderId", "order_id", "razorpayOrderId"), min_length=1)


# --- wire: the services answer in models and paise; the website and the admin panel read these ------------------

def payment_wire(payment: PaymentRow) -> dict[str, Any]:
    return {
        "id": payment.id, "appointmentId": payment.appointment_id, "patientId": payment.patient_id,
        "provider": payment.provider, "orderId": payment.order_id, "paymentId": payment.payment_id,
        "paymentLinkId": payment.link_id, "paymentLinkUrl": payment.link_url,
        "paymentLinkExpiresAt": iso(payment.link_expires_at),
        "amount": to_rupees(payment.amount_paise), "consultationFee": to_rupees(payment.consultation_fee_paise),
        "registrationFee": to_rupees(payment.registration_fee_paise), "currency": payment.currency,
        "status": payment.status, "method": payment.method, "paidAt": iso(payment.paid_at),
        "failureCode": payment.failure_code, "failureReason": payment.failure_reason,
        "refundEligibleAmount": (to_rupees(payment.refund_eligible_paise)
                                 if payment.refund_eligible_paise is not None else None),
        "refundedAmount": to_rupees(payment.refunded_paise), "refundId": payment.refund_id,
        "refundStatus": payment.refund_status, "notes": payment.notes,
        "createdAt": iso(payment.created_at), "updatedAt": iso(payment.updated_at),
    }


def appointment_wire(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id, "status": appointment.status, "patientId": appointment.patient_id,
        "clinicianId": appointment.clinician_id, "centreId": appointment.centre_id,
        "appointmentType": appointment.mode, "kind": appointment.kind,
        "scheduledStartAt": iso(appointment.starts_at), "scheduledEndAt": iso(appointment.ends_at),
        "holdExpiresAt": iso(appointment.hold_expires_at), "consultationFee": to_rupees(appointment.fee_paise),
    }


def order_wire(order: checkout.Order) -> dict[str, Any]:
    """``amount`` is paise here (what Razorpay Checkout takes); the fees beside it are rupees."""
    payment = order.payment
    return {"orderId": payment.order_id, "amount": payment.amount_paise, "currency": payment.currency,
            "razorpayKeyId": order.key_id, "appointment": appointment_wire(order.appointment),
            "registrationFee": to_rupees(payment.registration_fee_paise),
            "consultationFee": to_rupees(payment.consultation_fee_paise), "paymentId": payment.id}


def paid_wire(result: service.PaymentResult) -> dict[str, Any]:
    return {"payment": payment_wire(result.payment), "appointment": appointment_wire(result.appointment)}


def failure_wire(recorded: checkout.FailureRecorded) -> dict[str, Any]:
    return {"appointment": appointment_wire(recorded.appointment), "released": recorded.released,
            "payment": payment_wire(recorded.payment) if recorded.payment else None}


def history_wire(rows: list[tuple[PaymentRow, Appointment]], total: int, *, limit: int, offset: int
                 ) -> dict[str, Any]:
    return {"payments": [{**payment_wire(p), "appointment": appointment_wire(a)} for p, a in rows],
            "total": total, "limit": limit, "offset": offset}


def appointment_payments_wire(found: service.AppointmentPayments) -> dict[str, Any]:
    return {**payment_wire(found.current), "appointment": appointment_wire(found.appointment),
            "attempts": [payment_wire(p) for p in found.attempts]}


def registration_fee_wire(fee: service.RegistrationFee) -> dict[str, Any]:
    """``registrationFee`` is the amount still DUE (0 once paid): the website adds it to the total it charges."""
    due = to_rupees(fee.due_paise)
    return {"hasPaidRegistrationFee": fee.paid, "registrationFee": due, "registrationFeeDue": due,
            "paidAt": iso(fee.paid_at)}


def link_wire(issued: links.LinkIssued) -> dict[str, Any]:
    payment = issued.payment
    return {"paymentLinkId": payment.link_id, "paymentLink": payment.link_url, "shortUrl": payment.link_url,
            "amount": to_rupees(payment.amount_paise), "expiresAt": iso(payment.link_expires_at),
            "sent": issued.sent, "payment": payment_wire(payment), "appointment": appointment_wire(issued.appointment)}


def link_state_wire(state: links.LinkState) -> dict[str, Any]:
    return {"paymentLinkId": state.link_id, "linkStatus": state.link_status, "status": state.payment.status,
            "paid": state.paid, "payment": payment_wire(state.payment),
            "appointment": appointment_wire(state.appointment) if state.appointment else None}


def link_callback_url() -> str:
    """Where Razorpay sends the patient's browser back after paying a link: this surface's link-callback page."""
    return f"{get_settings().public_base_url.rstrip('/')}/api/payments/link-callback"


@router.post("/payments/create-order", status_code=201, response_model=Envelope[Order])
async def create_order(body: AppointmentRef, organization_id: ActingOrganizationId,
                       principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    order = await checkout.create_order(db, principal, appointment_id=body.appointment_id,
                                        organization_id=organization_id)
    return created(order_wire(order), "Payment order created")


@router.post("/payments/verify", response_model=Envelope[Verified])
async def verify(body: VerifyBody, organization_id: ActingOrganizationId,
                 principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    result = await checkout.verify(db, principal, appointment_id=body.appointment_id,
                                   organization_id=organization_id, order_id=body.razorpay_order_id,
                                   payment_id=body.razorpay_payment_id, signature=body.razorpay_signature)
    return ok({"verified": True, **paid_wire(result)}, "Payment verified")


@router.post("/payments/webhook", response_model=Envelope[WebhookReceived])
async def webhook(request: Request, db: AsyncSession = Depends(get_db)):
    raw = await request.body()
    duplicate = await webhooks.receive(db, raw_body=raw, signature=request.headers.get("x-razorpay-signature"),
                                       event_id=request.headers.get("x-razorpay-event-id"))
    return ok({"received": True, "duplicate": duplicate})


@router.post("/payments/failure", response_model=Envelope[FailureRecorded])
async def failure(body: FailureBody, organization_id: ActingOrganizationId,
                  principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    recorded = await checkout.report_failure(db, principal, appointment_id=body.appointment_id,
                                             organization_id=organization_id, order_id=body.razorpay_order_id,
                                             error_code=body.error_code, error_description=body.error_description)
    return ok(failure_wire(recorded), "Payment failure recorded")


@router.get("/payments/history", response_model=Envelope[PaymentHistory])
async def history(organization_id: ActingOrganizationId,
                  status: str | None = Query(None, json_schema_extra={"enum": list(PAYMENT_STATUSES)}),
                  patient_id: int | None = Query(None, alias="patientId"),
                  appointment_id: int | None = Query(None, alias="appointmentId"),
                  centre_id: int | None = Query(None, alias="centreId"),
                  date_from: date | None = Query(None, alias="from"), date_to: date | None = Query(None, alias="to"),
                  limit: int | None = None, offset: int = Query(0, ge=0),
                  principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    size = clamp_limit(limit)
    rows, total = await service.history(db, principal, status=status, patient_id=patient_id,
                                        appointment_id=appointment_id, centre_id=centre_id, date_from=date_from,
                                        date_to=date_to, limit=size, offset=offset, organization_id=organization_id)
    return ok(history_wire(rows, total, limit=size, offset=offset))


@router.get("/payments/patient/{patient_id:int}", response_model=Envelope[PaymentHistory])
async def patient_payments(patient_id: int, limit: int | None = None, offset: int = Query(0, ge=0),
                           principal: Principal = Depends(require()), db: AsyncSession = Depends(get_db)):
    """A patient's payments for staff (hospital-design's endpoint table), scoped like the history."""
    size = clamp_limit(limit)
    rows, total = await service.patient_history(db, principal, patient_id=patient_id, limit=size, offset=offset)
    return ok(history_wire(rows, total, limit=size, offset=offset))


@router.get("/payments/registration-fee-status", response_model=Envelope[RegistrationFeeStatus])
async def registration_fee_status(organization_id: ActingOrganizationId,
                                  patient_id: int | None = Query(None, alias="patientId"),
                                  principal: Principal = Depends(current_principal),
                                  db: AsyncSession = Depends(get_db)):
    return ok(registration_fee_wire(await service.registration_fee_status(
        db, principal, patient_id=patient_id, organization_id=organization_id)))


@router.get("/payments/link-callback", response_class=HTMLResponse, include_in_schema=False)
async def link_callback(razorpay_payment_id: str = "", razorpay_payment_link_id: str = "",
                        razorpay_payment_link_reference_id: str = "", razorpay_payment_link_status: str = "",
                        razorpay_signature: str = "", db: AsyncSession = Depends(get_db)):
    payment = await links.callback(db, link_id=razorpay_payment_link_id,
                                   reference_id=razorpay_payment_link_reference_id,
                                   status=razorpay_payment_link_status, payment_id=razorpay_payment_id,
                                   signature=razorpay_signature)
    message = "Payment received. Your appointment is confirmed." if payment.status == "SUCCESS" else (
        "We have not received this payment yet.")
    return HTMLResponse(f"<!doctype html><title>Payment</title><h1>{escape(message)}</h1>")


@router.get("/payments/verify/{payment_link_id}", response_model=Envelope[LinkStatus])
async def verify_link(payment_link_id: str, principal: Principal = Depends(desk),
                      db: AsyncSession = Depends(get_db)):
    return ok(link_state_wire(await links.verify(db, principal, link_id=payment_link_id)))


@router.get("/payments/{appointment_id:int}", response_model=Envelope[AppointmentPayment])
async def for_appointment(appointment_id: int, organization_id: ActingOrganizationId,
                          principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    return ok(appointment_payments_wire(
        await service.for_appointment(db, principal, appointment_id, organization_id=organization_id)))


@router.post("/payments/create-link", status_code=201, response_model=Envelope[PaymentLink])
async def create_link(body: AppointmentRef, principal: Principal = Depends(desk),
                      db: AsyncSession = Depends(get_db)):
    issued = await links.create(db, principal, appointment_id=body.appointment_id,
                                callback_url=link_callback_url())
    return created(link_wire(issued), "Payment link created")


@router.post("/appointments/{appointment_id:int}/send-payment-link", response_model=Envelope[PaymentLink])
async def send_payment_link(appointment_id: int, principal: Principal = Depends(desk),
                            db: AsyncSession = Depends(get_db)):
    issued = await links.send(db, principal, appointment_id=appointment_id, callback_url=link_callback_url())
    return ok(link_wire(issued), "Payment link sent")


# alias of /appointments/:id/send-payment-link
@router.post("/payment/send-link", response_model=Envelope[PaymentLink], include_in_schema=False)
async def send_link_alias(body: AppointmentRef, principal: Principal = Depends(desk),
                          db: AsyncSession = Depends(get_db)):
    issued = await links.send(db, principal, appointment_id=body.appointment_id, callback_url=link_callback_url())
    return ok(link_wire(issued), "Payment link sent")


@router.post("/appointments/{appointment_id:int}/confirm-direct-payment", response_model=Envelope[DirectPayment])
async def confirm_direct_payment(appointment_id: int, body: DirectPaymentBody, principal: Principal = Depends(desk),
                                 db: AsyncSession = Depends(get_db)):
    result = await checkout.confirm_direct(db, principal, appointment_id=appointment_id,
                                           method=body.payment_method, notes=body.payment_notes)
    return ok(paid_wire(result), "Payment recorded and appointment confirmed")


@router.post("/payments/{payment_id:int}/refund", response_model=Envelope[Payment])
async def refund(payment_id: int, body: RefundBody, principal: Principal = Depends(require(policies.ISSUE_REFUNDS)),
                 db: AsyncSession = Depends(get_db)):
    amount = to_paise(body.amount) if body.amount is not None else None
    refunded = await refunds.issue(db, principal, payment_row_id=payment_id, amount_paise=amount,
                                   reason=body.reason)
    return ok(payment_wire(refunded), "Refund issued")


# --- development only (404 unless the offline provider is configured outside production) ---------------

@router.post("/payments/offline/checkout", response_model=Envelope[OfflineCheckout], include_in_schema=False)
async def offline_checkout(body: OfflineCheckoutBody, db: AsyncSession = Depends(get_db)):
    handoff = await simulate.checkout(db, order_id=body.order_id)
    return ok({"razorpay_order_id": handoff.order_id, "razorpay_payment_id": handoff.payment_id,
               "razorpay_signature": handoff.signature})


@router.get("/payments/offline/pay/{link_id}", response_class=HTMLResponse, include_in_schema=False)
async def offline_link_page(link_id: str):
    link = simulate.link_page_details(link_id)
    state = "Pay" if link.status == "created" else f"This link is {escape(link.status)}"
    return HTMLResponse(
        "<!doctype html><title>Offline payment</title><h1>Offline payment (development)</h1>"
        f"<p>Amount: ₹{to_rupees(link.amount_paise)}</p>"
        f"<form method='post' action='/api/payments/offline/pay/{escape(link.id)}'>"
        f"<button type='submit'>{state}</button></form>")


@router.post("/payments/offline/pay/{link_id}", response_class=HTMLResponse, include_in_schema=False)
async def offline_link_pay(link_id: str, db: AsyncSession = Depends(get_db)):
    result = await simulate.pay_offline_link(db, link_id=link_id)
    return HTMLResponse(f"<!doctype html><title>Offline payment</title><h1>Payment {escape(result.status)}</h1>"
                        f"<p>The payment webhook is being applied.</p>")
