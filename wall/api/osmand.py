"""Officers' handheld terminals: the OsmAnd protocol that Traccar Client and many
trackers speak (https://www.traccar.org/osmand/): a GET or POST with ``id``, ``lat``,
``lon``, ``timestamp``, ``speed``, ``bearing``, ``altitude``, ``accuracy``, ``batt`` as
query or form parameters, or (Traccar Client 9+) a JSON body with ``device_id`` and
``location.coords``/``location.timestamp``.

Traccar Client sends no credentials, so a terminal's secret is in the URL it is set up
with: ``/api/osmand/<token>`` (``citywall terminal add`` prints it). The token names one
terminal (device id → officer, name, grid); a report without a valid token (401) or
from another device than the token's (403) is refused and logged, never stored. Each
fix becomes an officer ``position`` event whose id is the device and fix time: a fix
sent twice is applied once, one arriving late is ordered by its time (the aggregator
keeps the newest position), as the simulator's are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from pydantic import ValidationError

from core.outage import OUTAGE_ERRORS
from data_feeds.events import OfficerEvent
from data_feeds.writer import EventWriter
from wall.api.credentials import Credential, CredentialStore
from wall.api.ingest import json_error

log = logging.getLogger(__name__)

OSMAND_PATH = "/api/osmand"


class BadReportError(ValueError):
    """A report that cannot be read as a position (400)."""


def report_fields(values: Mapping[str, str], body: Any) -> dict[str, Any]:
    """device id, lat, lon, time (aware datetime) from either form of the protocol."""
    if isinstance(body, dict) and isinstance(body.get("location"), dict):
        location = body["location"]
        coords = location.get("coords") if isinstance(location.get("coords"), dict) else {}
        return {
            "device": body.get("device_id"),
            "lat": coords.get("latitude"),
            "lon": coords.get("longitude"),
            "time": fix_time(location.get("timestamp")),
        }
    return {"device": values.get("id") or values.get("deviceid"), "lat": values.get("lat"),
            "lon": values.get("lon"), "time": fix_time(values.get("timestamp"))}  # fmt: skip


def fix_time(raw: Any) -> datetime:
    """Seconds or milliseconds since 1970, or ISO 8601 (UTC when it has no offset); now
    when the report has none."""
    if raw is None or raw == "":
        return datetime.now(UTC)
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadReportError(f"timestamp: not a time ({text[:40]!r})") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    seconds = number / 1000 if number > 1e11 else number
    return datetime.fromtimestamp(seconds, UTC)


def position_event(terminal: Credential, fields: Mapping[str, Any]) -> OfficerEvent:
    at: datetime = fields["time"]
    attrs = terminal.attrs
    try:
        return OfficerEvent(
            event_id=f"osmand-{terminal.id}-{int(at.timestamp() * 1000)}",
            time=at,
            officer_id=attrs["officer_id"],
            action="position",
            grid=attrs["grid"],
            name=terminal.name,
            lat=fields["lat"],
            lon=fields["lon"],
        )
    except ValidationError as exc:
        raise BadReportError("; ".join(e["msg"] for e in exc.errors(include_url=False))) from None


class OsmandReceiver:
    def __init__(self, terminals: CredentialStore, writer: EventWriter) -> None:
        self._terminals = terminals
        self._writer = writer

    def receive(self, token: str) -> ResponseReturnValue:
        try:
            terminal = self._terminals.verify(token)
        except OUTAGE_ERRORS:
            return json_error("Redis unavailable; the terminal sends it again", 503)
        if terminal is None:
            log.warning("osmand: refused a report from %s: no valid token", request.remote_addr)
            return json_error("not a terminal of this wall", 401)
        body = request.get_json(silent=True) if request.is_json else None
        try:
            fields = report_fields(request.values, body)
            if str(fields["device"]) != terminal.attrs.get("device_id"):
                log.warning("osmand: terminal %s sent device %r (%s): refused", terminal.id,
                            fields["device"], request.remote_addr)  # fmt: skip
                return json_error("this device is not the token's", 403)
            event = position_event(terminal, fields)
        except BadReportError as exc:
            return json_error(f"not a position: {exc}", 400)
        if not self._writer.write([event]):
            return json_error("Redis unavailable; the terminal sends it again", 503)
        return "", 200


def osmand_blueprint(receiver: OsmandReceiver | None, limiter: Limiter, rate: str) -> Blueprint:
    blueprint = Blueprint("osmand", __name__)

    @blueprint.route(OSMAND_PATH, methods=["GET", "POST"])
    def _no_token() -> ResponseReturnValue:
        log.warning("osmand: refused a report from %s: no token in the URL", request.remote_addr)
        return json_error("the terminal's URL ends with its token: /api/osmand/<token>", 401)

    @blueprint.route(f"{OSMAND_PATH}/<token>", methods=["GET", "POST"])
    @limiter.limit(rate)
    def _report(token: str) -> ResponseReturnValue:
        if receiver is None:  # no Redis: no terminal's token can be valid
            return json_error("this wall has no Redis, so no terminals", 401)
        return receiver.receive(token)

    return blueprint


def osmand_only_app(receiver: OsmandReceiver | None, rate: str) -> Flask:
    """The terminals' reports alone, for ``ingest.osmand_port`` (nothing else there)."""
    from wall.api.routes import make_limiter  # one place makes limiters

    app = Flask("citywall-osmand")
    app.register_blueprint(osmand_blueprint(receiver, make_limiter(app), rate))
    return app
