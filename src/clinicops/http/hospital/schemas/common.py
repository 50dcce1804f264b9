"""Vocabularies and envelopes shared by the hospital surface's resources."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from clinicops.appointments.models import KINDS, SOURCES, STATUSES
from clinicops.http.responses import Envelope, Pagination, WireModel, one_of
from clinicops.messaging.models import OUTBOX_STATUSES
from clinicops.payments.models import PAYMENT_STATUSES

T = TypeVar("T")

AppointmentStatus = one_of(STATUSES)
AppointmentKind = one_of(KINDS)
BookingSource = one_of(SOURCES)
Mode = Literal["IN_PERSON", "ONLINE"]
# The admin panel's appointment type: a follow-up or inpatient assessment by its kind, anything else by its mode.
AppointmentType = Literal["IN_PERSON", "ONLINE", "FOLLOW_UP", "INPATIENT_ASSESSMENT"]
PaymentStatus = one_of(PAYMENT_STATUSES)
MessageStatus = one_of(OUTBOX_STATUSES)


class Listing(Envelope[list[T]], Generic[T]):
    """A list the admin panel reads whole: the array in ``data``, ``total`` beside it and ``pagination``."""

    total: int
    pagination: Pagination


class Deleted(WireModel):
    id: int
    deleted: Literal[True]
