"""The public pages' HTML (公示): plain server-side HTML, every value escaped, light and
readable on a phone; the values come from ``wall.public_routes.public_case`` only."""

from __future__ import annotations

from html import escape
from typing import Any

from wall.i18n import Translator

STYLE = """
body { margin: 0 auto; max-width: 760px; padding: 16px; color: #1b2430; background: #f6f8fb;
       font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; line-height: 1.6; }
h1 { font-size: 22px; color: #0b4f8a; margin: 8px 0 16px; }
h2 { font-size: 18px; margin: 20px 0 8px; }
form { display: flex; gap: 8px; margin: 12px 0; }
input { flex: 1; padding: 8px 10px; font-size: 16px; border: 1px solid #9fb3c8;
        border-radius: 6px; }
button { padding: 8px 16px; font-size: 16px; border: 0; border-radius: 6px; background: #0b4f8a;
         color: #fff; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #dde5ee; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff;
     padding: 12px; border-radius: 6px; }
dt { color: #52657a; }
.resolved { color: #00734f; font-weight: 700; }
.open { color: #a35200; font-weight: 700; }
.error { padding: 10px 12px; background: #fff3c4; border-radius: 6px; }
nav a { margin-right: 16px; }
"""


def _page(t: Translator, title: str, heading: str, body: str) -> str:
    nav = (f'<nav><a href="/public/cases">{escape(t("public.search"))}</a>'
           f'<a href="/public/approvals">{escape(t("public.approvals"))}</a></nav>')  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="{t.locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading)} · {escape(title)}</title><style>{STYLE}</style></head>
<body>{nav}<h1>{escape(heading)}</h1>{body}</body></html>"""


def search_html(t: Translator, title: str, error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    form = (f'<form method="get" action="/public/cases"><input name="number" required '
            f'maxlength="64" placeholder="{escape(t("public.number"))}" autofocus>'
            f'<button type="submit">{escape(t("public.look_up"))}</button></form>')  # fmt: skip
    return _page(
        t, title, t("public.search"), form + problem + f"<p>{escape(t('public.hint'))}</p>"
    )


def case_html(t: Translator, title: str, case: dict[str, Any]) -> str:
    state = "resolved" if case["resolved"] else "open"
    facts = [
        (t("public.case_id"), case["case_id"]),
        (t("public.category"), f"{case['kind']} · {case['category']}"),
        (t("public.status"), case["status"]),
        (t("public.grid"), case["grid"]),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts)
    verdict = (
        f'<p class="{state}" data-resolved="{str(case["resolved"]).lower()}">'
        + escape(t(f"public.{state}"))
        + "</p>"
    )
    stages = "".join(
        f'<tr data-stage="{escape(s["status"])}"><td>{escape(s["time"])}</td>'
        f"<td>{escape(s['name'])}</td></tr>"
        for s in case["stages"]
    )
    table = (f"<h2>{escape(t('public.stages'))}</h2><table><thead><tr>"
             f"<th>{escape(t('public.time'))}</th><th>{escape(t('public.stage'))}</th></tr>"
             f"</thead><tbody>{stages}</tbody></table>")  # fmt: skip
    heading = t("public.case_title", id=case["case_id"])
    return _page(t, title, heading, f"{verdict}<dl>{rows}</dl>{table}")


def approvals_html(t: Translator, title: str, approvals: list[dict[str, str]], days: int) -> str:
    rows = "".join(
        f"<tr><td>{escape(a['time'])}</td><td>{escape(a['application_id'])}</td>"
        f"<td>{escape(a['service'])}</td></tr>"
        for a in approvals
    )
    empty = f"<p>{escape(t('public.no_approvals'))}</p>" if not approvals else ""
    table = (f"<table><thead><tr><th>{escape(t('public.time'))}</th>"
             f"<th>{escape(t('public.application'))}</th><th>{escape(t('public.service'))}</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>{empty}")  # fmt: skip
    return _page(t, title, t("public.approvals_title", days=days), table)
