"""Per-camera tracking: an IoU tracker, the reads collected per track, and line crossings.

:class:`IouTracker` links detections of one class across sampled frames:
first by IoU with each track's box moved by its last velocity, then, for
low frame rates where boxes no longer overlap, by a centre jump of at most
``max_shift`` box diagonals between boxes of similar size. Matching is greedy,
best pairs first. A track unseen for ``max_age_s`` seconds is finished.

:class:`TrackBook` keeps what the pipeline learns about each track: when it
was seen, where its centre went (for virtual-line direction), its OCR reads
(at most ``reads_per_track``, at most every ``every_n``-th frame) and the
frame of its best read (for evidence). :meth:`TrackBook.finish` turns that
into a frozen :class:`TrackResult` for fusion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from anpr.cameras import CameraRole, VirtualLine
from anpr.consensus import Observation
from anpr.events import Direction
from anpr.types import BBox, DetClass, Detection, Frame, ImageArray, Reading

TRACKED = (DetClass.PLATE, DetClass.CONTAINER_NUMBER)


@dataclass(frozen=True, slots=True)
class TrackedDetection:
    """A detection with its track id; ``hits`` counts the frames the track has been seen in."""

    track_id: int
    detection: Detection
    hits: int


@dataclass(slots=True)
class _Box:
    track_id: int
    cls: DetClass
    bbox: BBox
    seen: datetime
    hits: int = 1
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per second

    def predicted(self, at: datetime) -> BBox:
        dt = (at - self.seen).total_seconds()
        dx, dy = self.velocity[0] * dt, self.velocity[1] * dt
        b = self.bbox
        return BBox(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy)


def _diagonal(b: BBox) -> float:
    return math.hypot(b.width, b.height)


def _shift_score(a: BBox, b: BBox) -> float:
    """Centre distance in diagonals of the larger box; infinite when sizes differ by more than 2x."""
    ratio = a.area / b.area
    if not 0.5 <= ratio <= 2.0:
        return math.inf
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(ax - bx, ay - by) / max(_diagonal(a), _diagonal(b))


class IouTracker:
    """Greedy IoU tracker over plates and container numbers (other classes pass through untracked)."""

    def __init__(self, iou_threshold: float = 0.2, max_shift: float = 1.5, max_age_s: float = 1.5) -> None:
        if not 0.0 < iou_threshold < 1.0 or max_shift < 0.0 or max_age_s <= 0.0:
            raise ValueError("need 0 < iou_threshold < 1, max_shift >= 0 and max_age_s > 0")
        self.iou_threshold = iou_threshold
        self.max_shift = max_shift
        self.max_age_s = max_age_s
        self._tracks: dict[int, _Box] = {}
        self._next_id = 1

    @property
    def active(self) -> bool:
        return bool(self._tracks)

    def update(self, detections: Sequence[Detection], at: datetime) -> list[TrackedDetection]:
        """Assign track ids to this frame's plate and container detections, in input order."""
        out: dict[int, TrackedDetection] = {}
        for cls in TRACKED:
            idx = [i for i, d in enumerate(detections) if d.cls is cls]
            tracks = [t for t in self._tracks.values() if t.cls is cls]
            for i, track in self._match([detections[i] for i in idx], tracks, at).items():
                det = detections[idx[i]]
                if track is None:
                    track = _Box(self._next_id, cls, det.bbox, at, hits=0)
                    self._tracks[track.track_id] = track
                    self._next_id += 1
                self._move(track, det.bbox, at)
                out[idx[i]] = TrackedDetection(track.track_id, det, track.hits)
        return [out[i] for i in sorted(out)]

    def _match(self, dets: list[Detection], tracks: list[_Box], at: datetime) -> dict[int, _Box | None]:
        predicted = {t.track_id: t.predicted(at) for t in tracks}
        by_iou = [(d.bbox.iou(predicted[t.track_id]), i, t) for i, d in enumerate(dets) for t in tracks]
        by_shift = [(_shift_score(d.bbox, predicted[t.track_id]), i, t) for i, d in enumerate(dets) for t in tracks]
        chosen: dict[int, _Box | None] = {}
        used: set[int] = set()
        good_iou = [p for p in by_iou if p[0] >= self.iou_threshold]
        near = [p for p in by_shift if p[0] <= self.max_shift]
        for _, i, t in [
            *sorted(good_iou, key=lambda x: (-x[0], x[1], x[2].track_id)),
            *sorted(near, key=lambda x: (x[0], x[1], x[2].track_id)),
        ]:
            if i not in chosen and t.track_id not in used:
                chosen[i] = t
                used.add(t.track_id)
        return {i: chosen.get(i) for i in range(len(dets))}

    @staticmethod
    def _move(track: _Box, bbox: BBox, at: datetime) -> None:
        dt = (at - track.seen).total_seconds()
        if track.hits > 0 and dt > 0:
            (px, py), (nx, ny) = track.bbox.center, bbox.center
            track.velocity = ((nx - px) / dt, (ny - py) / dt)
        track.bbox, track.seen, track.hits = bbox, at, track.hits + 1

    def expire(self, at: datetime) -> list[int]:
        """Ids of tracks unseen for more than ``max_age_s`` at ``at``; they are forgotten."""
        old = [tid for tid, t in self._tracks.items() if (at - t.seen).total_seconds() > self.max_age_s]
        for tid in old:
            del self._tracks[tid]
        return old

    def flush(self) -> list[int]:
        """End every track (source finished or shutting down)."""
        ids = sorted(self._tracks)
        self._tracks.clear()
        return ids


