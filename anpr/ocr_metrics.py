"""Scoring plate reads against labelled photos, as ``anpr eval`` reports them.

A pure module. Per photo (one labelled plate, possibly other plates in view):

* **exact**: the labelled plate is among the plates returned, matched on
  normalised text (A-Z 0-9, Đ as D) exactly;
* **character accuracy**: ``1 - edit distance / label length`` (at least 0) of
  the returned plate closest to the label, 0 when none is returned;
* **located**: some returned plate is the labelled one read with at most a
  third of its characters wrong (confusion-aware distance,
  :func:`anpr.plates.confusion_distance`); without boxes in the labels this is
  how detection recall is measured.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anpr import plates

LOCATED_SHARE = 1 / 3
"""A read within this share of the label's length (confusion-aware) counts as the right box."""


def levenshtein(a: str, b: str) -> int:
    """Plain edit distance (insertions, deletions and substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True, slots=True)
class PhotoScore:
    """How one photo scored; ``ms`` is the recognition time in milliseconds (None if not run)."""

    category: str
    exact: bool
    char_accuracy: float
    located: bool
    ms: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.char_accuracy <= 1.0:
            raise ValueError("char_accuracy must be in [0, 1]")


def score_photo(label: str, reads: Sequence[str], category: str = "all", ms: float | None = None) -> PhotoScore:
    """Score the plate texts ``reads`` returned for a photo labelled ``label``."""
    target = plates.normalize(label)
    texts = [plates.normalize(r) for r in reads]
    if not target:
        raise ValueError(f"empty plate label {label!r}")
    if not texts:
        return PhotoScore(category, False, 0.0, False, ms)
    closest = min(levenshtein(t, target) for t in texts)
    located = any(plates.confusion_distance(t, target) <= LOCATED_SHARE * len(target) for t in texts)
    return PhotoScore(category, target in texts, max(0.0, 1.0 - closest / len(target)), located, ms)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of ``values`` at or
    below it (``share`` in (0, 1]); a timing that some photo really took, never an interpolation."""
    if not values:
        raise ValueError("no values")
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _summary(scores: Sequence[PhotoScore]) -> dict[str, Any]:
    n = len(scores)
    times = [s.ms for s in scores if s.ms is not None]
    return {
        "images": n,
        "exact": round(sum(s.exact for s in scores) / n, 4) if n else 0.0,
        "char_accuracy": round(sum(s.char_accuracy for s in scores) / n, 4) if n else 0.0,
        "detection_recall": round(sum(s.located for s in scores) / n, 4) if n else 0.0,
        "median_ms": round(statistics.median(times), 1) if times else None,
        "p99_ms": round(percentile(times, 0.99), 1) if times else None,
    }


def summarize(scores: Sequence[PhotoScore]) -> dict[str, Any]:
    """Overall numbers (median and p99 milliseconds among them) plus the same per category (sorted by name)."""
    report = _summary(scores)
    categories = sorted({s.category for s in scores})
    report["per_category"] = {c: _summary([s for s in scores if s.category == c]) for c in categories}
    return report
