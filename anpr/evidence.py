"""Evidence images: the best full frame per camera and the crops of the objects read, as JPEG files.

Files go under the evidence directory as
``<lane>/<YYYY>/<MM>/<DD>/<event id>/<camera>-frame.jpg`` and
``.../<camera>-<class>-<track>.jpg``; each is written to a temporary name and
renamed into place, so a crash or a shutdown never leaves a half-written file
under its final name. The sha256 is of the JPEG bytes as stored. Paths in
:class:`~anpr.events.EvidenceImage` are relative to the evidence directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from anpr.errors import AnprError
from anpr.events import EvidenceImage, EvidenceKind, GateEvent, ObservedRead
from anpr.tracking import BestView, TrackResult
from anpr.types import BBox, ImageArray

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EvidenceWriteError(AnprError):
    """An evidence image that could not be encoded or stored."""


def safe_name(text: str) -> str:
    """``text`` usable as one path component (letters, digits, ``._-``; never empty, ``.`` or ``..``)."""
    name = _UNSAFE.sub("_", text).strip(".") or "_"
    return name[:100]


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class EvidenceStore:
    """Writes JPEG evidence under ``root`` (created on first write)."""

    def __init__(self, root: Path, jpeg_quality: int = 90, crop_margin: float = 0.15) -> None:
        if not 1 <= jpeg_quality <= 100 or crop_margin < 0:
            raise ValueError("jpeg_quality must be 1-100 and crop_margin >= 0")
        self.root = root
        self.jpeg_quality = jpeg_quality
        self.crop_margin = crop_margin

    def write(
        self,
        rel_path: str,
        image: ImageArray,
        camera: str,
        kind: EvidenceKind,
        taken_at: datetime,
        boxes: Sequence[BBox] = (),
    ) -> EvidenceImage:
        """Encode ``image`` as JPEG at ``root/rel_path`` atomically and describe it."""
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise EvidenceWriteError(f"cannot encode evidence image {rel_path}")
        data = np.asarray(encoded).tobytes()
        target = self.root / rel_path
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise EvidenceWriteError(f"cannot write evidence {target}: {exc.strerror}") from exc
        height, width = int(image.shape[0]), int(image.shape[1])
        return EvidenceImage(
            camera,
            kind,
            rel_path,
            hashlib.sha256(data).hexdigest(),
            len(data),
            _aware(taken_at),
            width,
            height,
            tuple(boxes),
        )

    def crop(self, image: ImageArray, bbox: BBox) -> ImageArray | None:
        """The part of ``image`` inside ``bbox`` grown by ``crop_margin``; ``None`` if nothing is left."""
        height, width = int(image.shape[0]), int(image.shape[1])
        box = bbox.expand(self.crop_margin).clip(width, height)
        if box is None:
            return None
        x1, y1, x2, y2 = int(box.x1), int(box.y1), round(box.x2), round(box.y2)
        piece = image[y1:y2, x1:x2]
        return np.ascontiguousarray(piece) if piece.size else None


def event_folder(event: GateEvent) -> str:
    day = event.first_seen.astimezone(UTC)
    return f"{safe_name(event.lane)}/{day:%Y/%m/%d}/{safe_name(event.event_id)}"


def _used(event: GateEvent) -> set[tuple[str, datetime, str]]:
    reads: list[ObservedRead] = []
    for plate in (event.plate, event.trailer_plate):
        if plate is not None:
            reads.extend(plate.reads)
    for c in event.containers:
        reads.extend(c.reads)
    return {(r.camera, r.timestamp, r.text) for r in reads}


def best_frames(tracks: Sequence[TrackResult]) -> dict[str, tuple[BestView, list[BBox]]]:
    """Per camera, the frame holding the most read confidence, and the boxes of the objects in it."""
    by_frame: dict[tuple[str, int, datetime], list[BestView]] = {}
    for t in tracks:
        if t.best is not None:
            by_frame.setdefault((t.camera, t.best.frame_index, t.best.timestamp), []).append(t.best)
    out: dict[str, tuple[BestView, list[BBox]]] = {}
    scores: dict[str, float] = {}
    for (camera, _, _), views in sorted(by_frame.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        score = sum(v.confidence for v in views)
        if score > scores.get(camera, -1.0):
            scores[camera] = score
            out[camera] = (views[0], [v.bbox for v in views])
    return out


def _link(
    reads: tuple[ObservedRead, ...],
    shas: dict[tuple[str, datetime, BBox | None], str],
    frames: dict[tuple[str, datetime], str],
) -> tuple[ObservedRead, ...]:
    out = []
    for r in reads:
        sha = shas.get((r.camera, r.timestamp, r.bbox)) or frames.get((r.camera, r.timestamp))
        out.append(replace(r, evidence_sha256=sha) if sha else r)
    return tuple(out)


def attach_evidence(event: GateEvent, tracks: Sequence[TrackResult], store: EvidenceStore) -> GateEvent:
    """Write the evidence of ``event`` and return it with :attr:`GateEvent.evidence` and each read's
    ``evidence_sha256`` filled in (the crop of that read, else the frame it came from).

    A file that cannot be written is logged and left out; the event is still returned.
    """
    folder = event_folder(event)
    images: list[EvidenceImage] = []
    frame_sha: dict[tuple[str, datetime], str] = {}
    crop_sha: dict[tuple[str, datetime, BBox | None], str] = {}
    for camera, (view, boxes) in sorted(best_frames(tracks).items()):
        try:
            img = store.write(
                f"{folder}/{safe_name(camera)}-frame.jpg", view.image, camera, EvidenceKind.FRAME, view.timestamp, boxes
            )
        except EvidenceWriteError as exc:
            log.error("event %s: %s", event.event_id, exc)
            continue
        images.append(img)
        frame_sha[(camera, _aware(view.timestamp))] = img.sha256
    used = _used(event)
    for t in sorted(tracks, key=lambda t: t.key):
        best = t.best
        if best is None or not any((o.camera, _aware(o.timestamp), o.text) in used for o in t.observations):
            continue
        piece = store.crop(best.image, best.bbox)
        if piece is None:
            continue
        name = f"{folder}/{safe_name(t.camera)}-{t.cls.value}-{t.track_id}.jpg"
        try:
            img = store.write(name, piece, t.camera, EvidenceKind.CROP, best.timestamp)
        except EvidenceWriteError as exc:
            log.error("event %s: %s", event.event_id, exc)
            continue
        images.append(img)
        crop_sha[(t.camera, _aware(best.timestamp), best.bbox)] = img.sha256
    plate = event.plate and replace(event.plate, reads=_link(event.plate.reads, crop_sha, frame_sha))
    trailer = event.trailer_plate and replace(
        event.trailer_plate, reads=_link(event.trailer_plate.reads, crop_sha, frame_sha)
    )
    fused = tuple(replace(c, reads=_link(c.reads, crop_sha, frame_sha)) for c in event.containers)
    return replace(event, plate=plate, trailer_plate=trailer, containers=fused, evidence=tuple(images))
