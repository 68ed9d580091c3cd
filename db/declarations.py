"""Reading customs declarations from JSON and CSV, validating every row on its own.

A declaration is identified by its 12-digit VNACCS number: the first 11 digits
are the declaration, the 12th counts amendments (0 = as first filed). Each row
is checked for: the 12-digit number, a known type code (:mod:`db.type_codes`),
customs office and location codes, plates that parse as Vietnamese plates
(:func:`anpr.plates.parse`), containers that pass ISO 6346
(:func:`anpr.containers.parse`), optional seal numbers and a validity window.
A bad row becomes a :class:`RowError` with its 1-based row number and a
reason; it never stops the other rows.

JSON: one object or a list of objects with the keys ``number``, ``type_code``,
``office_code``, ``location_code``, ``plates`` (list of strings),
``containers`` (list of ``"NUMBER"``, ``"NUMBER:SEAL"`` or
``{"number": ..., "seal": ...}``), ``valid_from`` and ``valid_to``.

CSV: a header row with the same column names; ``plates`` is ``;``-separated and
``containers`` is ``NUMBER:SEAL;NUMBER:SEAL`` (the seal is optional).

Times are ISO 8601. A time without an offset is read in the site time zone; a
bare date means the start of that day for ``valid_from`` and its end for
``valid_to``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from anpr import containers as iso6346
from anpr import plates
from anpr.errors import InvalidInputError
from db.type_codes import lookup

FIELDS = ("number", "type_code", "office_code", "location_code", "plates", "containers", "valid_from", "valid_to")
REQUIRED = ("number", "type_code", "office_code", "location_code", "valid_from", "valid_to")
MAX_ROWS = 10_000
MAX_CONTAINERS = 500
MAX_PLATES = 20

_NUMBER = re.compile(r"[0-9]{12}")
_OFFICE = re.compile(r"[0-9]{2}[A-Z0-9]{2}")
_LOCATION = re.compile(r"[A-Z0-9]{4,12}")
_SEAL = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")


@dataclass(frozen=True, slots=True)
class DeclaredPlate:
    text: str
    formatted: str


@dataclass(frozen=True, slots=True)
class DeclaredContainer:
    number: str
    seal: str | None = None


@dataclass(frozen=True, slots=True)
class DeclarationInput:
    """One validated declaration version, ready to store."""

    number: str
    type_code: str
    office_code: str
    location_code: str
    valid_from: datetime
    valid_to: datetime
    plates: tuple[DeclaredPlate, ...] = ()
    containers: tuple[DeclaredContainer, ...] = ()

    def __post_init__(self) -> None:
        if not _NUMBER.fullmatch(self.number):
            raise InvalidInputError(f"number must be 12 digits, got {self.number!r}")
        if lookup(self.type_code) is None:
            raise InvalidInputError(f"unknown type code {self.type_code!r}")
        if self.valid_from.tzinfo is None or self.valid_to.tzinfo is None:
            raise InvalidInputError("validity times must be timezone-aware")
        if self.valid_to < self.valid_from:
            raise InvalidInputError("valid_to is before valid_from")
        if not self.plates and not self.containers:
            raise InvalidInputError("a declaration needs at least one plate or container to check at the gate")
        numbers = [c.number for c in self.containers]
        if len(set(numbers)) != len(numbers):
            raise InvalidInputError("a container is listed twice")

    @property
    def base_number(self) -> str:
        return self.number[:11]

    @property
    def amendment(self) -> int:
        return int(self.number[11])

    @property
    def direction(self) -> str:
        code = lookup(self.type_code)
        return code.direction if code is not None else "unknown"

    def content_hash(self) -> str:
        """sha256 of everything but the number: equal hashes mean an identical re-send."""
        body = {
            "type_code": self.type_code,
            "office_code": self.office_code,
            "location_code": self.location_code,
            "valid_from": self.valid_from.timestamp(),
            "valid_to": self.valid_to.timestamp(),
            "plates": [p.text for p in self.plates],
            "containers": [[c.number, c.seal] for c in self.containers],
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str
    number: str | None = None


@dataclass(slots=True)
class ParsedRows:
    """Good rows as ``(row, declaration)`` and bad rows as errors; ``row`` is 1-based."""

    good: list[tuple[int, DeclarationInput]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty string")
    return value.strip().upper()


def parse_time(value: Any, name: str, zone: ZoneInfo, end_of_day: bool = False) -> datetime:
    """ISO 8601 time or date; no offset means ``zone``; a bare date is its first (or last) instant."""
    raw = _text(value, name)
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            if end_of_day:
                return datetime.combine(day + timedelta(days=1), time(), zone) - timedelta(microseconds=1)
            return datetime.combine(day, time(), zone)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInputError(f"{name} is not an ISO 8601 date or time: {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _plate(value: Any) -> DeclaredPlate:
    if not isinstance(value, str):
        raise InvalidInputError("plates must be strings")
    plate = plates.parse(value)
    if plate is None:
        raise InvalidInputError(f"plate {value!r} is not a valid Vietnamese plate")
    return DeclaredPlate(plate.text, plate.formatted)


def _container(value: Any) -> DeclaredContainer:
    if isinstance(value, dict):
        extra = set(value) - {"number", "seal"}
        if extra:
            raise InvalidInputError(f"unknown container field(s) {sorted(extra)}")
        number, seal = value.get("number"), value.get("seal")
    elif isinstance(value, str):
        number, _, seal = value.partition(":")
        seal = seal or None
    else:
        raise InvalidInputError("containers must be strings or objects")
    if not isinstance(number, str):
        raise InvalidInputError("container number must be a string")
    parsed = iso6346.parse(number)
    if parsed is None:
        raise InvalidInputError(f"container {number.strip()!r} is not a valid ISO 6346 number (check digit)")
    if seal is not None:
        if not isinstance(seal, str) or not _SEAL.fullmatch(seal.strip().upper()):
            raise InvalidInputError(f"seal {seal!r} must be 1-32 letters, digits or '-'")
        seal = seal.strip().upper()
    return DeclaredContainer(parsed.number, seal)


def _items(value: Any, name: str, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"{name} must be a list")
    if len(value) > limit:
        raise InvalidInputError(f"{name}: at most {limit} entries")
    return value


def _code(value: Any, name: str, pattern: re.Pattern[str]) -> str:
    text = _text(value, name)
    if not pattern.fullmatch(text):
        raise InvalidInputError(f"{name} {value!r} is malformed")
    return text


def declaration_from_dict(data: Any, zone: ZoneInfo) -> DeclarationInput:
    """One declaration from its JSON object, or ``InvalidInputError`` naming the first problem."""
    if not isinstance(data, dict):
        raise InvalidInputError("a declaration must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInputError(f"unknown field(s) {unknown}; expected {list(FIELDS)}")
    missing = [k for k in REQUIRED if data.get(k) in (None, "")]
    if missing:
        raise InvalidInputError(f"missing {missing}")
    number = data["number"].strip() if isinstance(data["number"], str) else data["number"]
    if not isinstance(number, str) or not _NUMBER.fullmatch(number):
        raise InvalidInputError(f"number must be a string of 12 digits, got {data['number']!r}")
    type_code = _text(data["type_code"], "type_code")
    if lookup(type_code) is None:
        raise InvalidInputError(f"unknown type code {data['type_code']!r}")
    return DeclarationInput(
        number=number,
        type_code=type_code,
        office_code=_code(data["office_code"], "office_code", _OFFICE),
        location_code=_code(data["location_code"], "location_code", _LOCATION),
        valid_from=parse_time(data["valid_from"], "valid_from", zone),
        valid_to=parse_time(data["valid_to"], "valid_to", zone, end_of_day=True),
        plates=tuple(_plate(p) for p in _items(data.get("plates"), "plates", MAX_PLATES)),
        containers=tuple(_container(c) for c in _items(data.get("containers"), "containers", MAX_CONTAINERS)),
    )


def _collect(records: Iterable[tuple[int, Any]], zone: ZoneInfo) -> ParsedRows:
    out = ParsedRows()
    for row, record in records:
        if row > MAX_ROWS:
            out.errors.append(RowError(row, f"too many rows: at most {MAX_ROWS} per import"))
            break
        number = record.get("number") if isinstance(record, dict) else None
        if isinstance(record, dict) and record.pop("__extra__", None):
            out.errors.append(RowError(row, "the row has more columns than the header", number))
            continue
        try:
            out.good.append((row, declaration_from_dict(record, zone)))
        except InvalidInputError as exc:
            out.errors.append(RowError(row, str(exc), number if isinstance(number, str) else None))
    return out


def parse_json(data: Any, zone: ZoneInfo) -> ParsedRows:
    """Rows from already-decoded JSON: one object or a list of objects."""
    records = data if isinstance(data, list) else [data]
    return _collect(enumerate(records, start=1), zone)


def parse_json_text(text: str | bytes, zone: ZoneInfo) -> ParsedRows:
    """Rows from JSON text; text that is not JSON at all raises ``InvalidInputError``."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"not valid JSON: {exc}") from exc
    return parse_json(data, zone)


