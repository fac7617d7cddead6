"""``citywall status``: the whole installation at a glance, from the server's shell.

Redis (reachable, version, persistence), the aggregator (heartbeat, lag, pending, dead
letters), the relay (``/healthz`` and ``/metrics``), the cameras (online, offline,
unknown against the inventory), the web processes (their heartbeats in Redis), where
the secrets come from (never their values) and the free disk for snapshots. Exits 1
when a part is down, naming it; ``--json`` for machines. Imports no Dash: it must
answer quickly, and on a machine whose web tier is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, cast

import redis

from core.camera_status import ONLINE, camera_states, offline_longest
from core.keys import AGGREGATOR_GROUP, Keys
from core.outage import OUTAGE_ERRORS
from core.redis_url import connect, is_sentinel_url, redacted
from core.relay_nodes import live_nodes, now_ms
from core.secrets import RELAY_ENV, SESSION_ENV, env_weaknesses, state_file
from core.web_heartbeat import WebBeat
from wall.cli_common import add_config_arg, add_redis_arg, load_or_report, snapshots_dir
from wall.config import WallConfig
from wall.config.sections import RelaySpec
from wall.paths import default_config_path

State = Literal["up", "down", "unknown", "ok", "warn", "info"]
STALE_AFTER_S: Final = 10.0  # as the web tier: an older aggregator heartbeat is no heartbeat
LOW_DISK_BYTES: Final = 1 << 30  # less than 1 GiB free for snapshots: a warning
LOW_DISK_SHARE: Final = 0.05
GIB: Final = float(1 << 30)
ACTIVE_CONSUMER_S: Final = 30.0  # a running aggregator reads every second (or faster)


@dataclass
class Part:
    name: str
    state: State
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def add_commands(commands: Any) -> None:
    status = commands.add_parser(
        "status", help="the whole installation at a glance; exit 1 when a part is down"
    )
    add_config_arg(status)
    add_redis_arg(status)
    status.add_argument("--json", action="store_true", help="print JSON (for machines)")
    status.add_argument(
        "--stale-after", type=float, default=STALE_AFTER_S, metavar="S",
        help=f"an aggregator heartbeat older than S seconds is down (default {STALE_AFTER_S:g})",
    )  # fmt: skip
    status.add_argument(
        "--timeout", type=float, default=3.0, metavar="S",
        help="how long to wait for Redis and the relay (default 3)",
    )  # fmt: skip
    status.set_defaults(handler=_status_command)


def _status_command(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    config = load_or_report(path)
    if config is None:
        return 1
    url = args.redis_url or os.environ.get("REDIS_URL") or config.redis.url
    parts = gather(config, path, url, timeout=args.timeout, stale_after=args.stale_after)
    down = [part.name for part in parts if part.state == "down"]
    if args.json:
        report = {"ok": not down, "down": down, "parts": [asdict(part) for part in parts]}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"citywall status of {path}")
        for part in parts:
            print(f"  {part.name:<12}{part.state:<9}{part.summary}")
        if down:
            print(f"down: {', '.join(down)}")
        else:
            print("every part is up")
    return 1 if down else 0


def gather(
    config: WallConfig,
    config_path: Path,
    redis_url: str | None,
    timeout: float = 3.0,
    stale_after: float = STALE_AFTER_S,
) -> list[Part]:
    """Every part's state, in the order they are printed."""
    keys = Keys(config.redis.prefix)
    client = None
    if redis_url:
        client = connect(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout,
            client_name="citywall-status",
        )  # fmt: skip
    try:
        redis_part = redis_status(client, redis_url)
        reachable = client if redis_part.state == "up" else None
        why = "Redis is down" if client is not None else "no Redis configured"

        def read(name: str, check: Callable[[redis.Redis], Part]) -> Part:
            return _guarded(name, reachable, check, why)

        return [
            redis_part,
            read("aggregator", lambda c: aggregator_status(c, keys, stale_after)),
            relay_status(config.relay, len(config.cameras.items), timeout),
            read("relay-nodes", lambda c: relay_nodes_status(c, keys, timeout)),
            read("cameras", lambda c: cameras_status(c, keys, config)),
            read("web", lambda c: web_status(c, keys)),
            secrets_status(reachable, keys, config),
            disk_status(snapshots_dir(config_path).resolve()),
        ]
    finally:
        if client is not None:
            client.close()


