"""Declaration import parsing: every row validated on its own, errors reported per row with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from anpr.errors import InvalidInputError
from db.declarations import (
    DeclarationInput,
    DeclaredContainer,
    DeclaredPlate,
    load_file,
    parse_csv_text,
    parse_json,
    parse_json_text,
)
from db.type_codes import TYPE_CODES, lookup

DATA = Path(__file__).resolve().parents[1] / "data"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CASES = json.loads((DATA / "declarations_cases.json").read_text())


def _row(case: dict[str, Any]) -> dict[str, Any]:
    return {**CASES["base"], **case["input"]}


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["note"] for c in CASES["cases"]])
def test_declaration_rows(case: dict[str, Any]) -> None:
    parsed = parse_json([_row(case)], ZONE)
    if case["error"] is None:
        assert parsed.errors == [], case["note"]
        assert len(parsed.good) == 1
    else:
        assert parsed.good == []
        (error,) = parsed.errors
        assert error.row == 1
        assert case["error"] in error.reason, f"{case['note']}: {error.reason}"


def test_good_rows_survive_bad_ones_and_keep_their_row_numbers() -> None:
    rows = [_row(c) for c in CASES["cases"]]
    parsed = parse_json(rows, ZONE)
    good_rows = [i for i, c in enumerate(CASES["cases"], start=1) if c["error"] is None]
    assert [row for row, _ in parsed.good] == good_rows
    assert len(parsed.errors) == len(rows) - len(good_rows)
    assert all(e.reason for e in parsed.errors)


def test_a_valid_declaration_is_normalised() -> None:
    row = {**CASES["base"], "plates": ["51c-12345"], "containers": ["mscu 123456-6 : seal001"]}
    ((_, decl),) = parse_json(row, ZONE).good
    assert decl.plates == (DeclaredPlate("51C12345", "51C-123.45"),)
    assert decl.containers == (DeclaredContainer("MSCU1234566", "SEAL001"),)
    assert (decl.base_number, decl.amendment, decl.direction) == ("10012345678", 0, "in")


def test_bare_dates_cover_whole_days_in_the_site_zone() -> None:
    row = {**CASES["base"], "valid_from": "2026-03-01", "valid_to": "2026-03-01"}
    ((_, decl),) = parse_json(row, ZONE).good
    assert decl.valid_from == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    assert decl.valid_to == datetime(2026, 3, 1, 17, 0, tzinfo=UTC) - timedelta(microseconds=1)


def test_content_hash_ignores_the_number_but_not_the_content() -> None:
    ((_, a),) = parse_json(CASES["base"], ZONE).good
    ((_, b),) = parse_json({**CASES["base"], "number": "100123456781"}, ZONE).good
    ((_, c),) = parse_json({**CASES["base"], "location_code": "02CIS01"}, ZONE).good
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_csv_rows_are_reported_one_by_one() -> None:
    parsed = parse_csv_text((DATA / "declarations_sample.csv").read_text(), ZONE)
    assert [row for row, _ in parsed.good] == [1, 2, 5]
    errors = {e.row: e.reason for e in parsed.errors}
    assert "ISO 6346" in errors[3]
    assert "12 digits" in errors[4]
    assert "more columns" in errors[6]
    _, second = parsed.good[1]
    assert [p.text for p in second.plates] == ["29H67890", "51R01234"]
    assert second.containers == (DeclaredContainer("TGHU1234567", "SEAL9"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,type_code\n1,C11\n", "missing"),  # columns the import needs are absent
        ("number,type_code,office_code,location_code,valid_from,valid_to,colour\n", "unknown.*colour"),
        ("", "missing"),  # empty file
    ],
)
def test_csv_header_is_checked(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_csv_text(text, ZONE)


@pytest.mark.parametrize("text", ["{", "[1, 2", "\x00\x01", "nul"])
def test_malformed_json_is_one_clear_error(text: str) -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        parse_json_text(text, ZONE)


def test_non_objects_in_a_json_list_are_row_errors() -> None:
    parsed = parse_json([CASES["base"], 42, "x", None], ZONE)
    assert len(parsed.good) == 1
    assert [(e.row, e.reason) for e in parsed.errors] == [(i, "a declaration must be a JSON object") for i in (2, 3, 4)]


def test_load_file_picks_the_format_by_suffix(tmp_path: Path) -> None:
    parsed = load_file(DATA / "declarations_sample.json", ZONE)
    assert (len(parsed.good), len(parsed.errors)) == (2, 1)
    other = tmp_path / "declarations.txt"
    other.write_text("x")
    with pytest.raises(InvalidInputError, match=r"\.json or \.csv"):
        load_file(other, ZONE)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_file(tmp_path / "absent.json", ZONE)
    binary = tmp_path / "bad.csv"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInputError, match="UTF-8"):
        load_file(binary, ZONE)


def test_declaration_input_checks_itself() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="12 digits"):
        DeclarationInput("123", "C11", "02CI", "02CIOZZ", start, start, (DeclaredPlate("51C12345", "51C-123.45"),))
    with pytest.raises(InvalidInputError, match="timezone"):
        DeclarationInput("100123456780", "C11", "02CI", "02CIOZZ", start.replace(tzinfo=None), start)


@pytest.mark.parametrize(
    ("code", "flow", "direction"),
    [
        ("C11", "import", "in"),
        ("C12", "export", "out"),
        ("C21", "import", "in"),
        ("C22", "export", "out"),
        ("A11", "import", "unknown"),
        ("B11", "export", "unknown"),
        ("E52", "export", "unknown"),
    ],
)
def test_type_codes(code: str, flow: str, direction: str) -> None:
    found = lookup(code.lower())
    assert found is not None and (found.flow, found.direction) == (flow, direction)


def test_type_code_table_is_consistent() -> None:
    assert all(len(c) == 3 and c == t.code for c, t in TYPE_CODES.items())
    assert lookup("X11") is None and lookup(11) is None  # type: ignore[arg-type]
