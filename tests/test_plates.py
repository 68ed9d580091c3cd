"""Vietnamese plate grammar: table cases from tests/data/plates.json and properties."""

from __future__ import annotations

import doctest
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from anpr import plates
from anpr.errors import InvalidInputError
from anpr.plates import (
    CONFUSABLE_PAIRS,
    Plate,
    PlateColour,
    PlateKind,
    candidates,
    confusion_distance,
    correct,
    default_colour,
    normalize,
    parse,
    plausible_colours,
    random_plate,
)
from anpr.plates_repair import DIGIT_TO_LETTER, LETTER_TO_DIGIT

TABLE: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).parent / "data" / "plates.json").read_text(encoding="utf-8")
)
VALID = [c for c in TABLE["parse"] if c.get("valid", True)]
INVALID = [c for c in TABLE["parse"] if not c.get("valid", True)]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["note"] for c in cases]


@pytest.mark.parametrize("case", VALID, ids=_ids(VALID))
def test_parse_valid(case: dict[str, Any]) -> None:
    plate = parse(case["input"], rows=case["rows"])
    assert plate is not None
    assert plate.text == case["text"]
    assert plate.formatted == case["formatted"]
    assert plate.kind == PlateKind(case["kind"])
    assert plate.province == case["province"]
    assert plate.series == case["series"]
    assert plate.serial == case["serial"]
    assert plate.rows == case["plate_rows"]
    assert plate.text == normalize(case["input"])
    assert parse(plate.formatted) == plate


@pytest.mark.parametrize("case", INVALID, ids=_ids(INVALID))
def test_parse_invalid(case: dict[str, Any]) -> None:
    assert parse(case["input"], rows=case["rows"]) is None


@pytest.mark.parametrize("case", TABLE["correct"], ids=_ids(TABLE["correct"]))
def test_correct(case: dict[str, Any]) -> None:
    plate = correct(case["input"], rows=case["rows"])
    assert (plate.formatted if plate else None) == case["formatted"]


@pytest.mark.parametrize("case", TABLE["distance"], ids=_ids(TABLE["distance"]))
def test_confusion_distance(case: dict[str, Any]) -> None:
    assert confusion_distance(case["a"], case["b"]) == case["distance"]
    assert confusion_distance(case["b"], case["a"]) == case["distance"]


@pytest.mark.parametrize("bad", [None, 51, 5.1, b"51F12345", ["51F12345"]])
def test_non_str_raises_typed_error(bad: Any) -> None:
    for call in (parse, correct, candidates, normalize):
        with pytest.raises(InvalidInputError):
            call(bad)
    with pytest.raises(InvalidInputError):
        confusion_distance(bad, "51F12345")


@pytest.mark.parametrize("rows", [0, 3, -1, True, "2"])
def test_bad_rows_hint_raises(rows: Any) -> None:
    with pytest.raises(InvalidInputError):
        parse("51F12345", rows=rows)
    with pytest.raises(InvalidInputError):
        candidates("51F12345", rows=rows)


@pytest.mark.parametrize("max_subs", [-1, 4, 1.5, True])
def test_bad_max_subs_raises(max_subs: Any) -> None:
    with pytest.raises(InvalidInputError):
        candidates("51F12345", max_subs=max_subs)


def test_plate_validates_itself() -> None:
    good = parse("51F-123.45")
    assert good is not None
    fields = {f: getattr(good, f) for f in Plate.__slots__}
    for change in (
        {"text": "51F12346"},  # formatted no longer spells the text
        {"text": "51f12345"},
        {"rows": 2},  # one-row display text
        {"province": 5},
        {"kind": "car"},  # a str, not the enum
        {"serial": "12a45"},
    ):
        with pytest.raises(InvalidInputError):
            Plate(**{**fields, **change})


def test_lines_split_rows() -> None:
    moto, car = parse("29-B1 123.45"), parse("51F-123.45")
    assert moto is not None and car is not None
    assert moto.lines == ("29-B1", "123.45")
    assert car.lines == ("51F-123.45",)


