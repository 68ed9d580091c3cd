"""Scoring of plate reads for ``anpr eval`` (anpr.ocr_metrics)."""

from __future__ import annotations

import pytest

from anpr.ocr_metrics import levenshtein, percentile, score_photo, summarize


@pytest.mark.parametrize(
    ("label", "reads", "exact", "char_accuracy", "located"),
    [
        ("51L-336.60", ["51L33660"], True, 1.0, True),  # formatting does not matter
        ("60-F4 079.22", ["60F407922", "29A12345"], True, 1.0, True),  # another vehicle's plate is ignored
        ("28TĐ-000.67", ["28TD00067"], True, 1.0, True),  # Đ compares as D
        ("51L-336.60", ["51L33666"], False, 0.875, True),  # one character wrong: right box, wrong read
        ("51L-336.60", ["5IL33660"], False, 0.875, True),  # a look-alike is still the right box
        ("51L-336.60", ["29A12345"], False, 0.0, False),  # only some other plate was read: no character right
        ("51L-336.60", [], False, 0.0, False),  # nothing returned
    ],
)
def test_score_photo(label: str, reads: list[str], exact: bool, char_accuracy: float, located: bool) -> None:
    score = score_photo(label, reads)
    assert (score.exact, score.located) == (exact, located)
    assert score.char_accuracy == pytest.approx(char_accuracy)


def test_summary_per_category_and_median_time() -> None:
    scores = [
        score_photo("51L33660", ["51L33660"], "type1", ms=10.0),
        score_photo("51L33660", ["51L33666"], "type1", ms=30.0),
        score_photo("60F407922", ["60F407922"], "type2", ms=20.0),
    ]
    report = summarize(scores)
    assert report["images"] == 3
    assert report["exact"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["median_ms"] == 20.0
    assert report["per_category"]["type1"]["exact"] == 0.5
    assert report["per_category"]["type2"] == {
        "images": 1, "exact": 1.0, "char_accuracy": 1.0, "detection_recall": 1.0, "median_ms": 20.0, "p99_ms": 20.0,
    }  # fmt: skip
    assert report["p99_ms"] == 30.0


def test_p99_is_a_time_some_photo_took() -> None:
    times = [float(t) for t in range(100, 0, -1)]
    assert percentile(times, 0.99) == 99.0
    assert percentile([*times, 1000.0], 0.99) == 100.0  # 101 photos: the slowest one is the top 1%
    assert percentile([5.0], 0.99) == 5.0
    assert percentile(times, 0.5) == 50.0
    with pytest.raises(ValueError):
        percentile([], 0.99)
    with pytest.raises(ValueError):
        percentile(times, 0.0)


def test_levenshtein() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3


def test_empty_label_is_rejected() -> None:
    with pytest.raises(ValueError):
        score_photo("--", ["51L33660"])
