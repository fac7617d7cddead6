"""The hub's history (pre-roll for evidence clips) and the clip recorder, without a network:
the real CameraHub pulls a scripted camera that the test feeds packet by packet."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from streams.packets import CLOCK_RATE, EncodedPacket, PacketSource, SourceError
from streams.relay.clips import ClipRecorder, ClipStore
from streams.relay.hub import CameraHub, UpstreamStats

CAMERA = "cam-1"
FPS = 10
STEP = CLOCK_RATE // FPS  # 9000 ticks between packets
GOP = FPS  # a keyframe every second


def packet(index: int, size: int = 100, base: int = 0) -> EncodedPacket:
    """The ``index``-th packet of a 10 fps camera with a keyframe every second."""
    keyframe = index % GOP == 0
    head = b"\x00\x00\x00\x01\x65" if keyframe else b"\x00\x00\x00\x01\x41"
    return EncodedPacket(head + bytes(size), base + index * STEP, keyframe, time.time())


class Script:
    """A camera fed by the test: ``None`` in the queue makes the source fail."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue()
        self.opens = 0

    def __call__(self, url: str) -> PacketSource:
        return _ScriptSource(url, self)


class _ScriptSource:
    def __init__(self, url: str, script: Script) -> None:
        self.url = url
        self._script = script

    async def packets(self) -> AsyncIterator[EncodedPacket]:
        self._script.opens += 1
        while True:
            item = await self._script.queue.get()
            if item is None:
                raise SourceError("the test cut the camera")
            yield item


class Viewer:
    def __init__(self) -> None:
        self.got: list[tuple[int, bool]] = []  # (pts, burst)

    def deliver(self, packet: EncodedPacket, burst: bool) -> None:
        self.got.append((packet.pts, burst))


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.001)


def make_hub(script: Script, **kwargs: float) -> CameraHub:
    return CameraHub({CAMERA: {"main": "script://cam-1"}}, script, schedule=lambda _n: 0.0,
                     **kwargs)  # type: ignore[arg-type]  # fmt: skip


def stats(hub: CameraHub) -> UpstreamStats:
    (only,) = hub.stats()
    return only


async def feed(hub: CameraHub, script: Script, packets: list[EncodedPacket]) -> None:
    """Send the packets and wait until the hub has taken every one."""
    expected = stats(hub).packets_received + len(packets)
    for item in packets:
        script.queue.put_nowait(item)
    await until(lambda: stats(hub).packets_received == expected)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(30):
            await scenario()

    asyncio.run(bounded())


def kept(hub: CameraHub) -> list[EncodedPacket]:
    return hub.history(CAMERA, "main", 1e9)  # everything: from the oldest kept keyframe


def test_history_keeps_whole_gops_covering_history_s_and_no_more() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=3.0)
        hub.subscribe(CAMERA, "main", Viewer())
        for index in range(100):  # 10 s, one packet at a time
            await feed(hub, script, [packet(index)])
            history = kept(hub)
            newest = index * STEP
            assert history[0].keyframe and history[-1].pts == newest
            covered = newest - history[0].pts
            assert covered >= min(3 * CLOCK_RATE, newest), index  # ≥ history_s once pulled so long
            # The oldest GOP goes as soon as the next one alone covers history_s.
            second = next((p.pts for p in history[1:] if p.keyframe), None)
            assert second is None or newest - second < 3 * CLOCK_RATE, index
            assert stats(hub).history_bytes == sum(len(p.data) for p in history)
        assert [p.pts for p in kept(hub)] == [i * STEP for i in range(60, 100)]  # 6.0 .. 9.9 s
        assert stats(hub).history_bytes == 40 * 105
        await hub.close()

    run(scenario)