def _guarded(
    name: str, client: redis.Redis | None, check: Callable[[redis.Redis], Part], why: str
) -> Part:
    """A part read from Redis: unknown while Redis is not answering."""
    if client is None:
        return Part(name, "unknown", f"cannot tell: {why}")
    try:
        return check(client)
    except OUTAGE_ERRORS as exc:
        return Part(name, "unknown", f"Redis stopped answering: {exc}")


# ── Redis ─────────────────────────────────────────────────────────────────────
def redis_status(client: redis.Redis | None, url: str | None) -> Part:
    if client is None or not url:
        return Part("redis", "down", "not configured: set REDIS_URL or redis.url")
    shown = redacted(url)
    try:
        server: dict[str, Any] = client.info("server")
        persistence: dict[str, Any] = client.info("persistence")
        memory: dict[str, Any] = client.info("memory")
        replication: dict[str, Any] = client.info("replication")
    except OUTAGE_ERRORS as exc:
        return Part("redis", "down", f"{shown}: {exc}", {"url": shown})
    except redis.ResponseError as exc:  # e.g. NOAUTH: it answers, but not to us
        return Part("redis", "down", f"{shown}: {exc}", {"url": shown})
    appendonly = _config_get(client, "appendonly")
    if appendonly is None:
        appendonly = "yes" if persistence.get("aof_enabled") else "no"
    save = _config_get(client, "save")
    last_save = int(persistence.get("rdb_last_save_time") or 0)
    details = {
        "url": shown,
        "version": server.get("redis_version"),
        "uptime_s": server.get("uptime_in_seconds"),
        "appendonly": appendonly,
        "save": save,
        "last_save": _iso(last_save) if last_save else None,
        "aof_last_write_status": persistence.get("aof_last_write_status"),
        "rdb_last_bgsave_status": persistence.get("rdb_last_bgsave_status"),
        "used_memory": memory.get("used_memory_human"),
        "role": replication.get("role"),
        "replicas": int(replication.get("connected_slaves") or 0),
    }
    durable = appendonly == "yes" or bool(save)
    summary = f"{shown}: Redis {details['version']}, appendonly {appendonly}"
    if save is not None:
        summary += f", save points {save or 'none'}"
    if last_save:
        summary += f", last save {_age(time.time() - last_save)} ago"
    summary += f", {details['used_memory']} used"
    lonely = is_sentinel_url(url) and details["replicas"] == 0
    if is_sentinel_url(url) or details["replicas"]:
        summary += f", {details['role']} with {details['replicas']} replica(s)"
    if lonely:
        summary += "; NO replica: a failover would have nothing to promote"
    if not durable:
        summary += "; NOT persisted (appendonly no, no save points): a restart loses the state"
    failed = persistence.get("aof_last_write_status") not in (None, "ok")
    if failed:
        summary += "; the append-only file's last write FAILED"
    return Part("redis", "warn" if failed or not durable or lonely else "up", summary, details)


def _config_get(client: redis.Redis, name: str) -> str | None:
    """CONFIG GET, or None where CONFIG is renamed or refused (managed Redis)."""
    try:
        reply: dict[Any, Any] = client.config_get(name)
    except redis.ResponseError:
        return None
    value = reply.get(name, reply.get(name.encode()))
    return value.decode() if isinstance(value, bytes) else value


# ── the aggregator ────────────────────────────────────────────────────────────
def aggregator_status(client: redis.Redis, keys: Keys, stale_after: float) -> Part:
    from data_feeds.aggregator.metrics import group_infos

    raw = client.get(keys.heartbeat)
    beat_ms = int(raw) if isinstance(raw, bytes | str | int) else 0
    age = time.time() - beat_ms / 1000 if beat_ms else None
    infos = group_infos(client, keys)
    lag = {name: info.lag for name, info in infos.items()}
    pending = {name: info.pending for name, info in infos.items()}
    dead_letters = int(client.xlen(keys.deadletter))
    consumers = _consumers(client, keys)
    active = [name for name, idle in consumers.items() if idle < ACTIVE_CONSUMER_S]
    details = {
        "heartbeat_age_s": None if age is None else round(age, 3),
        "lag": lag,
        "pending": pending,
        "dead_letters": dead_letters,
        "consumers": consumers,  # name -> seconds since it last read
        "active_consumers": active,
    }
    known_lag = [value for value in lag.values() if value is not None]
    figures = (
        f"lag {sum(known_lag)}{'' if len(known_lag) == len(lag) else ' (some unknown)'}, "
        f"pending {sum(pending.values())}, {dead_letters} dead letter(s), "
        f"{len(active)} consumer(s) reading ({len(consumers)} known to the group)"
    )
    if age is None:
        return Part("aggregator", "down", f"no heartbeat: not running; {figures}", details)
    if age > stale_after:
        return Part("aggregator", "down", f"heartbeat {_age(age)} old: stopped; {figures}", details)
    return Part("aggregator", "up", f"heartbeat {_age(age)} ago; {figures}", details)


