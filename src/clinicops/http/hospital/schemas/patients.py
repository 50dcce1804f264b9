"""/api/patients: the staff patient list, the record and medical notes (camelCase)."""

from __future__ import annotations

from clinicops.http.hospital.schemas.common import (AppointmentKind, AppointmentStatus, BookingSource, Mode,
                                                    PaymentStatus)
from clinicops.http.responses import Day, Instant, Rupees, WireModel


class EmergencyContactDetails(WireModel):
    name: str | None
    phone: str | None


class NextAppointment(WireModel):
    """Times in the centre's zone."""

    id: int
    scheduledStartAt: Instant
    scheduledEndAt: Instant | None
    appointmentType: Mode
    kind: AppointmentKind
    status: AppointmentStatus
    clinicianName: str
    centreName: str


class Patient(WireModel):
    """A patient row. ``userId``/``user_id``/``patientId`` are the patient's own id (the admin panel keys
    patients by ``userId`` and sends it back as ``patient_id``)."""

    id: int
    userId: int
    user_id: int
    patientId: int
    mrn: str | None
    username: str | None
    fullName: str
    firstName: str | None
    lastName: str | None
    phone: str
    email: str | None
    dateOfBirth: Day | None
    age: int | None
    gender: str | None
    bloodGroup: str | None
    address: str | None
    emergencyContact: EmergencyContactDetails
    emergencyContactName: str | None
    emergencyContactPhone: str | None
    upcomingAppointmentsCount: int
    pastAppointmentsCount: int
    upcomingAppointments: list[NextAppointment]  # the next one, if any
    isActive: bool
    createdAt: Instant
    updatedAt: Instant


class PatientAppointment(WireModel):
    """Times in the centre's zone."""

    id: int
    patientId: int
    clinicianId: int
    clinicianName: str
    centreId: int
    centreName: str
    appointmentType: Mode
    kind: AppointmentKind
    status: AppointmentStatus
    source: BookingSource
    scheduledStartAt: Instant | None
    scheduledEndAt: Instant | None
    durationMinutes: int | None
    consultationFee: Rupees
    meetLink: str | None
    notes: str | None
    parentAppointmentId: int | None
    tokenNumber: int | None
    createdAt: Instant


class PatientPayment(WireModel):
    id: int
    appointmentId: int | None
    amount: Rupees
    currency: str
    status: PaymentStatus
    method: str | None
    provider: str
    orderId: str | None
    paymentId: str | None
    paidAt: Instant | None
    createdAt: Instant


class MedicalNote(WireModel):
    id: int
    patientId: int
    noteText: str
    note: str
    authorUserId: int
    authorName: str | None
    clinicianId: int | None
    createdAt: Instant


class PatientDetail(Patient):
    appointments: list[PatientAppointment]
    payments: list[PatientPayment]
    medicalNotes: list[MedicalNote]
