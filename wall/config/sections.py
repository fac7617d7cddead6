"""The sections of wall_config.yaml other than tiles and operators' controls: the
physical wall, the cameras, the e-map, Redis and the relay. Every key described,
unknown keys refused."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from core.keys import DEFAULT_PREFIX
from core.redis_url import is_sentinel_url, parse_sentinel_url
from core.secrets import weakness
from wall.config.base import StrictModel

CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# The schemes a camera URL may use. The video relay registers a source for each.
CAMERA_URL_SCHEMES = ("rtsp", "rtsps", "file", "sim")
Locale = Literal["zh-CN", "en"]


class ScreenSize(StrictModel):
    """Native resolution of one physical screen of the wall."""

    width: int = Field(default=1920, ge=320, le=7680, description="Screen width in pixels.")
    height: int = Field(default=1080, ge=240, le=4320, description="Screen height in pixels.")


class WallSpec(StrictModel):
    """The physical wall: a grid of identical screens."""

    title: str = Field(description="Name of the command hall, shown in the browser tab.")
    columns: int = Field(default=6, ge=1, le=16, description="Screens per row.")
    rows: int = Field(default=3, ge=1, le=16, description="Rows of screens.")
    screen: ScreenSize = Field(default_factory=ScreenSize, description="Size of one screen.")
    locale: Locale = Field(default="zh-CN", description="Language of labels: zh-CN or en.")
    timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone of the hall (clocks, day boundaries)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from exc
        return value

    @property
    def screen_count(self) -> int:
        return self.columns * self.rows


def _camera_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep or not rest:
        raise ValueError(f"not a URL: {value!r}")
    if scheme not in CAMERA_URL_SCHEMES:
        raise ValueError(f"unsupported scheme {scheme!r} (valid: {', '.join(CAMERA_URL_SCHEMES)})")
    return value


class Camera(StrictModel):
    """One street camera: where it is, who manages it, and how to pull its two streams."""

    id: str = Field(pattern=CAMERA_ID_PATTERN, description="Unique camera id, e.g. XY-0001.")
    name: str = Field(
        min_length=1, description="Road or intersection, in Chinese (e.g. 文星路与洞庭大道交叉口)."
    )
    lat: float = Field(ge=-90, le=90, description="Latitude, WGS-84 degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS-84 degrees.")
    grid: str = Field(
        min_length=1, description="Management grid code (单元网格) the camera covers."
    )
    main: str = Field(
        description="Main-stream URL (rtsp://, file:// or sim://), for one-camera views."
    )
    sub: str = Field(description="Sub-stream URL, for multi-camera views.")
    tags: list[str] = Field(
        default_factory=list, description="Labels such as 重点路口 for search and tours."
    )
    transcode: Literal["h264"] | None = Field(
        default=None,
        description="h264: the relay decodes this camera and re-encodes it to H.264 (at "
        "the sub stream's size) while it is watched, for a camera that sends H.265 or "
        "B-frames and cannot be set to plain H.264 (citywall cameras check says which). "
        "Costs CPU per watched stream (docs/performance.md). Default: passed through as "
        "it comes. In the inventory CSV an optional transcode column.",
    )

    @field_validator("transcode", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("main", "sub")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        return _camera_url(value)


class CamerasConfig(StrictModel):
    """The camera inventory: a CSV file, plus cameras written inline, plus named groups."""

    inventory: str | None = Field(
        default=None,
        description="CSV file of cameras, relative to this config file. Columns: "
        "id,name,lat,lon,grid,main,sub,tags (tags separated by |).",
    )
    items: list[Camera] = Field(
        default_factory=list, description="Cameras (the inventory's rows come first, then these)."
    )
    groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Named lists of camera ids, e.g. 重点路口, for tiles and tours.",
    )


class MapSpec(StrictModel):
    """The county seat's e-map: view, bounds and basemap."""

    center: tuple[float, float] = Field(description="Initial centre as [lat, lon].")
    zoom: int = Field(default=14, ge=1, le=20, description="Initial zoom level.")
    bounds: tuple[tuple[float, float], tuple[float, float]] = Field(
        description="Area served, [[south, west], [north, east]]; every camera must lie inside."
    )
    tiles: str | None = Field(
        default=None,
        description="Basemap tile URL template ({z}/{x}/{y}) on the hall's network; "
        "omit to draw the offline vector basemap (basemap) instead.",
    )
    attribution: str = Field(default="", description="Attribution text for the basemap.")
    basemap: str | None = Field(
        default=None,
        description="Offline vector basemap drawn when there are no tiles: a GeoJSON file, "
        "relative to this config file, whose features have a layer property "
        "(grid, road or water); scripts/make_basemap.py writes basemap.geojson.",
    )

    @model_validator(mode="after")
    def _bounds_ordered(self) -> MapSpec:
        (south, west), (north, east) = self.bounds
        if not (south < north and west < east):
            raise ValueError(
                "bounds must be [[south, west], [north, east]] with south < north and west < east"
            )
        if not self.contains(*self.center):
            raise ValueError(f"center {list(self.center)} lies outside bounds")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        (south, west), (north, east) = self.bounds
        return south <= lat <= north and west <= lon <= east


REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel")


class RedisSpec(StrictModel):
    """Where the live data lives."""

    url: str | None = Field(
        default=None,
        description="redis:// URL, or redis+sentinel://HOST:PORT[,HOST:PORT…]/SERVICE[/DB] "
        "to follow the master that Redis Sentinel names (docs/scale.md); omit (or leave "
        "${REDIS_URL:-} empty) and the demo starts a private server.",
    )
    prefix: str = Field(default=DEFAULT_PREFIX, description="Key prefix for every stream and key.")
    replicas_to_ack: int = Field(
        default=0,
        ge=0,
        le=8,
        description="Replicas that must hold an event before a producer (simulator, "
        "relay, ingest) counts it as written (Redis WAIT). 1 with Sentinel: an "
        "acknowledged event then survives the master's death. 0: the master's word.",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and value.split("://", 1)[0].lower() not in REDIS_SCHEMES:
            raise ValueError(
                f"must start with one of {', '.join(s + '://' for s in REDIS_SCHEMES)}"
            )
        if value and is_sentinel_url(value):
            parse_sentinel_url(value)  # RedisUrlError (a ValueError) says what is wrong
        return value

    @field_validator("url")
    @classmethod
    def _empty_means_embedded(cls, value: str | None) -> str | None:
        return value or None


def _sub_only() -> list[Literal["main", "sub"]]:
    return ["sub"]


class KeepWarmSpec(StrictModel):
    """Cameras the relay keeps pulling all the time, GOP cached, so an operator's switch
    to one is as fast as to a camera already watched (no RTSP handshake, no wait for
    the camera's next keyframe). Each costs what watching it costs: the camera's
    bandwidth and the relay's memory for the stream (docs/video.md, "Key cameras kept
    warm")."""

    cameras: list[str] = Field(
        default_factory=list, description="Camera ids kept warm, e.g. [XY-001, XY-006]."
    )
    tags: list[str] = Field(
        default_factory=list,
        description="Every camera with one of these tags is kept warm too, e.g. [重点路口].",
    )
    streams: list[Literal["main", "sub"]] = Field(
        default_factory=_sub_only,
        min_length=1,
        description="Which streams: sub (what a multi-view cell plays: cheap) and/or main "
        "(what a one-camera tile plays).",
    )


class RelaySpec(StrictModel):
    """The WebRTC video relay (``citywall relay``): where it listens, how viewers reach it."""

    host: str = Field(default="127.0.0.1", description="Address the relay listens on.")
    port: int = Field(default=8889, ge=1, le=65535, description="Port the relay listens on.")
    public_url: str | None = Field(
        default=None,
        description="URL browsers use to reach the relay (default http://<host>:<port>). "
        "Behind the reverse proxy of deploy/nginx a path on the wall's own origin: /relay "
        "(browsers then never need the relay's port; media still flows over UDP).",
    )
    token: str | None = Field(
        default=None,
        description="Key shared by the web server and the relay: the web server signs "
        "each signed-in viewer's one-minute token for one camera (and snapshot tokens) with "
        "it, the relay checks them. Never sent to a browser. Omit it: the first process "
        "generates one and shares it through Redis; or give it as $CITYWALL_RELAY_KEY. "
        "A value given here must be at least 32 bytes and not a published one.",
    )
    grace_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="Seconds an upstream stays open after its last viewer.",
    )
    keep_warm: KeepWarmSpec | None = Field(
        default=None,
        description="Cameras kept pulling all the time (by id or tag), so switching to "
        "them is instant. Default none.",
    )
    probe_interval_s: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="Seconds between two health probes of each camera nobody watches "
        "(RTSP OPTIONS and DESCRIBE: no video is pulled, the camera is never held open); "
        "a camera being pulled counts as probed. Each relay node probes the cameras it "
        "owns. 0: no probes (a camera's state is then known only while it is watched).",
    )
    probe_concurrency: int = Field(
        default=16,
        ge=1,
        le=256,
        description="At most this many cameras probed at once by one relay node.",
    )
    clip_buffer_s: float = Field(
        default=60.0,
        ge=0,
        le=60,
        description="Seconds of each pulled stream the relay keeps (whole GOPs) so an "
        "evidence clip can start before the operator pressed record (0 to 60; 0: clips "
        "start at the press). Memory per pulled stream ≈ its bitrate × this: a 4 Mbit/s "
        "main stream ≈ 30 MB at 60 s, a 512 kbit/s sub stream ≈ 4 MB.",
    )
    ice_servers: list[str] = Field(
        default_factory=list,
        description="STUN/TURN URLs; empty by default: halls run on closed networks.",
    )
    host_addresses: list[str] = Field(
        default_factory=list,
        description="Force these local addresses as ICE host candidates (e.g. 127.0.0.1 on a "
        "machine with only loopback); empty = the machine's own.",
    )

    @field_validator("token")
    @classmethod
    def _strong_key(cls, value: str | None) -> str | None:
        reason = weakness(value) if value else None
        if reason:
            raise ValueError(f"this key {reason}: anyone could sign viewer tokens with it")
        return value or None

    def browser_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# An http(s) origin as a CSP source: scheme://host[:port], a DNS name, IPv4 or [IPv6].
