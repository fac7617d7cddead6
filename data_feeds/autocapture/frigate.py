"""Frigate's ``frigate/events`` messages, validated with pydantic.

Frigate (the open-source NVR) publishes one message each time a tracked object
changes: ``{"type": "new" | "update" | "end", "before": {...}, "after": {...}}``,
``after`` being the object as it is now (docs.frigate.video, "MQTT"). Only the fields
the rules read are declared; the others (box, region, snapshot, attributes, ...) are
ignored, so a newer Frigate that adds fields is still read.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from data_feeds.events import validation_reason

Name = Annotated[str, Field(min_length=1, max_length=200)]


def _sub_label(value: object) -> object:
    """Frigate 0.13+ sends ``[name, score]``; older ones a name; null when none."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


class FrigateObject(BaseModel):
    """A tracked object as one message has it (``after``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Name = Field(description="the event's id, e.g. 1607123955.475377-mxklsc")
    camera: Name = Field(description="Frigate's camera name")
    label: Name = Field(description="what the object is: person, car, ...")
    sub_label: Annotated[str | None, BeforeValidator(_sub_label)] = Field(
        None, description="a recognised name or plate, when there is one"
    )
    score: float | None = Field(None, ge=0, le=1, description="this frame's score")
    top_score: float | None = Field(None, ge=0, le=1, description="the best score so far")
    start_time: float = Field(description="when tracking began, seconds since the epoch")
    end_time: float | None = Field(None, description="when it ended (type end)")
    current_zones: tuple[str, ...] = Field((), description="the zones it is in now")
    entered_zones: tuple[str, ...] = Field((), description="every zone it has entered")
    has_snapshot: bool = False
    false_positive: bool = False
    stationary: bool = Field(False, description="Frigate considers it not moving")

    @property
    def best_score(self) -> float:
        return max(self.top_score or 0.0, self.score or 0.0)


class FrigateMessage(BaseModel):
    """One message of ``frigate/events``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["new", "update", "end"]
    before: dict[str, Any] | None = None  # not read: the object before this change
    after: FrigateObject


class FrigateMessageError(ValueError):
    """Not a Frigate event message; ``reason`` says why in one line, ``payload`` is the
    message as JSON (or its text when it is not JSON), for the dead-letter stream."""

    def __init__(self, reason: str, payload: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.payload = payload


def parse_message(raw: bytes) -> FrigateMessage:
    """A ``frigate/events`` payload → its message; FrigateMessageError when malformed."""
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FrigateMessageError(f"not JSON: {exc}", text) from None
    if not isinstance(data, dict):
        raise FrigateMessageError(f"not a JSON object (got {type(data).__name__})", data)
    try:
        return FrigateMessage.model_validate(data)
    except ValidationError as exc:
        raise FrigateMessageError(validation_reason(exc), data) from None
