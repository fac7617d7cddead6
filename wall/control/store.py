"""``WallControl``: read and change the wall state in Redis. Every change is audited
(who, what, before, after) and announced on ``citywall:updates`` (topic ``wall``).

Concurrent operators: each write replaces what it names (one tile, the alarm, the
whole wall for a preset), so the last write wins and every screen shows it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis
from pydantic import ValidationError

from core import topics
from core.camera_status import CameraStatus, camera_states, camera_statuses
from core.keys import UPDATES_MAXLEN, Keys
from wall.auth.audit import AuditLog
from wall.config.control import MIN_DWELL_S, TourSpec
from wall.config.models import WallConfigBase
from wall.config.tiles.camera import GRID_SIZES
from wall.control.views import (
    Alarm,
    AlarmJson,
    HighlightJson,
    Showing,
    TileState,
    TourRun,
    showing,
)

HIGHLIGHT_S = 300  # how long the wall's maps ring a case an operator opened


class ControlError(ValueError):
    """A request the wall cannot carry out; the message is for the operator."""


class WallControl:
    def __init__(
        self,
        client: redis.Redis,
        config: WallConfigBase,
        audit: AuditLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._config = config
        keys = Keys(config.redis.prefix)
        self.audit = audit or AuditLog(client, keys)  # the console shows it
        self._clock = clock
        self._cameras_key = keys.cameras
        self._views_key = keys.wall_views
        self._tours_key = keys.wall_tours
        self._presets_key = keys.wall_presets
        self._alarm_key = keys.wall_alarm
        self._highlight_key = keys.wall_highlight
        self._updates_key = keys.updates
        self._holders = {tile.id: tile for tile in config.camera_tiles()}
        self._camera_tiles = {
            tile_id: tile.camera_cells() or () for tile_id, tile in self._holders.items()
        }

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ── reading ─────────────────────────────────────────────────────────
    def views(self) -> dict[str, TileState]:
        """Every camera tile's view: the operators' choice, else the config's cameras."""
        stored = cast(dict[bytes, bytes], self._client.hgetall(self._views_key))
        views = {
            tile_id: TileState(tile_id, cameras) for tile_id, cameras in self._camera_tiles.items()
        }
        for raw_id, raw in stored.items():
            tile_id = raw_id.decode()
            if tile_id in views:  # a tile removed from the config since: forgotten
                views[tile_id] = TileState.loads(raw)
        return views

    def view(self, tile_id: str) -> TileState:
        return self.views()[self._camera_tile(tile_id)]

    def showing(self, tile_id: str) -> Showing:
        """What the tile's cells show on the wall now (the alarm over a tour over a pick)."""
        tile_id = self._camera_tile(tile_id)
        return showing(self.view(tile_id), self.alarm(), self._holders[tile_id].stream_for,
                       self.now_ms())  # fmt: skip

    def camera_in_cell(self, tile_id: str, cell: int) -> str | None:
        """The camera a cell shows now (the alarm's while it holds the tile); the last
        cell's for a cell past the end; None for a tile showing nothing."""
        shown = self.showing(tile_id).cameras
        return shown[min(cell, len(shown) - 1)] if shown else None

    def put_in_cell(self, tile_id: str, cell: int, camera_id: str, by: str) -> tuple[int, int]:
        """Show ``camera_id`` in one cell of the tile (the last for a cell past the end),
        the others as they are; (the cell it went to, the tile's cells)."""
        cameras = list(self.view(tile_id).showing(self.now_ms()))
        cell = min(cell, len(cameras) - 1)
        cameras[cell] = camera_id
        self.show(tile_id, cameras, by)
        return cell, len(cameras)

    def tours(self) -> dict[str, TourSpec]:
        """The config's tours, then the console's (which may not reuse a config name)."""
        tours = {
            tour.name: TourSpec(name=tour.name, cameras=self._config.tour_cameras(tour),
                                dwell_s=tour.dwell_s)
            for tour in self._config.tours
        }  # fmt: skip
        for raw_name, raw in cast(
            dict[bytes, bytes], self._client.hgetall(self._tours_key)
        ).items():
            tours.setdefault(raw_name.decode(), TourSpec.model_validate_json(raw))
        return tours

    def presets(self) -> dict[str, dict[str, TileState]]:
        """Preset name → tile id → view; config presets first, then the console's."""
        presets = {preset.name: self._config_preset(preset.name) for preset in self._config.presets}
        for raw_name, raw in cast(
            dict[bytes, bytes], self._client.hgetall(self._presets_key)
        ).items():
            stored = json.loads(raw)
            presets.setdefault(
                raw_name.decode(),
                {tile_id: TileState.loads(json.dumps(view)) for tile_id, view in stored.items()},
            )
        return presets

    def camera_statuses(self) -> dict[str, str]:
        """camera id → online / offline / connecting, as the video relay last wrote it."""
        return camera_statuses(cast(dict[bytes, bytes], self._client.hgetall(self._cameras_key)))

    def camera_states(self) -> dict[str, CameraStatus]:
        """camera id → its state (status, since when, why), as the relay last wrote it."""
        return camera_states(cast(dict[bytes, bytes], self._client.hgetall(self._cameras_key)))

    def alarm(self) -> Alarm | None:
        """The alarm on the wall now; None when there is none or it has run out."""
        raw = cast(bytes | None, self._client.get(self._alarm_key))
        if raw is None:
            return None
        alarm = Alarm.loads(raw)
        return alarm if alarm.active(self.now_ms()) else None

    def highlight(self) -> HighlightJson | None:
        """The case shown on the wall's e-maps now, if any."""
        raw = cast(bytes | None, self._client.get(self._highlight_key))
        if raw is None:
            return None
        shown = cast(HighlightJson, json.loads(raw))
        return shown if shown["until_ms"] > self.now_ms() else None

    # ── operator actions ────────────────────────────────────────────────
    def highlight_case(
        self, case_id: str, lat: float, lon: float, by: str, seconds: int = HIGHLIGHT_S
    ) -> HighlightJson:
        """Ring the case on every e-map of the wall for ``seconds`` (an alarm comes first)."""
        shown: HighlightJson = {
            "case_id": case_id, "lat": lat, "lon": lon, "reason": "highlight", "by": by,
            "until_ms": self.now_ms() + seconds * 1000,
        }  # fmt: skip
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._highlight_key, json.dumps(shown, ensure_ascii=False), ex=seconds)
        self._announce(pipe)
        pipe.execute()
        self._record(by, "case.highlight", None, dict(shown))
        return shown

    def show(self, tile_id: str, cameras: Sequence[str], by: str) -> TileState:
        """Put these cameras in the tile's cells (stops a tour running there)."""
        tile_id = self._camera_tile(tile_id)
        cameras = tuple(cameras)
        if len(cameras) not in GRID_SIZES:
            raise ControlError(f"a tile shows 1, 4, 9 or 16 cameras, not {len(cameras)}")
        self._known_cameras(cameras)
        view = TileState(tile_id, cameras, None, by, self.now_ms())
        return self._write_view(view, "tile.show", by)

    def start_tour(self, tile_id: str, tour_name: str, by: str) -> TileState:
        tile_id = self._camera_tile(tile_id)
        tour = self.tours().get(tour_name)
        if tour is None:
            raise ControlError(f"no tour named {tour_name!r}")
        before = self.view(tile_id)
        run = TourRun(tour.name, tuple(tour.cameras), tour.dwell_s, self.now_ms())
        view = TileState(tile_id, before.cameras, run, by, run.started_ms)
        return self._write_view(view, "tour.start", by, before)

    def stop_tour(self, tile_id: str, by: str) -> TileState:
        """The tile keeps the camera(s) the tour was showing."""
        before = self.view(tile_id)
        if before.tour is None:
            return before
        now = self.now_ms()
        view = TileState(before.tile_id, before.showing(now), None, by, now)
        return self._write_view(view, "tour.stop", by, before)

    def save_tour(self, name: str, cameras: Sequence[str], dwell_s: float, by: str) -> TourSpec:
        if any(tour.name == name for tour in self._config.tours):
            raise ControlError(f"{name!r} is a tour of the config file; choose another name")
        if dwell_s < MIN_DWELL_S:
            raise ControlError(f"a camera must stay at least {MIN_DWELL_S:g} s")
        if not cameras:
            raise ControlError("a tour needs at least one camera")
        self._known_cameras(cameras)
        try:
            tour = TourSpec(name=name, cameras=list(cameras), dwell_s=dwell_s)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise ControlError(f"{field}: {first['msg']}") from exc
        before = self._client.hget(self._tours_key, name)
        self._client.hset(self._tours_key, name, tour.model_dump_json())
        self._record(by, "tour.save", _json(before), tour.model_dump())
        return tour

    def save_preset(self, name: str, by: str) -> dict[str, TileState]:
        """The whole wall as it is now (tours keep running when recalled)."""
        if not name.strip() or "/" in name or len(name) > 64:
            raise ControlError("a preset name is 1 to 64 characters, without /")
        if any(preset.name == name for preset in self._config.presets):
            raise ControlError(f"{name!r} is a preset of the config file; choose another name")
        views = self.views()
        stored = {tile_id: view.as_json() for tile_id, view in views.items()}
        before = self._client.hget(self._presets_key, name)
        self._client.hset(self._presets_key, name, json.dumps(stored, ensure_ascii=False))
        self._record(by, "preset.save", _json(before), {"name": name, "tiles": stored})
        return views

    def recall_preset(self, name: str, by: str) -> dict[str, TileState]:
        preset = self.presets().get(name)
        if preset is None:
            raise ControlError(f"no preset named {name!r}")
        before = self.views()
        now = self.now_ms()
        after = {
            tile_id: _restarted(view, now, by)
            for tile_id, view in preset.items()
            if tile_id in self._camera_tiles
        }
        pipe = self._client.pipeline(transaction=True)  # one write: no screen sees half
        pipe.delete(self._views_key)
        if after:  # a preset naming no tile puts every tile back to its config cameras
            pipe.hset(self._views_key, mapping={tile_id: v.dumps() for tile_id, v in after.items()})
        self._announce(pipe)
        pipe.execute()
        self._record(by, "preset.recall", _views_json(before), {"name": name, **_views_json(after)})
        return self.views()

    # ── the alarm pop-up ────────────────────────────────────────────────
    def raise_alarm(self, alarm: Alarm, by: str = "system:alarms") -> None:
        """Put ``alarm`` on the wall (a newer alarm replaces an older one)."""
        self._camera_tile(alarm.tile_id)
        before = self.alarm()
        ttl_ms = max(1, alarm.until_ms - self.now_ms())
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._alarm_key, alarm.dumps(), px=ttl_ms)
        self._announce(pipe)
        pipe.execute()
        self._record(by, "alarm.raise", _alarm_json(before), alarm.as_json())

    def acknowledge_alarm(self, by: str, case_id: str | None = None) -> Alarm | None:
        """Clear the alarm; the alarm tile returns to what it showed before. With
        ``case_id`` (what the operator saw), only that alarm: a newer one that replaced
        it meanwhile stays, and the operator is told."""
        with self._client.pipeline(transaction=True) as pipe:
            pipe.watch(self._alarm_key)  # type: ignore[no-untyped-call]  # a newer alarm aborts
            raw = pipe.get(self._alarm_key)
            before = Alarm.loads(raw) if raw is not None else None
            if before is None or not before.active(self.now_ms()):
                return None
            if case_id is not None and before.case_id != case_id:
                raise ControlError(f"a newer alarm ({before.case_id}) replaced {case_id}")
            pipe.multi()
            pipe.delete(self._alarm_key)
            self._announce(pipe)
            try:
                pipe.execute()
            except redis.WatchError:
                raise ControlError("a newer alarm has just arrived; look again") from None
        self._record(by, "alarm.acknowledge", _alarm_json(before), None)
        return before

    # ── helpers ─────────────────────────────────────────────────────────
    def _write_view(
        self, view: TileState, action: str, by: str, before: TileState | None = None
    ) -> TileState:
        before = before or self.view(view.tile_id)  # read once: callers may have it
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(self._views_key, view.tile_id, view.dumps())
        self._announce(pipe)
        pipe.execute()
        self._record(by, action, before.as_json(), view.as_json())
        return view

    def _announce(self, pipe: Any) -> None:
        # "earliest: inf": no event time behind it, so no cached KPI day is dropped.
        fields = {topics.FIELD_TOPICS: topics.WALL, topics.FIELD_EARLIEST: "inf"}
        pipe.xadd(self._updates_key, fields, maxlen=UPDATES_MAXLEN, approximate=True)

    def _record(self, by: str, action: str, before: Any, after: Any) -> None:
        self.audit.record(by, action, before, after)

    def _camera_tile(self, tile_id: str) -> str:
        if tile_id not in self._camera_tiles:
            valid = ", ".join(sorted(self._camera_tiles)) or "none"
            raise ControlError(f"{tile_id!r} is not a camera tile (camera tiles: {valid})")
        return tile_id

    def _known_cameras(self, cameras: Sequence[str]) -> None:
        unknown = sorted(set(cameras) - self._config.camera_ids())
        if unknown:
            raise ControlError(f"unknown camera(s): {', '.join(unknown)}")

    def _config_preset(self, name: str) -> dict[str, TileState]:
        preset = next(p for p in self._config.presets if p.name == name)
        tours = {tour.name: tour for tour in self._config.tours}
        views: dict[str, TileState] = {}
        for tile_id, spec in preset.tiles.items():
            cells = self._camera_tiles.get(tile_id, ())
            if spec.tour is not None:
                tour = tours[spec.tour]
                run = TourRun(tour.name, tuple(self._config.tour_cameras(tour)), tour.dwell_s, 0)
                views[tile_id] = TileState(tile_id, cells, run)
            else:
                views[tile_id] = TileState(tile_id, tuple(spec.cameras))
        return views


def _restarted(view: TileState, now_ms: int, by: str) -> TileState:
    """A recalled view, its tour starting over from its first camera."""
    tour = view.tour
    if tour is not None:
        tour = TourRun(tour.name, tour.cameras, tour.dwell_s, now_ms)
    return TileState(view.tile_id, view.cameras, tour, by, now_ms)


def _json(raw: Any) -> Any:
    return json.loads(raw) if raw else None


def _views_json(views: dict[str, TileState]) -> dict[str, Any]:
    return {tile_id: view.as_json() for tile_id, view in views.items()}


def _alarm_json(alarm: Alarm | None) -> AlarmJson | None:
    return alarm.as_json() if alarm else None
