"""A case's details, new in schema version 2: where (地址), what (问题描述), the photos
before and after handling (处置前 / 处置后), the reporter's channel and the reporter
(举报人, personal: never on a wall screen or the public page). Declared here
once: their types (``data_feeds.events.CaseEvent`` uses them), how the photo lists
travel in a stream entry, and the names under which the aggregator keeps them in the
case's hash (``apply_batch.lua`` receives these from ``data_feeds.aggregator.script``;
``data_feeds.kpis`` reads them back).

In the case's hash each detail is ``<name>`` (its value, photos as a JSON array) and
``<name><STAMP_SUFFIX>`` (the time, ms, of the event that set it): a newer event's
value replaces an older one's, whatever order they are applied in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Final
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

ADDRESS: Final = "address"
DESCRIPTION: Final = "description"
PHOTOS_BEFORE: Final = "photos_before"
PHOTOS_AFTER: Final = "photos_after"
CHANNEL: Final = "channel"
REPORTER: Final = "reporter"
# The details' field names: in the event, the stream entry and the case's hash alike.
FIELDS: Final = (ADDRESS, DESCRIPTION, PHOTOS_BEFORE, PHOTOS_AFTER, CHANNEL, REPORTER)
# Personal: shown to operators in the console, never on a wall screen or a public page.
PERSONAL: Final = (REPORTER,)
PHOTO_FIELDS: Final = (PHOTOS_BEFORE, PHOTOS_AFTER)
STAMP_SUFFIX: Final = "_t"  # <name>_t: when (event time, ms) the value was set
VERSION: Final = "2"  # the schema version that has them

MAX_PHOTOS: Final = 9
MAX_URL_CHARS: Final = 500
NOT_A_LIST: Final = "not a JSON array of photo URLs"


def _http_url(url: str) -> str:
    """An absolute http(s) URL with a host, without spaces or control characters."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises
    except ValueError:
        raise ValueError("not an absolute http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an absolute http(s) URL")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise ValueError("a URL has no spaces or control characters")
    return url


def _photo_list(value: object) -> object:
    """A list as it is, or as a stream entry carries it (a JSON array string); an
    empty list is the same as none."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(NOT_A_LIST) from None
        if not isinstance(value, list):
            raise ValueError(NOT_A_LIST)
    return None if isinstance(value, list) and not value else value


Address = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Reporter = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PhotoUrl = Annotated[
    str,
    StringConstraints(max_length=MAX_URL_CHARS),
    AfterValidator(_http_url),
    Field(
        description="an absolute http or https URL of the photo",
        json_schema_extra={"format": "uri", "pattern": "^https?://"},
    ),
]
Photos = Annotated[
    Annotated[list[PhotoUrl], Field(max_length=MAX_PHOTOS)] | None,
    BeforeValidator(_photo_list),
]


def encode_photos(urls: Sequence[str]) -> str:
    """A photo list as a stream entry and the case's hash carry it: a JSON array."""
    return json.dumps(list(urls), ensure_ascii=False, separators=(",", ":"))


def decode_photos(text: str | None) -> list[str]:
    """A stored photo list back as URLs; [] for none (or for what is not one)."""
    try:
        urls = json.loads(text) if text else []
    except ValueError:
        return []
    return [url for url in urls if isinstance(url, str)] if isinstance(urls, list) else []


def stamp(name: str) -> str:
    """The hash field holding when the detail ``name`` was set."""
    return name + STAMP_SUFFIX
