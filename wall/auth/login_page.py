"""The sign-in page: plain HTML from the server (no Dash: it must work before a session
exists), dark like the wall, in the wall's language."""

from __future__ import annotations

from html import escape

from wall.i18n import Translator

STYLE = """
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
       background: #03070f; color: #e8eef7;
       font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
form { width: min(420px, 90vw); padding: 36px 40px; background: #0a1626;
       border: 2px solid #1d3a5f; border-radius: 10px; }
h1 { margin: 0 0 4px; font-size: 26px; color: #4cc3ff; }
p.sub { margin: 0 0 24px; color: #8ea3bf; }
label { display: block; margin: 14px 0 6px; color: #8ea3bf; }
input { width: 100%; box-sizing: border-box; padding: 10px 12px; font-size: 18px;
        background: #03070f; color: #e8eef7; border: 1px solid #1d3a5f; border-radius: 6px; }
button { margin-top: 24px; width: 100%; padding: 12px; font-size: 18px; border: 0;
         border-radius: 6px; background: #4cc3ff; color: #03070f; font-weight: 700; }
.error { margin-top: 16px; padding: 10px 12px; background: #f0e442; color: #000;
         border-radius: 6px; }
"""


def login_html(t: Translator, title: str, target: str, error: str | None) -> str:
    problem = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="{t.locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t("auth.title"))} · {escape(title)}</title><style>{STYLE}</style></head>
<body><form method="post" action="/login">
<h1>{escape(title)}</h1><p class="sub">{escape(t("auth.title"))}</p>
<input type="hidden" name="next" value="{escape(target)}">
<label for="name">{escape(t("auth.name"))}</label>
<input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">{escape(t("auth.password"))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{escape(t("auth.submit"))}</button>{problem}
</form></body></html>"""
