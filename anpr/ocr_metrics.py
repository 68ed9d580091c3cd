"""Scoring plate reads against labelled photos, as ``anpr eval`` reports them.

A pure module. Per photo (one labelled plate, possibly other plates in view):

* **exact**: the labelled plate is among the plates returned, matched on
  normalised text (A-Z 0-9, Đ as D) exactly;
* **character accuracy**: ``1 - edit distance / label length`` (at least 0) of
  the returned plate closest to the label, 0 when none is returned;
* **located**: some returned plate is the labelled one read with at most a
  third of its characters wrong (confusion-aware distance,
  :func:`anpr.plates.confusion_distance`); without boxes in the labels this is
  how detection recall is measured;
* **plate width**: the width in pixels of the box of the located read closest to
  the label. Scores are also summarised per band of it (:data:`PLATE_WIDTH_BANDS`),
  because how many pixels a character gets decides more than anything else
  whether it can be read: a gate camera's plates are wide, a street photo's often
  a few dozen pixels.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from anpr import plates

LOCATED_SHARE = 1 / 3
"""A read within this share of the label's length (confusion-aware) counts as the right box."""

PLATE_WIDTH_BANDS = (40, 60, 80)
"""Edges (pixels, each the start of a band) of the plate-width bands ``anpr eval`` reports."""

CONFIDENCE_BANDS = (0.5, 0.8, 0.9, 0.95, 0.99)
"""Edges (each the start of a band) of the confidence bands ``anpr eval`` reports reads in."""

NOT_LOCATED = "not_located"
"""The band of photos with no located read (no box of theirs to measure)."""

NO_WIDTH = "no_width"
"""The band of photos whose located read came without a box width."""


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
    plate_width: float | None = None
    """Pixel width of the located read's box (the one closest to the label); None when none is located
    or no widths were given."""
    confidence: float | None = None
    """The confidence the located read was reported with (that read is the exact one when there is
    one); None when none is located or no confidences were given."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.char_accuracy <= 1.0:
            raise ValueError("char_accuracy must be in [0, 1]")
        if self.plate_width is not None and (self.plate_width < 0 or not self.located):
            raise ValueError("plate_width is the width of a located read's box, at least 0")
        if self.confidence is not None and (not 0.0 <= self.confidence <= 1.0 or not self.located):
            raise ValueError("confidence is a located read's, in [0, 1]")


def score_photo(
    label: str,
    reads: Sequence[str],
    category: str = "all",
    ms: float | None = None,
    widths: Sequence[float | None] | None = None,
    confidences: Sequence[float] | None = None,
) -> PhotoScore:
    """Score the plate texts ``reads`` returned for a photo labelled ``label``; ``widths`` (pixels, one
    per read, same order) give the located read's box width (:attr:`PhotoScore.plate_width`) and
    ``confidences`` (one per read) the confidence it was reported with (:attr:`PhotoScore.confidence`)."""
    target = plates.normalize(label)
    texts = [plates.normalize(r) for r in reads]
    if not target:
        raise ValueError(f"empty plate label {label!r}")
    for name, given in (("widths", widths), ("confidences", confidences)):
        if given is not None and len(given) != len(texts):
            raise ValueError(f"{len(given)} {name} for {len(texts)} reads")
    if not texts:
        return PhotoScore(category, False, 0.0, False, ms)
    closest = min(levenshtein(t, target) for t in texts)
    distances = [plates.confusion_distance(t, target) for t in texts]
    near = [i for i, d in enumerate(distances) if d <= LOCATED_SHARE * len(target)]
    width = confidence = None
    if near:  # an exact read first, then the nearest; the first such read on a tie
        located = min(near, key=lambda i: (texts[i] != target, distances[i]))
        found = widths[located] if widths is not None else None
        width = None if found is None else float(found)
        confidence = float(confidences[located]) if confidences is not None else None
    return PhotoScore(
        category, target in texts, max(0.0, 1.0 - closest / len(target)), bool(near), ms, width, confidence
    )


def _band(value: float, starts: Sequence[float], name: Callable[[float, float | None], str]) -> str:
    """The name of the band ``value`` falls in: bands start at 0 and at each of ``starts``, and ``name``
    gets a band's start and the next band's (None for the last)."""
    edges = (0, *starts)
    for low, high in pairwise(edges):
        if value < high:
            return name(low, high)
    return name(edges[-1], None)


def width_band(width: float) -> str:
    """The plate-width band (:data:`PLATE_WIDTH_BANDS`) of a located read's box width in pixels, e.g.
    ``"40-59"`` or ``"80+"``."""
    if width < 0:
        raise ValueError(f"a width is at least 0, not {width}")
    return _band(width, PLATE_WIDTH_BANDS, lambda low, high: f"{low}+" if high is None else f"{low}-{high - 1}")


def confidence_band(confidence: float) -> str:
    """The band (:data:`CONFIDENCE_BANDS`) of a read's confidence, e.g. ``"0.9-0.95"`` or ``"0.99+"``."""
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"a confidence is in [0, 1], not {confidence}")
    return _band(confidence, CONFIDENCE_BANDS, lambda low, high: f"{low:g}+" if high is None else f"{low:g}-{high:g}")