def test_history_starts_at_the_latest_keyframe_far_enough_back() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=3.0)
        assert hub.history(CAMERA, "main", 2.0) == []  # not pulled
        with pytest.raises(KeyError):
            hub.history("nope", "main", 2.0)
        hub.subscribe(CAMERA, "main", Viewer())
        await feed(hub, script, [packet(i) for i in range(100)])  # kept: 6.0 .. 9.9 s

        def start(seconds: float) -> float:
            history = hub.history(CAMERA, "main", seconds)
            assert history[-1].pts == 99 * STEP
            assert [p.pts for p in history] == list(range(history[0].pts, 99 * STEP + 1, STEP))
            return history[0].pts / CLOCK_RATE

        assert start(0.0) == 9.0  # the current GOP: a clip cannot start between keyframes
        assert start(0.9) == 9.0
        assert start(1.0) == 8.0  # 9.9 - 1.0 = 8.9: the keyframe at 8.0 is the latest before
        assert start(1.9) == 8.0  # the cut-off is exactly on the keyframe: it counts
        assert start(2.0) == 7.0
        assert start(3.5) == 6.0
        assert start(60.0) == 6.0  # asked for more than is kept: the oldest kept keyframe
        await hub.close()

    run(scenario)


def test_the_byte_limit_drops_whole_gops_and_a_gop_without_end() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0, history_bytes_limit=3_000)
        viewer = Viewer()
        hub.subscribe(CAMERA, "main", viewer)
        for index in range(50):  # 105 bytes a packet, 1050 a GOP: at most 2 whole GOPs + some
            await feed(hub, script, [packet(index)])
            assert stats(hub).history_bytes <= 3_000
            assert kept(hub)[0].keyframe
        assert kept(hub)[0].pts == 30 * STEP  # GOPs 3 and 4: 2100 bytes
        # A camera that stops sending keyframes: its one endless GOP is dropped once over
        # the limit, nothing is kept until the next keyframe, and the GOP cache is untouched.
        endless = [EncodedPacket(b"\x00\x00\x00\x01\x41" + bytes(100), (50 + i) * STEP, False,
                                 0.0) for i in range(40)]  # fmt: skip
        await feed(hub, script, endless)
        assert kept(hub) == [] and stats(hub).history_bytes == 0
        late = Viewer()
        hub.subscribe(CAMERA, "main", late)
        assert len(late.got) == 50 and all(burst for _, burst in late.got)  # GOP 4 + 40
        await feed(hub, script, [packet(90)])
        assert [p.pts for p in kept(hub)] == [90 * STEP]
        await hub.close()

    run(scenario)


def test_history_s_zero_keeps_only_the_gop_cache() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=0.0)
        hub.subscribe(CAMERA, "main", Viewer())
        await feed(hub, script, [packet(i) for i in range(25)])
        assert kept(hub) == [] and stats(hub).history_bytes == 0
        late = Viewer()
        hub.subscribe(CAMERA, "main", late)
        assert late.got == [(i * STEP, True) for i in range(20, 25)]  # the GOP cache as before
        await hub.close()

    run(scenario)


def test_history_is_cleared_on_reconnect_and_on_stop() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0, grace_s=0.0)
        viewer = Viewer()
        hub.subscribe(CAMERA, "main", viewer)
        await feed(hub, script, [packet(i) for i in range(25)])
        assert len(kept(hub)) == 25
        script.queue.put_nowait(None)  # the camera fails; the hub reconnects at once
        await until(lambda: script.opens == 2)
        assert kept(hub) == [] and stats(hub).history_bytes == 0
        await feed(hub, script, [packet(i) for i in range(12)])  # its clock restarted at 0
        assert [p.pts for p in kept(hub)] == [i * STEP for i in range(12)]
        hub.unsubscribe(CAMERA, "main", viewer)  # grace 0: the upstream stops
        await until(lambda: not stats(hub).running)
        assert kept(hub) == [] and stats(hub).history_bytes == 0
        await hub.close()

    run(scenario)


