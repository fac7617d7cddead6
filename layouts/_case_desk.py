"""The console's case desk, drawn on the server: the case list, the case panel (one
case: category, address, description, photos, timeline, deadline, officer and
department, evidence, the nearest cameras) and the report form of 视频巡逻 → 上报.
The callbacks are in layouts/case_callbacks.py."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component

from data_feeds import case_details, catalog
from data_feeds.case_record import CaseRecord
from wall.control.case_file import CaseFile
from wall.html_attrs import attrs
from wall.i18n import Translator
from wall.tile_view import TileContext
from wall.ui.labels import grid_label, short_duration, street_address

CASE_STORE: Final = "console-case-open"  # {"case": id, "at": ms}: the case in the panel
REPORT_AT: Final = "console-report-at"  # {"lat", "lon"} clicked on the map, or None
PANEL: Final = "console-case-panel"


def case_desk(ctx: TileContext) -> Component:
    t = ctx.translate
    return html.Section(
        [
            dcc.Store(id=CASE_STORE),
            dcc.Store(id=REPORT_AT),
            html.Div(
                [
                    html.H2(t("desk.cases")),
                    html.Div(
                        [
                            dcc.Input(id="console-case-number", placeholder=t("desk.case_number"),
                                      maxLength=64, debounce=False),
                            html.Button(t("desk.open"), id="console-case-go"),
                        ],
                        className="cw-console__row",
                    ),
                    html.Div(id="console-cases", className="cw-desk__list"),
                ],
                className="cw-console__box cw-desk__cases",
            ),
            html.Div(id=PANEL, className="cw-console__box cw-desk__panel", role="region"),
            report_form(ctx),
        ],
        className="cw-console__desk",
    )  # fmt: skip


def category_options(locale: str) -> list[dict[str, str]]:
    """Every 大类/小类 of the catalogue: value "<kind>:<code>"."""
    options = []
    for (kind, code), category in catalog.CATEGORIES.items():
        kind_name = catalog.KIND_NAMES[kind] if locale == "zh-CN" else kind
        label = f"{kind_name} · {category.major_name}/{category.minor_name} ({code})"
        options.append({"label": label, "value": f"{kind}:{code}"})
    return options


def report_form(ctx: TileContext) -> Component:
    t = ctx.translate
    return html.Div(
        [
            html.H2(t("desk.report")),
            html.Div(id="console-report-camera", className="cw-desk__line"),
            dcc.Dropdown(id="console-report-category", options=category_options(t.locale),
                         placeholder=t("desk.category"), className="cw-desk__category"),
            dcc.Textarea(id="console-report-description", maxLength=1000,
                         placeholder=t("desk.report_description"),
                         className="cw-desk__description"),
            html.Div(
                [
                    dcc.RadioItems(
                        id="console-report-priority", value="normal", inline=True,
                        options=[{"label": t(f"priority.{p}"), "value": p}
                                 for p in ("normal", "urgent")],
                    ),
                    html.Span(id="console-report-where", className="cw-desk__where"),
                    html.Button(t("desk.report_use_camera"), id="console-report-reset"),
                ],
                className="cw-console__row",
            ),
            html.Button(t("desk.report_submit"), id="console-report-submit",
                        className="cw-desk__submit"),
        ],
        className="cw-console__box cw-desk__report",
    )  # fmt: skip


def case_list(cases: pd.DataFrame, ctx: TileContext) -> list[Component]:
    """The latest cases as buttons: a click opens the case in the panel."""
    zone = ZoneInfo(ctx.config.wall.timezone)
    t = ctx.translate
    rows: list[Component] = []
    for case_id, case in cases.iterrows():
        reported = case["reported_at"]
        when = reported.tz_convert(zone).strftime("%m-%d %H:%M") if pd.notna(reported) else ""
        where = street_address(_text(case.get("address"))) or grid_label(_text(case["grid"]))
        rows.append(
            html.Button(
                [
                    html.Span(when, className="cw-desk__when"),
                    html.Span(str(case_id), className="cw-desk__id"),
                    html.Span(_text(case["category_name"]), className="cw-desk__cat"),
                    html.Span(where, className="cw-desk__where"),
                    html.Span(t(f"case_status.{case['status']}"), className="cw-desk__status"),
                ],
                id={"console": "case", "id": str(case_id)},
                className="cw-desk__case"
                + (" cw-desk__case--urgent" if case["priority"] == "urgent" else ""),
                **attrs(data_case_id=str(case_id)),
            )
        )
    return rows


def case_panel(found: CaseFile, ctx: TileContext, now_ms: int) -> list[Component]:
    t = ctx.translate
    record = found.record
    zone = ZoneInfo(ctx.config.wall.timezone)
    kind = record.text("kind")
    category = f"{catalog.KIND_NAMES.get(kind, kind)} · {record.text('major_name')}/" + (
        f"{record.text('category_name')} ({record.text('category')})"
    )
    facts = [
        (t("desk.category"), category),
        (t("desk.address"), record.text(case_details.ADDRESS) or grid_label(record.text("grid"))),
        (t("desk.description"), record.text(case_details.DESCRIPTION)),
        (t("desk.source"), _label(t, "source", record.text("source"))),
        (t("desk.channel"), _label(t, "channel", record.text(case_details.CHANNEL))),
        (t("desk.reporter"), record.text(case_details.REPORTER)),
        (t("desk.priority"), _label(t, "priority", record.text("priority"))),
        (t("desk.grid"), record.text("grid")),
        (t("desk.dept"), record.text("dept")),
        (t("desk.officer"), record.text("officer")),
        (t("desk.deadline"), _deadline(record, t, zone, now_ms)),
    ]
    shown = [html.Div([html.Dt(k), html.Dd(v)]) for k, v in facts if v]
    status = t(f"case_status.{record.status}") if record.status else ""
    return [
        html.H2([record.case_id, html.Span(status, className="cw-desk__badge")],
                **attrs(data_case_id=record.case_id, data_status=record.status)),
        html.Dl(shown, className="cw-desk__facts"),
        *_photos(record, t),
        html.H3(t("desk.timeline")),
        _timeline(record, t, zone),
        html.H3(t("desk.evidence")),
        _evidence(found, t, zone),
        html.H3(t("desk.nearest")),
        _nearest(found, t),
        html.Button(t("desk.highlight"), id="console-case-highlight"),
    ]  # fmt: skip


def _timeline(record: CaseRecord, t: Translator, zone: ZoneInfo) -> Component:
    head = html.Tr([html.Th(t("desk.when")), html.Th(t("desk.stage")), html.Th(t("desk.who"))])
    rows = [
        html.Tr(
            [
                html.Td(_at(stage.at_ms, zone, "%Y-%m-%d %H:%M:%S")),
                html.Td(t(f"case_status.{stage.status}")),
                html.Td(" · ".join(part for part in (stage.officer, stage.dept) if part)),
            ],
            **attrs(data_stage=stage.status),
        )
        for stage in record.stages
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)],
                      className="cw-console__table cw-desk__timeline")  # fmt: skip


def _evidence(found: CaseFile, t: Translator, zone: ZoneInfo) -> Component:
    if not found.evidence:
        return html.P(t("desk.no_evidence"), className="cw-desk__none")
    items = [
        html.Li(
            html.A(
                f"{_at(item.at_ms, zone, '%m-%d %H:%M:%S')} · {t(f'desk.kind.{item.kind}')} · "
                f"{item.camera_id} · {item.operator}",
                href=item.url,
                target="_blank",
            ),
            **attrs(data_kind=item.kind, data_evidence_id=item.id),
        )
        for item in found.evidence
    ]
    return html.Ul(items, className="cw-desk__evidence")


def _nearest(found: CaseFile, t: Translator) -> Component:
    if not found.cameras:
        return html.P(t("desk.no_nearby"), className="cw-desk__none")
    return html.Div(
        [
            html.Button(
                f"{camera.camera_id} {camera.name} · {camera.distance_m:.0f} m · "
                f"{t(f'desk.status.{camera.status}')}",
                id={"console": "nearcam", "id": camera.camera_id},
                className=f"cw-desk__cam cw-console__cam--{camera.status}",
                **attrs(data_camera=camera.camera_id),
            )
            for camera in found.cameras
        ],
        className="cw-desk__cams",
    )


def _photos(record: CaseRecord, t: Translator) -> list[Component]:
    shown: list[Component] = []
    for name in case_details.PHOTO_FIELDS:
        urls = record.photos(name)
        if urls:
            shown.append(html.H3(t(f"desk.{name}")))
            shown.append(html.Div([html.A(html.Img(src=url, alt=name), href=url, target="_blank")
                                   for url in urls], className="cw-desk__photos"))  # fmt: skip
    return shown


def _deadline(record: CaseRecord, t: Translator, zone: ZoneInfo, now_ms: int) -> str:
    deadline = record.ms("deadline")
    if deadline is None:
        return ""
    text = _at(deadline, zone, "%Y-%m-%d %H:%M")
    ended = record.ms("closed_at") or record.ms("cancelled_at")
    if ended is not None:
        late = ended - deadline
        done = t("desk.closed_late", t=_span(late, t)) if late > 0 else t("desk.closed_on_time")
        return f"{text} · {done}"
    if now_ms > deadline:
        return f"{text} · {t('desk.late', t=_span(now_ms - deadline, t))}"
    return f"{text} · {t('desk.left', t=_span(deadline - now_ms, t))}"


def _span(ms: int, t: Translator) -> str:
    return short_duration(pd.Timedelta(milliseconds=ms).to_pytimedelta(), t)


def _at(ms: int, zone: ZoneInfo, pattern: str) -> str:
    return datetime.fromtimestamp(ms / 1000, zone).strftime(pattern)


def _label(t: Translator, group: str, value: str) -> str:
    key = f"{group}.{value}"
    return t(key) if value and t.has(key) else value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