def band_of(score: PhotoScore) -> str:
    """The band :func:`summarize` counts ``score`` in: its width's, :data:`NOT_LOCATED` or :data:`NO_WIDTH`."""
    if not score.located:
        return NOT_LOCATED
    return NO_WIDTH if score.plate_width is None else width_band(score.plate_width)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of ``values`` at or
    below it (``share`` in (0, 1]); a timing that some photo really took, never an interpolation."""
    if not values:
        raise ValueError("no values")
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


INTERVAL_Z = 1.96
"""Normal quantile of the 95% intervals :func:`summarize` gives beside each exact-match share."""


def wilson_interval(hits: int, n: int, z: float = INTERVAL_Z) -> tuple[float, float]:
    """The Wilson score interval of a share of ``hits`` in ``n`` trials (95% at the default ``z``).

    A share measured on a few photos says little: 7 of 9 is 77.8%, but any true rate from 45% to
    94% gives that count without surprise. Unlike the normal approximation this interval stays
    inside [0, 1] and is not empty at 0 or ``n`` hits, which small categories often score.
    """
    if n <= 0:
        raise ValueError(f"an interval needs at least one trial, not {n}")
    if not 0 <= hits <= n:
        raise ValueError(f"hits must be between 0 and {n}, not {hits}")
    if z <= 0:
        raise ValueError(f"z must be positive, not {z}")
    share, z2 = hits / n, z * z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def reported_interval(hits: int, n: int) -> list[float]:
    """:func:`wilson_interval` as the reports give it: a JSON pair rounded to 4 places, like the shares."""
    return [round(bound, 4) for bound in wilson_interval(hits, n)]


def _summary(scores: Sequence[PhotoScore]) -> dict[str, Any]:
    n = len(scores)
    times = [s.ms for s in scores if s.ms is not None]
    hits = sum(s.exact for s in scores)
    return {
        "images": n,
        "exact": round(hits / n, 4) if n else 0.0,
        "exact_interval": reported_interval(hits, n) if n else None,
        "char_accuracy": round(sum(s.char_accuracy for s in scores) / n, 4) if n else 0.0,
        "detection_recall": round(sum(s.located for s in scores) / n, 4) if n else 0.0,
        "median_ms": round(statistics.median(times), 1) if times else None,
        "p99_ms": round(percentile(times, 0.99), 1) if times else None,
    }


def summarize(scores: Sequence[PhotoScore], by_width: bool = False, by_confidence: bool = False) -> dict[str, Any]:
    """Overall numbers (median and p99 milliseconds among them, and the 95% interval of the exact
    share: :func:`wilson_interval`) plus the same per category (sorted by name) and, with
    ``by_width``, per plate-width band (:func:`band_of`: narrowest first, then :data:`NO_WIDTH` and
    :data:`NOT_LOCATED`; bands no photo fell in are left out) and, with ``by_confidence``, the located
    reads per band of their confidence (``per_confidence``: :func:`confidence_band`)."""
    report = _summary(scores)
    categories = sorted({s.category for s in scores})
    report["per_category"] = {c: _summary([s for s in scores if s.category == c]) for c in categories}
    if by_width:
        bands = [width_band(w) for w in (0, *PLATE_WIDTH_BANDS)] + [NO_WIDTH, NOT_LOCATED]
        report["per_plate_width"] = {
            band: _summary(chosen) for band in bands if (chosen := [s for s in scores if band_of(s) == band])
        }
    if by_confidence:
        report["per_confidence"] = _by_confidence(scores)
    return report


def _by_confidence(scores: Sequence[PhotoScore]) -> dict[str, dict[str, Any]]:
    """The located reads per confidence band, lowest first: how many, and the share of them that are
    the labelled plate exactly (with its 95% interval). What a confidence means on these photos: the
    threshold below which a site sends reads to an officer can be read off it."""
    out: dict[str, dict[str, Any]] = {}
    for band in [confidence_band(c) for c in (0.0, *CONFIDENCE_BANDS)]:
        chosen = [s for s in scores if s.confidence is not None and confidence_band(s.confidence) == band]
        if chosen:
            hits = sum(s.exact for s in chosen)
            out[band] = {
                "reads": len(chosen),
                "exact": round(hits / len(chosen), 4),
                "exact_interval": reported_interval(hits, len(chosen)),
            }
    return out
