"""JSON form of :class:`anpr.events.GateEvent`, both ways.

The same shape is printed by ``anpr watch``, posted by edge workers to
``POST /api/v1/events`` and returned by the API, so it lives in one place.
Malformed input raises :class:`anpr.errors.InvalidInputError` with the field
that was wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anpr.errors import InvalidInputError
from anpr.events import (
    ContainerResult,
    Direction,
    EvidenceImage,
    EvidenceKind,
    GateEvent,
    ObservedRead,
    PlateResult,
    PlateRole,
)
from anpr.types import BBox, Orientation


def _box(b: BBox | None) -> list[float] | None:
    return None if b is None else [round(b.x1, 1), round(b.y1, 1), round(b.x2, 1), round(b.y2, 1)]


def _read_json(r: ObservedRead) -> dict[str, Any]:
    return {
        "camera": r.camera,
        "timestamp": r.timestamp.isoformat(),
        "text": r.text,
        "confidence": round(r.confidence, 4),
        "valid": r.valid,
        "bbox": _box(r.bbox),
        "evidence_sha256": r.evidence_sha256,
    }


def _plate_json(p: PlateResult | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "text": p.text,
        "formatted": p.formatted,
        "confidence": round(p.confidence, 4),
        "valid": p.valid,
        "role": p.role.value,
        "rows": p.rows,
        "reads": [_read_json(r) for r in p.reads],
    }


def event_to_json(e: GateEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "lane": e.lane,
        "direction": e.direction.value,
        "first_seen": e.first_seen.isoformat(),
        "last_seen": e.last_seen.isoformat(),
        "plate": _plate_json(e.plate),
        "trailer_plate": _plate_json(e.trailer_plate),
        "containers": [
            {
                "number": c.number,
                "check_digit_ok": c.check_digit_ok,
                "confidence": round(c.confidence, 4),
                "size_type": c.size_type,
                "orientation": c.orientation.value,
                "reads": [_read_json(r) for r in c.reads],
            }
            for c in e.containers
        ],
        "evidence": [
            {
                "camera": v.camera,
                "kind": v.kind.value,
                "path": v.path,
                "sha256": v.sha256,
                "size_bytes": v.size_bytes,
                "taken_at": v.taken_at.isoformat(),
                "width": v.width,
                "height": v.height,
                "boxes": [_box(b) for b in v.boxes],
            }
            for v in e.evidence
        ],
        "cameras": list(e.cameras),
    }


class _Reader:
    """Typed accessors that name the offending field in their errors."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where}: expected an object")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise InvalidInputError(f"{self.where}.{key}: required")
            return None
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise InvalidInputError(f"{self.where}.{key}: expected a number")
        if not isinstance(value, kind):
            raise InvalidInputError(f"{self.where}.{key}: wrong type {type(value).__name__}")
        return value

    def text(self, key: str, required: bool = True) -> Any:
        return self._get(key, str, required)

    def num(self, key: str, default: float | None = None) -> float:
        value = self._get(key, (int, float), default is None)
        return float(value) if value is not None else float(default or 0.0)

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, bool, default is None)
        return bool(default if value is None else value)

    def time(self, key: str) -> datetime:
        raw = self.text(key)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInputError(f"{self.where}.{key}: not an ISO 8601 time: {raw!r}") from exc
        if value.tzinfo is None:
            raise InvalidInputError(f"{self.where}.{key}: time needs a timezone offset")
        return value

    def box(self, key: str) -> BBox | None:
        raw = self._get(key, list, required=False)
        return None if raw is None else _parse_box(raw, f"{self.where}.{key}")

    def items(self, key: str) -> list[Any]:
        value = self._get(key, list, required=False)
        return [] if value is None else value


def _parse_box(raw: Any, where: str) -> BBox:
    if not (isinstance(raw, list) and len(raw) == 4 and all(isinstance(v, int | float) for v in raw)):
        raise InvalidInputError(f"{where}: a box is [x1, y1, x2, y2]")
    try:
        return BBox(*(float(v) for v in raw))
    except ValueError as exc:
        raise InvalidInputError(f"{where}: {exc}") from exc


def _read(data: Any, where: str) -> ObservedRead:
    r = _Reader(data, where)
    return ObservedRead(
        camera=r.text("camera"),
        timestamp=r.time("timestamp"),
        text=r.text("text"),
        confidence=r.num("confidence"),
        valid=r.flag("valid"),
        bbox=r.box("bbox"),
        evidence_sha256=r.text("evidence_sha256", required=False),
    )


def _plate(data: Any, where: str) -> PlateResult | None:
    if data is None:
        return None
    r = _Reader(data, where)
    return PlateResult(
        text=r.text("text"),
        formatted=r.text("formatted", required=False) or r.text("text"),
        confidence=r.num("confidence"),
        valid=r.flag("valid"),
        role=PlateRole(r.text("role", required=False) or "truck"),
        rows=int(r.num("rows", 1)),
        reads=tuple(_read(x, f"{where}.reads[{i}]") for i, x in enumerate(r.items("reads"))),
    )


def _container(data: Any, where: str) -> ContainerResult:
    r = _Reader(data, where)
    return ContainerResult(
        number=r.text("number"),
        check_digit_ok=r.flag("check_digit_ok"),
        confidence=r.num("confidence"),
        size_type=r.text("size_type", required=False),
        orientation=Orientation(r.text("orientation", required=False) or "horizontal"),
        reads=tuple(_read(x, f"{where}.reads[{i}]") for i, x in enumerate(r.items("reads"))),
    )


def _evidence(data: Any, where: str) -> EvidenceImage:
    r = _Reader(data, where)
    return EvidenceImage(
        camera=r.text("camera"),
        kind=EvidenceKind(r.text("kind")),
        path=r.text("path"),
        sha256=r.text("sha256"),
        size_bytes=int(r.num("size_bytes")),
        taken_at=r.time("taken_at"),
        width=int(r.num("width")),
        height=int(r.num("height")),
        boxes=tuple(_parse_box(b, f"{where}.boxes[{i}]") for i, b in enumerate(r.items("boxes"))),
    )


def event_from_json(data: Any) -> GateEvent:
    """Build a :class:`GateEvent` from its JSON form, or raise ``InvalidInputError`` naming the field."""
    r = _Reader(data, "event")
    try:
        return GateEvent(
            event_id=r.text("event_id"),
            lane=r.text("lane"),
            direction=Direction(r.text("direction")),
            first_seen=r.time("first_seen"),
            last_seen=r.time("last_seen"),
            plate=_plate(r.data.get("plate"), "event.plate"),
            trailer_plate=_plate(r.data.get("trailer_plate"), "event.trailer_plate"),
            containers=tuple(_container(x, f"event.containers[{i}]") for i, x in enumerate(r.items("containers"))),
            evidence=tuple(_evidence(x, f"event.evidence[{i}]") for i, x in enumerate(r.items("evidence"))),
            cameras=tuple(str(c) for c in r.items("cameras")),
        )
    except InvalidInputError:
        raise
    except ValueError as exc:  # enum values and dataclass self-checks
        raise InvalidInputError(f"event: {exc}") from exc
