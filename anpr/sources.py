"""Frame sources: RTSP/HTTP(S) streams, video files and image folders, as :class:`Frame` iterators.

A source yields sampled frames (``sample_fps`` per second of stream time) and
keeps a :class:`SourceHealth` snapshot that a supervisor can read at any time.
Frames between samples are only grabbed, never retrieved (no colour conversion
or copy). A live stream can be told its lane is idle (:meth:`StreamSource.set_idle`);
it then samples at ``idle_sample_fps`` until told otherwise, and the next
sample after that comes one ordinary period after the last one.
Live streams reconnect with exponential backoff when they drop; nothing here
raises out of :meth:`FrameSource.frames` for a lost stream or a corrupt
frame: both are counted, logged with the camera name, and the work goes on.

OpenCV sits behind the :class:`Capture` seam (:class:`OpenCvCapture`), so tests
replace it with a small fake opener. URLs may carry credentials; every log line,
repr and health record shows them masked (:func:`mask_url`).
"""

from __future__ import annotations

import glob
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from anpr.cameras import file_stamp, mask_url, redact
from anpr.errors import SourceError
from anpr.types import Frame, ImageArray

log = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".mjpg", ".mjpeg"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def expand_images(spec: str) -> list[Path]:
    """The image files ``spec`` names (a file, a folder, or a glob), in :attr:`FileStamp.sort_key` order."""
    path = Path(spec)
    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_file()]
    elif any(ch in spec for ch in "*?["):
        found = [Path(p) for p in glob.glob(spec, recursive=True)]
    else:
        found = [path] if path.is_file() else []
    images = [p for p in found if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(images, key=lambda p: file_stamp(p).sort_key)


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` a source needs (the test seam)."""

    def grab(self) -> bool:
        """Advance one frame; ``False`` at the end of a file or when the stream is lost."""
        ...

    def retrieve(self) -> ImageArray | None:
        """Decode the grabbed frame; ``None`` when it cannot be decoded."""
        ...

    def position_ms(self) -> float | None:
        """Stream position of the grabbed frame in milliseconds (files), else ``None``."""
        ...

    def release(self) -> None: ...


CaptureOpener = Callable[[str], Capture]
"""Opens a URL or path; raises :class:`SourceError` when it cannot."""


class OpenCvCapture:
    """:class:`Capture` over ``cv2.VideoCapture`` (FFmpeg backend for streams and files).

    ``threads`` is the decoder's thread count (``None`` or 0: FFmpeg's choice, one per core). One thread
    costs the least CPU per frame on a live camera, where frames arrive one at a time anyway.
    """

    def __init__(self, url: str, threads: int | None = None) -> None:
        params = [cv2.CAP_PROP_N_THREADS, threads] if threads else []
        self._cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"cannot open {mask_url(url)}")

    def grab(self) -> bool:
        return bool(self._cap.grab())

    def retrieve(self) -> ImageArray | None:
        ok, image = self._cap.retrieve()
        if not ok or image is None or image.size == 0:
            return None
        return np.asarray(image, dtype=np.uint8)

    def position_ms(self) -> float | None:
        value = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        frames, fps = float(self._cap.get(cv2.CAP_PROP_POS_FRAMES)), float(self._cap.get(cv2.CAP_PROP_FPS))
        if value <= 0 and frames > 1 and fps > 0:  # containers without timestamps: count frames
            return (frames - 1) * 1000.0 / fps
        return value if value >= 0 else None

    def release(self) -> None:
        self._cap.release()


class SourceState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"  # a file or folder was read to the end
    FAILED = "failed"  # a file that cannot be opened at all
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What a source has done so far; ``url`` is masked, never the raw URL."""

    camera: str
    url: str
    state: SourceState = SourceState.CONNECTING
    frames_read: int = 0
    frames_sampled: int = 0
    frames_corrupt: int = 0
    reconnects: int = 0
    last_frame_at: datetime | None = None
    last_error: str | None = None
    next_retry_s: float | None = None

    @property
    def alive(self) -> bool:
        return self.state in (SourceState.CONNECTING, SourceState.LIVE)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential reconnect delays: ``min_s``, doubled each failure, capped at ``max_s`` (seconds)."""

    min_s: float = 0.5
    max_s: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.min_s <= self.max_s:
            raise ValueError(f"backoff needs 0 < min_s <= max_s, got {self.min_s}, {self.max_s}")

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (1 -> ``min_s``)."""
        return min(self.max_s, self.min_s * 2.0 ** max(0, failures - 1))


class FrameSource(Protocol):
    """Anything that yields one camera's sampled frames."""

    camera: str
    live: bool  # a live stream (drop frames rather than lag) or recorded input (read every sample)

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Sampled frames until the source ends or ``stop`` is set; never raises for stream loss."""
        ...

    def health(self) -> SourceHealth: ...


@runtime_checkable
class Throttled(Protocol):
    """A source that can sample less often while its lane is idle."""

    def set_idle(self, idle: bool) -> None:
        """``True``: sample at the idle rate from now on; ``False``: back to the full rate at once."""
        ...


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _HealthMixin:
    _health: SourceHealth
    _lock: threading.Lock

    def health(self) -> SourceHealth:
        with self._lock:
            return self._health

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._health = replace(self._health, **changes)  # type: ignore[arg-type]

    def _count(self, name: str) -> None:
        with self._lock:
            self._health = replace(self._health, **{name: getattr(self._health, name) + 1})


class StreamSource(_HealthMixin):
    """A video stream (``live=True``: reconnects forever) or a video file (read once).

    Live frames are stamped with the wall clock; file frames with ``start`` plus
    the stream position. Between samples frames are only grabbed, never retrieved.
    ``idle_sample_fps`` (live streams only) is the sampling rate while :meth:`set_idle`
    is on; files are always sampled at ``sample_fps`` so a replay analyses every sample.
    """

    def __init__(
        self,
        camera: str,
        url: str,
        *,
        live: bool,
        sample_fps: float,
        backoff: Backoff | None = None,
        opener: CaptureOpener = OpenCvCapture,
        clock: Clock = utc_now,
        start: datetime | None = None,
        max_corrupt_in_row: int = 50,
        idle_sample_fps: float | None = None,
    ) -> None:
        if sample_fps <= 0:
            raise ValueError("sample_fps must be positive")
        if idle_sample_fps is not None and idle_sample_fps <= 0:
            raise ValueError("idle_sample_fps must be positive")
        self.camera = camera
        self._url = url
        self.live = live
        self.period_s = 1.0 / sample_fps
        idle_period = 1.0 / idle_sample_fps if idle_sample_fps and live else self.period_s
        self.idle_period_s = max(self.period_s, idle_period)
        self._idle = False
        self.backoff = backoff or Backoff()
        self._opener = opener
        self._clock = clock
        self._start = start
        self._max_corrupt = max_corrupt_in_row
        self._lock = threading.Lock()
        self._health = SourceHealth(camera=camera, url=mask_url(url))

    def __repr__(self) -> str:
        return f"StreamSource(camera={self.camera!r}, url={mask_url(self._url)!r}, live={self.live})"

    def set_idle(self, idle: bool) -> None:
        """Sample at ``idle_sample_fps`` while ``idle``; called from the analysis thread (a plain flag)."""
        self._idle = idle

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        failures = 0
        while not stop.is_set():
            capture = self._open()
            if capture is None:
                if not self.live:
                    self._set(state=SourceState.FAILED)
                    return
                failures += 1
                delay = self.backoff.delay(failures)
                self._set(state=SourceState.RECONNECTING, next_retry_s=delay)
                log.warning("camera %s: retrying %s in %.1f s", self.camera, mask_url(self._url), delay)
                stop.wait(delay)
                continue
            self._set(state=SourceState.LIVE, next_retry_s=None)
            before = self.health().frames_read
            try:
                yield from self._read(capture, stop)
            finally:
                capture.release()
            if not self.live:
                self._set(state=SourceState.ENDED)
                return
            if stop.is_set():
                break
            self._count("reconnects")
            # A stream that drops before sending a frame backs off like one that cannot be opened.
            failures = failures + 1 if self.health().frames_read == before else 0
            delay = self.backoff.delay(failures) if failures else 0.0
            self._set(state=SourceState.RECONNECTING, next_retry_s=delay or None)
            log.warning("camera %s: stream lost, reconnecting in %.1f s", self.camera, delay)
            stop.wait(delay)
        self._set(state=SourceState.STOPPED)

    def _open(self) -> Capture | None:
        self._set(state=SourceState.CONNECTING)
        try:
            return self._opener(self._url)
        except Exception as exc:  # any opener failure is a lost camera, never a crash
            message = redact(str(exc)) or type(exc).__name__
            self._set(last_error=message)
            log.warning("camera %s: cannot open %s: %s", self.camera, mask_url(self._url), message)
            return None

    def _read(self, capture: Capture, stop: threading.Event) -> Iterator[Frame]:
        """Sample one opened capture until it ends, drops or ``stop`` is set."""
        start = self._start or self._clock()
        next_due: float | None = None
        last_sample = 0.0
        corrupt_in_row = 0
        index = self.health().frames_read
        while not stop.is_set():
            if not capture.grab():
                return
            index += 1
            self._count("frames_read")
            stamp, seconds = self._stamp(capture, start)
            idle = self._idle
            if next_due is not None and not idle:  # back from idle: one ordinary period after the last sample
                next_due = min(next_due, last_sample + self.period_s)
            if next_due is not None and seconds < next_due:
                continue
            image = capture.retrieve()
            if image is None or image.size == 0:
                self._count("frames_corrupt")
                corrupt_in_row += 1
                log.warning("camera %s: frame %d cannot be decoded, skipped", self.camera, index)
                if self.live and corrupt_in_row >= self._max_corrupt:
                    return  # a stream that only sends garbage is reopened
                continue
            corrupt_in_row = 0
            period = self.idle_period_s if idle else self.period_s
            next_due = seconds + period if next_due is None else max(next_due + period, seconds)
            last_sample = seconds
            self._count("frames_sampled")
            self._set(last_frame_at=stamp)
            yield Frame(camera=self.camera, image=image, timestamp=stamp, index=index - 1)

    def _stamp(self, capture: Capture, start: datetime) -> tuple[datetime, float]:
        """The frame's time and its offset from ``start`` in seconds."""
        if self.live:
            now = self._clock()
            return now, (now - start).total_seconds()
        position = capture.position_ms()
        seconds = 0.0 if position is None else position / 1000.0
        return start + timedelta(seconds=seconds), seconds


class ImageFolderSource(_HealthMixin):
    """Still images read in time order (see :func:`file_stamp`), one frame each.

    Frames are stamped with the time in the file name, else ``start`` plus one
    sample period per image. Unreadable files are skipped and counted.
    """

    def __init__(
        self,
        camera: str,
        paths: list[Path],
        *,
        sample_fps: float = 5.0,
        clock: Clock = utc_now,
        start: datetime | None = None,
    ) -> None:
        if sample_fps <= 0:
            raise ValueError("sample_fps must be positive")
        self.camera = camera
        self.live = False
        self.paths = sorted(paths, key=lambda p: file_stamp(p).sort_key)
        self.period_s = 1.0 / sample_fps
        self._clock = clock
        self._start = start
        self._lock = threading.Lock()
        label = str(paths[0].parent) if paths else "(no images)"
        self._health = SourceHealth(camera=camera, url=label)

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        start = self._start or self._clock()
        self._set(state=SourceState.LIVE)
        for i, path in enumerate(self.paths):
            if stop.is_set():
                self._set(state=SourceState.STOPPED)
                return
            self._count("frames_read")
            image = read_image(path)
            if image is None:
                self._count("frames_corrupt")
                self._set(last_error=f"cannot decode {path.name}")
                log.warning("camera %s: %s cannot be decoded, skipped", self.camera, path)
                continue
            stamp = file_stamp(path).when or start + timedelta(seconds=i * self.period_s)
            self._count("frames_sampled")
            self._set(last_frame_at=stamp)
            yield Frame(camera=self.camera, image=image, timestamp=stamp, index=i)
        self._set(state=SourceState.ENDED)


def read_image(path: Path) -> ImageArray | None:
    """A BGR image from ``path``, or ``None`` when it is missing or not decodable."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    return np.asarray(image, dtype=np.uint8)


def is_stream_url(spec: str) -> bool:
    return spec.lower().startswith(STREAM_SCHEMES)


def open_source(
    spec: str,
    camera: str,
    *,
    sample_fps: float,
    backoff: Backoff | None = None,
    opener: CaptureOpener = OpenCvCapture,
    clock: Clock = utc_now,
    idle_sample_fps: float | None = None,
    max_corrupt_in_row: int = 50,
) -> FrameSource:
    """The source for ``spec``: a stream URL, a video file, an image, a folder or a glob.

    Raises :class:`SourceError` at start-up when a local path matches nothing,
    so a typo fails at once rather than as a silent idle camera.
    """
    if is_stream_url(spec):
        return StreamSource(
            camera,
            spec,
            live=True,
            sample_fps=sample_fps,
            backoff=backoff,
            opener=opener,
            clock=clock,
            idle_sample_fps=idle_sample_fps,
            max_corrupt_in_row=max_corrupt_in_row,
        )
    path = Path(spec)
    if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
        start = file_stamp(path).when
        return StreamSource(
            camera,
            spec,
            live=False,
            sample_fps=sample_fps,
            opener=opener,
            clock=clock,
            start=start,
            max_corrupt_in_row=max_corrupt_in_row,
        )
    images = expand_images(spec)
    if not images:
        known = ", ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        raise SourceError(f"camera {camera}: {mask_url(spec)} is no stream URL, video or image ({known})")
    return ImageFolderSource(camera, images, sample_fps=sample_fps, clock=clock)
