"""Scoring of plate reads for ``anpr eval`` (anpr.ocr_metrics)."""

from __future__ import annotations

import pytest

from anpr.ocr_metrics import (
    NO_WIDTH,
    NOT_LOCATED,
    band_of,
    confidence_band,
    levenshtein,
    percentile,
    score_photo,
    summarize,
    width_band,
    wilson_interval,
)


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
        "images": 1, "exact": 1.0, "exact_interval": [0.2065, 1.0], "char_accuracy": 1.0, "detection_recall": 1.0,
        "median_ms": 20.0, "p99_ms": 20.0,
    }  # fmt: skip
    assert report["exact_interval"] == [round(b, 4) for b in wilson_interval(2, 3)]
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


def test_plate_width_is_the_located_reads_box() -> None:
    # another vehicle's plate first: the width is the labelled plate's box, not the first box
    assert score_photo("51L33660", ["29A12345", "51L33660"], widths=[120, 48]).plate_width == 48.0
    # an exact read wins over a located misread of the same plate (a second crop, say)
    assert score_photo("51L33660", ["51L33666", "51L33660"], widths=[30, 52]).plate_width == 52.0
    # a misread that still locates the plate gives its box
    assert score_photo("51L33660", ["51L33666", "29A12345"], widths=[30, 90]).plate_width == 30.0
    # nothing located, or no widths given: no width
    assert score_photo("51L33660", ["29A12345"], widths=[90]).plate_width is None
    assert score_photo("51L33660", ["51L33660"]).plate_width is None
    with pytest.raises(ValueError, match="2 widths for 1 reads"):
        score_photo("51L33660", ["51L33660"], widths=[30, 40])


@pytest.mark.parametrize(
    ("width", "band"),
    [(0.0, "0-39"), (39.9, "0-39"), (40.0, "40-59"), (59.5, "40-59"), (60, "60-79"), (80, "80+"), (640, "80+")],
)  # fmt: skip
def test_width_bands(width: float, band: str) -> None:
    assert width_band(width) == band


def test_band_of_a_photo() -> None:
    assert band_of(score_photo("51L33660", ["51L33660"], widths=[45])) == "40-59"
    assert band_of(score_photo("51L33660", ["29A12345"], widths=[45])) == NOT_LOCATED
    assert band_of(score_photo("51L33660", ["51L33660"], widths=[None])) == NO_WIDTH  # a read without a box
    assert band_of(score_photo("51L33660", [])) == NOT_LOCATED


def test_a_negative_width_is_rejected() -> None:
    with pytest.raises(ValueError):
        width_band(-1.0)


def test_summary_per_plate_width() -> None:
    scores = [
        score_photo("51L33660", ["51L33660"], "type1", ms=10.0, widths=[35]),
        score_photo("51L33660", ["51L33666"], "type1", ms=30.0, widths=[38]),
        score_photo("60F407922", ["60F407922"], "type2", ms=20.0, widths=[95]),
        score_photo("29A12345", ["51L33660"], "type1", ms=20.0, widths=[95]),  # another plate only
    ]
    bands = summarize(scores, by_width=True)["per_plate_width"]
    assert list(bands) == ["0-39", "80+", NOT_LOCATED]  # no photo in 40-79: those bands are left out
    assert (bands["0-39"]["images"], bands["0-39"]["exact"]) == (2, 0.5)
    assert (bands["80+"]["images"], bands["80+"]["exact"]) == (1, 1.0)
    assert (bands[NOT_LOCATED]["images"], bands[NOT_LOCATED]["detection_recall"]) == (1, 0.0)
    assert "per_plate_width" not in summarize(scores)


def test_confidence_is_the_located_reads() -> None:
    # the labelled plate's read, not another vehicle's, and the exact read over a located misread
    assert score_photo("51L33660", ["29A12345", "51L33660"], confidences=[0.99, 0.7]).confidence == 0.7
    assert score_photo("51L33660", ["51L33666", "51L33660"], confidences=[0.99, 0.6]).confidence == 0.6
    assert score_photo("51L33660", ["51L33666"], confidences=[0.93]).confidence == 0.93  # a located misread
    assert score_photo("51L33660", ["29A12345"], confidences=[0.99]).confidence is None  # nothing located
    assert score_photo("51L33660", ["51L33660"]).confidence is None
    with pytest.raises(ValueError, match="1 confidences for 2 reads"):
        score_photo("51L33660", ["51L33660", "29A12345"], confidences=[0.9])


@pytest.mark.parametrize(
    ("confidence", "band"),
    [(0.0, "0-0.5"), (0.49, "0-0.5"), (0.5, "0.5-0.8"), (0.85, "0.8-0.9"), (0.9, "0.9-0.95"), (0.97, "0.95-0.99"),
     (0.99, "0.99+"), (1.0, "0.99+")],
)  # fmt: skip
def test_confidence_bands(confidence: float, band: str) -> None:
    assert confidence_band(confidence) == band


def test_a_confidence_outside_zero_to_one_is_rejected() -> None:
    for wrong in (-0.1, 1.01):
        with pytest.raises(ValueError):
            confidence_band(wrong)


def test_summary_per_confidence_says_how_often_a_read_of_that_confidence_is_right() -> None:
    scores = [
        score_photo("51L33660", ["51L33660"], confidences=[0.995]),
        score_photo("51L33660", ["51L33660"], confidences=[0.999]),
        score_photo("51L33660", ["51L33666"], confidences=[0.992]),  # sure and wrong
        score_photo("60F407922", ["60F407922"], confidences=[0.62]),
        score_photo("60F407922", ["60F407929"], confidences=[0.55]),
        score_photo("29A12345", ["51L33660"], confidences=[0.999]),  # another plate only: no read to judge
        score_photo("29A12345", []),
    ]
    bands = summarize(scores, by_confidence=True)["per_confidence"]
    assert list(bands) == ["0.5-0.8", "0.99+"]  # lowest first; empty bands left out
    assert (bands["0.99+"]["reads"], bands["0.99+"]["exact"]) == (3, round(2 / 3, 4))
    assert bands["0.99+"]["exact_interval"] == [round(b, 4) for b in wilson_interval(2, 3)]
    assert (bands["0.5-0.8"]["reads"], bands["0.5-0.8"]["exact"]) == (2, 0.5)
    assert "per_confidence" not in summarize(scores)


def test_wilson_interval() -> None:
    low, high = wilson_interval(15, 16)  # the hand-checked held-out container numbers boxed
    assert (round(low, 4), round(high, 4)) == (0.7167, 0.9889)
    assert low < 15 / 16 < high
    assert wilson_interval(0, 9)[0] == 0.0 and 0.0 < wilson_interval(0, 9)[1] < 0.35
    assert wilson_interval(9, 9)[1] == 1.0 and 0.65 < wilson_interval(9, 9)[0] < 1.0
    narrow, wide = wilson_interval(483, 653), wilson_interval(7, 9)
    assert narrow[1] - narrow[0] < 0.1 < wide[1] - wide[0]  # more photos, a narrower interval
    assert wilson_interval(15, 16, z=1.0)[0] > low  # a lower confidence, a narrower interval
    for hits, n in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(ValueError):
            wilson_interval(hits, n)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, z=0.0)
