"""The patient website: /api/booking (and the front desk's booking by phone) and /api/patient."""

from __future__ import annotations

from typing import Literal

from clinicops.http.hospital.schemas.common import AppointmentKind, AppointmentStatus, Mode, PaymentStatus
from clinicops.http.responses import Day, Instant, Rupees, WireModel


# --- /api/booking (camelCase) --------------------------------------------------------------------------------------

class BookedAppointment(WireModel):
    id: int
    appointmentType: Mode
    mode: Mode
    kind: AppointmentKind
    scheduledStartAt: Instant | None
    scheduledEndAt: Instant | None
    durationMinutes: int | None
    status: AppointmentStatus
    notes: str | None
    consultationFee: Rupees
    holdExpiresAt: Instant | None  # an unpaid booking holds its slot until then
    meetLink: str | None
    createdAt: Instant


class BookedClinician(WireModel):
    id: int
    name: str
    specialization: str | None
    consultationFee: Rupees


class BookedCentre(WireModel):
    id: int
    name: str
    address: str
    city: str
    pincode: str | None
    phone: str | None


class BookedPatient(WireModel):
    id: int
    name: str
    phone: str
    email: str | None


class Booking(WireModel):
    appointment: BookedAppointment
    clinician: BookedClinician
    centre: BookedCentre
    patient: BookedPatient


class DeskPatient(BookedPatient):
    userId: int  # the patient's id (as ``id``)
    user_id: int


class DeskBooking(WireModel):
    """A booking the front desk made by phone, with what the desk collects (consultation + registration due)."""

    appointment: BookedAppointment
    clinician: BookedClinician
    centre: BookedCentre
    patient: DeskPatient
    paymentRequired: bool
    amount: Rupees
    consultationFee: Rupees
    registrationFee: Rupees


class BookingPayment(WireModel):
    status: PaymentStatus | None
    amount: Rupees


class BookingRow(BookedAppointment):
    clinician: BookedClinician
    centre: BookedCentre
    payment: BookingPayment
    cancellationReason: str | None


class BookingList(WireModel):
    appointments: list[BookingRow]
    total: int


# --- /api/patient (snake_case) -------------------------------------------------------------------------------------

class PortalAppointment(WireModel):
    """The website tells an online visit from an in-person one by ``appointment_type`` alone; a follow-up keeps
    its kind in ``kind``. ``google_meet_link`` only for an online visit."""

    id: int
    clinician_id: int
    clinician_name: str
    specialization: str | None
    centre_id: int
    centre_name: str
    centre_address: str
    centre_city: str
    appointment_type: Mode
    mode: Mode
    kind: AppointmentKind
    scheduled_start_at: Instant | None
    scheduled_end_at: Instant | None
    duration_minutes: int | None
    status: AppointmentStatus
    notes: str | None
    consultation_fee: Rupees
    payment_status: PaymentStatus | None
    google_meet_link: str | None
    hold_expires_at: Instant | None
    cancellation_reason: str | None
    created_at: Instant


class PortalAppointments(WireModel):
    appointments: list[PortalAppointment]
    total: int


class PortalPayment(WireModel):
    id: int
    appointment_id: int | None
    amount: Rupees
    currency: str
    status: PaymentStatus
    method: str | None
    provider: str
    razorpay_order_id: str | None
    razorpay_payment_id: str | None
    refunded_amount: Rupees
    paid_at: Instant | None
    created_at: Instant


class PortalPayments(WireModel):
    payments: list[PortalPayment]
    total: int


class DashboardPatient(WireModel):
    id: int
    name: str
    phone: str
    email: str | None
    date_of_birth: Day | None
    gender: str | None
    blood_group: str | None


class PortalStatistics(WireModel):
    totalAppointments: int
    completedAppointments: int
    upcomingAppointments: int
    pastAppointments: int
    cancelledAppointments: int
    totalSpent: Rupees


class PortalDashboard(WireModel):
    patient: DashboardPatient
    statistics: PortalStatistics
    nextAppointment: PortalAppointment | None
    upcomingAppointments: list[PortalAppointment]
    recentAppointments: list[PortalAppointment]
    recentPayments: list[PortalPayment]


class ProfileUser(WireModel):
    id: int
    phone: str
    full_name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    created_at: Instant


class ProfileDetails(WireModel):
    id: int  # the patient id
    age: int | None
    gender: str | None
    date_of_birth: Day | None
    blood_group: str | None
    address: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    allergies: list[str]
    chronic_conditions: list[str]
    medications: list[str]


class PortalProfile(WireModel):
    user: ProfileUser
    profile: ProfileDetails


class PortalNotification(WireModel):
    """A WhatsApp message sent to the patient (read in WhatsApp: the site keeps no unread state)."""

    id: int
    patient_id: int | None
    notification_type: Literal["GENERAL"]
    title: str
    message: str
    appointment_id: int | None
    status: str
    is_read: Literal[True]
    read_at: None
    created_at: Instant
    updated_at: Instant


class PortalNotifications(WireModel):
    notifications: list[PortalNotification]
    total: int
    unreadCount: Literal[0]


class UnreadCount(WireModel):
    count: Literal[0]
    unreadCount: Literal[0]


class MarkedRead(WireModel):
    id: int
    is_read: Literal[True]
