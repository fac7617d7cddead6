"""The event schema of every stream (version 1), validated with pydantic.

An event travels as one Redis stream entry of flat string fields: ``v`` (schema
version), ``event_id``, ``time`` (ISO 8601 with its UTC offset) and the fields of its
stream's model. Every case event carries the case's descriptors (kind, category,
source, place, grid), so any single event can be applied without the ones before it:
consumers may see a case's events out of order and still agree on the result.
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
    model_validator,
)

from core.keys import STREAMS as _STREAM_NAMES
from core.keys import StreamName, is_stream
from data_feeds import catalog

SCHEMA_VERSION: Final = "1"

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
GridCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Event(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal["1"] = Field(SCHEMA_VERSION, description="schema version of the event")
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

    @model_validator(mode="after")
    def _consistent(self) -> CaseEvent:
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
    """The stream entry for an event: flat strings, unset optional fields left out."""
    fields: dict[str, str] = {}
    for name, value in event:
        if value is None:
            continue
        fields[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return fields


def parse_entry(stream: str, raw: Mapping[bytes, bytes] | Mapping[str, str]) -> Event:
    """Validate one stream entry; raises MalformedEventError with a one-line reason."""
    if not is_stream(stream):
        raise MalformedEventError(f"unknown stream {stream!r}")
    model = STREAM_MODELS[stream]
    fields = _decode(raw)
    version = fields.get("v")
    if version != SCHEMA_VERSION:
        raise MalformedEventError(
            f"v: unsupported schema version {version!r} (this reads {SCHEMA_VERSION!r})"
        )
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise MalformedEventError(_reason(exc)) from None


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


def _reason(exc: ValidationError) -> str:
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
