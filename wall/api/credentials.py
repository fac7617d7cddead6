"""The ingest API's credentials: other systems' API keys (with the streams they may
write) and officers' terminals, each a ``CredentialStore`` of its own Redis hash."""

from __future__ import annotations

import redis

from core.keys import STREAMS, Keys
from wall.auth.credentials import Credential, CredentialStore

__all__ = ["SCOPES", "Credential", "CredentialStore", "api_keys", "terminals"]

# What an API key may be given: the streams of data_feeds.events it may write.
SCOPES = STREAMS


def api_keys(client: redis.Redis, keys: Keys) -> CredentialStore:
    """Other systems' API keys."""
    return CredentialStore(client, keys.api_keys)


def terminals(client: redis.Redis, keys: Keys) -> CredentialStore:
    """Officers' handheld terminals: device id, officer, grid."""
    return CredentialStore(client, keys.terminals)
