"""/api/clinicians: profiles, the public directory and weekly availability.

Every route is also served under /api/clinicians/clinicians/... and /api/users/clinicians/... (the shipped
clients call all three); only /api/clinicians/... is in the OpenAPI schema.
Public reads ignore a stale token; the rendered JSON of public reads is cached per process and dropped on every
committed change to what it shows, announced through the change feed (clinicians.cache, clinicops.changes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BeforeValidator, EmailStr, TypeAdapter, ValidationError, ValidationInfo, WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import credentials
from clinicops.authz import policies
from clinicops.authz.principal import Principal
from clinicops.clinicians import availability, service as clinicians
from clinicops.clinicians.availability import RuleSpec
from clinicops.errors import ValidationFailed
from clinicops.http.deps import optional_principal, require
from clinicops.http.hospital.schemas.clinicians import (AvailabilityRule, Clinician, ClinicianForStaff,
                                                        ClinicianProfile, ClinicianProfileForStaff)
from clinicops.http.hospital.schemas.common import Deleted
from clinicops.http.hospital.wire import Field, HospitalInput, either, field_validator, iso, phone_field
from clinicops.http.openapi import declares_query_model
from clinicops.http.responses import Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import ReaderKey
from clinicops.kit import phones
from clinicops.kit.money import to_paise, to_rupees
from clinicops.http.envelope import clamp_limit, created, ok
from clinicops.kit.timezones import parse_wall_time

router = new_router(tags=["clinicians"])
PREFIXES = ("/clinicians", "/clinicians/clinicians", "/users/clinicians")
# The admin panel does not page (hospital-admin-panel.md): a list answers up to this many rows unless told less.
LIST_LIMIT = 500
CAN_MANAGE = require(policies.MANAGE_CLINICIANS)


# --- input ---------------------------------------------------------------------------------------------------------

def _wall_time(value: Any) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    return parse_wall_time(str(value))


def _text_list(value: Any) -> list[str] | None:
    """A list, or one string of comma-separated items (the admin panel sends either)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("must be a list of strings or a comma-separated string")
    return [str(item).strip() for item in items if str(item).strip()]


_MODE_NAMES = {"IN_PERSON": "IN_PERSON", "INPERSON": "IN_PERSON", "OFFLINE": "IN_PERSON", "ONLINE": "ONLINE",
               "VIDEO": "ONLINE", "BOTH": "BOTH"}


def mode_name(value: Any) -> str | None:
    if value is None or value == "":
        return None
    key = str(value).strip().upper().replace("-", "_").replace(" ", "_")
    if key not in _MODE_NAMES:
        raise ValueError("must be IN_PERSON or ONLINE")
    return _MODE_NAMES[key]


def _modes(value: Any) -> list[str] | None:
    items = _text_list(value)
    if items is None:
        return None
    out: list[str] = []
    for item in items:
        name = mode_name(item)
        for m in (("IN_PERSON", "ONLINE") if name == "BOTH" else (name,)):
            if m not in out:
                out.append(m)
    return out


WallTime = Annotated[time | None, BeforeValidator(_wall_time)]
TextList = Annotated[list[str] | None, BeforeValidator(_text_list)]
Modes = Annotated[list[str] | None, BeforeValidator(_modes)]
# the documented names; the older spellings mode_name accepts (ONLINE as VIDEO, ...) stay out of the schema
Mode = Annotated[str | None, BeforeValidator(mode_name), WithJsonSchema(
    {"anyOf": [{"type": "string", "enum": ["IN_PERSON", "ONLINE", "BOTH"]}, {"type": "null"}]})]


