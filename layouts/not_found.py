"""The 404 page: a plain HTML answer with status 404, readable on the hall's screens."""

from __future__ import annotations

from html import escape

from wall.i18n import Translator


def not_found_html(path: str, translate: Translator, screen_count: int, title: str) -> str:
    hint = (
        translate("not_found.screen", count=screen_count) if path.startswith("/wall/screen") else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{escape(translate.locale)}"><head><meta charset="utf-8">
<title>404 · {escape(title)}</title>
<link rel="stylesheet" href="/assets/wall.css"></head>
<body class="cw-404"><main>
<h1>404 · {escape(translate("not_found.title"))}</h1>
<p>{escape(translate("not_found.body", path=path))}</p>
<p>{escape(hint)}</p>
<p><a href="/wall">{escape(translate("not_found.back"))}</a></p>
</main></body></html>"""