ORIGIN = re.compile(
    r"https?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?"
)


class WebSpec(StrictModel):
    """The web server itself (``citywall serve``, app.py): who may read its metrics,
    which proxies it believes, who may frame it."""

    metrics_from: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses or networks (e.g. 10.20.0.5, 10.20.0.0/24) whose requests for "
        "the web server's Prometheus metrics (GET /metrics) are answered; anyone else gets "
        "404. Default [127.0.0.1, ::1]: this machine only. A request forwarded by a proxy "
        "(X-Forwarded-For) is judged by the client address the server resolves from it, "
        "and refused when the server does not resolve forwarded addresses.",
    )

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of the web server "
        "(e.g. [127.0.0.1] for nginx on the same machine). Only requests from these have "
        "their X-Forwarded-For/-Proto/-Host believed: the real client address for the "
        "sign-in rate limit, the audit log and metrics_from, and HTTPS for Secure cookies "
        "and HSTS. Default []: trust nobody's forwarded headers.",
    )
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Origins allowed to show the wall in a frame (CSP frame-ancestors), e.g. "
        "[https://portal.example.gov.cn]. Default []: none (frame-ancestors 'none' and "
        "X-Frame-Options: DENY), so no other site can frame the wall.",
    )

    photo_origins: list[str] = Field(
        default_factory=list,
        description="Origins the case photos (处置前 / 处置后 URLs of schema v2 case events) may "
        "be loaded from, added to the Content-Security-Policy's img-src, e.g. "
        "[https://szcg.example.gov.cn] for the hall's 数字城管 business system. Each is "
        "scheme://host[:port], http or https, nothing after. Default []: this origin only; "
        "the browser blocks a photo from anywhere else.",
    )

    @field_validator("photo_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        for value in values:
            if not ORIGIN.fullmatch(value):
                raise ValueError(
                    f"{value!r} is not an origin: scheme://host[:port], http or https, "
                    "nothing after (e.g. https://szcg.example.gov.cn)"
                )
        return values

    public_rate_limit: str = Field(
        default="30/minute",
        pattern=r"^\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?$",
        description="How many requests one address may make to the public case pages "
        "(/public/…, 公示) in a period, e.g. 30/minute; more are answered 429 (per web "
        "process, in memory). Behind nginx, set trusted_proxies so the real address counts.",
    )

    @field_validator("metrics_from", "trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
                ) from exc
        return values

    def metrics_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(value, strict=False) for value in self.metrics_from)

    def proxy_networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(value, strict=False) for value in self.trusted_proxies)


class SnapshotsSpec(StrictModel):
    """Evidence snapshots (取证截图): how long they are kept, how much disk stays free."""

    retention_days: int = Field(
        default=180,
        ge=0,
        le=36500,
        description="Days a snapshot is kept; then its file and record are deleted by a "
        "sweep every hour. A snapshot linked to a case is kept regardless (it is that "
        "case's evidence). 0: keep every snapshot forever.",
    )
    min_free_mb: int = Field(
        default=500,
        ge=0,
        description="Free space (MB) the snapshot directory's disk must keep: below it a "
        "new snapshot is refused with a clear message (HTTP 507) instead of filling the "
        "disk that Redis and the logs also need.",
    )
