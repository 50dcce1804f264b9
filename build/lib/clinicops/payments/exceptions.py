"""Typed payment errors (rendered once by the error handler)."""

from __future__ import annotations

from clinicops.errors import AppError, BadRequest, Conflict, ServiceUnavailable


class InvalidSignature(BadRequest):
    code = "INVALID_SIGNATURE"
    message = "The payment signature is not valid"


class NotAwaitingPayment(Conflict):
    code = "NOT_AWAITING_PAYMENT"
    message = "This appointment is not awaiting payment"


class HoldExpired(Conflict):
    code = "HOLD_EXPIRED"
    message = "The hold on this slot has expired; please book again"


class AlreadyPaid(Conflict):
    code = "ALREADY_PAID"
    message = "This appointment is already paid"


class NothingToPay(Conflict):
    code = "NOTHING_TO_PAY"
    message = "There is nothing to pay for this appointment"


class RefundNotAllowed(Conflict):
    code = "REFUND_NOT_ALLOWED"
    message = "This payment cannot be refunded"


class ProviderUnavailable(ServiceUnavailable):
    """The payment provider timed out, could not be reached, or failed on its side."""

    message = "The payment service is unavailable; try again shortly"


class ProviderRejected(AppError):
    """The payment provider refused the request (configuration or input it does not accept)."""

    status = 502
    code = "PAYMENT_PROVIDER_ERROR"
    message = "The payment service refused the request"
