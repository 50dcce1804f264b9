"""The response contract both surfaces share: the envelopes as pydantic models, and the wire types they hold.

Routes return ready ``JSONResponse`` objects, so FastAPI uses a route's ``response_model`` for the OpenAPI schema
only: nothing is validated or re-serialised on the request path. The test suite holds every response to the model
its route declares (tests/http/test_response_contract.py), so the schema cannot drift from what is sent.

A wire model names its fields exactly as they go out (both casings where a surface sends both) and forbids any
other field, so the schema is the whole contract. A field that is present only sometimes has a default; a field
that is always present but may be null has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")


class WireModel(BaseModel):
    """A response body part: every field declared, nothing else allowed."""

    model_config = ConfigDict(extra="forbid")


# --- wire types ----------------------------------------------------------------------------------------------------

Instant = AwareDatetime  # ISO-8601 with its offset
Day = date  # a calendar day, YYYY-MM-DD
WallClock = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$", examples=["09:30"])]  # a centre's wall clock, HH:MM
def _whole_as_int(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# A model dumping it (the clinic surface's Wire) writes 1598, not 1598.0, as kit.money.to_rupees does.
Rupees = Annotated[float, PlainSerializer(_whole_as_int, return_type=Any),
                   WithJsonSchema({"type": "number", "description": "Rupees, a JSON number (whole rupees as an integer)"})]


def one_of(values: Iterable[str]) -> Any:
    """A closed vocabulary (a tuple of the model's allowed values) as a type: an ``enum`` in the schema."""
    return Literal[tuple(values)]  # type: ignore[valid-type]


# --- envelopes -----------------------------------------------------------------------------------------------------

class Envelope(WireModel, Generic[T]):
    """``{"success": true, "data": ..., "message"?: ...}``."""

    success: Literal[True]
    data: T
    message: str | None = None


class Done(Envelope[None]):
    """``data`` is null: the message says what was done."""


class Pagination(WireModel):
    total: int
    limit: int
    offset: int
    hasMore: bool


class Page(Envelope[list[T]], Generic[T]):
    """A list page: ``data`` is the list, ``pagination`` says where it is."""

    pagination: Pagination


class ErrorDetail(WireModel):
    """One field-level problem; some conflicts add the state they found."""

    field: str
    message: str
    currentStatus: str | None = None
    requestedStatus: str | None = None
    scheduledStartAt: Instant | None = None


class ErrorBody(WireModel):
    code: str = Field(examples=["SLOT_UNAVAILABLE"])
    message: str
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(WireModel):
    """Every 4xx and 5xx: the message twice (shipped clients read either)."""

    success: Literal[False]
    message: str
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorEnvelope, "description": "The request was refused (the error envelope)"},
    "5XX": {"model": ErrorEnvelope, "description": "The server could not answer (the error envelope)"},
}
"""Every route's error answers. Declaring the 4XX range also keeps FastAPI from documenting its own 422 body,
which this app never sends (validation errors use the envelope too)."""

JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": answer["description"],
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    for status, answer in ERROR_RESPONSES.items()}
"""The same, for a route whose own answer is not JSON (FastAPI files a ``model`` under the route's media type)."""
