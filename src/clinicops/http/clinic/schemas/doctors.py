"""Wire models of the doctors routes (section 6.3): request bodies and response parts, field for field."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import AfterValidator, Field

from clinicops.http.clinic import ids
from clinicops.http.clinic.schemas.base import Body, Phone, PhoneOut, Wire
from clinicops.http.responses import Instant, Rupees, one_of

# Index = the weekday as availability rules count it (0 = Sunday).
WEEKDAY_NAMES = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_HM = r"([01]\d|2[0-3]):[0-5]\d"
STATUSES = ("ACTIVE", "INACTIVE")


def _lunch(value: str) -> tuple[time, time]:
    start, end = value.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


WallTime = Annotated[str, Field(pattern=f"^{_HM}$", examples=["09:00"]), AfterValidator(time.fromisoformat)]
LunchBreak = Annotated[str, Field(pattern=f"^{_HM}-{_HM}$", examples=["13:00-14:00"]), AfterValidator(_lunch)]
Weekday = Annotated[str, Field(json_schema_extra={"enum": list(WEEKDAY_NAMES)}),
                    AfterValidator(lambda v: _weekday(v))]
# Rupees, at most two decimals' worth (rounded to paise).
Money = Annotated[float, Field(ge=0, le=10_000_000, examples=[500])]
Name = Annotated[str, Field(min_length=1, max_length=150, examples=["Dr. Priya Patel"])]
Specialization = Annotated[str, Field(max_length=200, examples=["Pediatrics"])]
DailyLimit = Annotated[int, Field(ge=1, le=1000, examples=[40])]
Minutes = Annotated[int, Field(ge=5, le=480, examples=[15])]


def _weekday(value: str) -> int:
    if value not in WEEKDAY_NAMES:
        raise ValueError(f"must be one of {', '.join(WEEKDAY_NAMES)}")
    return WEEKDAY_NAMES.index(value)


Weekdays = Annotated[list[Weekday], Field(max_length=7, examples=[["MONDAY", "TUESDAY"]])]


# --- requests -----------------------------------------------------------------------------------------------------

class AddDoctor(Body):
    """``POST /doctors``. ``workingDays`` (not in section 6.3) defaults to the clinic's working days."""

    name: Name
    whatsapp_number: Phone
    specialization: Specialization | None = None
    consultation_fee: Money = 0
    advance_amount: Money = 0
    daily_limit: DailyLimit | None = None
    consultation_duration: Minutes = 15
    start_time: WallTime
    end_time: WallTime
    lunch_break: LunchBreak | None = None
    working_days: Weekdays | None = None
    initial_password: Annotated[str, Field(min_length=8, max_length=128)] | None = None


class UpdateDoctor(Body):
    """``PUT /doctors/{doctorId}``: only what is sent changes; ``lunchBreak: null`` removes the break."""

    name: Name | None = None
    whatsapp_number: Phone | None = None
    specialization: Specialization | None = None
    consultation_fee: Money | None = None
    advance_amount: Money | None = None
    daily_limit: DailyLimit | None = None
    consultation_duration: Minutes | None = None
    start_time: WallTime | None = None
    end_time: WallTime | None = None
    lunch_break: LunchBreak | None = None
    working_days: Weekdays | None = None


# --- responses ----------------------------------------------------------------------------------------------------

Status = one_of(STATUSES)
HM = Annotated[str, Field(pattern=f"^{_HM}$", examples=["09:00"])]
LunchOut = Annotated[str, Field(pattern=f"^{_HM}-{_HM}$", examples=["13:00-14:00"])]
WeekdaysOut = list[one_of(WEEKDAY_NAMES)]


class Schedule(Wire):
    """What every full view of a doctor shows of their fees and week."""

    specialization: str | None
    consultation_fee: Rupees
    advance_amount: Rupees
    daily_limit: int | None
    consultation_duration: int
    start_time: HM | None
    end_time: HM | None
    lunch_break: LunchOut | None
    working_days: WeekdaysOut


class DoctorListItem(Schedule):
    doctor_id: ids.DoctorIdOut
    user_id: ids.UserIdOut
    name: str
    whatsapp_number: PhoneOut
    status: Status
    account_status: Status
    last_login: Instant | None
    created_at: Instant


class DoctorList(Wire):
    doctors: list[DoctorListItem]
    total_doctors: int


class NewDoctorSummary(Wire):
    doctor_id: ids.DoctorIdOut
    user_id: ids.UserIdOut
    name: str
    whatsapp_number: PhoneOut
    specialization: str | None
    consultation_fee: Rupees
    status: Status


class NewAccount(Wire):
    user_id: ids.UserIdOut
    role: one_of(("DOCTOR",))
    status: Status
    must_change_password: bool


class DoctorAdded(Wire):
    doctor: NewDoctorSummary
    account: NewAccount
    whatsapp_message: str = Field(description="The WhatsApp welcome as sent, the temporary password masked")


class DoctorProfile(Schedule):
    doctor_id: ids.DoctorIdOut
    name: str
    status: Status
    created_at: Instant


class DoctorAccount(Wire):
    user_id: ids.UserIdOut
    whatsapp_number: PhoneOut
    role: one_of(("DOCTOR",))
    permissions: list[str]
    status: Status
    last_login: Instant | None
    must_change_password: bool


class DoctorStatistics(Wire):
    total_patients_this_month: int
    total_tokens_this_month: int
    average_rating: float | None = Field(description="null: patients do not rate doctors yet")
    total_revenue: Rupees | None = Field(description="null for a doctor (revenue is the admin's)")


class DoctorDetail(Wire):
    doctor: DoctorProfile
    account: DoctorAccount
    statistics: DoctorStatistics


class DoctorUpdated(Wire):
    doctor_id: ids.DoctorIdOut
    updated_fields: list[str]
    whatsapp_updated: bool
    notification_sent: str | None
    updated_at: Instant


class DataRetention(Wire):
    patient_records_preserved: bool
    visit_history_preserved: bool
    access_revoked: bool


class DoctorRemoved(Wire):
    doctor_id: ids.DoctorIdOut
    user_id: ids.UserIdOut
    name: str
    status: Status
    deactivated_at: Instant
    data_retention: DataRetention
