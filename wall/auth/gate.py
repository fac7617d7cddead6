"""The gate in front of every route of the web server: nothing but ``/login``, static
assets and ``/healthz`` answers without a session, and state-changing requests must
come from the wall's own pages (Origin check: CSRF).

Sessions are Flask's signed cookies: who (a user, or a device token's id), the role,
and for a person when the session ends. A device's session never ends by itself but
is checked against Redis at every request, so a revoked token stops at once.

``/metrics`` is neither public nor behind a session: it answers by the address asking
(wall/web/metrics.py), so the gate lets it through to that check (``GUARDS_ITSELF``).
What the gate decides on a request (a sign-in's outcome, why it refused) it notes on
``flask.g`` for the web tier's metrics: ``sign_in_noted()``, ``refusal_noted()``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, redirect, request, session
from flask.typing import ResponseReturnValue

from core.outage import OUTAGE_ERRORS
from wall.auth.audit import AuditLog
from wall.auth.devices import DeviceTokens
from wall.auth.login_page import login_html
from wall.auth.passwords import verify_password
from wall.auth.ratelimit import LoginLimiter
from wall.config.auth import AuthSpec, Role, allows
from wall.i18n import Translator

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/login", "/login/device", "/healthz", "/favicon.ico", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")  # static files only
# The deliberately public pages (公示, wall/public_routes.py): read-only, rate-limited,
# nothing personal. The only pages anyone may read without signing in.
PUBLIC_PAGES_PREFIX = "/public/"
# Paths that answer by a rule of their own, never to a session: the web tier's
# Prometheus metrics answer only the addresses of ``web.metrics_from``, 404 to others.
GUARDS_ITSELF = frozenset({"/metrics"})
# Other systems' routes: an API key (Authorization: Bearer) or a terminal's token in
# the URL, checked by the routes themselves (wall.api); no cookie, so no CSRF either.
GUARDS_ITSELF_PREFIXES = ("/api/v1/", "/api/osmand")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEVICE_LIFETIME = timedelta(days=400)  # browsers cap cookies there; renewed at each request


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role
    device_id: str | None = None
    screen: int | None = None


def is_public(path: str) -> bool:
    return (
        path in PUBLIC_PATHS
        or path.startswith(PUBLIC_PREFIXES)
        or path.startswith(PUBLIC_PAGES_PREFIX)
    )


def guards_itself(path: str) -> bool:
    """The route decides who may see it, before any session is looked at."""
    return path in GUARDS_ITSELF or path.startswith(GUARDS_ITSELF_PREFIXES)


# ── what the gate decided, noted on the request for the metrics ───────────
SignInKind = Literal["person", "device"]
SignInOutcome = Literal["ok", "wrong", "rate_limited"]  # a device: ok or wrong (its token)
Refusal = Literal["no_session", "cross_site", "role"]
SIGN_IN_OUTCOMES: dict[SignInKind, tuple[SignInOutcome, ...]] = {
    "person": ("ok", "wrong", "rate_limited"),
    "device": ("ok", "wrong"),
}
REFUSALS: dict[int, tuple[Refusal, ...]] = {401: ("no_session",), 403: ("cross_site", "role")}


def _note_sign_in(kind: SignInKind, outcome: SignInOutcome) -> None:
    g.citywall_sign_in = (kind, outcome)


def _note_refusal(reason: Refusal) -> None:
    g.citywall_refusal = reason


def sign_in_noted() -> tuple[SignInKind, SignInOutcome] | None:
    """This request was a sign-in (a person's POST, a device's token): how it went."""
    noted: tuple[SignInKind, SignInOutcome] | None = g.get("citywall_sign_in")
    return noted


def refusal_noted() -> Refusal | None:
    """Why the gate (or a role check) refused this request; None if it did not say."""
    noted: Refusal | None = g.get("citywall_refusal")
    return noted


def current_identity() -> Identity | None:
    identity: Identity | None = g.get("identity")
    return identity


def current_name() -> str:
    """Who is asking, for the audit log: the signed-in person's or device's name."""
    identity = current_identity()
    return identity.name if identity is not None else "?"


def require(role: Role) -> Callable[[], ResponseReturnValue | None]:
    """A check for one route: 403 unless the signed-in role includes ``role``."""

    def check() -> ResponseReturnValue | None:
        identity = current_identity()
        if identity is None or not allows(identity.role, role):
            _note_refusal("role")
            return jsonify(error=f"needs the {role} role"), 403
        return None

    return check


class Gate:
    def __init__(
        self,
        auth: AuthSpec,
        translate: Translator,
        title: str,
        devices: DeviceTokens | None,
        limiter: LoginLimiter | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit  # sign-ins and refusals, with the client's address
        self._users = {user.name: user for user in auth.users}
        self._session_s = auth.session_hours * 3600
        self._translate = translate
        self._title = title
        self._devices = devices
        self._limiter = limiter or LoginLimiter()
        self._devices_seen_active: set[str] = set()

    def install(self, server: Flask, secret: str) -> None:
        server.secret_key = secret
        server.config.update(
            SESSION_COOKIE_NAME="citywall_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            PERMANENT_SESSION_LIFETIME=DEVICE_LIFETIME,
        )
        # First of all before_request functions: unknown paths are not told apart either.
        server.before_request_funcs.setdefault(None, []).insert(0, self._check)
        server.add_url_rule("/login", "login", self._login, methods=["GET", "POST"])
        server.add_url_rule("/login/device", "login_device", self._login_device)
        server.add_url_rule("/logout", "logout", self._logout, methods=["POST", "GET"])

    # ── every request ────────────────────────────────────────────────────
    def _check(self) -> ResponseReturnValue | None:
        if guards_itself(request.path):
            return None  # never a session here: nothing for a cross-site request to ride on
        if request.method in UNSAFE_METHODS and not _same_origin():
            _note_refusal("cross_site")
            return jsonify(error="cross-site request refused"), 403
        if is_public(request.path):
            return None
        identity = self._identity()
        if identity is None:
            return _refuse()
        g.identity = identity
        return None

    def _identity(self) -> Identity | None:
        raw: dict[str, Any] | None = session.get("who")
        if not raw:
            return None
        if raw.get("device_id"):
            if not self._device_active(str(raw["device_id"])):
                session.clear()
                return None
            return Identity(raw["name"], "viewer", raw["device_id"], raw.get("screen"))
        user = self._users.get(str(raw.get("name")))
        if user is None or float(raw.get("until", 0)) < time.time():
            session.clear()
            return None
        # The config's role now, not the one at sign-in: a demotion takes effect at once.
        return Identity(user.name, user.role)

    def _device_active(self, device_id: str) -> bool:
        if self._devices is None:
            return False
        try:
            active = self._devices.active(device_id)
        except OUTAGE_ERRORS:
            # Redis away: a wall must not go dark; a revocation cannot be read now anyway.
            return device_id in self._devices_seen_active
        if active:
            self._devices_seen_active.add(device_id)
        else:
            self._devices_seen_active.discard(device_id)
        return active

    # ── sign in and out ──────────────────────────────────────────────────
    def _record(self, name: str, action: str) -> None:
        if self._audit is None:
            return
        try:
            self._audit.record(name[:64] or "?", action)
        except OUTAGE_ERRORS as exc:  # Redis away: signing in must not depend on it
            log.warning("audit of %s for %r not written: %s", action, name, exc)

    def _login(self) -> ResponseReturnValue:
        target = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return self._page(target, error=None, status=200)
        address = request.remote_addr or "?"
        wait = self._limiter.retry_after(address)
        if wait > 0:
            _note_sign_in("person", "rate_limited")
            self._record(request.form.get("name", ""), "sign_in_rate_limited")
            response = self._page(target, self._translate("auth.too_many"), 429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        name = request.form.get("name", "")
        user = self._users.get(name)
        if user is None or not verify_password(
            user.password_hash, request.form.get("password", "")
        ):
            self._limiter.failed(address)
            _note_sign_in("person", "wrong")
            self._record(name, "sign_in_refused")
            log.warning("sign-in refused for %r from %s", name, address)
            return self._page(target, self._translate("auth.wrong"), 401)
        self._limiter.succeeded(address)
        _note_sign_in("person", "ok")
        self._record(name, "sign_in")
        session.clear()
        session.permanent = False
        session["who"] = {"name": user.name, "role": user.role,
                          "until": time.time() + self._session_s}  # fmt: skip
        log.info("%s (%s) signed in from %s", user.name, user.role, address)
        return redirect(target)

    def _login_device(self) -> ResponseReturnValue:
        device = self._devices.verify(request.args.get("token", "")) if self._devices else None
        if device is None:
            _note_sign_in("device", "wrong")
            return self._page("/wall", self._translate("auth.bad_token"), 401)
        _note_sign_in("device", "ok")
        session.clear()
        session.permanent = True
        session["who"] = {"name": device.name, "role": "viewer", "device_id": device.id,
                          "screen": device.screen}  # fmt: skip
        return redirect(f"/wall/screen/{device.screen}")

    def _logout(self) -> ResponseReturnValue:
        session.clear()
        return redirect("/login")

    def _page(self, target: str, error: str | None, status: int) -> Response:
        html = login_html(self._translate, self._title, target, error)
        return Response(html, status=status, mimetype="text/html")


def _same_origin() -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def _refuse() -> ResponseReturnValue:
    _note_refusal("no_session")
    wants_page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
    if wants_page:
        return redirect(f"/login?next={request.full_path.rstrip('?')}")
    return jsonify(error="sign in first"), 401


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/wall"
    return target
