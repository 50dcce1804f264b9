"""The clinic profile (/api/v1/clinics/profile, section 6.2), plus its working days and time zone."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from clinicops.http.clinic import ids
from clinicops.http.clinic.schemas.base import Body, Phone, PhoneOut, WeekdayName, Wire
from clinicops.http.responses import Day, Instant, Rupees, one_of
from clinicops.organizations.models import ORGANIZATION_STATUSES

ClinicStatus = one_of(ORGANIZATION_STATUSES)


class ProfileIn(Body):
    """Only what is sent changes. ``phone`` and ``address`` may be null (cleared); the others may not."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    phone: Phone | None = None
    whatsapp_number: Phone | None = None
    working_days: Annotated[list[WeekdayName], Field(min_length=1, max_length=7)] | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64, examples=["Asia/Kolkata"])] | None = None


class ClinicProfile(Wire):
    clinic_id: ids.ClinicIdOut
    name: str
    address: str | None
    phone: PhoneOut | None
    whatsapp_number: PhoneOut | None
    status: ClinicStatus
    working_days: list[WeekdayName]
    timezone: str
    created_at: Instant


class SubscriptionSummary(Wire):
    plan: str
    max_doctors: int
    current_doctors: int
    price_per_doctor: Rupees
    total_amount: Rupees
    billing_cycle: str
    next_billing_date: Day
    status: str


class ProfileView(Wire):
    clinic: ClinicProfile
    subscription: SubscriptionSummary | None


class ProfileUpdated(Wire):
    clinic_id: ids.ClinicIdOut
    name: str
    address: str | None
    phone: PhoneOut | None
    whatsapp_number: PhoneOut | None
    working_days: list[WeekdayName]
    timezone: str
    updated_at: Instant
