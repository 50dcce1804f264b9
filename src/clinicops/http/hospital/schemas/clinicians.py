"""/api/clinicians: the directory, profiles and weekly availability."""

from __future__ import annotations

from clinicops.http.hospital.schemas.common import Mode
from clinicops.http.responses import Day, Instant, Rupees, WallClock, WireModel


class AvailabilityRule(WireModel):
    """A weekly rule in both casings (the admin panel reads ``day_of_week``, ``start_time``, ``mode`` ...)."""

    id: int
    clinicianId: int
    clinician_id: int
    centreId: int
    centre_id: int
    centreName: str | None
    centre_name: str | None
    dayOfWeek: int
    day_of_week: int
    startTime: WallClock
    start_time: WallClock
    endTime: WallClock
    end_time: WallClock
    slotDurationMinutes: int
    slot_duration_minutes: int
    consultationMode: Mode
    consultation_mode: Mode
    mode: Mode
    effectiveFrom: Day | None
    effective_from: Day | None
    effectiveTo: Day | None
    effective_to: Day | None
    isActive: bool
    is_active: bool


class RuleWithSlotCount(AvailabilityRule):
    slot_count: int  # how many slots the rule's window holds


class DeletedRules(WireModel):
    deletedCount: int
    deletedRules: list[AvailabilityRule]


class PrimaryCentre(WireModel):
    id: int
    name: str
    displayName: str  # the name with its city when the name does not say it ("Indiranagar – Bangalore")
    city: str


class ClinicianCentre(WireModel):
    id: int
    name: str
    city: str


class Clinician(WireModel):
    """A clinician as the public directory shows them (both name casings, lists twice as the clients read)."""

    id: int
    name: str
    fullName: str
    specialization: list[str]
    specializations: list[str]
    qualification: list[str]
    qualifications: list[str]
    yearsOfExperience: int
    expertise: list[str]
    profilePictureUrl: str | None
    primaryCentreId: int | None
    primaryCentreName: str | None
    primary_centre_name: str | None
    primaryCentreRealName: str | None
    primaryCentre: PrimaryCentre | None
    city: str | None
    languages: list[str]
    consultationFee: Rupees
    consultationModes: list[Mode]
    defaultDurationMinutes: int
    defaultDuration: int
    bio: str | None
    isActive: bool
    registrationNumber: str | None
    centres: list[ClinicianCentre]
    centreIds: list[int]


class ClinicianForStaff(Clinician):
    """What staff also see: the account and the desk's settings."""

    userId: int
    phone: str
    email: str | None
    username: str | None
    advanceAmount: Rupees
    dailyTokenLimit: int | None
    isDeleted: bool
    createdAt: Instant
    updatedAt: Instant


class ClinicianProfile(Clinician):
    availabilityRules: list[AvailabilityRule]


class ClinicianProfileForStaff(ClinicianForStaff):
    availabilityRules: list[AvailabilityRule]
