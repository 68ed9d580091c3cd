"""ISO 6346 container numbers and size/type codes: table cases and properties."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from anpr.containers import (
    COMMON_SIZE_TYPES,
    ContainerNumber,
    SizeType,
    TypeGroup,
    candidates,
    check_digit,
    correct,
    could_be_number,
    lacks_check_digit,
    lacks_owner_start,
    numbers_within,
    parse,
    parse_size_type,
    prefer_known_owner,
    random_container,
    random_size_type,
    silent_alternatives,
)
from anpr.errors import InvalidInputError

DATA = Path(__file__).parent / "data"
TABLE: dict[str, list[dict[str, Any]]] = json.loads((DATA / "containers.json").read_text(encoding="utf-8"))
SIZES: dict[str, list[dict[str, Any]]] = json.loads((DATA / "size_types.json").read_text(encoding="utf-8"))

# Class-crossing look-alikes: (letter, digit). A letter position read as the digit, or the reverse.
CROSSING = [("O", "0"), ("D", "0"), ("Q", "0"), ("I", "1"), ("Z", "2"), ("A", "4"), ("S", "5"), ("G", "6")]
CROSSING += [("B", "8"), ("L", "1"), ("U", "0"), ("J", "1"), ("T", "7")]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["note"] for c in cases]


def _swaps(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def _norm(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


@pytest.mark.parametrize("case", TABLE["valid"], ids=_ids(TABLE["valid"]))
def test_parse_valid(case: dict[str, Any]) -> None:
    number = parse(case["input"])
    assert number is not None
    assert number.number == case["number"]
    assert number.owner == case["owner"]
    assert number.category == case["category"]
    assert number.serial == case["serial"]
    assert number.check_digit == case["check_digit"]
    assert number.formatted == case["formatted"]
    assert iso6346.is_valid(number.number)
    assert parse(number.formatted) == number


@pytest.mark.parametrize("case", TABLE["invalid"], ids=_ids(TABLE["invalid"]))
def test_parse_invalid(case: dict[str, Any]) -> None:
    assert parse(case["input"]) is None


@pytest.mark.parametrize("case", TABLE["correct"], ids=_ids(TABLE["correct"]))
def test_correct(case: dict[str, Any]) -> None:
    fixed = correct(case["input"])
    assert (fixed.number if fixed else None) == case["number"]
    if fixed is not None:
        assert fixed == candidates(case["input"])[0]


@pytest.mark.parametrize("case", TABLE["check_digit"], ids=_ids(TABLE["check_digit"]))
def test_check_digit(case: dict[str, Any]) -> None:
    if case["check_digit"] is None:
        with pytest.raises(InvalidInputError):
            check_digit(case["prefix"])
    else:
        assert check_digit(case["prefix"]) == case["check_digit"]


@settings(max_examples=500)
@given(st.from_regex(r"[A-Z]{4}[0-9]{6}", fullmatch=True))
def test_check_digit_agrees_with_python_stdnum(prefix: str) -> None:
    """Our table of character values gives python-stdnum's ISO 6346 check digit."""
    assert check_digit(prefix) == int(iso6346.calc_check_digit(prefix))


@pytest.mark.parametrize("bad", [None, 12345678901, b"CSQU3054383", ["CSQU3054383"]])
def test_non_str_raises_typed_error(bad: Any) -> None:
    for call in (parse, candidates, correct, check_digit, parse_size_type):
        with pytest.raises(InvalidInputError):
            call(bad)


@pytest.mark.parametrize("number", ["CSQU3054384", "CSQR3054383", "csqu3054383", "CSQU 305438 3", ""])
def test_container_number_validates_itself(number: str) -> None:
    with pytest.raises(InvalidInputError):
        ContainerNumber(number)


def test_candidates_ranked_by_swaps() -> None:
    found = candidates("CSQU3054384")
    assert [c.number for c in found] == ["CSOU3064384", "CSQU3064334", "CSQU3864384", "CSQU8064384"]
    assert candidates("CAIU8979622")[0].number == "CAIU8979622"
    counts = [_swaps(c.number, "CAIU8979623") for c in candidates("CAIU8979623")]
    assert counts == sorted(counts)


@pytest.mark.parametrize("case", SIZES["valid"], ids=_ids(SIZES["valid"]))
def test_size_type_valid(case: dict[str, Any]) -> None:
    decoded = parse_size_type(case["code"])
    assert decoded is not None
    assert decoded.code == case["code"].strip().upper()
    assert decoded.length_mm == case["length_mm"]
    assert decoded.length_ft == case["length_ft"]
    assert decoded.height_mm == case["height_mm"]
    assert decoded.height == case["height"]
    assert decoded.width == case["width"]
    assert decoded.type_group is TypeGroup(case["type_group"])
    assert decoded.high_cube is case["high_cube"]
    assert decoded.description


