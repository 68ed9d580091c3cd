"""Consensus over OCR reads: table cases from tests/data/consensus*.json, plus alignment and properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anpr import containers
from anpr.consensus import Observation, align, cluster_observations, resolve, resolve_all, vote
from anpr.types import DetClass, Reading

DATA = Path(__file__).parent / "data"
SINGLE: list[dict[str, Any]] = json.loads((DATA / "consensus.json").read_text(encoding="utf-8"))["cases"]
CLUSTERS: list[dict[str, Any]] = json.loads((DATA / "consensus_clusters.json").read_text(encoding="utf-8"))["cases"]
T0 = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)


def reading(target: DetClass, text: str, confidence: float, **extra: Any) -> Reading:
    """A Reading as an OCR engine would return it (validity from the grammar, as read)."""
    from anpr.consensus import validate

    chars = tuple(extra.pop("chars", ()))
    return Reading(
        target=target,
        text=text,
        formatted=text,
        confidence=confidence,
        valid=validate(target, text, extra.get("rows")) is not None,
        char_confidences=chars,
        **extra,
    )


def observations(case: dict[str, Any]) -> list[Observation]:
    target = DetClass(case["target"])
    out = []
    for i, r in enumerate(case["reads"]):
        extra = {k: v for k, v in r.items() if k not in ("text", "confidence")}
        out.append(
            Observation(
                reading(target, r["text"], r["confidence"], **extra),
                f"cam{i % 3}",
                T0 + timedelta(milliseconds=200 * i),
                i,
            )
        )
    return out


@pytest.mark.parametrize("case", SINGLE, ids=[c["note"][:60] for c in SINGLE])
def test_resolve_table(case: dict[str, Any]) -> None:
    result = resolve(observations(case))
    assert result is not None
    expect = case["expect"]
    assert result.text == expect["text"]
    assert result.valid is expect["valid"]
    assert result.corrected is expect["corrected"]
    if "formatted" in expect:
        assert result.formatted == expect["formatted"]
    if "confidence" in expect:
        assert result.confidence == pytest.approx(expect["confidence"], abs=1e-3)
    if "size_type" in expect:
        assert result.size_type == expect["size_type"]
    if "rows" in expect:
        assert result.rows == expect["rows"]
    assert len(result.char_confidences) == len(result.text)
    if result.target is DetClass.CONTAINER_NUMBER:  # the fused string itself carries the verdict
        assert result.valid is (containers.parse(result.text) is not None)


@pytest.mark.parametrize("case", CLUSTERS, ids=[c["note"][:60] for c in CLUSTERS])
def test_cluster_table(case: dict[str, Any]) -> None:
    assert [c.text for c in resolve_all(observations(case))] == case["expect"]


@pytest.mark.parametrize(
    ("read", "reference", "expected"),
    [
        ("ABC", "ABC", [0, 1, 2]),  # identical
        ("AXC", "ABC", [0, 1, 2]),  # substitution keeps the position
        ("ABBC", "ABC", [0, None, 1, 2]),  # an inserted character lines up with nothing
        ("AC", "ABC", [0, 2]),  # a dropped character leaves a gap in the reference
        ("", "ABC", []),
    ],
)
def test_align(read: str, reference: str, expected: list[int | None]) -> None:
    assert align(read, reference) == expected


def test_vote_support_is_per_covering_read() -> None:
    obs = observations(
        {"target": "plate", "reads": [{"text": "51C12345", "confidence": 0.8}, {"text": "51C12346", "confidence": 0.4}]}
    )
    support = vote(obs)
    assert support[0] == {"5": pytest.approx(0.6)}  # (0.8 + 0.4) / 2 reads
    assert support[7] == {"5": pytest.approx(0.4), "6": pytest.approx(0.2)}


def test_resolve_empty_and_mixed_targets() -> None:
    assert resolve([]) is None
    plate = Observation(reading(DetClass.PLATE, "51C12345", 0.9), "a", T0)
    box = Observation(reading(DetClass.CONTAINER_NUMBER, "MSCU1234566", 0.9), "a", T0)
    with pytest.raises(ValueError, match="one target"):
        resolve([plate, box])


def test_observation_rejects_size_type_reads() -> None:
    with pytest.raises(ValueError, match="plates and container numbers"):
        Observation(reading(DetClass.SIZE_TYPE, "22G1", 0.9), "a", T0)


_DIGITS = st.text("0123456789", min_size=6, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    serial=_DIGITS,
    noise=st.lists(st.tuples(st.integers(0, 10), st.sampled_from("0123456789ABSOZ")), max_size=4),
    conf=st.floats(0.05, 1.0),
)
def test_fused_container_is_valid_only_with_a_passing_check_digit(
    serial: str, noise: list[tuple[int, str]], conf: float
) -> None:
    prefix = "MSCU" + serial
    good = prefix + str(containers.check_digit(prefix))
    reads = [good]
    for pos, ch in noise:  # misreads of the same number
        reads.append(good[:pos] + ch + good[pos + 1 :])
    obs = [Observation(reading(DetClass.CONTAINER_NUMBER, t, conf), "cam", T0, i) for i, t in enumerate(reads)]
    for result in resolve_all(obs):
        assert result.valid is (containers.parse(result.text) is not None)
        assert 0.0 <= result.confidence <= 1.0


def test_cluster_order_is_by_weight() -> None:
    obs = observations(
        {"target": "plate", "reads": [{"text": "51R01234", "confidence": 0.3}, {"text": "51C12345", "confidence": 0.9}]}
    )
    assert [[o.text for o in c] for c in cluster_observations(obs)] == [["51C12345"], ["51R01234"]]