def _consumers(client: redis.Redis, keys: Keys) -> dict[str, float]:
    """Consumer name -> seconds since it last read (on the cases stream)."""
    try:
        rows: list[dict[str, Any]] = client.xinfo_consumers(keys.cases_stream, AGGREGATOR_GROUP)
    except redis.ResponseError:  # no stream or no group yet
        return {}
    found = {}
    for row in rows:
        name = row.get("name")
        found[name.decode() if isinstance(name, bytes) else str(name)] = (
            int(row.get("idle") or 0) / 1000
        )
    return found


# ── the relay ─────────────────────────────────────────────────────────────────
def relay_url(spec: RelaySpec) -> str:
    """Where this machine reaches the relay: its host (loopback for a wildcard), port."""
    host = spec.host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{spec.port}"


def relay_status(spec: RelaySpec, cameras: int, timeout: float) -> Part:
    base = relay_url(spec)
    try:
        health = json.loads(_http_get(f"{base}/healthz", timeout))
        metrics = _relay_metrics(_http_get(f"{base}/metrics", timeout).decode())
    except (OSError, ValueError) as exc:
        if not cameras:
            return Part("relay", "info", f"{base}: not running, and no cameras are configured")
        reason = getattr(exc, "reason", None) or exc
        return Part("relay", "down", f"{base}: {reason}", {"url": base})
    details = {"url": base, **health, **metrics}
    summary = (
        f"{base}: {health.get('viewers', '?')} viewer(s), {health.get('upstreams', '?')} "
        f"upstream(s) of {health.get('cameras', '?')} camera(s); "
        f"{metrics.get('reconnects', 0)} reconnect(s), "
        f"{metrics.get('packets_dropped', 0)} packet(s) dropped for viewers"
    )
    return Part("relay", "up", summary, details)


def relay_nodes_status(client: redis.Redis, keys: Keys, timeout: float) -> Part:
    """Every relay node beating in Redis (docs/scale.md), each asked for its health."""
    nodes = live_nodes(client.hgetall(keys.relay_nodes), now_ms())
    if not nodes:
        return Part("relay-nodes", "info", "no relay node beats in Redis (a relay without Redis)")
    answers, silent = [], []
    for node in nodes:
        try:
            health = json.loads(_http_get(f"{node.url}/healthz", timeout))
            answers.append(f"{node.id} ({health.get('viewers', '?')} viewer(s), "
                           f"{health.get('upstreams', '?')} upstream(s))")  # fmt: skip
        except (OSError, ValueError):
            silent.append(node.id)
    details = {"nodes": [{"id": n.id, "url": n.url, "public_url": n.public_url} for n in nodes]}
    summary = f"{len(nodes)} live: " + ", ".join(answers + [f"{n} NOT ANSWERING" for n in silent])
    return Part("relay-nodes", "down" if silent else "up", summary, details)


def _http_get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _relay_metrics(text: str) -> dict[str, int]:
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {
        "citywall_relay_sessions": "sessions",
        "citywall_relay_upstreams": "upstreams",
        "citywall_relay_reconnects_total": "reconnects",
        "citywall_relay_packets_dropped_total": "packets_dropped",
    }
    found: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = wanted.get(sample.name)
            if key is not None:
                found[key] = found.get(key, 0) + int(sample.value)
    return found


