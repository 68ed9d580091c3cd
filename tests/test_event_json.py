"""The GateEvent JSON form round-trips, and malformed input names the bad field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from anpr.errors import InvalidInputError
from anpr.event_json import event_from_json, event_to_json
from anpr.events import (
    ContainerResult,
    Direction,
    EvidenceImage,
    EvidenceKind,
    GateEvent,
    ObservedRead,
    PlateResult,
)
from anpr.types import BBox, Orientation

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
SHA = "a" * 64


def make_event(**overrides: Any) -> GateEvent:
    read = ObservedRead("plate-front", T0, "51F12345", 0.9, True, BBox(1, 2, 30, 12), SHA)
    fields: dict[str, Any] = dict(
        event_id="lane1-20261127T030000-0001",
        lane="lane1",
        direction=Direction.IN,
        first_seen=T0,
        last_seen=T0 + timedelta(seconds=8),
        plate=PlateResult("51F12345", "51F-123.45", 0.93, True, reads=(read,)),
        containers=(
            ContainerResult("MSCU1234566", True, 0.88, "22G1", Orientation.VERTICAL),
            ContainerResult("CSQU3054383", True, 0.81, "45G1"),
        ),
        evidence=(EvidenceImage("plate-front", EvidenceKind.FRAME, "2026/11/27/x.jpg", SHA, 1234, T0, 1280, 720),),
        cameras=("plate-front", "container-side"),
    )
    fields.update(overrides)
    return GateEvent(**fields)


def test_round_trip() -> None:
    event = make_event()
    assert event_from_json(event_to_json(event)) == event


def test_has_valid_read() -> None:
    assert make_event().has_valid_read
    assert not make_event(plate=None, containers=()).has_valid_read


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.pop("lane"), "event.lane"),  # required field missing
        (lambda d: d.update(direction="sideways"), "sideways"),  # unknown enum value
        (lambda d: d.update(first_seen="yesterday"), "event.first_seen"),  # not ISO 8601
        (lambda d: d.update(first_seen="2026-11-27T03:00:00"), "timezone"),  # naive time
        (lambda d: d["containers"][0].update(confidence="high"), "containers[0].confidence"),  # wrong type
        (
            lambda d: d["containers"][0].update(confidence=True),
            "containers[0].confidence",
        ),  # bool is not a number
        (lambda d: d["evidence"][0].update(path="../../etc/passwd"), "evidence path"),  # path escape
        (lambda d: d.update(event_id="drop table;"), "event_id"),  # bad idempotency key
        (lambda d: d.update(containers=[d["containers"][0]] * 3), "two containers"),  # too many containers
    ],
)
def test_malformed_input_names_the_field(mutate: Any, needle: str) -> None:
    data = copy.deepcopy(event_to_json(make_event()))
    mutate(data)
    with pytest.raises(InvalidInputError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        event_from_json(data)


def test_non_object_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        event_from_json(["not", "an", "event"])