def test_the_recorder_takes_history_then_live_packets_skipping_the_burst_repeats() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0)
        hub.subscribe(CAMERA, "main", Viewer())
        await feed(hub, script, [packet(i) for i in range(35)])  # 0 .. 3.4 s
        recorder = ClipRecorder(CAMERA, "main", hub.history(CAMERA, "main", 2.0))
        recorder.attach(hub)  # the burst repeats 3.0 .. 3.4 s: already in the history
        assert [p.pts for p in recorder.packets] == [i * STEP for i in range(10, 35)]
        assert recorder.before_s == pytest.approx(2.4)
        assert stats(hub).viewers == 2
        await feed(hub, script, [packet(i) for i in range(35, 50)])
        assert [p.pts for p in recorder.packets] == [i * STEP for i in range(10, 50)]
        assert recorder.ended is None and recorder.seconds == pytest.approx(3.9)
        recorder.stop()
        assert recorder.ended == "stopped" and stats(hub).viewers == 1
        await feed(hub, script, [packet(50)])
        assert len(recorder.packets) == 40
        await hub.close()

    run(scenario)


def test_the_recorder_ends_when_the_source_restarts() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0)
        hub.subscribe(CAMERA, "main", Viewer())
        await feed(hub, script, [packet(i) for i in range(25)])
        recorder = ClipRecorder(CAMERA, "main", hub.history(CAMERA, "main", 1.0))
        recorder.attach(hub)
        recorder.deliver(packet(21), burst=False)  # an older P-frame is no restart: skipped
        recorder.deliver(packet(20), burst=True)  # nor a keyframe of the burst
        assert recorder.ended is None and len(recorder.packets) == 15
        script.queue.put_nowait(None)  # reconnects: the new connection's clock starts at 0
        await until(lambda: script.opens == 2)
        await feed(hub, script, [packet(0), packet(1)])
        assert recorder.ended == "source_restarted"
        assert [p.pts for p in recorder.packets] == [i * STEP for i in range(10, 25)]
        assert stats(hub).viewers == 1  # it left the upstream
        await hub.close()

    run(scenario)


def test_the_recorder_ends_by_itself_at_max_s_and_leaves_the_upstream() -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0, grace_s=0.0)
        recorder = ClipRecorder(CAMERA, "main", hub.history(CAMERA, "main", 10.0), max_s=2.0)
        recorder.attach(hub)  # not pulled yet: it starts the upstream, no pre-roll
        assert recorder.before_s == 0.0 and stats(hub).running
        await feed(hub, script, [packet(i, base=5) for i in range(3, 40)])  # from a P-frame
        assert recorder.ended == "max_s"
        assert recorder.packets[0].pts == 10 * STEP + 5  # the first keyframe
        assert recorder.seconds == 2.0 and len(recorder.packets) == 21
        await until(lambda: not stats(hub).running)  # its only viewer left: grace 0
        await hub.close()

    run(scenario)


def test_the_store_forgets_on_stop_drops_an_unstopped_ended_clip_and_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        script = Script()
        hub = make_hub(script, history_s=60.0)
        store = ClipStore(hub, keep_ended_s=0.05)
        hub.subscribe(CAMERA, "main", Viewer())
        await feed(hub, script, [packet(i) for i in range(12)])
        stopped = store.start(CAMERA, "main", before_s=1.0, max_s=300.0)
        assert store.get(stopped.id) is stopped and stopped.before_s == pytest.approx(1.1)
        assert store.take(stopped.id) is stopped and stopped.ended == "stopped"
        assert store.take(stopped.id) is None and len(store) == 0
        ended = store.start(CAMERA, "main", before_s=0.0, max_s=1.0)
        assert stats(hub).viewers == 2
        await feed(hub, script, [packet(i) for i in range(12, 25)])
        assert ended.ended == "max_s" and stats(hub).viewers == 1
        assert store.get(ended.id) is ended  # kept for its stop ...
        with caplog.at_level(logging.WARNING, logger="streams.relay.clips"):
            await until(lambda: len(store) == 0)  # ... until keep_ended_s passed
        assert ended.id in caplog.text and "not stopped" in caplog.text
        running = [store.start(CAMERA, "main", 0.0, 300.0) for _ in range(3)]
        assert stats(hub).viewers == 4
        store.close()
        assert len(store) == 0 and stats(hub).viewers == 1
        assert {r.ended for r in running} == {"shutdown"}
        await hub.close()

    run(scenario)
