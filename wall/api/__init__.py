"""Other systems in: the ingest API (``POST /api/v1/events``, API keys with scopes,
its OpenAPI document) and the officers' terminals (OsmAnd, ``/api/osmand/<token>``).

``open_api`` makes what one web process needs on its Redis connection;
``install_api`` adds the routes to the web server.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import Flask

from core.keys import Keys
from data_feeds.writer import EventWriter
from wall.api.credentials import CredentialStore
from wall.api.ingest import EventIngest
from wall.api.osmand import OsmandReceiver, osmand_blueprint, osmand_only_app
from wall.api.routes import api_blueprint, make_limiter
from wall.config.ingest import IngestSpec

__all__ = ["ApiServices", "install_api", "open_api", "osmand_only_app"]

# What an API key may be given: the streams of data_feeds.events it may write.
SCOPES = ("cases", "hotline", "approvals", "officers", "cameras")


@dataclass(frozen=True)
class ApiServices:
    ingest: EventIngest
    keys: CredentialStore
    osmand: OsmandReceiver


def api_keys(client: redis.Redis, keys: Keys) -> CredentialStore:
    return CredentialStore(client, keys.api_keys)


def terminals(client: redis.Redis, keys: Keys) -> CredentialStore:
    return CredentialStore(client, keys.terminals)


def open_api(client: redis.Redis, keys: Keys, spec: IngestSpec, replicas: int) -> ApiServices:
    writer = EventWriter(client, keys, replicas=replicas)
    return ApiServices(
        ingest=EventIngest(client, keys, spec, replicas),
        keys=api_keys(client, keys),
        osmand=OsmandReceiver(terminals(client, keys), writer),
    )


def install_api(server: Flask, api: ApiServices | None, spec: IngestSpec) -> None:
    limiter = make_limiter(server)
    ingest, keys = (api.ingest, api.keys) if api is not None else (None, None)
    server.register_blueprint(api_blueprint(ingest, keys, limiter, spec.rate_limit))
    receiver = api.osmand if api is not None else None
    server.register_blueprint(osmand_blueprint(receiver, limiter, spec.rate_limit))