class RuleIn(HospitalInput):
    centre_id: int = Field(validation_alias=either("centre_id", "centreId"))
    day_of_week: int = Field(validation_alias=either("dayOfWeek", "day_of_week", "weekday"))
    start_time: WallTime = Field(validation_alias=either("startTime", "start_time"))
    end_time: WallTime = Field(validation_alias=either("endTime", "end_time"))
    slot_duration_minutes: int | None = Field(None, validation_alias=either(
        "slotDurationMinutes", "slot_duration_minutes", "slotMinutes", "slot_minutes"))
    consultation_mode: Mode = Field("IN_PERSON", validation_alias=either(
        "consultationMode", "consultation_mode", "mode"))
    effective_from: date | None = Field(None, validation_alias=either("effectiveFrom", "effective_from"))
    effective_to: date | None = Field(None, validation_alias=either("effectiveTo", "effective_to"))
    is_available: bool = Field(True, validation_alias=either("isAvailable", "is_available", "isActive"))

    def specs(self) -> list[RuleSpec]:
        if not self.is_available:  # the schedule builder sends switched-off days; they are simply not stored
            return []
        modes = ("IN_PERSON", "ONLINE") if self.consultation_mode == "BOTH" else (self.consultation_mode or "IN_PERSON",)
        return [RuleSpec(centre_id=self.centre_id, weekday=self.day_of_week, start_time=self.start_time,
                         end_time=self.end_time, mode=m, slot_minutes=self.slot_duration_minutes,
                         effective_from=self.effective_from, effective_to=self.effective_to) for m in modes]

    @field_validator("start_time", "end_time")
    @classmethod
    def _required(cls, value: time | None) -> time:
        if value is None:
            raise ValueError("time is required (HH:MM)")
        return value


def rule_specs(rules: list[RuleIn] | None) -> list[RuleSpec] | None:
    """The rules to store; exact repeats are stored once (the panel's calendar picker sends one per date)."""
    return None if rules is None else list(dict.fromkeys(spec for rule in rules for spec in rule.specs()))


class SlotIn(RuleIn):
    """One of ``availability_slots`` (the panel's create form): a weekly session; the centre defaults to the
    primary centre and the slot to the whole session, as the first backend did."""

    centre_id: int | None = Field(None, validation_alias=either("centre_id", "centreId"))

    def rule(self, default_centre: int | None) -> SlotIn:
        minutes = self.slot_duration_minutes
        if minutes is None:
            span = (self.end_time.hour * 60 + self.end_time.minute) - (self.start_time.hour * 60 + self.start_time.minute)
            minutes = span if 5 <= span <= 480 else None
        return self.model_copy(update={"centre_id": self.centre_id or default_centre,
                                       "slot_duration_minutes": minutes})


class AvailabilityIn(HospitalInput):
    availability_rules: list[RuleIn] = Field(validation_alias=either("availability_rules", "availabilityRules",
                                                                     "rules"))


_EMAIL = TypeAdapter(EmailStr)
_NOT_NULL = {"specializations", "qualifications", "languages", "expertise", "consultation_modes",
             "years_of_experience", "consultation_fee_paise", "advance_amount_paise", "default_duration_minutes",
             "is_active", "primary_centre_id"}


def _checked_password(value: str | None) -> str | None:
    """The API's password rule (``auth.credentials``); an empty string means "not given"."""
    problem = credentials.password_problem(value) if value else None
    if problem:
        raise ValueError(problem)
    return value or None


Password = Annotated[str | None, AfterValidator(_checked_password)]