def side_of(point: tuple[float, float], line: VirtualLine) -> float:
    """Signed side of ``point`` (frame fractions): positive is right of ``a -> b`` (y down), 0 on it."""
    (ax, ay), (bx, by) = line.a, line.b
    return (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)


def crossing(path: Sequence[tuple[float, float]], line: VirtualLine) -> Direction | None:
    """The direction a path of centres (frame fractions) crossed ``line`` in, ``None`` if it did not.

    Compares the first and last points off the line; a path that ends on the
    ``in_side`` having started on the other side went in.
    """
    sides = [s for s in (side_of(p, line) for p in path) if s != 0.0]
    if len(sides) < 2 or (sides[0] > 0) == (sides[-1] > 0):
        return None
    ended_right = sides[-1] > 0
    return Direction.IN if ended_right == (line.in_side == "right") else Direction.OUT


@dataclass(frozen=True, slots=True)
class BestView:
    """The frame of a track's best read and the box in it (kept for evidence)."""

    image: ImageArray = field(repr=False, compare=False)
    bbox: BBox
    timestamp: datetime
    frame_index: int
    confidence: float


@dataclass(frozen=True, slots=True)
class TrackResult:
    """Everything one camera learnt about one tracked object."""

    camera: str
    track_id: int
    cls: DetClass
    first_seen: datetime
    last_seen: datetime
    observations: tuple[Observation, ...] = ()
    role: CameraRole | None = None
    crossing: Direction | None = None
    best: BestView | None = None

    def __post_init__(self) -> None:
        if self.cls not in TRACKED:
            raise ValueError(f"only plates and container numbers are tracked, not {self.cls}")
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        if any(o.reading.target is not self.cls for o in self.observations):
            raise ValueError("observations must read the tracked class")

    @property
    def key(self) -> str:
        return f"{self.camera}#{self.track_id}"


@dataclass(slots=True)
class _Record:
    cls: DetClass
    first_seen: datetime
    last_seen: datetime
    path: list[tuple[float, float]] = field(default_factory=list)
    reads: list[Observation] = field(default_factory=list)
    attempts: int = 0
    last_attempt: int = -(10**9)
    best: BestView | None = None
    best_score: float = -1.0


class TrackBook:
    """One camera's tracks: where they went, which to read now, and what was read."""

    def __init__(
        self,
        camera: str,
        role: CameraRole | None = None,
        line: VirtualLine | None = None,
        reads_per_track: int = 6,
        every_n: int = 2,
    ) -> None:
        if reads_per_track < 1 or every_n < 1:
            raise ValueError("reads_per_track and every_n must be >= 1")
        self.camera = camera
        self.role = role
        self.line = line
        self.reads_per_track = reads_per_track
        self.every_n = every_n
        self._records: dict[int, _Record] = {}
        self._frames = 0

    @property
    def open_tracks(self) -> int:
        return len(self._records)

    def open_since(self) -> datetime | None:
        """When the oldest open track was first seen (a pass cannot close before its tracks end)."""
        return min((r.first_seen for r in self._records.values()), default=None)

    def see(self, frame: Frame, tracked: Sequence[TrackedDetection]) -> list[TrackedDetection]:
        """Note where each track is in ``frame``; returns the ones to OCR now."""
        self._frames += 1
        width, height = frame.size
        wanted: list[TrackedDetection] = []
        for t in tracked:
            rec = self._records.get(t.track_id)
            if rec is None:
                rec = self._records[t.track_id] = _Record(t.detection.cls, frame.timestamp, frame.timestamp)
            rec.last_seen = max(rec.last_seen, frame.timestamp)
            cx, cy = t.detection.bbox.center
            rec.path.append((cx / width, cy / height))
            if rec.attempts < self.reads_per_track and self._frames - rec.last_attempt >= self.every_n:
                rec.attempts += 1
                rec.last_attempt = self._frames
                wanted.append(t)
        return wanted

    def record(self, frame: Frame, tracked: TrackedDetection, reading: Reading | None) -> None:
        """Keep an OCR result for a track (``None``: nothing legible this time)."""
        rec = self._records.get(tracked.track_id)
        if rec is None or reading is None or not reading.text or reading.target is not rec.cls:
            return
        obs = Observation(reading, self.camera, frame.timestamp, frame.index, f"{self.camera}#{tracked.track_id}")
        rec.reads.append(obs)
        score = reading.confidence + (1.0 if reading.valid else 0.0)  # valid reads make better evidence
        if score > rec.best_score:
            bbox = reading.bbox or tracked.detection.bbox
            rec.best = BestView(frame.image, bbox, frame.timestamp, frame.index, reading.confidence)
            rec.best_score = score

    def finish(self, track_ids: Sequence[int]) -> list[TrackResult]:
        """Close these tracks; those with at least one read become results."""
        out: list[TrackResult] = []
        for tid in track_ids:
            rec = self._records.pop(tid, None)
            if rec is None or not rec.reads:
                continue
            direction = crossing(rec.path, self.line) if self.line is not None else None
            out.append(
                TrackResult(
                    self.camera,
                    tid,
                    rec.cls,
                    rec.first_seen,
                    rec.last_seen,
                    tuple(rec.reads),
                    self.role,
                    direction,
                    rec.best,
                )
            )
        return out
