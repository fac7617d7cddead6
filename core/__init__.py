"""What every part of citywall shares, and nothing else: the wire contracts (Redis keys
and streams, update topics, the camera-status format, viewer tokens) and the small
primitives both the data and video planes and the web tier use (what a Redis outage
looks like and how to back off from it, ports and child processes on this machine).

No Dash, no pandas, no aiortc, and no import of ``wall``, ``layouts``, ``data_feeds``
or ``streams``: every other package may import this one (pyproject.toml's
import-linter contracts say so and ``make test`` checks it).
"""