# ── cameras ───────────────────────────────────────────────────────────────────
def cameras_status(client: redis.Redis, keys: Keys, config: WallConfig) -> Part:
    inventory = [camera.id for camera in config.cameras.items]
    states = camera_states(cast(dict[bytes, bytes], client.hgetall(keys.cameras)))
    online = [cid for cid in inventory if cid in states and states[cid].status == ONLINE]
    unknown = [cid for cid in inventory if cid not in states]
    offline = [cid for cid in inventory if cid in states and states[cid].status != ONLINE]
    known = len(inventory) - len(unknown)
    longest = offline_longest({cid: states[cid] for cid in offline})
    details = {
        "inventory": len(inventory),
        "online": len(online),
        "offline": len(offline),
        "unknown": len(unknown),
        "online_rate": round(len(online) / known, 4) if known else None,
        "offline_ids": offline,
        "offline_longest": [
            {"camera": cid, "since": _iso(state.t // 1000), "reason": state.reason}
            for cid, state in longest
        ],
    }
    rate = f" (在线率 {len(online) / known:.1%})" if known else ""
    summary = (
        f"{len(inventory)} in the inventory: {len(online)} online, {len(offline)} offline, "
        f"{len(unknown)} unknown (never probed, watched or reported){rate}"
    )
    if longest:
        shown = ", ".join(f"{cid} ({state.reason or 'offline'}, since {_iso(state.t // 1000)})"
                          for cid, state in longest[:5])  # fmt: skip
        summary += f"; offline longest: {shown}" + (" …" if len(offline) > 5 else "")
    return Part("cameras", "info", summary, details)


# ── the web processes ─────────────────────────────────────────────────────────
def web_status(client: redis.Redis, keys: Keys) -> Part:
    names = sorted(client.scan_iter(match=keys.web_heartbeat_prefix + "*", count=100))
    raws = cast(list[bytes | None], client.mget(names)) if names else []
    beats = [WebBeat.from_json(raw) for raw in raws if raw is not None]
    now_ms = time.time() * 1000
    workers = [
        {**asdict(beat), "age_s": round((now_ms - beat.t) / 1000, 3)}
        for beat in beats
        if beat is not None
    ]
    if not workers:
        return Part("web", "down", "no web process has a heartbeat in Redis: none is serving")
    listed = "; ".join(
        f"{w['host']}-{w['pid']} ({w['screens']} stream(s), beat {_age(w['age_s'])} ago, "
        f"{'stale: ' + w['reason'] if w['stale'] else 'live data fresh'})"
        for w in workers
    )
    return Part("web", "up", f"{len(workers)} worker(s): {listed}", {"workers": workers})


# ── secrets ───────────────────────────────────────────────────────────────────
def secrets_status(client: redis.Redis | None, keys: Keys, config: WallConfig) -> Part:
    """Where the session key and the relay key come from (core.secrets); never their
    values. A weak key in the environment is an error: servers refuse it off loopback."""
    session = _key_source(SESSION_ENV, None, client, keys.session_secret, "session.key")
    relay = _key_source(RELAY_ENV, config.relay.token, client, keys.relay_key, "relay.key")
    weak = env_weaknesses()
    state: State = "down" if weak else "info"
    summary = f"{SESSION_ENV}: {session}; {RELAY_ENV}: {relay}"
    if weak:
        summary += " — " + "; ".join(weak)
    return Part("secrets", state, summary, {SESSION_ENV: session, RELAY_ENV: relay})


def _key_source(
    env: str, configured: str | None, client: redis.Redis | None, key: str, file_name: str
) -> str:
    if os.environ.get(env):
        return "environment"
    if configured:
        return "config"
    if client is None:
        return "unknown (Redis is not answering)"
    if client.exists(key):
        return "generated, shared in Redis"
    path = state_file(file_name)
    if path is not None and path.is_file():
        return f"generated, in {path}"
    return "not made yet (the first web or relay process generates it)"


# ── disk ──────────────────────────────────────────────────────────────────────
def disk_status(path: Path) -> Part:
    """Free space where snapshots go (the nearest existing folder)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        usage = shutil.disk_usage(existing)
    except OSError as exc:
        return Part("disk", "warn", f"{path}: {exc}", {"path": str(path)})
    share = usage.free / usage.total if usage.total else 0.0
    details = {"path": str(path), "free_bytes": usage.free, "total_bytes": usage.total}
    summary = (
        f"{path}: {usage.free / GIB:.1f} GiB free of {usage.total / GIB:.1f} GiB "
        f"({share:.0%}) for snapshots"
    )
    low = usage.free < LOW_DISK_BYTES or share < LOW_DISK_SHARE
    return Part("disk", "warn" if low else "ok", summary + ("; LOW" if low else ""), details)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat()