class ClinicianIn(HospitalInput):
    full_name: str | None = Field(None, min_length=1, max_length=150,
                                  validation_alias=either("fullName", "full_name", "name"))
    phone: str | None = None
    email: str | None = Field(None, json_schema_extra={"format": "email"})  # "" clears it (see _email)
    username: str | None = Field(None, max_length=50, pattern=f"^$|{credentials.USERNAME_PATTERN}")
    password: Password = Field(None, max_length=1024)
    primary_centre_id: int | None = Field(None, validation_alias=either(
        "primaryCentreId", "primary_centre_id", "centreId", "centre_id"))
    centre_ids: list[int] | None = Field(None, validation_alias=either("centreIds", "centre_ids"))
    specializations: TextList = Field(None, validation_alias=either(
        "specializations", "specialization", "specialties", "specialty"))
    qualifications: TextList = Field(None, validation_alias=either("qualifications", "qualification"))
    languages: TextList = Field(None, validation_alias=either("languages", "language"))
    expertise: TextList = Field(None, validation_alias=either("expertise", "expertiseAreas", "expertise_areas"))
    registration_number: str | None = Field(None, max_length=100, validation_alias=either(
        "registrationNumber", "registration_number"))
    years_of_experience: int | None = Field(None, ge=0, le=80, validation_alias=either(
        "yearsOfExperience", "years_of_experience", "experience", "experienceYears"))
    consultation_fee: Decimal | None = Field(None, ge=0, le=10_000_000, validation_alias=either(
        "consultationFee", "consultation_fee", "fee"))
    advance_amount: Decimal | None = Field(None, ge=0, le=10_000_000, validation_alias=either(
        "advanceAmount", "advance_amount"))
    daily_token_limit: int | None = Field(None, ge=1, le=1000, validation_alias=either(
        "dailyTokenLimit", "daily_token_limit"))
    default_duration_minutes: int | None = Field(None, ge=5, le=480, validation_alias=either(
        "defaultDurationMinutes", "default_duration_minutes", "defaultDuration",
        "default_consultation_duration_minutes", "consultationDuration"))
    consultation_modes: Modes = Field(None, validation_alias=either(
        "consultationModes", "consultation_modes", "modes", "consultationMode"))
    profile_picture_url: str | None = Field(None, max_length=2000, validation_alias=either(
        "profilePictureUrl", "profile_picture_url", "photoUrl", "avatar"))
    bio: str | None = Field(None, max_length=5000)
    is_active: bool | None = Field(None, validation_alias=either("isActive", "is_active"))
    availability_rules: list[RuleIn] | None = Field(None, validation_alias=either(
        "availability_rules", "availabilityRules"))
    availability_slots: list[SlotIn] | None = Field(None, validation_alias=either(
        "availability_slots", "availabilitySlots"))

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return phone_field(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        """A valid address, or "" to clear it (the panel's edit form sends what it shows, empty included)."""
        if not value:
            return value
        try:
            return str(_EMAIL.validate_python(value))
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"]) from None

    @field_validator("email", "registration_number", "profile_picture_url", "bio", mode="before")
    @classmethod
    def _blank(cls, value: Any, info: ValidationInfo) -> Any:
        """Blank optional text clears the field (an edit form sends "" for an empty input); for the email that
        is "" (None would mean "not given")."""
        if isinstance(value, str) and not value.strip():
            return "" if info.field_name == "email" else None
        return value

    def rules(self) -> list[RuleSpec] | None:
        """``availability_rules`` and ``availability_slots`` together (None when neither was given)."""
        if self.availability_rules is None and self.availability_slots is None:
            return None
        slots = [slot.rule(self.primary_centre_id) for slot in self.availability_slots or []]
        for i, slot in enumerate(slots):
            if slot.centre_id is None:
                raise ValidationFailed(f"availability_slots.{i}.centreId",
                                       "centreId is required when primaryCentreId is not given")
        return rule_specs([*(self.availability_rules or []), *slots])

    def account(self) -> clinicians.Account:
        return clinicians.Account(full_name=self.full_name, phone=self.phone, email=self.email,
                                  username=self.username, password=self.password)

    def profile(self) -> dict:
        given = self.model_fields_set
        fields = {name: getattr(self, name) for name in (
            "primary_centre_id", "specializations", "qualifications", "languages", "expertise",
            "consultation_modes", "registration_number", "years_of_experience", "daily_token_limit",
            "default_duration_minutes", "profile_picture_url", "bio", "is_active") if name in given}
        if "consultation_fee" in given:
            fields["consultation_fee_paise"] = to_paise(self.consultation_fee) if self.consultation_fee is not None else None
        if "advance_amount" in given:
            fields["advance_amount_paise"] = to_paise(self.advance_amount) if self.advance_amount is not None else None
        return {k: v for k, v in fields.items() if v is not None or k not in _NOT_NULL}


class CredentialsIn(HospitalInput):
    """``PATCH /clinicians/:id/credentials``: a new username and/or password for the clinician's login."""

    username: str | None = Field(None, max_length=50, pattern=f"^$|{credentials.USERNAME_PATTERN}")
    password: Password = Field(None, max_length=1024)

    def account(self) -> clinicians.Account:
        if not self.username and not self.password:
            raise ValidationFailed("username", "give a username or a password")
        return clinicians.Account(username=self.username or None, password=self.password)


class ToggleIn(HospitalInput):
    is_active: bool | None = Field(None, validation_alias=either("isActive", "is_active", "active"))


class DirectoryParams(HospitalInput):
    centre_id: int | None = Field(None, validation_alias=either("centreId", "centre_id"))
    city: str | None = Field(None, max_length=100)
    specialization: str | None = Field(None, max_length=100, validation_alias=either(
        "specialization", "specialty", "specialisation"))
    mode: Mode = Field(None, validation_alias=either("mode", "consultationMode", "consultation_mode"))
    search: str | None = Field(None, max_length=100, validation_alias=either("search", "q", "name"))
    include_inactive: bool = Field(False, validation_alias=either("includeInactive", "include_inactive"))
    is_active: bool | None = Field(None, validation_alias=either("isActive", "is_active"))
    include_deleted: bool = Field(False, validation_alias=either("includeDeleted", "include_deleted"))
    limit: int | None = None
    offset: int = Field(0, ge=0)

    def query(self) -> clinicians.DirectoryQuery:
        mode = None if self.mode == "BOTH" else self.mode
        return clinicians.DirectoryQuery(
            centre_id=self.centre_id, city=self.city or None, specialization=self.specialization or None,
            mode=mode, search=self.search or None, include_inactive=self.include_inactive,
            is_active=self.is_active, include_deleted=self.include_deleted,
            limit=clamp_limit(self.limit, default=LIST_LIMIT, maximum=LIST_LIMIT), offset=self.offset)


class AvailabilityQuery(HospitalInput):
    centre_id: int | None = Field(None, validation_alias=either("centreId", "centre_id"))
    day: date | None = Field(None, validation_alias=either("date",))


def query_params(model: type[HospitalInput]) -> Callable[[Request], Any]:
    """Parse the query string with ``model`` (both casings); errors are the usual 422 naming the field.

    The model's fields, under every name they accept, are the route's query parameters in the OpenAPI schema.
    """

    @declares_query_model(model)
    async def dependency(request: Request) -> Any:  # async: a sync dependency costs a thread hop per request
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None

    return dependency


# --- output --------------------------------------------------------------------------------------------------------

class Rendered(NamedTuple):
    body: bytes
    total: int | None = None


def _json_list(value: Any) -> list:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def rule_wire(rule: dict, clinician_id: int | None = None) -> dict:
    """A weekly rule in both casings: the admin panel reads ``day_of_week``, ``start_time``, ``mode``..."""
    start, end = _hhmm(rule["start_time"]), _hhmm(rule["end_time"])
    effective_from = rule["effective_from"].isoformat() if rule["effective_from"] else None
    effective_to = rule["effective_to"].isoformat() if rule["effective_to"] else None
    body = {"id": rule["id"], "centre_id": rule["centre_id"], "centreId": rule["centre_id"],
            "centreName": rule.get("centre_name"), "centre_name": rule.get("centre_name"),
            "dayOfWeek": rule["weekday"], "day_of_week": rule["weekday"],
            "startTime": start, "start_time": start, "endTime": end, "end_time": end,
            "slotDurationMinutes": rule["slot_minutes"], "slot_duration_minutes": rule["slot_minutes"],
            "consultationMode": rule["mode"], "consultation_mode": rule["mode"], "mode": rule["mode"],
            "effectiveFrom": effective_from, "effective_from": effective_from,
            "effectiveTo": effective_to, "effective_to": effective_to, "isActive": True, "is_active": True}
    if clinician_id is not None:
        body.update({"clinicianId": clinician_id, "clinician_id": clinician_id})
    return body


# What the patient website's experts page looks for in a centre name to filter by city.
_CITY_WORDS = {"bangalore": ("bangalore", "bengaluru"), "kochi": ("kochi",), "mumbai": ("mumbai",)}


def centre_display_name(name: str | None, city: str | None) -> str | None:
    """The centre's name with its city when the name does not already say it ("Indiranagar – Bangalore"): the
    website's experts page filters clinicians by city using only the centre name it reads."""
    if not name or not city:
        return name
    words = _CITY_WORDS.get(city.lower(), (city.lower(),))
    if any(word in name.lower() for word in words):
        return name
    return f"{name} – {city.title()}"


def clinician_wire(row: dict, *, staff: bool) -> dict:
    centres = _json_list(row["centres"])
    specializations = _json_list(row["specializations"])
    qualifications = _json_list(row["qualifications"])
    display = centre_display_name(row["primary_centre_name"], row["primary_centre_city"])
    primary = ({"id": row["primary_centre_id"], "name": row["primary_centre_name"], "displayName": display,
                "city": row["primary_centre_city"]} if row["primary_centre_id"] else None)
    body = {
        "id": row["id"], "name": row["full_name"], "fullName": row["full_name"],
        "specialization": specializations, "specializations": specializations,
        "qualification": qualifications, "qualifications": qualifications,
        "yearsOfExperience": row["years_of_experience"], "expertise": _json_list(row["expertise"]),
        "profilePictureUrl": row["profile_picture_url"], "primaryCentreId": row["primary_centre_id"],
        "primaryCentreName": display, "primary_centre_name": display,
        "primaryCentreRealName": row["primary_centre_name"], "primaryCentre": primary,
        "city": row["primary_centre_city"], "languages": _json_list(row["languages"]),
        "consultationFee": to_rupees(row["consultation_fee_paise"]),
        "consultationModes": _json_list(row["consultation_modes"]),
        "defaultDurationMinutes": row["default_duration_minutes"], "defaultDuration": row["default_duration_minutes"],
        "bio": row["bio"], "isActive": row["is_active"], "registrationNumber": row["registration_number"],
        "centres": centres, "centreIds": [c["id"] for c in centres],
    }
    if staff:
        body.update({"userId": row["user_id"], "phone": phones.national(row["phone"]), "email": row["email"],
                     "username": row["username"], "advanceAmount": to_rupees(row["advance_amount_paise"]),
                     "dailyTokenLimit": row["daily_token_limit"], "createdAt": iso(row["created_at"]),
                     "updatedAt": iso(row["updated_at"]), "isDeleted": row["is_deleted"]})
    return body


def profile_wire(found: clinicians.Profile, *, staff: bool) -> dict:
    body = clinician_wire(found.row, staff=staff)
    body["availabilityRules"] = [rule_wire(r, found.row["id"]) for r in found.rules]
    return body


def _envelope(data: Any, total: int | None = None) -> Rendered:
    text = json.dumps({"success": True, "data": data}, ensure_ascii=False, separators=(",", ":"))
    return Rendered(text.encode(), total)


def render_list(rows: list[dict], *, staff: bool) -> Rendered:
    return _envelope([clinician_wire(r, staff=staff) for r in rows], rows[0]["total"] if rows else 0)


def render_profile(found: clinicians.Profile, *, staff: bool) -> Rendered:
    return _envelope(profile_wire(found, staff=staff))


def render_rules(clinician_id: int, rules: list[dict]) -> Rendered:
    """``data`` is the bare list of rules: the admin panel maps over it (as the first backend answered)."""
    return _envelope([rule_wire(r, clinician_id) for r in rules], len(rules))


def _respond(rendered: Rendered) -> Response:
    headers = {"X-Total-Count": str(rendered.total)} if rendered.total is not None else None
    return Response(rendered.body, media_type="application/json", headers=headers)


# --- routes --------------------------------------------------------------------------------------------------------

def route(method: str, path: str, *, extra: tuple[str, ...] = (), **kwargs: Any) -> Callable:
    """Register ``path`` under every clinician prefix (and any ``extra`` full paths); the schema shows only the
    canonical /clinicians path (hospital-api-reference: "clinician routes")."""

    def register(handler: Callable) -> Callable:
        for full in (*(prefix + path for prefix in PREFIXES), *extra):
            router.add_api_route(full, handler, methods=[method], include_in_schema=full == PREFIXES[0] + path,
                                 **kwargs)
        return handler

    return register


async def request_session(request: Request) -> AsyncSession:
    """The request's session, as ``deps.get_db``, but async: the public reads are hot paths and a sync
    dependency is run in the thread pool."""
    return request.state.db


Db = Annotated[AsyncSession, Depends(request_session)]
Caller = Annotated[Principal | None, Depends(optional_principal)]
Manager = Annotated[Principal, Depends(CAN_MANAGE)]


@route("GET", "", response_model=Envelope[list[ClinicianForStaff | Clinician]])
async def list_clinicians(session: Db, principal: Caller, organization: ReaderKey,
                          params: Annotated[DirectoryParams, Depends(query_params(DirectoryParams))]) -> Response:
    return _respond(await clinicians.directory(session, principal, organization=organization,
                                               query=params.query(), render=render_list))


@route("GET", "/{clinician_id:int}", response_model=Envelope[ClinicianProfileForStaff | ClinicianProfile])
async def get_clinician(clinician_id: int, session: Db, principal: Caller,
                        organization: ReaderKey) -> Response:
    return _respond(await clinicians.profile(session, principal, clinician_id, organization=organization,
                                             render=render_profile))


@route("POST", "", status_code=201, response_model=Envelope[ClinicianProfileForStaff])
async def create_clinician(body: ClinicianIn, session: Db, principal: Manager) -> Response:
    found = await clinicians.create(session, principal, account=body.account(), profile_fields=body.profile(),
                                    centre_ids=body.centre_ids, rules=body.rules())
    return created(profile_wire(found, staff=True), "Clinician created")


@route("PUT", "/{clinician_id:int}", response_model=Envelope[ClinicianProfileForStaff])
async def update_clinician(clinician_id: int, body: ClinicianIn, session: Db, principal: Manager) -> Response:
    found = await clinicians.update(session, principal, clinician_id, account=body.account(),
                                    profile_fields=body.profile(), centre_ids=body.centre_ids,
                                    rules=body.rules())
    return ok(profile_wire(found, staff=True), "Clinician updated")


@route("PATCH", "/{clinician_id:int}/credentials", response_model=Envelope[ClinicianProfileForStaff])
async def update_credentials(clinician_id: int, body: CredentialsIn, session: Db, principal: Manager) -> Response:
    found = await clinicians.update(session, principal, clinician_id, account=body.account(), profile_fields={})
    return ok(profile_wire(found, staff=True), "Clinician credentials updated")


@route("DELETE", "/{clinician_id:int}", response_model=Envelope[Deleted])
async def delete_clinician(clinician_id: int, session: Db, principal: Manager) -> Response:
    await clinicians.remove(session, principal, clinician_id)
    return ok({"id": clinician_id, "deleted": True}, "Clinician deleted")


@route("PATCH", "/{clinician_id:int}/toggle-active", response_model=Envelope[ClinicianProfileForStaff])
async def toggle_clinician(clinician_id: int, session: Db, principal: Manager,
                           body: ToggleIn | None = None) -> Response:
    found = await clinicians.set_active(session, principal, clinician_id, body.is_active if body else None)
    state = "activated" if found.row["is_active"] else "deactivated"
    return ok(profile_wire(found, staff=True), f"Clinician {state}")


@route("PUT", "/{clinician_id:int}/availability", response_model=Envelope[list[AvailabilityRule]])
async def put_availability(clinician_id: int, body: AvailabilityIn, session: Db, principal: Manager) -> Response:
    rules = await availability.replace(session, principal, clinician_id, rule_specs(body.availability_rules) or [])
    return ok([rule_wire(r, clinician_id) for r in rules], "Availability updated")


@route("GET", "/{clinician_id:int}/availability", response_model=Envelope[list[AvailabilityRule]])
async def get_availability(clinician_id: int, session: Db, principal: Caller,
                           organization: ReaderKey,
                           q: Annotated[AvailabilityQuery, Depends(query_params(AvailabilityQuery))]) -> Response:
    return _respond(await clinicians.rules(session, principal, clinician_id, organization=organization,
                                           render=render_rules,
                                           centre_id=q.centre_id, day=q.day))
