"""Fusion of tracks from several cameras into gate events, pass splitting, and evidence files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr import containers
from anpr.cameras import CameraRole
from anpr.consensus import Observation, validate
from anpr.event_json import event_from_json
from anpr.events import Direction, EvidenceKind, PlateRole
from anpr.evidence import EvidenceStore, attach_evidence, best_frames, safe_name
from anpr.fusion import FusionSettings, PassAccumulator, event_id, fuse, split_passes
from anpr.tracking import BestView, TrackResult
from anpr.types import BBox, DetClass, Reading

T0 = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def track(
    camera: str,
    cls: DetClass,
    reads: list[tuple[str, float]],
    start: float = 0.0,
    role: CameraRole | None = None,
    crossing: Direction | None = None,
    size_type: str | None = None,
    lying_ocr: bool = False,
    with_view: bool = False,
) -> TrackResult:
    """A finished track with one read per 0.2 s; ``lying_ocr`` marks every read valid regardless."""
    tid = next(_ids)
    obs = []
    for i, (text, conf) in enumerate(reads):
        valid = True if lying_ocr else validate(cls, text) is not None
        r = Reading(cls, text, text, conf, valid, bbox=BBox(100, 100, 300, 150), size_type=size_type)
        obs.append(Observation(r, camera, at(start + 0.2 * i), i, f"{camera}#{tid}"))
    view = None
    if with_view:
        image = np.full((360, 640, 3), 40 + tid % 200, np.uint8)
        view = BestView(image, BBox(100, 100, 300, 150), obs[0].timestamp, 0, reads[0][1])
    end = start + 0.2 * max(0, len(reads) - 1)
    return TrackResult(camera, tid, cls, at(start), at(end), tuple(obs), role, crossing, view)


def truck_with_two_containers() -> list[TrackResult]:
    return [
        track(
            "front",
            DetClass.PLATE,
            [("51C12345", 0.9), ("51C1Z345", 0.6), ("51C12345", 0.85)],
            role=CameraRole.PLATE_FRONT,
            with_view=True,
        ),
        track(
            "side",
            DetClass.CONTAINER_NUMBER,
            [("MSCU1234566", 0.9), ("MSCU1234S66", 0.7)],
            start=1.0,
            role=CameraRole.CONTAINER_SIDE,
            size_type="22G1",
            with_view=True,
        ),
        track(
            "side",
            DetClass.CONTAINER_NUMBER,
            [("TGHU9876542", 0.8), ("TGHU9876542", 0.9)],
            start=3.0,
            role=CameraRole.CONTAINER_SIDE,
            size_type="22G1",
            with_view=True,
        ),
        track("top", DetClass.CONTAINER_NUMBER, [("TGHU9876S42", 0.6)], start=3.2, role=CameraRole.CONTAINER_TOP),
        track("top", DetClass.CONTAINER_NUMBER, [("MSCU1234566", 0.7)], start=1.1, role=CameraRole.CONTAINER_TOP),
    ]


def test_two_containers_and_a_plate_across_cameras() -> None:
    event = fuse(truck_with_two_containers(), "lane-1", Direction.IN)
    assert event.plate is not None
    assert (event.plate.text, event.plate.formatted, event.plate.valid) == ("51C12345", "51C-123.45", True)
    assert event.plate.role is PlateRole.TRUCK and event.trailer_plate is None
    assert [c.number for c in event.containers] == ["MSCU1234566", "TGHU9876542"]  # in the order seen
    assert all(c.check_digit_ok for c in event.containers)
    assert [c.size_type for c in event.containers] == ["22G1", "22G1"]
    assert {r.camera for r in event.containers[0].reads} == {"side", "top"}  # fused across cameras
    assert len(event.containers[1].reads) == 3
    assert event.cameras == ("front", "side", "top")
    assert event.direction is Direction.IN
    assert (event.first_seen, event.last_seen) == (at(0), at(3.2))
    assert 0.5 < event.containers[0].confidence <= 1.0


def test_failing_check_digit_is_never_valid_even_if_the_ocr_says_so() -> None:
    tracks = [
        track("side", DetClass.CONTAINER_NUMBER, [("MSCU1234567", 0.95)] * 3, lying_ocr=True),
        track("top", DetClass.CONTAINER_NUMBER, [("MSCU1234567", 0.9)], lying_ocr=True),
    ]
    event = fuse(tracks, "lane-1")
    assert [c.number for c in event.containers] == ["MSCU1234567"]
    assert event.containers[0].check_digit_ok is False
    assert containers.parse(event.containers[0].number) is None


def test_at_most_two_containers_and_junk_needs_support_beside_a_valid_one() -> None:
    tracks = [
        track("side", DetClass.CONTAINER_NUMBER, [("MSCU1234566", 0.9)]),
        track("side", DetClass.CONTAINER_NUMBER, [("QQQZ9999999", 0.9)]),  # invalid, one read, far away
        track("side", DetClass.CONTAINER_NUMBER, [("XYZ", 0.9)]),  # too short to be a number
    ]
    assert [c.number for c in fuse(tracks, "l").containers] == ["MSCU1234566"]
    tracks.append(track("top", DetClass.CONTAINER_NUMBER, [("QQQZ9999999", 0.8), ("QQQZ9999999", 0.8)]))
    numbers = [(c.number, c.check_digit_ok) for c in fuse(tracks, "l").containers]
    assert numbers == [("MSCU1234566", True), ("QQQZ9999999", False)]
    three = [track("s", DetClass.CONTAINER_NUMBER, [(n, 0.9)]) for n in ("MSCU1234566", "TGHU9876542", "CSQU3054383")]
    assert len(fuse(three, "l").containers) == 2


def test_stencilled_text_in_a_container_box_is_no_container() -> None:
    # MAX GROSS markings a container box landed on read like these, on two cameras each.
    gross = [track(cam, DetClass.CONTAINER_NUMBER, [("GR0SS30480K6", 0.8)] * 2) for cam in ("side", "top")]
    cargo = [track("side", DetClass.CONTAINER_NUMBER, [("MAXRSS716608", 0.7)] * 2)]
    valid = [track("side", DetClass.CONTAINER_NUMBER, [("MSCU1234566", 0.9)])]
    assert [c.number for c in fuse(valid + gross + cargo, "l").containers] == ["MSCU1234566"]
    assert fuse(gross + cargo, "l").containers == ()
    # A misread number keeps its place beside a valid one: one character short, and one too many.
    short = [track(cam, DetClass.CONTAINER_NUMBER, [("TGHU987654", 0.6)] * 2) for cam in ("side", "top")]
    numbers = [(c.number, c.check_digit_ok) for c in fuse(valid + gross + short, "l").containers]
    assert numbers == [("MSCU1234566", True), ("TGHU987654", False)]
    # The roof marking of FCIU4601838 on a real pass, read one character long with two look-alikes.
    roof = [track(cam, DetClass.CONTAINER_NUMBER, [("F01U40016936", 0.6)] * 2) for cam in ("top", "angled")]
    assert fuse(roof, "l").containers == ()


def test_trailer_plate_from_series_or_from_rear_camera() -> None:
    by_series = [
        track("front", DetClass.PLATE, [("51C12345", 0.9)]),
        track("front", DetClass.PLATE, [("51R01234", 0.95), ("51R01234", 0.9)]),  # heavier, still the trailer
    ]
    event = fuse(by_series, "l")
    assert event.plate is not None and event.trailer_plate is not None
    assert (event.plate.text, event.trailer_plate.text) == ("51C12345", "51R01234")
    assert event.trailer_plate.role is PlateRole.TRAILER
    by_role = [
        track("front", DetClass.PLATE, [("51C12345", 0.9)], role=CameraRole.PLATE_FRONT),
        track("rear", DetClass.PLATE, [("29C67890", 0.9), ("29C67890", 0.9)], role=CameraRole.PLATE_REAR),
    ]
    event = fuse(by_role, "l")
    assert event.plate is not None and event.trailer_plate is not None
    assert (event.plate.text, event.trailer_plate.text) == ("51C12345", "29C67890")
    # Without camera roles a second ordinary plate is not guessed to be a trailer.
    event = fuse(
        [track("a", DetClass.PLATE, [("51C12345", 0.9)]), track("b", DetClass.PLATE, [("29C67890", 0.5)])], "l"
    )
    assert event.plate is not None and event.plate.text == "51C12345" and event.trailer_plate is None


def test_invalid_plate_is_reported_as_invalid() -> None:
    event = fuse([track("a", DetClass.PLATE, [("XXQQ", 0.4)])], "l")
    assert event.plate is not None and (event.plate.text, event.plate.valid) == ("XXQQ", False)
    assert not event.has_valid_read


@pytest.mark.parametrize(
    ("crossings", "fixed", "expected"),
    [
        ([(DetClass.PLATE, Direction.IN)], Direction.OUT, Direction.OUT),  # configuration wins
        ([(DetClass.PLATE, Direction.IN), (DetClass.CONTAINER_NUMBER, Direction.OUT)], None, Direction.IN),
        ([(DetClass.CONTAINER_NUMBER, Direction.OUT)], None, Direction.OUT),
        ([(DetClass.PLATE, None)], None, Direction.UNKNOWN),  # no line configured or not crossed
        ([(DetClass.PLATE, Direction.IN), (DetClass.PLATE, Direction.OUT)], None, Direction.UNKNOWN),
    ],
)
def test_direction(
    crossings: list[tuple[DetClass, Direction | None]], fixed: Direction | None, expected: Direction
) -> None:
    texts = {DetClass.PLATE: "51C12345", DetClass.CONTAINER_NUMBER: "MSCU1234566"}
    tracks = [track("c", cls, [(texts[cls], 0.9)], crossing=d) for cls, d in crossings]
    assert fuse(tracks, "l", fixed).direction is expected


def test_event_id_is_stable_and_valid() -> None:
    tracks = truck_with_two_containers()
    first = event_id("lane-1", tracks)
    assert first == event_id("lane-1", list(reversed(tracks)))
    assert first.startswith("lane-1-20261127T031500000000-")
    assert first != event_id("lane-1", tracks[:2])
    assert fuse(tracks, "lane-1").event_id == first


def test_split_passes_and_accumulator() -> None:
    a = track("c", DetClass.PLATE, [("51C12345", 0.9)] * 6, start=0.0)  # 0 .. 1 s
    b = track("c", DetClass.CONTAINER_NUMBER, [("MSCU1234566", 0.9)], start=4.0)  # within 5 s of a
    c = track("c", DetClass.PLATE, [("29C67890", 0.9)], start=20.0)  # a new pass
    assert [[t.track_id for t in g] for g in split_passes([c, b, a], 5.0)] == [
        [a.track_id, b.track_id],
        [c.track_id],
    ]
    acc = PassAccumulator(5.0)
    for t in (a, b, c):
        acc.add(t)
    assert acc.due(at(8.0)) == []  # b was seen at 4 s: the window has not passed
    assert [len(g) for g in acc.due(at(9.5))] == [2]
    assert len(acc) == 1
    assert [len(g) for g in acc.flush()] == [1] and len(acc) == 0


def test_fusion_settings_and_empty_input_are_checked() -> None:
    with pytest.raises(ValueError):
        FusionSettings(window_s=0)
    with pytest.raises(ValueError):
        fuse([], "l")


# --- evidence ----------------------------------------------------------------------------------------


def test_evidence_files_hashes_and_links(tmp_path: Path) -> None:
    tracks = truck_with_two_containers()
    event = attach_evidence(fuse(tracks, "lane-1", Direction.IN), tracks, EvidenceStore(tmp_path, 85))
    frames = [e for e in event.evidence if e.kind is EvidenceKind.FRAME]
    crops = [e for e in event.evidence if e.kind is EvidenceKind.CROP]
    assert sorted(e.camera for e in frames) == ["front", "side"]  # "top" kept no view
    assert len(crops) == 3
    for e in event.evidence:
        data = (tmp_path / e.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e.sha256 and len(data) == e.size_bytes
        assert e.path.startswith("lane-1/2026/11/27/")
        decoded = cv2.imread(str(tmp_path / e.path))
        assert decoded is not None and decoded.shape[:2] == (e.height, e.width)
    assert not list(tmp_path.rglob("*.tmp"))  # nothing half-written is left
    assert event.plate is not None
    front_crop = next(e for e in crops if e.camera == "front")
    by_time = {r.timestamp: r.evidence_sha256 for r in event.plate.reads}
    assert by_time[at(0)] == front_crop.sha256  # the read the crop was cut for links to the crop
    assert by_time[at(0.2)] is None  # a read from a frame that was not kept
    side_frame = next(e for e in frames if e.camera == "side")
    assert len(side_frame.boxes) == 1
    assert event_from_json(event.to_json()).to_json() == event.to_json()  # survives the JSON contract


def test_best_frame_per_camera_holds_the_most_confidence() -> None:
    weak = track("cam", DetClass.PLATE, [("51C12345", 0.3)], with_view=True)
    strong = track("cam", DetClass.PLATE, [("51C12345", 0.9)], start=1.0, with_view=True)
    (view, boxes) = best_frames([weak, strong])["cam"]
    assert view.timestamp == strong.first_seen and len(boxes) == 1


def test_unwritable_evidence_is_skipped_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    tracks = truck_with_two_containers()
    event = attach_evidence(fuse(tracks, "lane-1"), tracks, EvidenceStore(blocker))
    assert event.evidence == ()
    assert event.plate is not None and all(r.evidence_sha256 is None for r in event.plate.reads)


@pytest.mark.parametrize(("raw", "safe"), [("AS", "AS"), ("../etc", "_etc"), ("..", "_"), ("a b/c", "a_b_c")])
def test_safe_name(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe
