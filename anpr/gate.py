"""The gate pipeline: one worker per camera, one fuser per lane, events out through a sink.

Per camera a reader thread pulls sampled frames from its source into a
bounded queue (a live stream drops the oldest frame when analysis lags; a
file waits), and a worker thread runs :class:`CameraAnalyser` on each:
motion gate -> detector -> IoU tracker -> OCR on the tracks due for a read.
A live camera whose lane has been idle (no motion, no open track) for
``idle_after_s`` is told to sample at ``idle_sample_fps`` until motion is seen.
Finished tracks go to the lane's :class:`LaneFuser` through a bounded queue,
with ticks of stream time; the fuser closes a pass once every live camera
of the lane is ``fusion_window_s`` past it, fuses it (:mod:`anpr.fusion`),
writes its evidence (:mod:`anpr.evidence`) and hands the event to an
:class:`EventSink`.

One bad frame, track or event is counted and logged with its camera and
index, and the work goes on. When ``stop`` is set (SIGINT/SIGTERM) readers
stop, workers finish their tracks, fusers close what they hold, and every
event is written whole before :meth:`GateRunner.run` returns.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from anpr.cameras import CameraConfig, GateConfig, GateSettings
from anpr.events import Direction, GateEvent
from anpr.evidence import EvidenceStore, attach_evidence
from anpr.fusion import FusionSettings, PassAccumulator, fuse
from anpr.motion import MotionGate
from anpr.recognition import Recognizer, attach_size_types
from anpr.sources import Backoff, FrameSource, OpenCvCapture, SourceHealth, Throttled, open_source
from anpr.tracking import IouTracker, TrackBook, TrackResult
from anpr.types import DetClass, Frame, Reading

log = logging.getLogger(__name__)
_TICK_S = 0.5  # stream seconds between watermark ticks


class EventSink(Protocol):
    """Where finished gate events go (stdout, the database ...)."""

    def emit(self, event: GateEvent) -> None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class WorkerStats:
    """Counters of one camera worker (sampled frames, what became of them, what was found)."""

    frames: int = 0
    idle: int = 0
    analysed: int = 0
    failed: int = 0
    dropped: int = 0
    detections: int = 0
    reads: int = 0
    tracks: int = 0


@dataclass(slots=True)
class LaneStats:
    events: int = 0
    failed: int = 0
    pending_tracks: int = 0


@dataclass(frozen=True, slots=True)
class GateHealth:
    """A snapshot: each camera's source health and worker counters, each lane's counters."""

    sources: dict[str, SourceHealth] = field(default_factory=dict)
    workers: dict[str, WorkerStats] = field(default_factory=dict)
    lanes: dict[str, LaneStats] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Tick:
    camera: str
    at: datetime


@dataclass(frozen=True, slots=True)
class _Ended:
    camera: str


_Message = TrackResult | _Tick | _Ended


class CameraAnalyser:
    """Motion gate, detection, tracking and OCR for one camera; single-threaded, no I/O."""

    def __init__(
        self, camera: CameraConfig, recognizer: Recognizer, settings: GateSettings, lock: threading.Lock | None = None
    ) -> None:
        self.camera = camera.id
        self.recognizer = recognizer
        self.lock = lock or threading.Lock()  # models are shared by all cameras and not thread-safe
        self.motion = MotionGate(
            settings.motion_threshold, settings.motion_pixel_delta, settings.motion_width, settings.motion_hold_s
        )
        self.tracker = IouTracker(settings.track_iou, settings.track_max_shift, settings.track_max_age_s)
        self.book = TrackBook(camera.id, camera.role, camera.line, settings.ocr_reads_per_track, settings.ocr_every_n)
        self.stats = WorkerStats()
        self.idle_since: datetime | None = None  # first frame of the current idle stretch

    def idle_for(self, now: datetime) -> float:
        """Seconds of stream time the camera has been idle (no motion, no open track) up to ``now``."""
        return 0.0 if self.idle_since is None else (now - self.idle_since).total_seconds()

    def process(self, frame: Frame) -> list[TrackResult]:
        """Analyse one sampled frame; returns tracks that finished. Raises on model errors."""
        self.stats.frames += 1
        done = self.book.finish(self.tracker.expire(frame.timestamp))
        moving = self.motion.update(frame.image, frame.timestamp).moving
        if not (moving or self.tracker.active):
            self.stats.idle += 1
            if self.idle_since is None:
                self.idle_since = frame.timestamp
            return self._count(done)
        self.idle_since = None
        self.stats.analysed += 1
        with self.lock:
            detections = self.recognizer.detector.detect([frame.image])[0]
        self.stats.detections += len(detections)
        wanted = self.book.see(frame, self.tracker.update(detections, frame.timestamp))
        if wanted:
            sizes = [d for d in detections if d.cls is DetClass.SIZE_TYPE]
            if not any(w.detection.cls is DetClass.CONTAINER_NUMBER for w in wanted):
                sizes = []
            with self.lock:
                readings = self.recognizer.ocr.read(frame.image, [w.detection for w in wanted] + sizes)
            if len(readings) != len(wanted) + len(sizes):
                raise ValueError(f"OCR returned {len(readings)} readings for {len(wanted) + len(sizes)} boxes")
            own = _with_size_types(readings[: len(wanted)], readings[len(wanted) :])
            for w, reading in zip(wanted, own, strict=True):
                self.stats.reads += int(reading is not None)
                self.book.record(frame, w, reading)
        return self._count(done)

    def watermark(self, now: datetime) -> datetime:
        """Stream time up to which this camera's tracks are complete: ``now``, held back to the first
        sighting of the oldest track still open."""
        since = self.book.open_since()
        return now if since is None else min(now, since)

    def finish(self) -> list[TrackResult]:
        """End every open track (the source ended or the gate is stopping)."""
        return self._count(self.book.finish(self.tracker.flush()))

    def _count(self, done: list[TrackResult]) -> list[TrackResult]:
        self.stats.tracks += len(done)
        return done


def _with_size_types(own: list[Reading | None], sizes: list[Reading | None]) -> list[Reading | None]:
    """``own`` with the nearest size/type code attached to each container reading, same order."""
    codes = [s for s in sizes if s is not None]
    boxes = [r for r in own if r is not None and r.target is DetClass.CONTAINER_NUMBER]
    if not codes or not boxes:
        return own
    out = list(own)
    for attached in attach_size_types(boxes, codes):
        for i, r in enumerate(out):  # put each back where it came from (only size_type changed)
            if r is not None and r.size_type is None and replace(attached, size_type=None) == r:
                out[i] = attached
                break
    return out


def _put(q: queue.Queue[_Message], item: _Message, stop: threading.Event, patience_s: float = 30.0) -> None:
    """Blocking put that gives up (and logs) only if the consumer is stuck for ``patience_s`` after stop."""
    deadline = None
    while True:
        try:
            q.put(item, timeout=0.25)
            return
        except queue.Full:
            if stop.is_set():
                deadline = deadline or time.monotonic() + patience_s
                if time.monotonic() > deadline:
                    log.error("dropping %s: lane queue stuck during shutdown", type(item).__name__)
                    return


class CameraWorker:
    """Reader thread + analysis thread for one camera."""

    def __init__(
        self,
        camera: CameraConfig,
        source: FrameSource,
        analyser: CameraAnalyser,
        outbox: queue.Queue[_Message],
        settings: GateSettings,
    ) -> None:
        self.camera = camera
        self.source = source
        self.analyser = analyser
        self.outbox = outbox
        self.live = source.live
        self.frames: queue.Queue[Frame | None] = queue.Queue(settings.frame_queue_size)
        self.idle_after_s = settings.idle_after_s
        self.throttled = source if source.live and isinstance(source, Throttled) else None

    def read_loop(self, stop: threading.Event) -> None:
        try:
            for frame in self.source.frames(stop):
                self._enqueue(frame, stop)
        except Exception:  # a source must never take the worker down
            log.exception("camera %s: source failed", self.camera.id)
        finally:  # end of input: recorded input waits its turn; otherwise never block on a gone worker
            if not self.live:
                self._enqueue(None, stop)
            if self.live or stop.is_set():
                self._offer(None)

    def _enqueue(self, frame: Frame | None, stop: threading.Event) -> None:
        if self.live:  # stay current: a lagging worker loses the oldest frame, not the newest
            self._offer(frame)
            return
        while not stop.is_set():  # recorded input: every sample is analysed
            with contextlib.suppress(queue.Full):
                self.frames.put(frame, timeout=0.25)
                return

    def _offer(self, item: Frame | None) -> None:
        while True:
            try:
                self.frames.put_nowait(item)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.frames.get_nowait()
                    self.analyser.stats.dropped += 1

    def work_loop(self, stop: threading.Event) -> None:
        last_tick: datetime | None = None
        try:
            while not stop.is_set():
                try:
                    frame = self.frames.get(timeout=0.25)
                except queue.Empty:
                    continue
                if frame is None:
                    break
                done = self._process(frame)
                if self.throttled is not None:
                    quiet = self.analyser.idle_since is not None
                    self.throttled.set_idle(quiet and self.analyser.idle_for(frame.timestamp) >= self.idle_after_s)
                for track in done:
                    _put(self.outbox, track, stop)
                if done or last_tick is None or frame.timestamp - last_tick >= timedelta(seconds=_TICK_S):
                    last_tick = frame.timestamp
                    _put(self.outbox, _Tick(self.camera.id, self.analyser.watermark(frame.timestamp)), stop)
        finally:
            for track in self.analyser.finish():
                _put(self.outbox, track, stop)
            _put(self.outbox, _Ended(self.camera.id), stop)

    def _process(self, frame: Frame) -> list[TrackResult]:
        try:
            return self.analyser.process(frame)
        except Exception:  # one bad frame never stops the camera
            self.analyser.stats.failed += 1
            log.exception("camera %s: frame %d failed, skipped", self.camera.id, frame.index)
            return []


class LaneFuser:
    """Collects one lane's finished tracks and turns closed passes into events."""

    def __init__(
        self,
        lane: str,
        cameras: list[str],
        direction: Direction | None,
        fusion: FusionSettings,
        sink: EventSink,
        store: EvidenceStore | None,
        stale_s: float,
        queue_size: int = 256,
    ) -> None:
        self.lane = lane
        self.cameras = cameras
        self.direction = direction
        self.fusion = fusion
        self.sink = sink
        self.store = store
        self.stale_s = stale_s
        self.inbox: queue.Queue[_Message] = queue.Queue(queue_size)
        self.passes = PassAccumulator(fusion.window_s)
        self.stats = LaneStats()
        self._latest: dict[str, datetime] = {}
        self._heard: dict[str, float] = {}
        self._ended: set[str] = set()

    def run(self, stop: threading.Event) -> None:
        started = time.monotonic()
        while len(self._ended) < len(self.cameras):
            with contextlib.suppress(queue.Empty):
                self._take(self.inbox.get(timeout=0.25))
            mark = self._watermark(started)
            if mark is not None:
                for group in self.passes.due(mark):
                    self.close(group)
            self.stats.pending_tracks = len(self.passes)
        for group in self.passes.flush():
            self.close(group)
        self.stats.pending_tracks = 0

    def _take(self, msg: _Message) -> None:
        if isinstance(msg, _Ended):
            self._ended.add(msg.camera)
            return
        self._heard[msg.camera] = time.monotonic()
        if isinstance(msg, _Tick):  # only ticks move a camera's watermark: they account for open tracks
            self._latest[msg.camera] = msg.at
        else:
            self.passes.add(msg)

    def _watermark(self, started: float) -> datetime | None:
        """Stream time every live camera has reached; past everything when all are silent or ended."""
        now = time.monotonic()
        live = [c for c in self.cameras if c not in self._ended and now - self._heard.get(c, started) < self.stale_s]
        if live:
            if any(c not in self._latest for c in live):
                return None
            return min(self._latest[c] for c in live)
        if not self._latest:
            return None
        return max(self._latest.values()) + timedelta(seconds=2 * self.fusion.window_s + 1)

    def close(self, group: list[TrackResult]) -> None:
        try:
            event = fuse(group, self.lane, self.direction, self.fusion)
            if self.store is not None:
                event = attach_evidence(event, group, self.store)
            self.sink.emit(event)
            self.stats.events += 1
        except Exception:  # one bad pass never stops the lane
            self.stats.failed += 1
            log.exception("lane %s: a pass of %d tracks could not be stored", self.lane, len(group))


