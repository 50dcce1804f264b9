"""Messages, Meet links, analytics, health, webhooks, uploads and the development views."""

from __future__ import annotations

from typing import Any, Literal

from clinicops.http.hospital.schemas.common import AppointmentStatus, MessageStatus, Mode
from clinicops.http.responses import Day, ErrorBody, Instant, Rupees, WireModel


# --- /api/notifications: the WhatsApp message log ------------------------------------------------------------------

class Message(WireModel):
    """A message as the admin panel shows it (an OTP's code is masked)."""

    id: int
    type: str  # the template (as ``template``)
    template: str
    channel: str
    status: MessageStatus
    phone: str
    recipientName: str | None
    patientId: int | None
    appointmentId: int | None
    message: str
    provider: str | None
    providerMessageId: str | None
    attempts: int
    error: str | None
    createdAt: Instant
    sentAt: Instant | None
    deliveredAt: Instant | None
    updatedAt: Instant


class MessageHistory(WireModel):
    notifications: list[Message]
    total: int
    limit: int
    offset: int


class MessageStats(WireModel):
    total: int
    byStatus: dict[str, int]  # every status, counted
    byTemplate: dict[str, dict[str, int]]  # per template: ``total`` and a count per status it has


class MessageQueued(WireModel):
    appointmentId: int
    notificationId: int | None  # None: the same request was queued before (idempotent)
    queued: Literal[True]


class ConsoleMessage(WireModel):
    """A message the console WhatsApp provider stored (development only)."""

    to: str
    template: str
    body: str
    params: dict[str, Any]  # the template's parameters, as given
    status: MessageStatus
    createdAt: Instant


# --- /api/video ----------------------------------------------------------------------------------------------------

class MeetLink(WireModel):
    appointmentId: int
    meetLink: str | None
    googleMeetLink: str | None
    eventId: str | None
    appointmentType: Mode
    status: AppointmentStatus
    scheduledStartAt: Instant | None
    scheduledEndAt: Instant | None


class ListedMeetLink(MeetLink):
    patientName: str
    clinicianName: str
    centreId: int
    centreName: str


class MeetLinks(WireModel):
    links: list[ListedMeetLink]
    total: int
    limit: int
    offset: int


# --- /api/analytics ------------------------------------------------------------------------------------------------

class Period(WireModel):
    startDate: Day
    endDate: Day
    days: int


class ZonedPeriod(Period):
    timezone: str


class PreviousFigures(WireModel):
    totalPatients: int
    activeDoctors: int
    followUpsBooked: int
    totalRevenue: Rupees


class DashboardFigures(WireModel):
    """The admin panel's home tiles; a ``...Change`` is a percentage, null against an empty previous period."""

    totalPatients: int
    totalPatientsChange: float | None
    activeDoctors: int
    activeDoctorsChange: float | None
    followUpsBooked: int
    followUpsBookedChange: float | None
    totalRevenue: Rupees
    totalRevenueChange: float | None
    previous: PreviousFigures
    period: ZonedPeriod
    previousPeriod: Period
    centreId: int | None


class TopDoctor(WireModel):
    id: int
    clinicianId: int
    name: str
    specialty: str  # the specializations joined with ", "
    specialization: str
    specializations: list[str]
    avatar: str | None
    appointmentCount: int
    completedCount: int
    patientCount: int
    revenue: Rupees


class RevenuePoint(WireModel):
    date: Day
    label: str
    revenue: Rupees
    value: Rupees


class LeadSource(WireModel):
    source: str
    label: str
    color: str
    value: int
    count: int
    percentage: float


# --- /api/health: the report at the top level and in ``data`` -----------------------------------------------------

class HealthReport(WireModel):
    status: Literal["healthy", "unhealthy"]
    timestamp: Instant
    database: Literal["connected", "disconnected"]
    jobs: Literal["running", "stale", "stopped", "unknown"]
    jobsHeartbeatAgeSeconds: float | None
    version: str
    uptime: int  # seconds


class Health(HealthReport):
    success: Literal[True]
    data: HealthReport


class Unhealthy(HealthReport):
    success: Literal[False]
    message: str
    error: ErrorBody
    data: HealthReport


class ReadyReport(WireModel):
    status: Literal["ready", "unavailable"]
    database: Literal["connected", "disconnected"]


class Ready(ReadyReport):
    success: Literal[True]
    data: ReadyReport


class NotReady(ReadyReport):
    success: Literal[False]
    message: str
    error: ErrorBody
    data: ReadyReport


class LiveReport(WireModel):
    status: Literal["alive"]


class Live(LiveReport):
    success: Literal[True]
    data: LiveReport


# --- webhooks and uploads ------------------------------------------------------------------------------------------

class StatusesReceived(WireModel):
    received: Literal[True]
    applied: int  # how many delivery statuses changed a message


class UploadedPicture(WireModel):
    imageUrl: str


PICTURE: dict[str, Any] = {"description": "The picture", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in ("image/jpeg", "image/png", "image/webp")}}
