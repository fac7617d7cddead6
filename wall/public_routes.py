"""The deliberately public pages (公示): what a citizen may know of a case, and the
approvals published. Read-only, rate-limited per address, and built from a short list
of fields (``public_case``), never from the case as stored: no reporter, no officer,
no department, no address, description, photos or coordinates; the place no finer
than the grid.

``GET /public/cases`` (search by number: ``?number=``), ``GET /public/cases/<id>``
(HTML) and ``/public/cases/<id>.json``; ``GET /public/approvals`` (HTML) and
``/public/approvals.json``: the approvals published in the last 30 days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import redis
from flask import Blueprint, Flask, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from core.keys import Keys
from core.outage import OUTAGE_ERRORS
from data_feeds import catalog
from data_feeds.approvals_published import published_since
from data_feeds.case_record import CaseRecord, read_case
from wall.config.models import WallConfigBase
from wall.control.snapshots import CASE_ID_PATTERN
from wall.i18n import Translator
from wall.public_page import approvals_html, case_html, search_html
from wall.ui.labels import grid_label

PUBLIC_PREFIX: Final = "/public/"
APPROVAL_DAYS: Final = 30


def public_case(record: CaseRecord, t: Translator, zone: ZoneInfo) -> dict[str, Any]:
    """Everything a citizen may see of a case, and nothing else."""
    kind = record.text("kind")
    stages = [
        {
            "status": stage.status,
            "name": t(f"case_status.{stage.status}"),
            "time": _local(stage.at_ms, zone),
        }
        for stage in record.stages
    ]
    return {
        "case_id": record.case_id,
        "kind": catalog.KIND_NAMES.get(kind, kind),
        "category": f"{record.text('major_name')}/{record.text('category_name')}",
        "status": t(f"case_status.{record.status}") if record.status else "",
        "resolved": record.status == "closed",
        "grid": record.text("grid"),
        "grid_label": grid_label(record.text("grid")),
        "stages": stages,
    }


def install_public_routes(
    server: Flask,
    client: redis.Redis | None,
    config: WallConfigBase,
    translate: Translator,
    limiter: Limiter,
    clock: Callable[[], float] = time.time,
) -> None:
    routes = Blueprint("public", __name__, url_prefix="/public")
    keys = Keys(config.redis.prefix)
    zone = ZoneInfo(config.wall.timezone)
    title = config.wall.title
    t = translate
    limiter.limit(config.web.public_rate_limit, key_func=get_remote_address)(routes)

    def page(html: str, status: int = 200) -> ResponseReturnValue:
        return (
            html,
            status,
            {"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"},
        )

    def find(case_id: str) -> CaseRecord | None:
        if client is None or not CASE_ID_PATTERN.fullmatch(case_id):
            return None
        return read_case(client, keys, case_id)

    @routes.get("/cases")
    def _search() -> ResponseReturnValue:
        number = (request.args.get("number") or "").strip()
        if number:
            return redirect(url_for("public._case", case_id=number))
        return page(search_html(t, title))

    @routes.get("/cases/<case_id>.json")
    def _case_json(case_id: str) -> ResponseReturnValue:
        try:
            record = find(case_id)
        except OUTAGE_ERRORS:
            return jsonify(error="temporarily unavailable"), 503
        if record is None:
            return jsonify(error="no such case"), 404
        return jsonify(public_case(record, t, zone))

    @routes.get("/cases/<case_id>")
    def _case(case_id: str) -> ResponseReturnValue:
        try:
            record = find(case_id)
        except OUTAGE_ERRORS:
            return page(search_html(t, title, t("public.unavailable")), 503)
        if record is None:
            return page(search_html(t, title, t("public.not_found", id=case_id)), 404)
        return page(case_html(t, title, public_case(record, t, zone)))

    def approvals() -> list[dict[str, str]]:
        if client is None:
            return []
        since = int((clock() - APPROVAL_DAYS * 86400) * 1000)
        return [
            {
                "application_id": item.application_id,
                "service": catalog.APPROVAL_SERVICES.get(item.service, item.service),
                "time": _local(item.at_ms, zone),
            }
            for item in published_since(client, keys, since)
        ]

    @routes.get("/approvals.json")
    def _approvals_json() -> ResponseReturnValue:
        try:
            return jsonify(days=APPROVAL_DAYS, approvals=approvals())
        except OUTAGE_ERRORS:
            return jsonify(error="temporarily unavailable"), 503

    @routes.get("/approvals")
    def _approvals() -> ResponseReturnValue:
        try:
            found = approvals()
        except OUTAGE_ERRORS:
            return page(search_html(t, title, t("public.unavailable")), 503)
        return page(approvals_html(t, title, found, APPROVAL_DAYS))

    server.register_blueprint(routes)


def _local(ms: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M")
