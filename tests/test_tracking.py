"""IoU tracker, virtual-line crossings and per-track read bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from anpr.cameras import CameraRole, VirtualLine
from anpr.events import Direction
from anpr.tracking import IouTracker, TrackBook, crossing, side_of
from anpr.types import BBox, DetClass, Detection, Frame, Reading

T0 = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def det(x: float, y: float, w: float = 100, h: float = 40, cls: DetClass = DetClass.PLATE) -> Detection:
    return Detection(cls, BBox(x, y, x + w, y + h), 0.9)


def frame(i: int, seconds: float) -> Frame:
    return Frame("cam", np.zeros((720, 1280, 3), np.uint8), at(seconds), i)


def test_ids_persist_for_overlapping_boxes_and_two_objects_stay_apart() -> None:
    tracker = IouTracker(iou_threshold=0.2)
    first = tracker.update([det(100, 100), det(600, 100)], at(0))
    second = tracker.update([det(610, 100), det(110, 102)], at(0.2))  # order swapped, both moved a bit
    assert [t.track_id for t in first] == [1, 2]
    assert [t.track_id for t in second] == [2, 1]
    assert [t.hits for t in second] == [2, 2]


def test_low_frame_rate_jump_is_matched_by_centre_shift_and_velocity() -> None:
    tracker = IouTracker(iou_threshold=0.3, max_shift=1.5)
    ids = [tracker.update([det(100 + 150 * k, 300)], at(0.5 * k))[0].track_id for k in range(5)]
    assert ids == [1, 1, 1, 1, 1]  # 150 px per frame never overlaps a 100 px box, yet one track


def test_far_jump_starts_a_new_track() -> None:
    tracker = IouTracker(max_shift=1.0)
    tracker.update([det(0, 0)], at(0))
    assert tracker.update([det(900, 600)], at(0.2))[0].track_id == 2


def test_classes_are_tracked_separately_and_size_types_are_ignored() -> None:
    tracker = IouTracker()
    out = tracker.update(
        [det(100, 100), det(100, 100, cls=DetClass.CONTAINER_NUMBER), det(100, 100, cls=DetClass.SIZE_TYPE)], at(0)
    )
    assert [(t.detection.cls, t.track_id) for t in out] == [(DetClass.PLATE, 1), (DetClass.CONTAINER_NUMBER, 2)]


def test_expire_and_flush() -> None:
    tracker = IouTracker(max_age_s=1.0)
    tracker.update([det(0, 0)], at(0))
    tracker.update([det(500, 500)], at(0.8))
    assert tracker.expire(at(1.5)) == [1]
    assert tracker.active
    assert tracker.flush() == [2]
    assert not tracker.active


LINE = VirtualLine(a=(0.0, 0.5), b=(1.0, 0.5), in_side="right")  # horizontal, left to right: right is below


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([(0.5, 0.2), (0.5, 0.4), (0.5, 0.7)], Direction.IN),  # top to bottom: onto the right side
        ([(0.5, 0.9), (0.5, 0.6), (0.5, 0.3)], Direction.OUT),
        ([(0.1, 0.2), (0.9, 0.3)], None),  # moves along the line without crossing
        ([(0.5, 0.2)], None),  # one point tells nothing
        ([(0.5, 0.2), (0.5, 0.5), (0.5, 0.5)], None),  # ends on the line
    ],
)
def test_crossing(path: list[tuple[float, float]], expected: Direction | None) -> None:
    assert crossing(path, LINE) == expected


def test_in_side_left_flips_the_direction_and_side_sign() -> None:
    left = VirtualLine(a=(0.0, 0.5), b=(1.0, 0.5), in_side="left")
    assert crossing([(0.5, 0.2), (0.5, 0.8)], left) is Direction.OUT
    assert side_of((0.5, 0.9), LINE) > 0 > side_of((0.5, 0.1), LINE)


def reading(text: str, conf: float, valid: bool = True) -> Reading:
    return Reading(DetClass.PLATE, text, text, conf, valid, bbox=BBox(10, 10, 110, 50))


def test_book_reads_every_nth_frame_up_to_the_budget_and_keeps_the_best_view() -> None:
    tracker = IouTracker()
    book = TrackBook("cam", CameraRole.PLATE_FRONT, LINE, reads_per_track=2, every_n=2)
    chosen = []
    for i in range(6):
        f = frame(i, 0.2 * i)
        wanted = book.see(f, tracker.update([det(100, 100 + 60 * i)], f.timestamp))
        chosen.append(bool(wanted))
        for w in wanted:
            book.record(f, w, reading("51C12345", 0.5 + 0.1 * i))
    assert chosen == [True, False, True, False, False, False]
    (result,) = book.finish([1])
    assert [o.reading.confidence for o in result.observations] == pytest.approx([0.5, 0.7])
    assert result.best is not None and result.best.frame_index == 2
    assert result.first_seen == at(0) and result.last_seen == at(1.0)
    assert result.role is CameraRole.PLATE_FRONT
    assert result.crossing is Direction.IN  # the plate moved down across the line
    assert result.key == "cam#1"


def test_book_prefers_valid_reads_for_evidence_and_drops_unread_tracks() -> None:
    tracker = IouTracker()
    book = TrackBook("cam", every_n=1)
    for i, (text, conf, valid) in enumerate([("51C1234S", 0.95, False), ("51C12345", 0.6, True)]):
        f = frame(i, 0.2 * i)
        for w in book.see(f, tracker.update([det(100, 100), det(700, 100)], f.timestamp)):
            book.record(f, w, reading(text, conf, valid) if w.track_id == 1 else None)
    results = book.finish([1, 2])
    assert [r.track_id for r in results] == [1]  # track 2 was never legible
    assert results[0].best is not None and results[0].best.frame_index == 1
    assert results[0].crossing is None  # no line configured