def test_candidates_ranked_and_first_is_parse() -> None:
    exact = candidates("51F12345", max_subs=0)
    assert [p.formatted for p in exact] == ["51F-123.45", "51-F1 2345", "51F 123.45"]
    two_rows = candidates("51F12345", rows=2, max_subs=0)
    assert [p.formatted for p in two_rows] == ["51-F1 2345", "51F 123.45", "51F-123.45"]
    found = candidates("51F12345")
    assert found[:3] == exact  # swapped readings (51-FL 2345 ...) rank after every exact one
    assert candidates("518-123.45", max_subs=0) == []
    assert [p.formatted for p in candidates("518-123.45", max_subs=1)] == [
        "51B-123.45",
        "51B 123.45",
        "51-B1 2345",
    ]


def test_candidates_asked_again_are_the_same_and_a_callers_list_is_its_own() -> None:
    """Candidates are kept for texts asked again (the views of one plate read alike); the list a
    caller gets is a copy, so changing it changes no later answer."""
    first = candidates("51F-123.46", max_subs=1)
    assert first and first[0].formatted == "51F-123.46"
    first.clear()
    again = candidates("51F-123.46", max_subs=1)
    assert again and again[0].formatted == "51F-123.46"
    assert candidates("51F-123.46", rows=2, max_subs=1)[0].rows == 2  # the rows hint is part of the question
    with pytest.raises(InvalidInputError):
        candidates(["51F12345"])  # type: ignore[arg-type]


def test_colours() -> None:
    military, state, car = parse("KP-12-34"), parse("29CD-001.25"), parse("51F-123.45")
    assert military is not None and state is not None and car is not None
    assert default_colour(military) is PlateColour.RED
    assert default_colour(state) is PlateColour.BLUE
    assert default_colour(car) is PlateColour.WHITE
    assert PlateColour.YELLOW in plausible_colours(car)
    for kind in PlateKind:
        plate = random_plate(random.Random(7), kind)
        assert default_colour(plate) == plausible_colours(plate)[0]


def test_module_doctests() -> None:
    result = doctest.testmod(plates)
    assert result.attempted > 0 and result.failed == 0


def test_random_plate_is_deterministic() -> None:
    first = [random_plate(random.Random(3)) for _ in range(3)]
    assert first == [random_plate(random.Random(3)) for _ in range(3)]


# --- properties -------------------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)
kinds = st.one_of(st.none(), st.sampled_from(list(PlateKind)))


@given(seed=seeds, kind=kinds)
@settings(max_examples=400)
def test_random_plates_round_trip(seed: int, kind: PlateKind | None) -> None:
    plate = random_plate(random.Random(seed), kind)
    if kind is not None:
        assert plate.kind is kind
    assert parse(plate.formatted) == plate
    assert parse(plate.formatted, rows=plate.rows) == plate
    assert correct(plate.formatted) == plate


@given(seed=seeds, kind=kinds, data=st.data())
@settings(max_examples=300)
def test_one_class_crossing_confusion_is_within_reach(seed: int, kind: PlateKind | None, data: Any) -> None:
    """Swapping one character for its other-class look-alike leaves the plate among the candidates."""
    plate = random_plate(random.Random(seed), kind)
    shown = plate.formatted.replace("Đ", "D")
    spots = [i for i, c in enumerate(shown) if c in LETTER_TO_DIGIT or c in DIGIT_TO_LETTER]
    assume(spots)  # a plate with no look-alike glyph at all (e.g. 77C-777.77) has nothing to swap
    i = data.draw(st.sampled_from(spots))
    inverse = {a: [b for b, _ in alts] for a, alts in (LETTER_TO_DIGIT | DIGIT_TO_LETTER).items()}
    corrupted = shown[:i] + data.draw(st.sampled_from(inverse[shown[i]])) + shown[i + 1 :]
    assert plate in candidates(corrupted, max_subs=1)
    repaired = correct(corrupted)
    assert repaired is not None
    assert confusion_distance(repaired.text, corrupted) <= 0.5


