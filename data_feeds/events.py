"""The event schema of every stream (version 2; version 1 is still read), validated
with pydantic.

An event travels as one Redis stream entry of flat string fields: ``v`` (schema
version), ``event_id``, ``time`` (ISO 8601 with its UTC offset) and the fields of its
stream's model. Every case event carries the case's descriptors (kind, category,
source, place, grid), so any single event can be applied without the ones before it:
consumers may see a case's events out of order and still agree on the result.

Version 2 adds a case's details (``data_feeds.case_details``: address, description,
photos, channel); a photo list travels in a stream entry as a JSON array string. A
version 1 event is read exactly as before, and refused if it carries a detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from core.keys import STREAMS as _STREAM_NAMES
from core.keys import StreamName, is_stream
from data_feeds import case_details, catalog
from data_feeds.case_details import Address, Description, Photos, Reporter

SCHEMA_VERSION: Final = "2"  # what producers write
SCHEMA_VERSIONS: Final = ("1", "2")  # what is read, on every stream

# An id (event, case, officer, camera…): 1-64 letters, digits or . _ : -, from a letter or digit.
IDENT_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Ident = Annotated[str, StringConstraints(pattern=IDENT_PATTERN)]
GridCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Event(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal["1", "2"] = Field(
        SCHEMA_VERSION,
        description="schema version of the event: 2 (1 is still read; it has no case details)",
    )
    event_id: Ident = Field(description="unique id of this event; a repeat is applied once")
    time: AwareDatetime = Field(description="when it happened, ISO 8601 with UTC offset")


class CaseEvent(Event):
    """One transition of a case (案件) in the 数字城管 workflow."""

    case_id: Ident = Field(description="the case's number")
    status: catalog.CaseStatus = Field(description="the status the case enters")
    kind: catalog.CaseKind = Field(description="事件 event or 部件 component")
    category: CategoryCode = Field(description="大类 + 小类 code, 4 digits (CJ/T 214 style)")
    source: catalog.CaseSource = Field(description="how the problem was found")
    priority: catalog.Priority = Field("normal", description="一般 normal or 紧急 urgent")
    lat: Latitude = Field(description="latitude, WGS-84")
    lon: Longitude = Field(description="longitude, WGS-84")
    grid: GridCode = Field(description="responsibility grid (责任网格) code")
    dept: ShortText | None = Field(None, description="department it is dispatched to")
    officer: Ident | None = Field(None, description="officer (监督员) who reported or checked")
    deadline: AwareDatetime | None = Field(None, description="handling deadline; on dispatch")
    note: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="free text"
    )
    # Schema version 2: the case's details, each kept until a newer event sets it.
    address: Address | None = Field(None, description="地址: where, 1-200 characters (v2)")
    description: Description | None = Field(
        None, description="问题描述: what the problem is, 1-1000 characters (v2)"
    )
    photos_before: Photos = Field(
        None,
        description="处置前: photos before handling, at most 9 absolute http(s) URLs of at "
        "most 500 characters; in a stream entry a JSON array string (v2)",
    )
    photos_after: Photos = Field(
        None,
        description="处置后: photos after handling, as photos_before (v2)",
    )
    channel: catalog.CaseChannel | None = Field(
        None, description="how the reporter reached the hall (see catalog.CHANNEL_NAMES) (v2)"
    )

    reporter: Reporter | None = Field(
        None,
        description="举报人: who reported it, as the business system has it (name or contact), "
        "1-64 characters; personal: shown to operators only, never on a wall screen or the "
        "public case page (v2)",
    )

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_number(cls, value: object) -> object:
        # 12319 is what a JSON writer may send for the hotline's number
        is_number = isinstance(value, int) and not isinstance(value, bool)
        return str(value) if is_number else value

    @model_validator(mode="after")
    def _consistent(self) -> CaseEvent:
        if self.v != case_details.VERSION:
            carried = [name for name in case_details.FIELDS if getattr(self, name) is not None]
            if carried:
                raise ValueError(f"{carried[0]}: needs schema version {case_details.VERSION}")
        if catalog.category(self.kind, self.category) is None:
            raise ValueError(f"category: unknown {self.kind} category {self.category!r}")
        if self.status == "dispatched" and (self.dept is None or self.deadline is None):
            raise ValueError("dispatched: needs dept and deadline")
        if self.deadline is not None and self.deadline <= self.time:
            raise ValueError("deadline: must be after time")
        return self


class OfficerEvent(Event):
    """What an officer's handheld terminal reports: position, status or check-in (签到)."""

    officer_id: Ident = Field(description="the officer's terminal id")
    action: catalog.OfficerAction = Field(description="position, status or checkin")
    grid: GridCode = Field(description="the officer's responsibility grid")
    name: ShortText | None = Field(None, description="the officer's name")
    status: catalog.OfficerStatus | None = Field(None, description="work status; on status")
    lat: Latitude | None = Field(None, description="latitude; on position and checkin")
    lon: Longitude | None = Field(None, description="longitude; on position and checkin")

    @model_validator(mode="after")
    def _consistent(self) -> OfficerEvent:
        if self.action == "status" and self.status is None:
            raise ValueError("status: required when action is status")
        if self.action != "status" and (self.lat is None or self.lon is None):
            raise ValueError(f"lat/lon: required when action is {self.action}")
        return self


