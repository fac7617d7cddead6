"""A hall's busy hour on one web worker: every open page (wall screen, console,
tablet) holds an event stream, and the 101st must not hang (waitress's default is
100 connections and 4 threads)."""

from __future__ import annotations

import selectors
import socket
import time
from urllib.parse import urlsplit

from testkit.citywall import RunningWall
from testkit.signin import http_session

PAGES = 150


def test_150_pages_hold_their_event_streams_on_one_worker(shipped_wall: RunningWall) -> None:
    address = urlsplit(shipped_wall.url)
    session = http_session(shipped_wall.url)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    request = (
        f"GET /live/events?tiles=today HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
    ).encode()
    pages = []
    streaming: set[socket.socket] = set()
    with selectors.DefaultSelector() as selector:
        try:
            for _ in range(PAGES):
                page = socket.create_connection((address.hostname, address.port), timeout=10)
                page.sendall(request)
                page.setblocking(False)
                selector.register(page, selectors.EVENT_READ)
                pages.append(page)
            received = {page: b"" for page in pages}
            deadline = time.monotonic() + 60
            while len(streaming) < PAGES and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=1):
                    page = key.fileobj
                    assert isinstance(page, socket.socket)
                    received[page] += page.recv(1 << 16)
                    if b'"today"' in received[page]:  # its first full frame
                        assert received[page].startswith(b"HTTP/1.1 200")
                        streaming.add(page)
                        selector.unregister(page)
        finally:
            for page in pages:
                page.close()
    assert len(streaming) == PAGES, f"{PAGES - len(streaming)} pages got nothing"
