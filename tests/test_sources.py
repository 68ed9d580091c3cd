"""Frame sources: file-name times, folders and globs, video files, reconnects, corrupt frames, credentials."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.cameras import camera_from_filename, file_stamp, mask_url, redact, with_credentials
from anpr.errors import SourceError
from anpr.sources import (
    Backoff,
    Capture,
    ImageFolderSource,
    SourceState,
    StreamSource,
    expand_images,
    open_source,
)
from anpr.synth.demo import write_video
from anpr.types import ImageArray

T0 = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "when", "camera"),
    [
        ("20261127T031500123.jpg", datetime(2026, 11, 27, 3, 15, 0, 123000, UTC), None),
        ("AS_20261127_031500.jpg", datetime(2026, 11, 27, 3, 15, 0, tzinfo=UTC), "AS"),
        ("front_2026-11-27T03-15-00.500000.png", datetime(2026, 11, 27, 3, 15, 0, 500000, UTC), "front"),
        ("1700000000.123.jpg", datetime.fromtimestamp(1700000000.123, UTC), None),
        ("cam2_1700000000123.jpg", datetime.fromtimestamp(1700000000.123, UTC), "cam2"),
        ("20261345T031500.jpg", None, None),  # month 13: not a time
        ("frame_0001.jpg", None, "frame"),
        ("0001.jpg", None, None),
    ],
)
def test_file_stamp_times_and_cameras(name: str, when: datetime | None, camera: str | None) -> None:
    stamp = file_stamp(name)
    assert stamp.when == when
    assert stamp.camera == camera


def test_gate_dataset_names() -> None:
    stamp = file_stamp("/data/1-153710001-OCR-AS-B01.jpg")
    assert (stamp.camera, stamp.pass_id, stamp.slot, stamp.when) == ("AS", "153710001", "B01", None)
    assert camera_from_filename("1-154400001-OCR-LB-C02.jpg") == "LB"


def test_sort_order_time_then_pass_then_natural_name() -> None:
    names = [
        "b10.jpg",
        "1-200-OCR-AS-B01.jpg",
        "20261127T031501000.jpg",
        "b9.jpg",
        "1-100-OCR-RF-D01.jpg",
        "20261127T031500000.jpg",
    ]
    ordered = sorted(names, key=lambda n: file_stamp(n).sort_key)
    assert ordered == [
        "20261127T031500000.jpg",
        "20261127T031501000.jpg",
        "1-100-OCR-RF-D01.jpg",
        "1-200-OCR-AS-B01.jpg",
        "b9.jpg",
        "b10.jpg",
    ]


def _write(path: Path, value: int = 100) -> Path:
    cv2.imwrite(str(path), np.full((48, 64, 3), value, np.uint8))
    return path


def test_expand_images_folder_glob_and_file(tmp_path: Path) -> None:
    for name in ("cam_20261127T031502000.jpg", "cam_20261127T031500000.jpg", "cam_20261127T031501000.png"):
        _write(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    by_folder = [p.name for p in expand_images(str(tmp_path))]
    assert by_folder == ["cam_20261127T031500000.jpg", "cam_20261127T031501000.png", "cam_20261127T031502000.jpg"]
    assert [p.name for p in expand_images(str(tmp_path / "*.jpg"))] == [by_folder[0], by_folder[2]]
    assert expand_images(str(tmp_path / "cam_20261127T031500000.jpg")) == [tmp_path / by_folder[0]]
    assert expand_images(str(tmp_path / "missing*.jpg")) == []


def test_image_folder_skips_and_counts_corrupt_files(tmp_path: Path) -> None:
    _write(tmp_path / "g_20261127T031500000.jpg")
    (tmp_path / "g_20261127T031500500.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    _write(tmp_path / "g_20261127T031501000.jpg", 200)
    source = open_source(str(tmp_path), "g", sample_fps=5)
    assert isinstance(source, ImageFolderSource) and not source.live
    frames = list(source.frames(threading.Event()))
    assert [f.timestamp for f in frames] == [T0, T0 + timedelta(seconds=1)]
    health = source.health()
    assert (health.frames_read, health.frames_sampled, health.frames_corrupt) == (3, 2, 1)
    assert health.state is SourceState.ENDED


def test_synthetic_video_file_is_sampled_by_stream_time(tmp_path: Path) -> None:
    frames = [np.full((120, 160, 3), 8 * i, np.uint8) for i in range(30)]
    video = write_video(frames, tmp_path / "cam_20261127T031500000.avi", fps=10.0)
    source = open_source(str(video), "cam", sample_fps=2.5)
    assert isinstance(source, StreamSource) and not source.live
    got = list(source.frames(threading.Event()))
    offsets = [(f.timestamp - T0).total_seconds() for f in got]
    assert offsets == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8], abs=0.011)
    assert all(f.image.shape == (120, 160, 3) for f in got)
    assert [f.index for f in got] == [0, 4, 8, 12, 16, 20, 24, 28]
    health = source.health()
    assert (health.state, health.frames_read, health.frames_sampled) == (SourceState.ENDED, 30, 8)


def test_missing_local_source_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no stream URL"):
        open_source(str(tmp_path / "nothing.mp4"), "c", sample_fps=5)


def test_unopenable_video_file_is_failed_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    source = open_source(str(bad), "c", sample_fps=5)
    assert list(source.frames(threading.Event())) == []
    assert source.health().state is SourceState.FAILED


class FakeCapture:
    """A capture over a list of frames; ``None`` entries are frames that fail to decode."""

    def __init__(self, frames: list[ImageArray | None], fps: float = 10.0) -> None:
        self.frames = frames
        self.fps = fps
        self.i = 0
        self.released = False

    def grab(self) -> bool:
        if self.i >= len(self.frames):
            return False
        self.i += 1
        return True

    def retrieve(self) -> ImageArray | None:
        return self.frames[self.i - 1]

    def position_ms(self) -> float | None:
        return (self.i - 1) * 1000.0 / self.fps

    def release(self) -> None:
        self.released = True


class ScriptedOpener:
    """Returns (or raises) the scripted outcomes in turn; when they run out it sets ``stop``."""

    def __init__(self, outcomes: list[FakeCapture | Exception], stop: threading.Event) -> None:
        self.outcomes = outcomes
        self.stop = stop
        self.urls: list[str] = []

    def __call__(self, url: str) -> Capture:
        self.urls.append(url)
        if not self.outcomes:
            self.stop.set()
            raise SourceError("script finished")
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def ticking_clock(step_s: float) -> Iterator[datetime]:
    t = T0
    while True:
        yield t
        t += timedelta(seconds=step_s)


def image(v: int) -> ImageArray:
    return np.full((24, 32, 3), v, np.uint8)


def test_live_stream_reconnects_after_drop_and_hides_credentials(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stop = threading.Event()
    first, second = FakeCapture([image(1), image(2), image(3)]), FakeCapture([image(4), image(5)])
    opener = ScriptedOpener(
        [SourceError("cannot open rtsp://admin:s3cret@10.0.0.5/live"), first, RuntimeError("boom"), second], stop
    )
    clock = ticking_clock(1.0)  # one second per clock read: every grabbed frame is due for sampling
    url = "rtsp://admin:s3cret@10.0.0.5/live"
    source = StreamSource(
        "gate-1", url, live=True, sample_fps=5, backoff=Backoff(0.001, 0.004), opener=opener, clock=lambda: next(clock)
    )
    values = [int(f.image[0, 0, 0]) for f in source.frames(stop)]
    assert values == [1, 2, 3, 4, 5]  # nothing lost across the drop
    assert first.released and second.released
    health = source.health()
    assert health.reconnects == 2  # both captures ended while live
    assert health.state is SourceState.STOPPED
    assert opener.urls == [url] * 5
    assert "s3cret" not in repr(source) and "s3cret" not in health.url
    assert health.last_error is not None and "s3cret" not in health.last_error
    assert "s3cret" not in caplog.text and "***" in caplog.text


def test_corrupt_frame_is_skipped_and_counted() -> None:
    stop = threading.Event()
    capture = FakeCapture([image(1), None, image(3), np.zeros((0, 0, 3), np.uint8), image(5)], fps=5.0)
    source = StreamSource("c", "video.mp4", live=False, sample_fps=5, opener=ScriptedOpener([capture], stop))
    assert [int(f.image[0, 0, 0]) for f in source.frames(stop)] == [1, 3, 5]
    health = source.health()
    assert (health.frames_read, health.frames_sampled, health.frames_corrupt) == (5, 3, 2)


def test_live_stream_sending_only_garbage_is_reopened() -> None:
    stop = threading.Event()
    garbage = FakeCapture([None] * 10)
    good = FakeCapture([image(7)])
    clock = ticking_clock(1.0)
    source = StreamSource(
        "c",
        "rtsp://cam/1",
        live=True,
        sample_fps=5,
        backoff=Backoff(0.001, 0.001),
        opener=ScriptedOpener([garbage, good], stop),
        clock=lambda: next(clock),
        max_corrupt_in_row=3,
    )
    assert [int(f.image[0, 0, 0]) for f in source.frames(stop)] == [7]
    assert garbage.i == 3  # gave up on the garbage stream after three bad frames in a row
    assert source.health().frames_corrupt == 3


def test_stop_interrupts_backoff_wait() -> None:
    stop = threading.Event()
    source = StreamSource(
        "c",
        "rtsp://cam/1",
        live=True,
        sample_fps=5,
        backoff=Backoff(30, 60),
        opener=ScriptedOpener([SourceError("down")] * 3, threading.Event()),
    )
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    assert list(source.frames(stop)) == []
    timer.join()
    assert source.health().state is SourceState.STOPPED


@pytest.mark.parametrize(("failures", "delay"), [(1, 0.5), (2, 1.0), (3, 2.0), (10, 30.0)])
def test_backoff(failures: int, delay: float) -> None:
    assert Backoff(0.5, 30.0).delay(failures) == delay


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("rtsp://admin:pa55@10.0.0.5:554/x", "rtsp://***:***@10.0.0.5:554/x"),
        ("http://user@cam/snap.jpg", "http://***:***@cam/snap.jpg"),
        ("https://cam/api?user=a&password=xyz&x=1", "https://cam/api?user=a&password=***&x=1"),
        ("error opening rtsp://a:b@h/1 and rtsp://c:d@h/2", "error opening rtsp://***:***@h/1 and rtsp://***:***@h/2"),
        ("/data/video.mp4", "/data/video.mp4"),
    ],
)
def test_masking(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert mask_url(text) == masked


def test_with_credentials_encodes_and_replaces() -> None:
    assert with_credentials("rtsp://10.0.0.5/live", "gate", "p@ss:w/rd") == "rtsp://gate:p%40ss%3Aw%2Frd@10.0.0.5/live"
    assert with_credentials("rtsp://old:x@10.0.0.5/live", "new", None) == "rtsp://new@10.0.0.5/live"
    assert with_credentials("rtsp://10.0.0.5/live", None, "ignored") == "rtsp://10.0.0.5/live"


def test_stream_that_drops_before_any_frame_backs_off() -> None:
    stop = threading.Event()
    empties = [FakeCapture([]) for _ in range(4)]
    source = StreamSource(
        "c",
        "rtsp://cam/1",
        live=True,
        sample_fps=5,
        backoff=Backoff(0.02, 0.5),
        opener=ScriptedOpener(list(empties), stop),
    )
    started = time.monotonic()
    assert list(source.frames(stop)) == []
    assert time.monotonic() - started >= 0.02 + 0.04 + 0.08 + 0.16  # doubled after each empty session
    assert source.health().reconnects == 4 and all(e.released for e in empties)


class CountingCapture(FakeCapture):
    """A :class:`FakeCapture` that records which frames were retrieved (decoded and converted)."""

    def __init__(self, frames: list[ImageArray | None], fps: float = 10.0) -> None:
        super().__init__(frames, fps)
        self.retrieved: list[int] = []

    def retrieve(self) -> ImageArray | None:
        self.retrieved.append(self.i - 1)
        return super().retrieve()


def test_frames_between_samples_are_grabbed_never_retrieved() -> None:
    stop = threading.Event()
    capture = CountingCapture([image(i) for i in range(48)], fps=16.0)
    source = StreamSource("c", "video.mp4", live=False, sample_fps=4, opener=ScriptedOpener([capture], stop))
    frames = list(source.frames(stop))
    assert [f.index for f in frames] == list(range(0, 48, 4))
    assert capture.retrieved == [f.index for f in frames]  # the 36 frames in between were only grabbed
    assert source.health().frames_read == 48


def test_idle_live_stream_samples_slowly_and_returns_to_full_rate_at_once() -> None:
    stop = threading.Event()
    capture = CountingCapture([image(i % 250) for i in range(1000)], fps=16.0)
    clock = ticking_clock(0.0625)  # a 16 fps camera: one clock read per grabbed frame
    source = StreamSource(
        "c",
        "rtsp://cam/1",
        live=True,
        sample_fps=4,
        idle_sample_fps=1,
        opener=ScriptedOpener([capture], stop),
        clock=lambda: next(clock),
    )
    stamps: list[datetime] = []
    indices: list[int] = []
    for frame in source.frames(stop):
        stamps.append(frame.timestamp)
        indices.append(frame.index)
        if len(stamps) == 5:
            source.set_idle(True)
        elif len(stamps) == 10:
            source.set_idle(False)
        elif len(stamps) == 14:
            stop.set()
    gaps = [round((stamps[i] - stamps[i - 1]).total_seconds(), 2) for i in range(1, len(stamps))]
    assert gaps[:4] == [0.25] * 4  # full rate
    assert gaps[5:9] == [1.0] * 4  # idle: one sample a second, the frames between only grabbed
    assert gaps[9:] == [0.25] * 4  # the first sample after idle comes one ordinary period later
    assert capture.retrieved == indices  # only the samples were retrieved, idle or not


def test_idle_sampling_applies_to_live_streams_only() -> None:
    with pytest.raises(ValueError, match="idle_sample_fps"):
        StreamSource("c", "rtsp://cam/1", live=True, sample_fps=5, idle_sample_fps=0)
    recorded = StreamSource("c", "video.mp4", live=False, sample_fps=5, idle_sample_fps=1)
    assert recorded.idle_period_s == recorded.period_s  # a replay analyses every sample
    slow_enough = StreamSource("c", "rtsp://cam/1", live=True, sample_fps=2, idle_sample_fps=10)
    assert slow_enough.idle_period_s == slow_enough.period_s  # never faster than the full rate
