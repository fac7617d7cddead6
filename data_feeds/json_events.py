"""Events that arrive as JSON objects (the HTTP ingest API) rather than as stream
entries: the object names its stream, the rest is the event of that stream's model,
validated exactly as a stream entry is (same models, same reasons)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.keys import StreamName, is_stream
from data_feeds.events import STREAM_MODELS, STREAMS, Event, MalformedEventError, validation_reason

MAX_STRING_CHARS = 4_000  # longer than any field allows: refused before pydantic sees it


def stream_named(item: Any) -> StreamName:
    """The stream an item says it is for; MalformedEventError when it names none we know."""
    if not isinstance(item, dict):
        raise MalformedEventError(f"an event is a JSON object (got {type(item).__name__})")
    stream = item.get("stream")
    if not isinstance(stream, str) or not is_stream(stream):
        raise MalformedEventError(f"stream: one of {', '.join(STREAMS)} (got {stream!r:.40})")
    return stream


def parse_item(item: Any) -> tuple[StreamName, Event]:
    """A JSON item → its stream and event; MalformedEventError with a one-line reason."""
    stream = stream_named(item)
    fields = {name: value for name, value in item.items() if name != "stream"}
    version = fields.get("v")
    if isinstance(version, int) and not isinstance(version, bool):
        fields["v"] = str(version)  # "v": 2 is what a JSON writer means by "2"
    for name, value in fields.items():
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise MalformedEventError(f"{name}: longer than {MAX_STRING_CHARS} characters")
    try:
        return stream, STREAM_MODELS[stream].model_validate(fields)
    except ValidationError as exc:
        raise MalformedEventError(validation_reason(exc)) from None
