"""What one web process needs for other systems' events (``open_api``, on its Redis
connection) and their routes on the web server (``install_api``)."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import Flask
from flask_limiter import Limiter

from core.keys import Keys
from data_feeds.writer import EventWriter
from wall.api.credentials import CredentialStore, api_keys, terminals
from wall.api.ingest import EventIngest
from wall.api.osmand import OsmandReceiver, osmand_blueprint
from wall.api.routes import api_blueprint
from wall.config.ingest import IngestSpec


@dataclass(frozen=True)
class ApiServices:
    ingest: EventIngest
    keys: CredentialStore
    osmand: OsmandReceiver


def open_api(client: redis.Redis, keys: Keys, spec: IngestSpec, replicas: int) -> ApiServices:
    writer = EventWriter(client, keys, replicas=replicas)
    return ApiServices(
        ingest=EventIngest(client, keys, spec, replicas),
        keys=api_keys(client, keys),
        osmand=OsmandReceiver(terminals(client, keys), writer),
    )


def install_api(server: Flask, api: ApiServices | None, spec: IngestSpec, limiter: Limiter) -> None:
    ingest, keys = (api.ingest, api.keys) if api is not None else (None, None)
    server.register_blueprint(api_blueprint(ingest, keys, limiter, spec.rate_limit))
    receiver = api.osmand if api is not None else None
    server.register_blueprint(osmand_blueprint(receiver, limiter, spec.rate_limit))