SourceFactory = Callable[[CameraConfig, GateSettings], FrameSource]


def default_source(camera: CameraConfig, settings: GateSettings) -> FrameSource:
    backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
    return open_source(
        camera.open_url(),
        camera.id,
        sample_fps=camera.sample_fps or settings.sample_fps,
        backoff=backoff,
        opener=functools.partial(OpenCvCapture, threads=settings.decode_threads),
        idle_sample_fps=settings.idle_sample_fps or None,
        max_corrupt_in_row=settings.max_corrupt_in_row,
    )


class GateRunner:
    """Builds and runs the workers and fusers of a :class:`GateConfig` until the sources end or stop."""

    def __init__(
        self,
        config: GateConfig,
        settings: GateSettings,
        recognizer: Recognizer,
        sink: EventSink,
        evidence_dir: Path | None = None,
        source_factory: SourceFactory = default_source,
    ) -> None:
        self.config = config
        self.settings = settings
        self.sink = sink
        lock = threading.Lock()
        store = EvidenceStore(evidence_dir, settings.jpeg_quality, settings.crop_margin) if evidence_dir else None
        self.fusers: dict[str, LaneFuser] = {}
        self.workers: list[CameraWorker] = []
        for lane in config.lane_ids():
            cams = config.cameras_of(lane)
            if not cams:
                continue
            window = config.lane(lane).fusion_window_s or settings.fusion_window_s
            fuser = LaneFuser(
                lane,
                [c.id for c in cams],
                config.fixed_direction(lane),
                FusionSettings(window_s=window),
                sink,
                store,
                settings.stale_camera_s,
                settings.event_queue_size,
            )
            self.fusers[lane] = fuser
            for cam in cams:
                source = source_factory(cam, settings)  # raises at start-up for a bad local path
                analyser = CameraAnalyser(cam, recognizer, settings, lock)
                self.workers.append(CameraWorker(cam, source, analyser, fuser.inbox, settings))

    def health(self) -> GateHealth:
        return GateHealth(
            sources={w.camera.id: w.source.health() for w in self.workers},
            workers={w.camera.id: replace(w.analyser.stats) for w in self.workers},
            lanes={lane: replace(f.stats) for lane, f in self.fusers.items()},
        )

    def run(self, stop: threading.Event) -> GateHealth:
        """Run until every source ends or ``stop`` is set; every open pass is closed before returning."""

        def start(target: Callable[[threading.Event], None], name: str) -> threading.Thread:
            thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
            thread.start()
            return thread

        # Readers may sit in a blocking network read; nothing waits for them after the workers end.
        readers = [start(w.read_loop, f"read-{w.camera.id}") for w in self.workers]
        threads = [start(w.work_loop, f"work-{w.camera.id}") for w in self.workers]
        threads += [start(f.run, f"lane-{lane}") for lane, f in self.fusers.items()]
        next_log = time.monotonic() + self.settings.health_log_s
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(timeout=0.5)
            if time.monotonic() >= next_log:
                next_log += self.settings.health_log_s
                self.log_health()
        for r in readers:
            r.join(timeout=1.0)
        self.sink.close()
        self.log_health()
        return self.health()

    def log_health(self) -> None:
        h = self.health()
        for cam, src in h.sources.items():
            log.info("camera %s: %s %s; worker %s", cam, src.state.value, src.url, h.workers[cam])
        for lane, stats in h.lanes.items():
            log.info("lane %s: %s", lane, stats)
