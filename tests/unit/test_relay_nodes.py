"""Rendezvous hashing over the relay nodes: one owner per camera, agreed by everyone,
spread evenly, and a dead node's cameras are the only ones that move."""

from __future__ import annotations

from collections import Counter

from core.relay_nodes import DEAD_AFTER_MS, NodeView, RelayNode, live_nodes, owner_of

CAMERAS = [f"XY-{n:03d}" for n in range(1, 348)]  # the county's 347 cameras


def nodes(*names: str, t: int = 1_000_000) -> list[RelayNode]:
    return [RelayNode(n, f"http://{n}", f"/relay/{i}", t) for i, n in enumerate(names)]


def test_every_camera_has_one_owner_whatever_the_order_of_the_list() -> None:
    fleet = nodes("a", "b", "c", "d")
    for camera in CAMERAS:
        assert owner_of(camera, fleet) == owner_of(camera, list(reversed(fleet)))
    assert owner_of("XY-001", []) is None


def test_the_cameras_are_spread_over_the_nodes() -> None:
    fleet = nodes("a", "b", "c", "d")
    counts = Counter(o.id for c in CAMERAS if (o := owner_of(c, fleet)) is not None)
    assert set(counts) == {"a", "b", "c", "d"}
    assert max(counts.values()) < 2 * min(counts.values())  # 347 / 4 ≈ 87 each


def test_when_a_node_dies_only_its_cameras_move() -> None:
    def owners(fleet: list[RelayNode]) -> dict[str, str]:
        return {c: o.id for c in CAMERAS if (o := owner_of(c, fleet)) is not None}

    before, after = owners(nodes("a", "b", "c")), owners(nodes("a", "c"))
    moved = {c for c in CAMERAS if before[c] != after[c]}
    assert moved == {c for c in CAMERAS if before[c] == "b"} and moved


def test_a_node_whose_beat_is_old_is_dead_and_junk_is_ignored() -> None:
    fresh, old = (
        RelayNode("a", "u", "p", 10_000),
        RelayNode("b", "u", "p", 10_000 - DEAD_AFTER_MS - 1),
    )
    beats = {b"a": fresh.to_json().encode(), b"b": old.to_json().encode(), b"c": b"{not json"}
    assert [n.id for n in live_nodes(beats, 10_000)] == ["a"]


def test_the_view_keeps_the_last_beats_while_redis_is_away() -> None:
    import time

    import redis

    beat = RelayNode("a", "u", "p", int(time.time() * 1000)).to_json()
    answers: list[object] = [{"a": beat}, redis.ConnectionError("gone")]
    clock = iter(range(0, 100, 10))

    def read() -> dict[str, str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    view = NodeView(read, max_age_s=1, clock=lambda: float(next(clock)))
    assert [n.id for n in view.nodes()] == ["a"]
    assert [n.id for n in view.nodes()] == ["a"]  # the read failed: the last beats stand
