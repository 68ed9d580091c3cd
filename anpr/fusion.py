"""Fusion: the tracks of every camera of a lane, within a time window, become one :class:`GateEvent`.

A pure module. Steps:

1. **Passes** (:func:`split_passes`, :class:`PassAccumulator`): tracks are
   chained in time; a track that starts more than ``window_s`` seconds after
   everything so far was last seen starts a new pass.
2. **Per track** (:func:`track_consensus`): a track's reads are clustered and
   its heaviest cluster is resolved (:mod:`anpr.consensus`).
3. **Across cameras** (:func:`fuse_objects`): track results of one class are
   clustered by text (never merging two different valid strings, but for a
   container misread under a look-alike owner code: :func:`~anpr.consensus.one_container`) and each
   group is resolved again over all its reads, so a container number read by
   three cameras is one object with the evidence of all three.
4. **Fields**: the truck plate and a trailer plate (:func:`pick_plates`), 0-2
   containers (:func:`pick_containers`), the direction
   (:func:`decide_direction`). A container's ``check_digit_ok`` is recomputed
   from the fused number with :func:`anpr.containers.parse`, so a number whose
   ISO 6346 check digit fails is never reported valid.

``event_id`` is derived from the lane, the first sighting and the tracks, so
replaying the same input gives the same id (storage is idempotent on it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from anpr import containers, plates
from anpr.cameras import CameraRole
from anpr.consensus import Consensus, cluster, cluster_observations, max_distance, resolve
from anpr.events import ContainerResult, Direction, GateEvent, PlateResult, PlateRole
from anpr.tracking import TrackResult
from anpr.types import DetClass


@dataclass(frozen=True, slots=True)
class FusionSettings:
    """``window_s``: gap in seconds that separates passes; ``max_reads``: reads kept per field;
    ``min_invalid_support``: reads an invalid container number needs to be reported beside a valid one."""

    window_s: float = 6.0
    max_reads: int = 24
    min_invalid_support: int = 2

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.max_reads < 1 or self.min_invalid_support < 1:
            raise ValueError("window_s must be > 0, max_reads and min_invalid_support >= 1")


def split_passes(tracks: Sequence[TrackResult], window_s: float) -> list[list[TrackResult]]:
    """Group tracks into passes: a gap longer than ``window_s`` seconds starts a new pass."""
    groups: list[list[TrackResult]] = []
    end: datetime | None = None
    for t in sorted(tracks, key=lambda t: (t.first_seen, t.key)):
        if end is None or (t.first_seen - end).total_seconds() > window_s:
            groups.append([])
            end = t.last_seen
        groups[-1].append(t)
        end = max(end, t.last_seen)
    return groups


class PassAccumulator:
    """Pending tracks of one lane; passes come out once the stream time has moved past them."""

    def __init__(self, window_s: float) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be > 0")
        self.window_s = window_s
        self._pending: list[TrackResult] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, track: TrackResult) -> None:
        self._pending.append(track)

    def due(self, watermark: datetime) -> list[list[TrackResult]]:
        """Passes whose last sighting is more than ``window_s`` before ``watermark``, oldest first."""
        done: list[list[TrackResult]] = []
        keep: list[TrackResult] = []
        limit = watermark - timedelta(seconds=self.window_s)
        for group in split_passes(self._pending, self.window_s):
            if max(t.last_seen for t in group) < limit and not keep:
                done.append(group)
            else:
                keep.extend(group)
        self._pending = keep
        return done

    def flush(self) -> list[list[TrackResult]]:
        """Every pending pass, closed now (end of input or shutdown)."""
        done = split_passes(self._pending, self.window_s)
        self._pending = []
        return done


def track_consensus(track: TrackResult) -> Consensus | None:
    """The resolved heaviest cluster of one track's reads."""
    clusters = cluster_observations(track.observations)
    return resolve(clusters[0]) if clusters else None


def fuse_objects(tracks: Sequence[TrackResult], cls: DetClass) -> list[Consensus]:
    """One consensus per distinct object of class ``cls`` seen in ``tracks``, heaviest first."""
    per_track = [c for c in (track_consensus(t) for t in tracks if t.cls is cls) if c is not None]
    groups = cluster(per_track, lambda c: c.text, lambda c: c.valid, lambda c: c.weight)
    out = [resolve([o for c in group for o in c.observations]) for group in groups]
    return sorted((c for c in out if c is not None), key=lambda c: (not c.valid, -c.weight))


def _is_trailer_plate(text: str) -> bool:
    plate = plates.parse(text)
    return plate is not None and plate.kind is plates.PlateKind.TRAILER


def _rear_only(c: Consensus, roles: dict[str, CameraRole | None]) -> bool:
    return all(roles.get(cam) is CameraRole.PLATE_REAR for cam in c.cameras)