def _csv_record(raw: dict[str | Any, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if k is not None}
    if None in raw:
        record["__extra__"] = True
    for name in ("plates", "containers"):
        value = record.get(name)
        record[name] = [p.strip() for p in value.split(";") if p.strip()] if isinstance(value, str) else None
    return record


def parse_csv_text(text: str, zone: ZoneInfo) -> ParsedRows:
    """Rows from CSV text with a header naming the columns of :data:`FIELDS`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    unknown = sorted(set(header) - set(FIELDS))
    missing = [k for k in REQUIRED if k not in header]
    if unknown or missing:
        raise InvalidInputError(f"CSV header must name {list(FIELDS)}; unknown {unknown}, missing {missing}")
    try:
        records = [(i, _csv_record(raw)) for i, raw in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise InvalidInputError(f"malformed CSV: {exc}") from exc
    return _collect(records, zone)


def load_file(path: Path, zone: ZoneInfo) -> ParsedRows:
    """Rows from a ``.json`` or ``.csv`` file (by suffix); unreadable files raise ``InvalidInputError``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_json_text(raw, zone)
    if suffix == ".csv":
        try:
            return parse_csv_text(raw.decode("utf-8"), zone)
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{path} is not UTF-8 text") from exc
    raise InvalidInputError(f"{path}: declarations are read from .json or .csv files")
