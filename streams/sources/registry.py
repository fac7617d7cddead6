"""Camera sources by URL scheme, as go2rtc does: ``rtsp://``, ``file://``, ``sim://``.

A factory takes the whole URL and returns a ``PacketSource`` without connecting
(sources open upstream only while iterated); it raises ``SourceError`` for a URL
it cannot use, so configuration mistakes show before anything is pulled.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from streams.packets import PacketSource, SourceError
from streams.sources.file import FileSource
from streams.sources.rtsp import RtspSource, redact
from streams.sources.sim import SimSource
from streams.sources.transcode import TranscodeSource

SourceFactory = Callable[[str], PacketSource]

_factories: dict[str, SourceFactory] = {}


def register(scheme: str, factory: SourceFactory) -> None:
    """Make ``scheme://`` URLs open with ``factory`` (replacing any earlier one)."""
    _factories[scheme.lower()] = factory


def known_schemes() -> list[str]:
    return sorted(_factories)


def open_source(url: str) -> PacketSource:
    """The source for ``url``; ``SourceError`` if its scheme is unknown or it is malformed."""
    scheme = urlsplit(url).scheme.lower()
    factory = _factories.get(scheme)
    if factory is None:
        known = ", ".join(f"{s}://" for s in known_schemes())
        shown = redact(url) if scheme else url
        raise SourceError(f"{shown!r}: unknown source scheme {scheme!r}; known: {known}")
    return factory(url)


register("sim", SimSource)
register("file", FileSource)
register("rtsp", RtspSource)
register("rtsps", RtspSource)
register("transcode", TranscodeSource)  # H.265 and other cameras, re-encoded while watched
