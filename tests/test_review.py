"""Which events go to an officer's review, and why (anpr.review, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anpr.events import ContainerResult, Direction, GateEvent, PlateResult, PlateRole
from anpr.review import DEFAULT_REVIEW_BELOW, ReviewReason, check_threshold, review_reasons

T0 = datetime(2026, 10, 15, 8, 30, tzinfo=UTC)


def _event(
    plate: tuple[float, bool] | None = (0.995, True),
    trailer: tuple[float, bool] | None = None,
    containers: tuple[bool, ...] = (),
) -> GateEvent:
    def fused(conf_valid: tuple[float, bool] | None, role: PlateRole) -> PlateResult | None:
        if conf_valid is None:
            return None
        confidence, valid = conf_valid
        return PlateResult("51C12345", "51C-123.45", confidence, valid, role)

    boxes = tuple(ContainerResult("MSKU1234565", ok, 0.9) for ok in containers)
    return GateEvent(
        "e-1", "lane-1", Direction.IN, T0, T0 + timedelta(seconds=5),
        fused(plate, PlateRole.TRUCK), fused(trailer, PlateRole.TRAILER), boxes,
    )  # fmt: skip


def test_a_sure_valid_plate_and_verified_containers_need_no_review() -> None:
    assert review_reasons(_event(containers=(True, True))) == ()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_event(plate=None), (ReviewReason.NO_PLATE,)),
        (_event(plate=None, containers=(True,)), (ReviewReason.NO_PLATE,)),
        (_event(plate=(0.995, False)), (ReviewReason.PLATE_INVALID,)),
        (_event(plate=(0.95, True)), (ReviewReason.PLATE_UNSURE,)),
        (_event(plate=(0.5, False)), (ReviewReason.PLATE_INVALID, ReviewReason.PLATE_UNSURE)),
        (_event(trailer=(0.7, True)), (ReviewReason.PLATE_UNSURE,)),
        (_event(containers=(True, False)), (ReviewReason.CONTAINER_UNVERIFIED,)),
        (
            _event(plate=None, containers=(False,)),
            (ReviewReason.NO_PLATE, ReviewReason.CONTAINER_UNVERIFIED),
        ),
    ],
)
def test_each_doubtful_read_gives_its_reason(event: GateEvent, expected: tuple[ReviewReason, ...]) -> None:
    assert review_reasons(event) == expected


def test_the_threshold_decides_only_the_confidence_reason() -> None:
    unsure = _event(plate=(0.95, True), containers=(False,))
    assert review_reasons(unsure, 0.9) == (ReviewReason.CONTAINER_UNVERIFIED,)
    assert review_reasons(unsure, 0.95) == (ReviewReason.CONTAINER_UNVERIFIED,)  # at the threshold is trusted
    assert review_reasons(unsure, 0.96) == (ReviewReason.PLATE_UNSURE, ReviewReason.CONTAINER_UNVERIFIED)
    assert review_reasons(_event(plate=(0.0, True)), 0.0) == ()
    assert review_reasons(_event(plate=(0.999, True)), 1.0) == (ReviewReason.PLATE_UNSURE,)
    assert review_reasons(_event(plate=(0.985, True))) == (ReviewReason.PLATE_UNSURE,)
    assert review_reasons(_event(plate=(DEFAULT_REVIEW_BELOW, True))) == ()


@pytest.mark.parametrize("bad", [-0.01, 1.5, float("nan"), True, "0.9", None])
def test_a_threshold_outside_0_to_1_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="review threshold"):
        check_threshold(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="review threshold"):
        review_reasons(_event(), bad)  # type: ignore[arg-type]
