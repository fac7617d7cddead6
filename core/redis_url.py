"""Redis clients from a URL, plain or through Redis Sentinel.

Every part takes the same URL wherever it takes ``REDIS_URL``:

- ``redis://[[user]:password@]host[:port][/db]`` (and ``rediss://``, ``unix://``):
  one server, as redis-py reads it;
- ``redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/service[/db]``
  (``rediss+sentinel://`` for TLS): ask these Sentinels which server is the master of
  ``service``, and ask again whenever the master changes. The user and password are
  the master's (and replicas'); ``?sentinel_password=…`` authenticates to the
  Sentinels themselves when they require it.

A Sentinel client finds the new master after a failover by itself: a connection to the
old master fails (redis-py turns "you are talking to a replica now" into a
``ConnectionError``), the part waits with its back-off, and its next connection goes to
whichever server the Sentinels now name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:  # redis itself is imported when a client is made: the CLI starts light
    import redis
    import redis.asyncio

SENTINEL_SCHEMES: Final = {"redis+sentinel": False, "rediss+sentinel": True}
DEFAULT_SENTINEL_PORT: Final = 26379
# How long asking a Sentinel may take: short, so a dead Sentinel costs little before
# the next one in the list is asked.
SENTINEL_TIMEOUT_S: Final = 1.0


class RedisUrlError(ValueError):
    """A Redis URL that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class SentinelTarget:
    """What a ``redis+sentinel://`` URL names."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    ssl: bool = False


def is_sentinel_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SENTINEL_SCHEMES


def parse_sentinel_url(url: str) -> SentinelTarget:
    """The Sentinels, service and db of a ``redis+sentinel://`` URL."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in SENTINEL_SCHEMES or not rest:
        raise RedisUrlError(f"not a Sentinel URL (redis+sentinel://HOST:PORT/SERVICE): {url!r}")
    parts = urlsplit(f"x://{rest}")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, _, hosts = netloc.rpartition("@")
    if not hosts:
        raise RedisUrlError(f"a Sentinel URL lists at least one HOST:PORT: {redacted(url)!r}")
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not path or len(path) > 2:
        raise RedisUrlError(
            "a Sentinel URL names its service: redis+sentinel://HOST:PORT/SERVICE[/DB], "
            f"not {redacted(url)!r}"
        )
    username, password = _credentials(userinfo)
    return SentinelTarget(
        sentinels=tuple(_host_port(h, url) for h in hosts.split(",") if h),
        service=path[0],
        db=_db(path[1], url) if len(path) == 2 else 0,
        username=username,
        password=password,
        sentinel_password=next(iter(parse_qs(parts.query).get("sentinel_password", [])), None),
        ssl=SENTINEL_SCHEMES[scheme.lower()],
    )


def connect(url: str, **kwargs: Any) -> redis.Redis:
    """A client for ``url`` (plain or Sentinel); ``kwargs`` as for ``redis.Redis``."""
    import redis
    import redis.sentinel

    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url)
    # Any: redis-py 8.1 leaves Sentinel untyped, 8.2 types it (no ignore fits both).
    sentinel_class: Any = redis.sentinel.Sentinel
    sentinel = sentinel_class(
        list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target, kwargs)
    )
    client: redis.Redis = sentinel.master_for(target.service, **_master_kwargs(target, kwargs))
    return client


def connect_async(url: str, **kwargs: Any) -> redis.asyncio.Redis:
    """The asyncio client for ``url`` (plain or Sentinel)."""
    import redis.asyncio
    import redis.asyncio.sentinel

    if not is_sentinel_url(url):
        return redis.asyncio.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url)
    sentinel_class: Any = redis.asyncio.sentinel.Sentinel  # typed from redis-py 8.2 only
    sentinel = sentinel_class(
        list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target, kwargs)
    )
    client: redis.asyncio.Redis = sentinel.master_for(
        target.service, **_master_kwargs(target, kwargs)
    )
    return client


def twin(client: redis.Redis, **overrides: Any) -> redis.Redis:
    """A new client to the same server (or the same Sentinel service) as ``client``,
    with its own connections and ``overrides`` (say ``decode_responses=True``)."""
    import redis
    import redis.sentinel

    pool = client.connection_pool
    kwargs = {k: v for k, v in pool.connection_kwargs.items() if k != "is_master"}
    kwargs.update(overrides)
    if isinstance(pool, redis.sentinel.SentinelConnectionPool):
        same: redis.Redis = pool.sentinel_manager.master_for(pool.service_name, **kwargs)
        return same
    return redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    )


def redacted(url: str) -> str:
    """``url`` with its passwords replaced by ``***``: for logs and ``citywall status``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hosts}"
    if "sentinel_password=" in tail:
        head, _, _ = tail.partition("sentinel_password=")
        tail = f"{head}sentinel_password=***"
    return f"{scheme}{sep}{netloc}{slash}{tail}"


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    if not userinfo:
        return None, None
    user, colon, password = userinfo.partition(":")
    return (unquote(user) or None), (unquote(password) if colon else None)


def _host_port(item: str, url: str) -> tuple[str, int]:
    if item.startswith("["):  # [::1]:26379
        host, _, port = item[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
    if not host:
        raise RedisUrlError(f"a Sentinel address without a host in {redacted(url)!r}")
    try:
        return host, int(port) if port else DEFAULT_SENTINEL_PORT
    except ValueError:
        raise RedisUrlError(f"bad Sentinel port {port!r} in {redacted(url)!r}") from None


def _db(text: str, url: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise RedisUrlError(
            f"the database must be a number, not {text!r}, in {redacted(url)!r}"
        ) from None


def _sentinel_kwargs(target: SentinelTarget, kwargs: dict[str, Any]) -> dict[str, Any]:
    timeout = min(float(kwargs.get("socket_timeout") or SENTINEL_TIMEOUT_S), SENTINEL_TIMEOUT_S)
    asked: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if target.sentinel_password:
        asked["password"] = target.sentinel_password
    return asked


def _master_kwargs(target: SentinelTarget, kwargs: dict[str, Any]) -> dict[str, Any]:
    chosen: dict[str, Any] = {"db": target.db, **kwargs}
    if target.username:
        chosen["username"] = target.username
    if target.password:
        chosen["password"] = target.password
    if target.ssl:
        chosen["ssl"] = True
    return chosen
