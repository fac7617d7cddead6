"""The ingest API's request and answer, as pydantic models: the OpenAPI document is
generated from them (spectree), and the items are the event models of
``data_feeds.events`` themselves, each with the stream it goes to."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from data_feeds.events import ApprovalEvent, CameraEvent, CaseEvent, HotlineEvent, OfficerEvent


class CaseItem(CaseEvent):
    """A transition of a case, for ``citywall:cases``."""

    stream: Literal["cases"] = Field(description="the stream: cases")


class OfficerItem(OfficerEvent):
    """A terminal's position, status or check-in, for ``citywall:officers``."""

    stream: Literal["officers"] = Field(description="the stream: officers")


class HotlineItem(HotlineEvent):
    """A 12319 call, for ``citywall:hotline``."""

    stream: Literal["hotline"] = Field(description="the stream: hotline")


class ApprovalItem(ApprovalEvent):
    """A step of an online service application, for ``citywall:approvals``."""

    stream: Literal["approvals"] = Field(description="the stream: approvals")


class CameraItem(CameraEvent):
    """A camera going online or offline, for ``citywall:cameras``."""

    stream: Literal["cameras"] = Field(description="the stream: cameras")


EventItem = Annotated[
    CaseItem | OfficerItem | HotlineItem | ApprovalItem | CameraItem,
    Field(discriminator="stream"),
]


class EventBatch(BaseModel):
    """A batch of events. Each item is checked on its own: a malformed one is refused
    (with its reason, and kept in the dead-letter stream), the others are applied."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventItem] = Field(
        min_length=1, description="the events, at most ingest.max_items (1000) of them"
    )


ItemStatus = Literal["accepted", "duplicate", "refused"]


class ItemResult(BaseModel):
    index: int = Field(description="the item's position in the batch, from 0")
    event_id: str | None = Field(None, description="the item's event_id, when it had one")
    status: ItemStatus = Field(
        description="accepted (written); duplicate (this event_id was accepted before on "
        "this stream: not written again); refused (malformed: see reason)"
    )
    reason: str | None = Field(None, description="why it was refused")


class IngestAnswer(BaseModel):
    accepted: int = Field(description="items written")
    duplicates: int = Field(description="items already accepted before")
    refused: int = Field(description="items refused (each also in the dead-letter stream)")
    results: list[ItemResult] = Field(description="one per item, in the batch's order")


class ApiError(BaseModel):
    error: str = Field(description="what was wrong, in one line")