plate_like = st.text(alphabet="0123456789ABDFGHIKLOQSZĐđ -./\n", max_size=14)


@given(text=st.one_of(st.text(max_size=80), plate_like))
@settings(max_examples=400)
def test_any_text_never_crashes(text: str) -> None:
    plate = parse(text)
    assert plate is None or isinstance(plate, Plate)
    found = candidates(text, max_subs=1)
    assert all(isinstance(p, Plate) for p in found)
    if plate is not None:
        assert found[0] == plate
        assert correct(text) == plate
        assert plate.text == normalize(text)


@given(a=plate_like, b=plate_like, c=plate_like)
def test_distance_is_a_metric(a: str, b: str, c: str) -> None:
    ab = confusion_distance(a, b)
    assert ab == confusion_distance(b, a)
    assert (ab == 0) == (normalize(a) == normalize(b))
    assert ab <= confusion_distance(a, c) + confusion_distance(c, b)
    assert ab >= abs(len(normalize(a)) - len(normalize(b)))


def test_confusable_pairs_cross_or_share_a_twin() -> None:
    assert frozenset("O0") in CONFUSABLE_PAIRS and frozenset("8B") in CONFUSABLE_PAIRS
    assert frozenset("OD") in CONFUSABLE_PAIRS  # both read as 0
    assert frozenset("FK") not in CONFUSABLE_PAIRS


def _exhaustive_candidates(text: str, max_subs: int) -> list[Plate]:
    """Reference for :func:`candidates`: try every class-crossing swap of up to ``max_subs``
    characters (no shortcut by plate shape) and rank as the module does."""
    from itertools import combinations, product

    from anpr.plates_grammar import layout_cost, readings, scan

    scanned = scan(text)
    if scanned is None or not 4 <= len(scanned.norm) <= 12:
        return []
    alternatives = {c: LETTER_TO_DIGIT.get(c, ()) + DIGIT_TO_LETTER.get(c, ()) for c in scanned.norm}
    positions = [i for i, c in enumerate(scanned.norm) if alternatives[c]]
    scored: dict[Plate, tuple[int, int, int, int, str]] = {}
    for count in range(max_subs + 1):
        for chosen in combinations(positions, count):
            for swaps in product(*(alternatives[scanned.norm[i]] for i in chosen)):
                chars = list(scanned.norm)
                for i, (alt, _) in zip(chosen, swaps, strict=True):
                    chars[i] = alt
                weight = sum(w for _, w in swaps)
                for reading in readings("".join(chars)):
                    key = (count, layout_cost(reading, scanned.seps, None), weight, reading.preference,
                           reading.plate.formatted)  # fmt: skip
                    if reading.plate not in scored or key < scored[reading.plate]:
                        scored[reading.plate] = key
    return sorted(scored, key=scored.__getitem__)


misread_like = st.text(alphabet="0123456789ABDGILMOQSTZ", min_size=4, max_size=12)


@given(text=st.one_of(misread_like, plate_like), max_subs=st.integers(min_value=0, max_value=3))
@settings(max_examples=500)
def test_repair_by_plate_shape_finds_what_trying_every_swap_finds(text: str, max_subs: int) -> None:
    assert candidates(text, max_subs=max_subs) == _exhaustive_candidates(text, max_subs)


def test_plate_shapes_cover_every_form() -> None:
    from anpr.plates_grammar import shape_of, shapes

    for formatted in ("51F-123.45", "51F-1234", "29-B1 123.45", "29-AA 123.45", "60-MĐ5 123.45", "80NG-123-45",
                      "51 123-AB", "KP-47-90", "15R-012.34"):  # fmt: skip
        plate = parse(formatted)
        assert plate is not None, formatted
        assert shape_of(plate.text) in shapes(len(plate.text)), formatted
    assert shapes(3) == () and shapes(0) == () and "LLLLLLLL" not in shapes(8)
