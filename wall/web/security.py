"""The web server's browser surface: security headers on every response (flask-talisman,
with a Content-Security-Policy built for Dash), forwarded headers believed only from
the configured proxies, and session cookies marked Secure whenever the request came
over HTTPS (directly or through a trusted proxy).

The demo and the tests serve plain HTTP on loopback, so nothing here forces HTTPS:
TLS is the reverse proxy's job (deploy/nginx/citywall.conf).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dash import Dash
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from wall.config.models import WallConfigBase

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HSTS_MAX_AGE_S = 365 * 24 * 3600
FORWARDED = tuple(f"HTTP_X_FORWARDED_{name}" for name in ("FOR", "PROTO", "HOST", "PORT", "PREFIX"))


def harden(app: Dash, config: WallConfigBase) -> None:
    """Security headers, proxy trust and cookie flags on every response. Call it last:
    the CSP lists the hashes of Dash's inline scripts, known once callbacks are set."""
    server = app.server
    trust_proxies(server, config.web.proxy_networks())
    server.session_interface = SecureWhenHttps()
    ancestors = config.web.frame_ancestors
    Talisman(
        server,
        force_https=False,  # TLS ends at the proxy; loopback HTTP (demo, tests) stays
        strict_transport_security=True,  # sent only over HTTPS
        strict_transport_security_max_age=HSTS_MAX_AGE_S,
        strict_transport_security_include_subdomains=False,  # a hall's name, not its domain
        content_security_policy=content_security_policy(app, config),
        frame_options="DENY" if not ancestors else None,
        referrer_policy="same-origin",
        session_cookie_secure=False,  # SecureWhenHttps decides per request
        session_cookie_samesite="Lax",
        x_content_type_options=True,
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )


def content_security_policy(app: Dash, config: WallConfigBase) -> dict[str, Any]:
    """Scripts only from this origin plus Dash's own inline scripts (by hash); styles
    may be inline (plotly and leaflet inject <style>); media and images from blob:/
    data:, images also from ``web.photo_origins`` (case photos on the hall's business
    system); connections to this origin and to the relay when browsers reach it at
    another origin (the demo); no framing unless ``web.frame_ancestors`` allows it."""
    connect = ["'self'", *_origins([config.relay.browser_url()])]
    return {
        "default-src": "'self'",
        "script-src": ["'self'", *app.csp_hashes()],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *config.web.photo_origins],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": connect,
        "worker-src": ["'self'", "blob:"],
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": config.web.frame_ancestors or "'none'",
    }


def _origins(urls: Iterable[str]) -> list[str]:
    """The origins of absolute URLs (a relative one, like /relay, is this origin)."""
    found = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return found


class SecureWhenHttps(SecureCookieSessionInterface):
    """The session cookie is Secure when the request came over HTTPS (as resolved
    through a trusted proxy), or always with SESSION_COOKIE_SECURE."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# WSGI environ key set when forwarded headers came from an address that is not a trusted
# proxy: the socket address is then a proxy's, not the client's.
UNTRUSTED_FORWARD = "citywall.untrusted_forward"


def forwarded_by_stranger(environ: WSGIEnvironment) -> bool:
    """The request carried X-Forwarded-* from an address we do not trust as a proxy
    (for example nginx on this machine while ``web.trusted_proxies`` is empty)."""
    return bool(environ.get(UNTRUSTED_FORWARD))


def trust_proxies(server: Flask, networks: tuple[Network, ...]) -> None:
    """Believe X-Forwarded-For/-Proto/-Host/-Prefix only on requests whose socket
    address is one of ``networks`` (the reverse proxy); from anyone else they are
    removed, so the sign-in rate limit, the audit and the metrics' allow-list see the
    real client. (The WSGI server must pass them on: ``citywall serve`` tells waitress
    so; ``waitress-serve`` needs ``--no-clear-untrusted-proxy-headers``.)"""
    server.wsgi_app = TrustedProxyFix(server.wsgi_app, networks)  # type: ignore[method-assign]


class TrustedProxyFix:
    def __init__(self, app: WSGIApplication, networks: tuple[Network, ...]) -> None:
        self._direct = app
        self._proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
        self._networks = networks

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._trusted(environ.get("REMOTE_ADDR", "")):
            return self._proxied(environ, start_response)
        stripped = [name for name in FORWARDED if environ.pop(name, None) is not None]
        if stripped:  # not from our proxy: nobody downstream may read them, and
            # the request is known to have come through some proxy (see forwarded_by_stranger)
            environ[UNTRUSTED_FORWARD] = True
        return self._direct(environ, start_response)

    def _trusted(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(peer in network for network in self._networks)
