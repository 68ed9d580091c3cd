"""The gate pipeline end to end on synthetic videos, with a colour-blob detector and OCR at the seams."""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from blob_fakes import BLUE, GREEN, MAGENTA, RED, BlobDetector, blob_colour
from pydantic import ValidationError

from anpr.cameras import CameraConfig, CameraRole, GateConfig, GateSettings, load_config, parse_config
from anpr.cli_gate import JsonLinesSink
from anpr.consensus import validate
from anpr.errors import ConfigError, SourceError
from anpr.event_json import event_from_json
from anpr.events import Direction, GateEvent
from anpr.gate import CameraAnalyser, CameraWorker, GateRunner
from anpr.motion import MotionGate
from anpr.recognition import Recognizer
from anpr.sources import Backoff, Capture, FrameSource, SourceHealth, SourceState, StreamSource
from anpr.synth.demo import write_video
from anpr.types import DetClass, Detection, Frame, ImageArray, Reading

T0 = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
W, H = 640, 360
# Blob colour (BGR) -> what the fake detector calls it and what the fake OCR reads there.
BLOBS = {
    RED: (DetClass.PLATE, "51C12345"),
    BLUE: (DetClass.CONTAINER_NUMBER, "MSCU1234566"),
    GREEN: (DetClass.CONTAINER_NUMBER, "TGHU9876542"),
    MAGENTA: (DetClass.SIZE_TYPE, "45G1"),
}
MISREAD = {"51C12345": "51C1234S", "MSCU1234566": "MSCU1234S66", "TGHU9876542": "TGHU9876S42"}