@pytest.mark.parametrize("case", SIZES["invalid"], ids=_ids(SIZES["invalid"]))
def test_size_type_invalid(case: dict[str, Any]) -> None:
    assert parse_size_type(case["code"]) is None


def test_size_type_validates_itself() -> None:
    good = parse_size_type("45G1")
    assert good is not None
    fields = {f: getattr(good, f) for f in SizeType.__slots__}
    for change in ({"code": "45X1"}, {"code": "95G1"}, {"type_group": TypeGroup.REFRIGERATED}):
        with pytest.raises(InvalidInputError):
            SizeType(**{**fields, **change})


def test_common_size_types_all_decode() -> None:
    assert all(parse_size_type(code) is not None for code in COMMON_SIZE_TYPES)
    rng = random.Random(5)
    drawn = {random_size_type(rng).code for _ in range(300)}
    assert drawn <= set(COMMON_SIZE_TYPES) and {"22G1", "45G1"} <= drawn


# --- properties -------------------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@given(seed=seeds)
def test_random_containers_are_valid(seed: int) -> None:
    number = random_container(random.Random(seed))
    assert iso6346.is_valid(number.number)
    assert parse(number.formatted) == number
    assert parse(number.number.lower()) == number
    assert correct(number.formatted) == number


@given(seed=seeds, data=st.data())
@settings(max_examples=500)
def test_one_class_crossing_confusion_is_repaired(seed: int, data: Any) -> None:
    """A letter read as its digit look-alike (or the reverse) is repaired, or ``None`` when the
    check digit cannot single out one number at one swap; ``correct`` never guesses."""
    number = random_container(random.Random(seed)).number
    spots = [
        (i, wrong)
        for i, ch in enumerate(number)
        for letter, digit in CROSSING
        for wrong in ([digit] if i < 4 and ch == letter else [letter] if i >= 4 and ch == digit else [])
    ]
    if not spots:
        return
    i, wrong = data.draw(st.sampled_from(spots))
    corrupted = number[:i] + wrong + number[i + 1 :]
    found = candidates(corrupted)
    assert number in [c.number for c in found]
    one_swap = [c.number for c in found if _swaps(c.number, corrupted) == 1]
    fixed = correct(corrupted)
    if fixed is None:
        assert len(one_swap) > 1
    else:
        assert fixed.number == number
        assert one_swap == [number]


alnum = st.text(alphabet="ABCDEGIJLMOQSUVZ0123456789", min_size=11, max_size=11)


@given(text=alnum)
@settings(max_examples=400)
def test_correct_never_returns_a_failing_check_digit(text: str) -> None:
    found = candidates(text)
    assert all(iso6346.is_valid(c.number) and _swaps(c.number, text) <= 2 for c in found)
    fixed = correct(text)
    assert fixed is None or (iso6346.is_valid(fixed.number) and fixed.category in "UJZ")


@given(text=st.text(max_size=80))
@settings(max_examples=300)
def test_any_text_never_crashes(text: str) -> None:
    number = parse(text)
    assert number is None or number.number == _norm(text)
    assert all(isinstance(c, ContainerNumber) for c in candidates(text))
    assert correct(text) is None or isinstance(correct(text), ContainerNumber)
    assert parse_size_type(text) is None or isinstance(parse_size_type(text), SizeType)


def test_silent_alternatives_keep_the_check_digit_and_change_one_owner_letter() -> None:
    number = parse("MSKU0539301")
    assert number is not None
    alternatives = silent_alternatives(number)
    assert "WSKU0539301" in [a.number for a in alternatives]  # M = 24, W = 35: 11 apart
    for alt in alternatives:
        assert alt.number[3:] == number.number[3:]
        assert sum(x != y for x, y in zip(alt.number, number.number, strict=True)) == 1


@pytest.mark.parametrize("text", ["TRLU8274540", "MSKU0539301", "CSQU3054383", "TGHU2703360"])
def test_silent_alternatives_are_every_one_letter_owner_change_that_passes(text: str) -> None:
    number = parse(text)
    assert number is not None
    passing = {
        text[:i] + letter + text[i + 1 :]
        for i in range(3)
        for letter in string.ascii_uppercase
        if letter != text[i] and parse(text[:i] + letter + text[i + 1 :]) is not None
    }
    assert {a.number for a in silent_alternatives(number)} == passing


@pytest.mark.parametrize(
    ("read", "preferred"),
    [
        ("WSKU0539301", "MSKU0539301"),  # the check digit cannot see W for M; MSK is a known owner
        ("MSKU0539301", "MSKU0539301"),  # a known owner is never changed
        ("QXYU1234568", "QXYU1234568"),  # unknown, and no known owner one silent letter away
        ("ZCIU1234560", "ZCIU1234560"),  # two known owners (FCI, PCI) one silent letter away: no guess
        # A remainder of 10 is written 0: I (19) and S (30) pass where T (31) does (a real roof misread).
        ("IRLU8274540", "TRLU8274540"),
        ("SRLU8274540", "TRLU8274540"),
        ("IGHU2703360", "TGHU2703360"),  # a nudged box's read of a real TGHU2703360
        ("DSLU2271920", "CSLU2271920"),  # C (13) and D (14) pass alike with a check digit of 0 (a real door)
    ],
)
def test_prefer_known_owner(read: str, preferred: str) -> None:
    number = parse(read)
    assert number is not None, read
    assert prefer_known_owner(number).number == preferred