class HotlineEvent(Event):
    """A call taken on the 12319 hotline."""

    call_id: Ident = Field(description="the call's number")
    seat: int = Field(ge=1, le=99, description="the operator's seat")
    outcome: catalog.HotlineOutcome = Field(description="what the call led to")
    case_id: Ident | None = Field(None, description="the case it opened; when outcome is case")
    grid: GridCode | None = Field(None, description="grid of the place complained about")

    @model_validator(mode="after")
    def _consistent(self) -> HotlineEvent:
        if self.outcome == "case" and self.case_id is None:
            raise ValueError("case_id: required when outcome is case")
        return self


class ApprovalEvent(Event):
    """A step of an online service application (一键服务)."""

    application_id: Ident = Field(description="the application's number")
    service: Literal[
        "ad", "municipal", "muck", "greening", "storefront", "stall", "outdoor", "notice",
        "regulation",
    ] = Field(description="which service (see catalog.APPROVAL_SERVICES)")  # fmt: skip
    status: catalog.ApprovalStatus = Field(description="the step reached")


class CameraEvent(Event):
    """A camera going online or offline."""

    camera_id: Ident = Field(description="the camera's id in the inventory")
    status: catalog.CameraStatus = Field(description="online or offline")
    reason: ShortText | None = Field(None, description="why, when offline")


STREAM_MODELS: Final[dict[StreamName, type[Event]]] = {
    "cases": CaseEvent,
    "officers": OfficerEvent,
    "hotline": HotlineEvent,
    "approvals": ApprovalEvent,
    "cameras": CameraEvent,
}
# One model per stream of core.keys.STREAMS, in its order (checked at import).
STREAMS: Final = _STREAM_NAMES
if tuple(STREAM_MODELS) != STREAMS:
    raise RuntimeError(f"STREAM_MODELS {tuple(STREAM_MODELS)} != core.keys.STREAMS {STREAMS}")


class MalformedEventError(ValueError):
    """An entry that is not a valid event; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def stream_of(event: Event) -> StreamName:
    return next(name for name, model in STREAM_MODELS.items() if type(event) is model)


def to_fields(event: Event) -> dict[str, str]:
    """The stream entry for an event: flat strings, unset optional fields left out,
    photo lists as JSON arrays."""
    fields: dict[str, str] = {}
    for name, value in event:
        if value is None:
            continue
        if isinstance(value, datetime):
            fields[name] = value.isoformat()
        elif isinstance(value, list):
            fields[name] = case_details.encode_photos(value)
        else:
            fields[name] = str(value)
    return fields


def parse_entry(stream: str, raw: Mapping[bytes, bytes] | Mapping[str, str]) -> Event:
    """Validate one stream entry; raises MalformedEventError with a one-line reason.
    Photo lists arrive as JSON array strings: the model decodes them."""
    if not is_stream(stream):
        raise MalformedEventError(f"unknown stream {stream!r}")
    model = STREAM_MODELS[stream]
    fields = _decode(raw)
    version = fields.get("v")
    if version not in SCHEMA_VERSIONS:
        readable = " or ".join(repr(known) for known in SCHEMA_VERSIONS)
        raise MalformedEventError(
            f"v: unsupported schema version {version!r} (this reads {readable})"
        )
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise MalformedEventError(validation_reason(exc)) from None


def _decode(raw: Mapping[bytes, bytes] | Mapping[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in raw.items():
        try:
            name = key.decode() if isinstance(key, bytes) else key
            fields[name] = value.decode() if isinstance(value, bytes) else value
        except UnicodeDecodeError:
            shown = key.decode(errors="backslashreplace") if isinstance(key, bytes) else key
            raise MalformedEventError(f"{shown}: not UTF-8") from None
    return fields


def validation_reason(exc: ValidationError) -> str:
    """A validation error in one line: where, what, and the value given (first three)."""
    parts = []
    for error in exc.errors(include_url=False)[:3]:
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if where:
            parts.append(f"{where}: {message} (got {_short(error.get('input'))})")
        else:
            parts.append(message)
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
