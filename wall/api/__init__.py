"""Other systems in: the ingest API (``POST /api/v1/events``, API keys with scopes,
its OpenAPI document) and the officers' terminals (OsmAnd, ``/api/osmand/<token>``).

``wall.api.install`` wires them into a web process; ``wall.api.credentials`` (keys and
terminal tokens) imports no web framework, so the CLI can use it without one.
"""
