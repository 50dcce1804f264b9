"""/api/appointments: the staff appointment book, the clinician's day and session notes (rows in snake_case)."""

from __future__ import annotations

from clinicops.http.hospital.schemas.common import (AppointmentKind, AppointmentStatus, AppointmentType,
                                                    BookingSource, Mode, PaymentStatus)
from clinicops.http.responses import Day, Instant, Rupees, WireModel


class StaffAppointment(WireModel):
    """An appointment as the admin panel's book shows it. A walk-in has no scheduled times."""

    id: int
    patient_id: int
    patient_name: str
    patient_phone: str
    patient_mrn: str | None
    clinician_id: int
    clinician_name: str
    centre_id: int
    centre_name: str
    appointment_type: AppointmentType
    mode: Mode
    kind: AppointmentKind
    scheduled_start_at: Instant | None
    scheduled_end_at: Instant | None
    duration_minutes: int | None
    status: AppointmentStatus
    source: BookingSource
    parent_appointment_id: int | None
    booked_by_user_id: int | None
    bookedByUserName: str | None
    booked_by_name: str | None
    consultation_fee: Rupees
    payment_status: PaymentStatus | None
    payment_method: str | None
    payment_notes: str | None
    meet_link: str | None
    google_meet_link: str | None
    notes: str | None
    patient_notes: str | None  # the notes of a booking the patient made on the website
    hold_expires_at: Instant | None
    checked_in_at: Instant | None
    session_started_at: Instant | None
    session_ended_at: Instant | None
    cancelled_at: Instant | None
    cancellation_reason: str | None
    created_at: Instant
    updated_at: Instant


class StatusChange(WireModel):
    id: int
    fromStatus: AppointmentStatus | None
    toStatus: AppointmentStatus
    changedBy: int | None
    changedByName: str | None
    actor: str
    reason: str | None
    changedAt: Instant


class AppointmentDetail(StaffAppointment):
    statusHistory: list[StatusChange]


class MySummary(WireModel):
    currentCount: int
    upcomingCount: int
    pastCount: int


class MyAppointments(WireModel):
    """The signed-in clinician's appointments: today, upcoming and recent past."""

    current: list[StaffAppointment]
    upcoming: list[StaffAppointment]
    past: list[StaffAppointment]
    summary: MySummary


class DashboardStats(WireModel):
    """The clinician dashboard's tiles: each counts what clicking it lists."""

    total: int
    waiting: int
    ongoing: int
    confirmed: int
    completed: int
    cancelled: int
    booked: int
    checkedIn: int
    noShow: int


class SessionNote(WireModel):
    id: int  # the visit record's id
    appointment_id: int
    appointmentId: int
    clinician_id: int
    patient_id: int
    session_notes: str | None
    sessionNotes: str | None
    follow_up_date: Day | None
    scheduled_start_at: Instant | None
    appointment_type: AppointmentType
    status: AppointmentStatus
    created_at: Instant
    updated_at: Instant


class FollowUp(WireModel):
    id: int  # the visit record's id
    parent_appointment_id: int
    patient_id: int
    clinician_id: int
    follow_up_date: Day
    follow_up_notes: str | None
    created_at: Instant
