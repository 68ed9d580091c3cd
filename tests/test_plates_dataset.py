"""Every label of the real plate photos parses to a plate with the same normalised text.

The photos and labels live outside the repo (``../shared/datasets``, see its
README); the test skips with the reason when they are absent.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest

from anpr.plates import PlateKind, normalize, parse

DATASETS = Path(os.environ.get("GATE_DATASETS_DIR", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
LABELS = DATASETS / "vn-plate-photos" / "labels.csv"

pytestmark = [
    pytest.mark.dataset,
    pytest.mark.skipif(not LABELS.is_file(), reason=f"plate photo labels not found at {LABELS}"),
]

# Kinds the text of each category may show (the text cannot tell a state car from a private one).
CATEGORY_KINDS: dict[str, set[PlateKind]] = {
    "type1": {PlateKind.CAR, PlateKind.TRAILER},
    "type2": {PlateKind.MOTORBIKE, PlateKind.LEGACY, PlateKind.CAR, PlateKind.TRAILER},
    "type3": {PlateKind.SPECIAL, PlateKind.STATE, PlateKind.TRAILER},
    "type4": {PlateKind.CAR, PlateKind.STATE},
    "type5": {PlateKind.MILITARY},
    "type6": {PlateKind.MOTORBIKE},
    "type7": {PlateKind.CAR},
}


def _rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_label_parses_to_its_text() -> None:
    rows = _rows()
    assert len(rows) > 3000
    failures = []
    for row in rows:
        label = row["plate_text"]
        plate = parse(label)
        if plate is None or plate.text != normalize(label):
            failures.append(f"{row['image']}: {label!r} -> {plate}")
    assert not failures, "\n".join(failures[:50])


def test_labels_are_in_canonical_display_form() -> None:
    """The labels are written as on the plate, so parsing reproduces them exactly."""
    mismatches: Counter[str] = Counter()
    for row in _rows():
        plate = parse(row["plate_text"])
        if plate is not None and plate.formatted != row["plate_text"]:
            mismatches[f"{row['plate_text']!r} -> {plate.formatted!r}"] += 1
    assert not mismatches, mismatches.most_common(20)


def test_kinds_fit_the_categories() -> None:
    wrong: Counter[str] = Counter()
    for row in _rows():
        plate = parse(row["plate_text"])
        assert plate is not None
        if plate.kind not in CATEGORY_KINDS[row["category"]]:
            wrong[f"{row['category']}: {row['plate_text']} -> {plate.kind}"] += 1
    assert not wrong, wrong.most_common(20)


def test_unpunctuated_labels_still_parse() -> None:
    """Without separators the text alone decides; the normalised text never changes."""
    for row in _rows():
        text = normalize(row["plate_text"])
        plate = parse(text)
        assert plate is not None, row
        assert plate.text == text