def test_random_numbers_are_never_read_as_another_owner() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        number = random_container(rng)
        assert prefer_known_owner(number) == number


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("MSCU500627", True),  # the box ended at the serial
        ("TGHZ123456", True),
        ("MSCU5006271", False),  # complete
        ("MSCA500627", False),  # no such category
        ("MSCU50062", False),
        ("mscu500627", False),  # readings are normalised upper case
        ("MSCU 500627", False),
    ],
)
def test_lacks_check_digit_only_for_owner_code_and_serial(text: str, short: bool) -> None:
    assert lacks_check_digit(text) is short


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("TSU6889054", True),  # DFSU6889054 from a box that began inside the owner code
        ("SU6889054", True),
        ("U6889054", True),
        ("DFSU6889054", False),  # whole
        ("TSX6889054", False),  # the letter before the serial is no category
        ("TSU688905", False),  # the serial is short too
        ("tsu6889054", False),
    ],
)
def test_lacks_owner_start_only_for_a_cut_owner_code(text: str, cut: bool) -> None:
    assert lacks_owner_start(text) is cut


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("MDFCIU5288353", [(2, "FCIU5288353")]),  # marks above a vertical stack
        ("MSCU 123456 6 22G1", [(0, "MSCU1234566")]),  # the size/type code further along
        ("MSCU1234566", []),  # not longer than a number: parse() reads it
        ("MDFCIU5288354", []),  # the check digit fails in every window
        ("MSCU1234566MSCU1234566", [(0, "MSCU1234566"), (11, "MSCU1234566")]),
        ("MSCU1234566?", []),  # not a container text at all
    ],
)
def test_numbers_within_a_longer_read(text: str, found: list[tuple[int, str]]) -> None:
    assert [(start, n.number) for start, n in numbers_within(text)] == found


@given(text=st.text(alphabet="ABCDEFGUZ0123456789", min_size=12, max_size=30))
@settings(max_examples=300)
def test_every_number_within_passes_its_check_digit_where_it_was_read(text: str) -> None:
    for start, number in numbers_within(text):
        assert text[start : start + 11] == number.number and iso6346.is_valid(number.number)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("MSCU5006271", True),  # valid
        ("MSCU5006270", True),  # check digit fails: still a number misread
        ("MSCU 500627 1", True),  # spacing is free
        ("F0IU5977394", True),  # a digit in the owner code (0 for C): one look-alike swap
        ("MSCU500627", True),  # the check digit not read
        ("TSU6889054", True),  # the box began inside the owner code
        ("F0IU59773940", True),  # one character too many and one look-alike
        ("F01U40016936", False),  # one too many and two look-alikes: three edits
        ("GR0SS30480K6", False),  # MAX GROSS 30480 KG
        ("MAXRSS716608", False),
        ("MSCO5006271", True),  # a worn category letter: one edit
        ("MSC45006271", False),  # a digit no category looks like
        ("MSCO500627", True),  # a worn category and no check digit: two edits
        ("MSC0500627XX", False),  # one too many, and a letter no digit looks like in the serial
        ("0000U5006271", False),  # three owner letters as digits: three swaps
        ("MSCU50062", False),  # too short
        ("MSCU50062711X", False),  # too long
        ("MSCUKKK6271", False),  # letters no digit looks like in the serial
        ("", False),
        ("MSCU-500627-1!", False),  # not something a reader outputs
    ],
)
def test_could_be_number(text: str, shaped: bool) -> None:
    assert could_be_number(text) is shaped


@given(seed=seeds, data=st.data())
@settings(max_examples=300)
def test_a_misread_number_keeps_its_shape(seed: int, data: Any) -> None:
    """A valid number with one character dropped, one added, or one class-crossing look-alike is
    still taken for a number: the shape check drops only text that was never one."""
    number = random_container(random.Random(seed)).number
    assert could_be_number(number)
    i = data.draw(st.integers(0, 10))
    extra = data.draw(st.sampled_from("ABCDEFGHKMNPRSTUVXY0123456789"))
    assert could_be_number(number[:i] + number[i + 1 :])
    assert could_be_number(number[:i] + extra + number[i:])
    letter, digit = data.draw(st.sampled_from(CROSSING))
    if i < 4 and number[i] == letter:
        assert could_be_number(number[:i] + digit + number[i + 1 :])
    if i >= 4 and number[i] == digit:
        assert could_be_number(number[:i] + letter + number[i + 1 :])