class BlobOcr:
    """Reads the text a blob's colour stands for; every third read has one misread character."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls = 0
        self.fail_on_call = fail_on_call

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("OCR engine hiccup")
        out: list[Reading | None] = []
        for d in detections:
            b = d.bbox
            cls, text = BLOBS[blob_colour(image, b, BLOBS)]
            if cls is not d.cls:
                out.append(None)
                continue
            if cls is DetClass.SIZE_TYPE:
                out.append(Reading(cls, text, text, 0.9, True, bbox=b))
                continue
            if self.calls % 3 == 0:
                text = MISREAD[text]
            valid = validate(cls, text) is not None
            out.append(Reading(cls, text, text, 0.8, valid, bbox=b))
        return out


def recognizer(detector: BlobDetector | None = None, ocr: BlobOcr | None = None) -> Recognizer:
    return Recognizer(detector or BlobDetector(), ocr or BlobOcr())


def scene(camera: str, n: int = 70, moving: range = range(15, 51)) -> list[ImageArray]:
    """Still background, then a vehicle crossing right to left, then still again."""
    rng = np.random.default_rng(1)
    bg = rng.integers(60, 110, (H, W, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        img = bg.copy()
        if i in moving:
            x = W - (i - moving.start) * (W + 400) // len(moving)
            if camera == "front":  # a light cab with a red plate
                cv2.rectangle(img, (x - 50, 120), (x + 140, 300), (225, 225, 225), -1)
                cv2.rectangle(img, (x, 220), (x + 90, 250), RED, -1)
            else:  # a light trailer side with a blue and a green container number
                cv2.rectangle(img, (x - 30, 50), (x + 370, 200), (225, 225, 225), -1)
                cv2.rectangle(img, (x, 80), (x + 120, 120), BLUE, -1)
                cv2.rectangle(img, (x, 140), (x + 60, 165), MAGENTA, -1)  # size/type codes below
                cv2.rectangle(img, (x + 220, 140), (x + 280, 165), MAGENTA, -1)
                cv2.rectangle(img, (x + 220, 80), (x + 340, 120), GREEN, -1)
        frames.append(img)
    return frames


def settings(**changes: float) -> GateSettings:
    base = {"sample_fps": 5.0, "fusion_window_s": 2.0, "motion_hold_s": 1.0, "health_log_s": 3600.0}
    return GateSettings.model_validate({**base, **changes})


def lane_config(urls: dict[str, str], direction: str | None = "in") -> GateConfig:
    cams = [
        {"id": cam, "url": url, "lane": "lane-1", "role": "plate-front" if cam == "front" else "container-side"}
        for cam, url in urls.items()
    ]
    lanes = [{"id": "lane-1", "direction": direction}] if direction else []
    return parse_config({"lanes": lanes, "cameras": cams})


def events_of(sink_text: str) -> list[GateEvent]:
    return [event_from_json(json.loads(line)) for line in sink_text.splitlines() if line.strip()]


def test_two_camera_lane_from_videos_gives_one_event_with_evidence(tmp_path: Path) -> None:
    urls = {
        cam: str(write_video(scene(cam), tmp_path / f"{cam}_20261127T031500000.avi", fps=10.0))
        for cam in ("front", "side")
    }
    out = io.StringIO()
    detector = BlobDetector()
    runner = GateRunner(lane_config(urls), settings(), recognizer(detector), JsonLinesSink(out), tmp_path / "ev")
    health = runner.run(threading.Event())
    (event,) = events_of(out.getvalue())
    assert event.plate is not None and (event.plate.text, event.plate.valid) == ("51C12345", True)
    assert [c.number for c in event.containers] == ["MSCU1234566", "TGHU9876542"]
    assert all(c.check_digit_ok for c in event.containers)
    assert [c.size_type for c in event.containers] == ["45G1", "45G1"]  # read beside each number
    assert event.direction is Direction.IN and event.lane == "lane-1"
    assert event.cameras == ("front", "side")
    assert T0 + timedelta(seconds=1) <= event.first_seen < event.last_seen <= T0 + timedelta(seconds=6)
    for ev in event.evidence:
        assert (tmp_path / "ev" / ev.path).is_file()
    assert {e.camera for e in event.evidence if e.kind.value == "frame"} == {"front", "side"}
    front = health.workers["front"]
    assert front.frames == 35 and front.failed == 0
    assert front.idle >= 6  # the still lead-in and tail were never sent to the detector
    assert detector.calls == sum(w.analysed for w in health.workers.values())
    assert health.lanes["lane-1"].events == 1
    assert all(s.state is SourceState.ENDED for s in health.sources.values())


def test_idle_lane_skips_the_detector() -> None:
    detector = BlobDetector()
    cam = CameraConfig(id="c", url="x", lane="l")
    analyser = CameraAnalyser(cam, recognizer(detector), settings(motion_hold_s=0.0))
    still = scene("front", n=1, moving=range(0))[0]
    for i in range(50):
        analyser.process(Frame("c", still, T0 + timedelta(seconds=0.2 * i), i))
    assert detector.calls == 1  # only the first frame, which has no reference yet
    assert analyser.stats.idle == 49


def test_bad_frames_are_counted_and_the_camera_goes_on(tmp_path: Path) -> None:
    urls = {"front": str(write_video(scene("front"), tmp_path / "front.avi", fps=10.0))}
    out = io.StringIO()
    runner = GateRunner(lane_config(urls), settings(), recognizer(ocr=BlobOcr(fail_on_call=2)), JsonLinesSink(out))
    health = runner.run(threading.Event())
    assert health.workers["front"].failed == 1
    (event,) = events_of(out.getvalue())
    assert event.plate is not None and event.plate.text == "51C12345"
    assert event.direction is Direction.IN


class EndlessSource:
    """A camera that never ends: one vehicle pass, then a still scene for ever (until stop).

    Not ``live``, so no frame is dropped however slow the machine running the tests is."""

    live = False

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self.sent = 0

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        frames = scene(self.camera)
        i = 0
        while not stop.is_set():
            yield Frame(self.camera, frames[min(i, len(frames) - 1)], T0 + timedelta(seconds=0.2 * i), i)
            self.sent = i = i + 1
            time.sleep(0.002)

    def health(self) -> SourceHealth:
        return SourceHealth(self.camera, "fake://live", SourceState.LIVE, frames_read=self.sent)


def dead_camera(camera: CameraConfig, _s: GateSettings) -> FrameSource:
    def refuse(url: str) -> Capture:
        raise SourceError(f"cannot open {url}")

    return StreamSource(
        camera.id, camera.open_url(), live=True, sample_fps=5, backoff=Backoff(0.01, 0.05), opener=refuse
    )


def test_dead_camera_shows_in_health_and_stop_finishes_the_open_pass() -> None:
    config = lane_config({"front": "rtsp://gate:pw@10.0.0.1/a", "side": "rtsp://10.0.0.2/b"}, direction=None)
    sources: dict[str, FrameSource] = {}

    def factory(camera: CameraConfig, s: GateSettings) -> FrameSource:
        sources[camera.id] = EndlessSource(camera.id) if camera.id == "front" else dead_camera(camera, s)
        return sources[camera.id]

    out = io.StringIO()
    runner = GateRunner(config, settings(stale_camera_s=0.5), recognizer(), JsonLinesSink(out), source_factory=factory)
    stop = threading.Event()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(runner.run(stop)))
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not out.getvalue():
        time.sleep(0.05)
    assert out.getvalue(), "the pass should close although one camera of the lane is dead"
    side = runner.health().sources["side"]
    assert side.state in (SourceState.RECONNECTING, SourceState.CONNECTING)
    assert side.last_error is not None and "cannot open" in side.last_error
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    (event,) = events_of(out.getvalue())
    assert event.plate is not None and event.plate.text == "51C12345"
    assert event.direction is Direction.UNKNOWN  # no fixed direction and no line configured


def test_stop_closes_a_pass_still_in_progress() -> None:
    config = lane_config({"front": "rtsp://10.0.0.1/a"})
    out = io.StringIO()
    source = EndlessSource("front")
    runner = GateRunner(
        config, settings(fusion_window_s=600.0), recognizer(), JsonLinesSink(out), source_factory=lambda c, s: source
    )
    stop = threading.Event()

    def stop_after_the_pass() -> None:
        deadline = time.monotonic() + 30
        while source.sent < 75 and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()

    threading.Thread(target=stop_after_the_pass).start()
    runner.run(stop)
    assert source.sent >= 75
    (event,) = events_of(out.getvalue())  # closed by the stop, not by the (huge) window
    assert event.plate is not None and event.plate.text == "51C12345"


class BrokenSink:
    def __init__(self) -> None:
        self.tries = 0

    def emit(self, event: GateEvent) -> None:
        self.tries += 1
        raise OSError("database is down")

    def close(self) -> None:
        pass


def test_sink_failure_is_counted_not_fatal(tmp_path: Path) -> None:
    urls = {"front": str(write_video(scene("front"), tmp_path / "front.avi", fps=10.0))}
    sink = BrokenSink()
    health = GateRunner(lane_config(urls), settings(), recognizer(), sink).run(threading.Event())
    assert sink.tries == 1
    assert health.lanes["lane-1"].failed == 1 and health.lanes["lane-1"].events == 0


def test_motion_gate_threshold_and_hold() -> None:
    gate = MotionGate(threshold=0.01, pixel_delta=20, width=64, hold_s=1.0)
    still = np.full((360, 640, 3), 100, np.uint8)
    moved = still.copy()
    cv2.rectangle(moved, (100, 100), (300, 250), (250, 250, 250), -1)
    t = [T0 + timedelta(seconds=s) for s in (0.0, 1.5, 2.0, 2.5, 3.0, 3.5)]
    assert gate.update(still, t[0]).moving  # first frame: no reference yet
    assert not gate.update(still, t[1]).moving  # the hold of the first frame is over
    result = gate.update(moved, t[2])
    assert result.moving and result.score > 0.05
    assert gate.update(moved, t[3]).moving  # still within the hold time
    assert gate.update(moved, t[4]).moving
    assert not gate.update(moved, t[5]).moving
    noise = np.random.default_rng(0).integers(-6, 7, moved.shape)
    noisy = np.clip(moved.astype(int) + noise, 0, 255).astype(np.uint8)
    assert gate.update(noisy, t[5] + timedelta(seconds=5)).score < 0.01  # sensor noise is not motion


# --- configuration -----------------------------------------------------------------------------------


def test_yaml_config_with_env_credentials_never_shows_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("L1_PW", "s3cret")
    path = tmp_path / "cameras.yaml"
    path.write_text(
        "lanes:\n  - id: lane-1\n    direction: out\n"
        "cameras:\n"
        "  - id: l1-front\n    url: rtsp://10.0.0.21/live\n    username: gate\n    password: ${L1_PW}\n"
        "    lane: lane-1\n    role: plate-front\n"
        "  - id: l1-side\n    url: rtsp://10.0.0.22/live\n    lane: lane-1\n    role: container-side\n"
        "    line: {a: [0.5, 0.0], b: [0.5, 1.0], in_side: left}\n"
    )
    config = load_config(path)
    front = config.cameras[0]
    assert front.open_url() == "rtsp://gate:s3cret@10.0.0.21/live"
    assert "s3cret" not in repr(front) and "s3cret" not in repr(config)
    assert config.fixed_direction("lane-1") is Direction.OUT
    assert config.cameras[1].role is CameraRole.CONTAINER_SIDE and config.cameras[1].line is not None
    assert [c.id for c in config.cameras_of("lane-1")] == ["l1-front", "l1-side"]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("cameras: []", "cameras"),
        ("cameras:\n  - {id: a, url: x, lane: l}\n  - {id: a, url: y, lane: l}", "duplicate camera ids: a"),
        (
            "cameras:\n  - {id: a, url: x, lane: l, direction: in}\n  - {id: b, url: y, lane: l, direction: out}",
            "fix different directions",
        ),
        ("cameras:\n  - {id: 'a b', url: x, lane: l}", "cameras.0.id"),
        ("cameras:\n  - {id: a, url: x, lane: l, colour: red}", "cameras.0.colour"),
        ("cameras:\n  - {id: a, url: x, lane: l, password: '${NOT_SET_ANYWHERE_42}'}", "NOT_SET_ANYWHERE_42"),
        ("cameras:\n  - {id: a, url: x, lane: l, line: {a: [0.5, 0.5], b: [0.5, 0.5]}}", "distinct"),
        ("cameras: [", "not valid YAML"),
    ],
)
def test_bad_config_fails_at_start_up(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "cameras.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_gate_settings_bounds_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANPR_GATE_SAMPLE_FPS", "8")
    assert GateSettings().sample_fps == 8
    with pytest.raises(ValidationError):
        GateSettings(sample_fps=0)
    with pytest.raises(ValidationError):
        GateSettings(reconnect_min_s=10, reconnect_max_s=1)
    with pytest.raises(ValidationError):
        GateSettings(unknown_knob=1)  # type: ignore[call-arg]


class ThrottleRecorder:
    """A source that records what its worker tells it about idleness (the tests feed frames directly)."""

    def __init__(self, camera: str, live: bool = True) -> None:
        self.camera = camera
        self.live = live
        self.calls: list[bool] = []

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        return iter(())

    def health(self) -> SourceHealth:
        return SourceHealth(self.camera, "fake://live", SourceState.LIVE)

    def set_idle(self, idle: bool) -> None:
        self.calls.append(idle)


def worker_for(cam: CameraConfig, source: ThrottleRecorder, s: GateSettings, detector: BlobDetector) -> CameraWorker:
    analyser = CameraAnalyser(cam, recognizer(detector), s)
    return CameraWorker(cam, source, analyser, queue.Queue(), s)


def test_idle_camera_slows_down_and_returns_to_full_rate_on_first_motion() -> None:
    detector = BlobDetector()
    cam = CameraConfig(id="front", url="x", lane="l", role=CameraRole.PLATE_FRONT)
    source = ThrottleRecorder("front")
    worker = worker_for(cam, source, settings(idle_after_s=5.0, frame_queue_size=1000), detector)
    for i, img in enumerate(scene("front", n=120, moving=range(80, 100))):
        worker.frames.put(Frame("front", img, T0 + timedelta(seconds=0.2 * i), i))
    worker.frames.put(None)
    worker.work_loop(threading.Event())
    calls = source.calls
    assert len(calls) == 120
    # Frame 0 is motion (no reference), held for 1 s (to frame 5); idle from frame 6 (1.2 s), slow from 6.2 s.
    assert calls[:31] == [False] * 31
    assert calls[31:80] == [True] * 49
    assert calls[80] is False  # the vehicle's first frame is analysed and brings the full rate back at once
    assert calls[80:] == [False] * 40  # still within idle_after_s of the pass at the end
    assert detector.calls == worker.analyser.stats.analysed >= 6 + 20


def test_recorded_input_is_never_throttled() -> None:
    cam = CameraConfig(id="c", url="x", lane="l")
    source = ThrottleRecorder("c", live=False)
    worker = worker_for(cam, source, settings(idle_after_s=0.0, frame_queue_size=100), BlobDetector())
    still = scene("c", n=1, moving=range(0))[0]
    for i in range(10):
        worker.frames.put(Frame("c", still, T0 + timedelta(seconds=0.2 * i), i))
    worker.frames.put(None)
    worker.work_loop(threading.Event())
    assert worker.throttled is None and source.calls == []
