"""Payments on the hospital surface: Razorpay checkout, webhooks, payment links, desk payments, refunds.

Paths follow hospital-api-reference.md: /api/payments/..., /api/payment/send-link (alias) and
/api/appointments/:id/send-payment-link | confirm-direct-payment. Amounts are rupees, except create-order's
``amount`` which is paise (what Razorpay Checkout takes).
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Literal

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.authz.principal import DESK_ROLES, Principal, Role
from clinicops.http.deps import current_principal, get_db, require
from clinicops.http.hospital.wire import Field, HospitalInput, either
from clinicops.http.routing import new_router
from clinicops.kit.money import to_paise, to_rupees
from clinicops.kit.schemas import clamp_limit, created, ok
from clinicops.payments import checkout, links, refunds, service, simulate, webhooks
from clinicops.payments.models import PAYMENT_STATUSES

router = new_router(tags=["payments"])
desk = require(*DESK_ROLES)


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


@router.post("/payments/create-order")
async def create_order(body: AppointmentRef, principal: Principal = Depends(current_principal),
                       db: AsyncSession = Depends(get_db)):
    return created(await checkout.create_order(db, principal, appointment_id=body.appointment_id),
                   "Payment order created")


@router.post("/payments/verify")
async def verify(body: VerifyBody, principal: Principal = Depends(current_principal),
                 db: AsyncSession = Depends(get_db)):
    return ok(await checkout.verify(db, principal, appointment_id=body.appointment_id,
                                    order_id=body.razorpay_order_id, payment_id=body.razorpay_payment_id,
                                    signature=body.razorpay_signature), "Payment verified")


@router.post("/payments/webhook")
async def webhook(request: Request, db: AsyncSession = Depends(get_db)):
    raw = await request.body()
    return ok(await webhooks.receive(db, raw_body=raw, signature=request.headers.get("x-razorpay-signature"),
                                     event_id=request.headers.get("x-razorpay-event-id")))


@router.post("/payments/failure")
async def failure(body: FailureBody, principal: Principal = Depends(current_principal),
                  db: AsyncSession = Depends(get_db)):
    return ok(await checkout.report_failure(db, principal, appointment_id=body.appointment_id,
                                            order_id=body.razorpay_order_id, error_code=body.error_code,
                                            error_description=body.error_description), "Payment failure recorded")


@router.get("/payments/history")
async def history(status: str | None = Query(None, json_schema_extra={"enum": list(PAYMENT_STATUSES)}),
                  patient_id: int | None = Query(None, alias="patientId"),
                  appointment_id: int | None = Query(None, alias="appointmentId"),
                  centre_id: int | None = Query(None, alias="centreId"),
                  date_from: date | None = Query(None, alias="from"), date_to: date | None = Query(None, alias="to"),
                  limit: int | None = None, offset: int = Query(0, ge=0),
                  principal: Principal = Depends(current_principal), db: AsyncSession = Depends(get_db)):
    return ok(await service.history(db, principal, status=status, patient_id=patient_id,
                                    appointment_id=appointment_id, centre_id=centre_id, date_from=date_from,
                                    date_to=date_to, limit=clamp_limit(limit), offset=offset))


@router.get("/payments/patient/{patient_id:int}")
async def patient_payments(patient_id: int, limit: int | None = None, offset: int = Query(0, ge=0),
                           principal: Principal = Depends(require()), db: AsyncSession = Depends(get_db)):
    """A patient's payments for staff (hospital-design's endpoint table), scoped like the history."""
    return ok(await service.patient_history(db, principal, patient_id=patient_id, limit=clamp_limit(limit),
                                            offset=offset))


@router.get("/payments/registration-fee-status")
async def registration_fee_status(patient_id: int | None = Query(None, alias="patientId"),
                                  principal: Principal = Depends(current_principal),
                                  db: AsyncSession = Depends(get_db)):
    return ok(await service.registration_fee_status(db, principal, patient_id=patient_id))


@router.get("/payments/link-callback", include_in_schema=False)
async def link_callback(razorpay_payment_id: str = "", razorpay_payment_link_id: str = "",
                        razorpay_payment_link_reference_id: str = "", razorpay_payment_link_status: str = "",
                        razorpay_signature: str = "", db: AsyncSession = Depends(get_db)):
    result = await links.callback(db, link_id=razorpay_payment_link_id,
                                  reference_id=razorpay_payment_link_reference_id,
                                  status=razorpay_payment_link_status, payment_id=razorpay_payment_id,
                                  signature=razorpay_signature)
    message = "Payment received. Your appointment is confirmed." if result["status"] == "SUCCESS" else (
        "We have not received this payment yet.")
    return HTMLResponse(f"<!doctype html><title>Payment</title><h1>{escape(message)}</h1>")


@router.get("/payments/verify/{payment_link_id}")
async def verify_link(payment_link_id: str, principal: Principal = Depends(desk),
                      db: AsyncSession = Depends(get_db)):
    return ok(await links.verify(db, principal, link_id=payment_link_id))


@router.get("/payments/{appointment_id:int}")
async def for_appointment(appointment_id: int, principal: Principal = Depends(current_principal),
                          db: AsyncSession = Depends(get_db)):
    return ok(await service.for_appointment(db, principal, appointment_id))


@router.post("/payments/create-link")
async def create_link(body: AppointmentRef, principal: Principal = Depends(desk),
                      db: AsyncSession = Depends(get_db)):
    return created(await links.create(db, principal, appointment_id=body.appointment_id), "Payment link created")


@router.post("/appointments/{appointment_id:int}/send-payment-link")
async def send_payment_link(appointment_id: int, principal: Principal = Depends(desk),
                            db: AsyncSession = Depends(get_db)):
    return ok(await links.send(db, principal, appointment_id=appointment_id), "Payment link sent")


@router.post("/payment/send-link", include_in_schema=False)  # alias of /appointments/:id/send-payment-link
async def send_link_alias(body: AppointmentRef, principal: Principal = Depends(desk),
                          db: AsyncSession = Depends(get_db)):
    return ok(await links.send(db, principal, appointment_id=body.appointment_id), "Payment link sent")


@router.post("/appointments/{appointment_id:int}/confirm-direct-payment")
async def confirm_direct_payment(appointment_id: int, body: DirectPaymentBody, principal: Principal = Depends(desk),
                                 db: AsyncSession = Depends(get_db)):
    return ok(await checkout.confirm_direct(db, principal, appointment_id=appointment_id,
                                            method=body.payment_method, notes=body.payment_notes),
              "Payment recorded and appointment confirmed")


@router.post("/payments/{payment_id:int}/refund")
async def refund(payment_id: int, body: RefundBody, principal: Principal = Depends(require(Role.ADMIN, Role.MANAGER)),
                 db: AsyncSession = Depends(get_db)):
    amount = to_paise(body.amount) if body.amount is not None else None
    return ok(await refunds.issue(db, principal, payment_row_id=payment_id, amount_paise=amount,
                                  reason=body.reason), "Refund issued")


# --- development only (404 unless the offline provider is configured outside production) ---------------

@router.post("/payments/offline/checkout", include_in_schema=False)
async def offline_checkout(body: OfflineCheckoutBody, db: AsyncSession = Depends(get_db)):
    return ok(await simulate.checkout(db, order_id=body.order_id))


@router.get("/payments/offline/pay/{link_id}", include_in_schema=False)
async def offline_link_page(link_id: str):
    link = simulate.link_page_details(link_id)
    state = "Pay" if link["status"] == "created" else f"This link is {escape(link['status'])}"
    return HTMLResponse(
        "<!doctype html><title>Offline payment</title><h1>Offline payment (development)</h1>"
        f"<p>Amount: ₹{to_rupees(link['amount_paise'])}</p>"
        f"<form method='post' action='/api/payments/offline/pay/{escape(link['id'])}'>"
        f"<button type='submit'>{state}</button></form>")


@router.post("/payments/offline/pay/{link_id}", include_in_schema=False)
async def offline_link_pay(link_id: str, db: AsyncSession = Depends(get_db)):
    result = await simulate.pay_offline_link(db, link_id=link_id)
    return HTMLResponse(f"<!doctype html><title>Offline payment</title><h1>Payment {escape(result['status'])}</h1>"
                        f"<p>The payment webhook is being applied.</p>")
