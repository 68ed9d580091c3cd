"""Helpers for the end-to-end tests: gate events with real JPEG evidence, seeding the site, signing in."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from anpr.event_json import event_to_json
from anpr.events import ContainerResult, Direction, EvidenceImage, EvidenceKind, GateEvent, ObservedRead, PlateResult
from anpr.types import BBox

CHROMIUM = Path(os.environ.get("ANPR_E2E_CHROMIUM", "/usr/bin/chromium"))
"""Debian's chromium; ``ANPR_E2E_CHROMIUM`` points elsewhere."""
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(hours=5)
"""The first seeded pass; the declaration's window is open around now."""
QUARTER = f"{NOW.year}Q{(NOW.month - 1) // 3 + 1}"
C1, C2 = "MSCU1234566", "CSQU3054383"
BOX = (200, 120, 440, 240)
"""Where the bright 'plate' rectangle is painted in every evidence frame, and its read box."""


def frame(evidence_dir: Path, rel: str, at: datetime) -> EvidenceImage:
    """A 640x360 JPEG: dark grey, a white rectangle at :data:`BOX`."""
    image = np.full((360, 640, 3), 70, np.uint8)
    cv2.rectangle(image, BOX[:2], BOX[2:], (250, 250, 250), -1)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    data = buf.tobytes()
    (evidence_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (evidence_dir / rel).write_bytes(data)
    return EvidenceImage(
        "plate-front", EvidenceKind.FRAME, rel, hashlib.sha256(data).hexdigest(), len(data), at, 640, 360, (BBox(*BOX),)
    )


def gate_event(
    evidence_dir: Path,
    event_id: str,
    plate: str,
    containers: tuple[str, ...],
    at: datetime,
    direction: Direction = Direction.IN,
    confidence: float = 0.94,
) -> dict[str, Any]:
    image = frame(evidence_dir, f"{event_id}/0.jpg", at)
    read = ObservedRead("plate-front", at, plate, confidence, True, BBox(*BOX), image.sha256)
    boxes = tuple(
        ContainerResult(c, True, 0.9, "22G1", reads=(ObservedRead("container-side", at, c, 0.9, True),))
        for c in containers
    )
    return event_to_json(
        GateEvent(
            event_id,
            "lane-1",
            direction,
            at,
            at + timedelta(seconds=4),
            PlateResult(plate, plate, confidence, True, reads=(read,)),
            None,
            boxes,
            (image,),
            ("plate-front", "container-side"),
        )
    )


@dataclass(frozen=True)
class Site:
    url: str
    keys: dict[str, str]
    evidence_dir: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(site: Site) -> None:
    integration = {"Authorization": f"Bearer {site.keys['integration']}"}
    with httpx.Client(base_url=site.url + "/api/v1", headers=integration) as http:
        declaration = {
            "number": "106012345670",
            "type_code": "C11",
            "office_code": "02CI",
            "location_code": "02CIKNQ01",
            "plates": ["51C-123.45"],
            "containers": [C1],
            "valid_from": (NOW - timedelta(days=1)).isoformat(),
            "valid_to": (NOW + timedelta(days=1)).isoformat(),
        }
        assert http.post("/declarations", json=declaration).is_success
        events = [
            gate_event(site.evidence_dir, "lane1-0001", "51C12345", (C1,), T0),
            gate_event(site.evidence_dir, "lane1-0002", "51C12345", (), T0 + timedelta(hours=3), Direction.OUT, 0.995),
            gate_event(site.evidence_dir, "lane1-0003", "29H12345", (C2,), T0 + timedelta(hours=1)),
        ]
        for event in events:
            assert http.post("/events", json=event).status_code == 201
    operator = {"Authorization": f"Bearer {site.keys['operator']}"}
    camera = {"name": "plate-front", "lane": "lane-1", "direction": "in", "password": "secret"}
    assert httpx.post(site.url + "/api/v1/cameras", json=camera, headers=operator).status_code == 201


def sign_in(page: Any, key: str) -> None:
    page.fill("#api-key", key)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#console:not([hidden])")