def pick_plates(
    results: Sequence[Consensus], roles: dict[str, CameraRole | None]
) -> tuple[Consensus | None, Consensus | None]:
    """``(truck, trailer)``. The trailer is a valid trailer-series plate (``R``/``RM``), or a valid
    plate only rear cameras read while front cameras read another; never a guess."""
    valid = [c for c in results if c.valid]
    trailer = next((c for c in valid if _is_trailer_plate(c.text)), None)
    if trailer is None:
        rear = [c for c in valid if _rear_only(c, roles)]
        if rear and any(not _rear_only(c, roles) for c in valid):
            trailer = rear[0]
    rest = [c for c in results if c is not trailer]
    rest.sort(key=lambda c: (not c.valid, _rear_only(c, roles), -c.weight))  # front cameras see the truck
    return (rest[0] if rest else None), trailer


def pick_containers(results: Sequence[Consensus], min_invalid_support: int = 2) -> list[Consensus]:
    """Up to two container numbers in the order they were first seen: valid ones first by weight;
    invalid ones (shaped like a misread number, :func:`~anpr.containers.could_be_number`, and not
    near a chosen number) only to fill up, and beside a valid one only with at least
    ``min_invalid_support`` reads. Other stencilled text a container box landed on (``MAX GROSS``
    read as ``GR0SS30480K6``) is no container."""
    chosen = [c for c in results if c.valid][:2]
    for c in results:
        if len(chosen) >= 2:
            break
        if c.valid or not containers.could_be_number(c.text):
            continue
        if chosen and len(c.observations) < min_invalid_support:
            continue
        if all(plates.confusion_distance(c.text, v.text) > max_distance(v.text) for v in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.first_seen)


def decide_direction(tracks: Sequence[TrackResult], fixed: Direction | None) -> Direction:
    """The configured direction, else the majority of line crossings (plate tracks count double)."""
    if fixed is not None:
        return fixed
    votes = {Direction.IN: 0, Direction.OUT: 0}
    for t in tracks:
        if t.crossing in votes:
            votes[t.crossing] += 2 if t.cls is DetClass.PLATE else 1
    if votes[Direction.IN] == votes[Direction.OUT]:
        return Direction.UNKNOWN
    return Direction.IN if votes[Direction.IN] > votes[Direction.OUT] else Direction.OUT


def event_id(lane: str, tracks: Sequence[TrackResult]) -> str:
    """``<lane>-<first seen, UTC>-<8 hex of the track keys>``: stable for the same input."""
    first = min(t.first_seen for t in tracks).astimezone(UTC)
    digest = hashlib.sha256()
    for t in sorted(tracks, key=lambda t: t.key):
        digest.update(f"{t.key}@{t.first_seen.isoformat()};".encode())
    return f"{lane}-{first:%Y%m%dT%H%M%S%f}-{digest.hexdigest()[:8]}"[:128]


def plate_result(c: Consensus, role: PlateRole, max_reads: int = 24) -> PlateResult:
    return PlateResult(
        text=c.text,
        formatted=c.formatted,
        confidence=c.confidence,
        valid=plates.parse(c.text, c.rows) is not None,
        role=role,
        rows=c.rows,
        reads=tuple(o.to_observed_read() for o in c.observations[:max_reads]),
    )


def container_result(c: Consensus, max_reads: int = 24) -> ContainerResult:
    return ContainerResult(
        number=c.text,
        check_digit_ok=containers.parse(c.text) is not None,  # never trust an upstream flag
        confidence=c.confidence,
        size_type=c.size_type,
        orientation=c.orientation,
        reads=tuple(o.to_observed_read() for o in c.observations[:max_reads]),
    )


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def fuse(
    tracks: Sequence[TrackResult],
    lane: str,
    fixed_direction: Direction | None = None,
    settings: FusionSettings | None = None,
) -> GateEvent:
    """One gate event from the tracks of one pass (evidence is attached later, by :mod:`anpr.evidence`)."""
    if not tracks:
        raise ValueError("a gate event needs at least one track")
    settings = settings or FusionSettings()
    roles = {t.camera: t.role for t in tracks}
    truck, trailer = pick_plates(fuse_objects(tracks, DetClass.PLATE), roles)
    boxes = pick_containers(fuse_objects(tracks, DetClass.CONTAINER_NUMBER), settings.min_invalid_support)
    return GateEvent(
        event_id=event_id(lane, tracks),
        lane=lane,
        direction=decide_direction(tracks, fixed_direction),
        first_seen=_aware(min(t.first_seen for t in tracks)),
        last_seen=_aware(max(t.last_seen for t in tracks)),
        plate=None if truck is None else plate_result(truck, PlateRole.TRUCK, settings.max_reads),
        trailer_plate=None if trailer is None else plate_result(trailer, PlateRole.TRAILER, settings.max_reads),
        containers=tuple(container_result(c, settings.max_reads) for c in boxes),
        cameras=tuple(sorted({t.camera for t in tracks})),
    )
