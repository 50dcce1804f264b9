"""Slots and their blocking: /api/booking/*-slots, /api/clinicians/:id/slots and slot-exceptions, /api/admin/slots."""

from __future__ import annotations

from typing import Literal

from clinicops.http.hospital.schemas.common import AppointmentStatus, Mode
from clinicops.http.responses import Day, Instant, WallClock, WireModel

ExceptionKind = Literal["UNAVAILABLE", "EXTRA"]


# --- slots ---------------------------------------------------------------------------------------------------------

class PublicSlot(WireModel):
    startTime: WallClock
    endTime: WallClock
    available: bool
    mode: Mode


class PublicDay(WireModel):
    date: Day
    slots: list[PublicSlot]


class DateWithSlots(WireModel):
    date: Day
    slotCount: int
    firstSlot: WallClock


class StaffSlot(WireModel):
    """Wall-clock times in the centre's zone, and the instants."""

    startTime: WallClock
    endTime: WallClock
    available: bool
    status: Literal["available", "booked", "blocked"]
    mode: Mode
    centreId: int
    startsAt: Instant
    endsAt: Instant


class StaffDay(WireModel):
    date: Day
    clinicianId: int
    centreId: int | None
    slots: list[StaffSlot]


class DatedSlot(StaffSlot):
    id: str  # centre, mode and start instant: unique even when a day's wall clock repeats an hour
    clinicianId: int
    date: Day


class GridSlot(StaffSlot):
    date: Day
    appointmentId: int | None = None  # a booked slot's appointment
    blockedSlotId: int | None = None  # a blocked slot's exception: what POST /admin/slots/unblock/:id takes
    blocked_slot_id: int | None = None


# --- exceptions and blocks -----------------------------------------------------------------------------------------

class SlotException(WireModel):
    """A dated exception: a block (UNAVAILABLE) or extra hours (EXTRA); no times means the whole day."""

    id: int
    clinicianId: int
    centreId: int | None
    type: ExceptionKind
    kind: ExceptionKind
    date: Day
    startDate: Day
    endDate: Day
    startTime: WallClock | None
    endTime: WallClock | None
    isFullDay: bool
    mode: Mode | None
    slotDurationMinutes: int | None
    reason: str | None
    createdAt: Instant


class AffectedAppointment(WireModel):
    id: int
    appointmentId: int
    patientId: int
    patientName: str
    patientPhone: str
    centreId: int
    centreName: str
    mode: Mode
    status: AppointmentStatus
    scheduledStartAt: Instant
    scheduledEndAt: Instant
    date: Day
    startTime: WallClock
    endTime: WallClock


class AffectedPatient(WireModel):
    id: int
    patient_id: int
    patientId: int
    name: str
    full_name: str
    patientName: str
    phone: str
    patientPhone: str
    appointment_ids: list[int]
    appointments: list[AffectedAppointment]


class BlockOutcome(WireModel):
    """The exceptions stored (``block``/``exception`` is the first) and the active appointments they overlap."""

    block: SlotException
    exception: SlotException
    blocks: list[SlotException]
    exceptions: list[SlotException]
    affectedAppointments: list[AffectedAppointment]
    affectedCount: int
    notifiedCount: int
    blocked_count: int
    affected_patients: list[AffectedPatient]
