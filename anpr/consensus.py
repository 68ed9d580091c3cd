"""Consensus over many OCR reads of one object: cluster, vote per character, validate.

A pure module. Reads of the same plate or container number from several
frames and cameras rarely agree on every character; this module

1. **clusters** reads by string similarity (:func:`cluster`): a read joins the
   first cluster whose representative (the best read so far) is within
   :func:`max_distance` of it, measured with the OCR-confusion-aware edit distance
   of :func:`anpr.plates.confusion_distance`. Two reads that are each valid but
   differ never share a cluster: two containers with neighbouring serial
   numbers on one truck are two containers, not one misread. The exception is
   two valid container numbers whose owner codes differ (:func:`one_container`):
   a truck's two containers with owner codes one look-alike apart *and*
   serials a glyph or two apart are far less likely than a misread that the
   check digit let through one time in ten (a roof marking ``MSCU5006271`` read
   ``MGCU5005271``); the vote then decides;
2. **votes** per character (:func:`vote`): every read is aligned to a reference
   read of the most common length (Levenshtein alignment) and adds its
   per-character confidence to the character it shows at each position;
3. **validates** with the grammars (:func:`resolve`): ISO 6346 for container
   numbers (the check digit is recomputed over the fused string: a fused number
   is valid only if :func:`anpr.containers.parse` accepts it) and Circular
   79/2024/TT-BCA for plates (:func:`anpr.plates.parse`). When the top-voted
   string fails, strings that swap in characters other reads actually showed
   at contested positions are tried, best-supported first; then the
   heaviest read that is valid as read (a fused number must agree with the
   check-digit-valid reads), then the grammar's own unambiguous repair
   (:func:`repair`). Otherwise the top string is kept, marked invalid.

Confidence of a result is the mean over positions of the support for the
chosen character: the summed confidence of the reads showing it divided by
the number of reads covering that position (``[0, 1]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from typing import TypeVar

from anpr import containers, plates
from anpr.events import ObservedRead
from anpr.types import DetClass, Orientation, Reading

T = TypeVar("T")

RELATIVE_DISTANCE = 0.25
"""Reads within ``max(1, 0.25 * length)`` confusion-weighted edits of a cluster's representative join it."""
MIN_ALTERNATIVE_SUPPORT = 0.15
"""A character other reads showed is tried only where its support is at least this."""
MAX_SWAPS = 2
"""At most this many contested positions are swapped when looking for a valid string."""
_MAX_CONTESTED = 6
_WELL_FORMED = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")  # ISO 6346 shape, check digit not yet verified


@dataclass(frozen=True, slots=True)
class Observation:
    """One OCR read of one object in one frame; ``track`` is ``"<camera>#<id>"`` when tracked."""

    reading: Reading
    camera: str
    timestamp: datetime
    frame_index: int = 0
    track: str = ""

    def __post_init__(self) -> None:
        if not self.camera:
            raise ValueError("an observation needs its camera")
        if self.reading.target not in (DetClass.PLATE, DetClass.CONTAINER_NUMBER):
            raise ValueError(f"consensus runs on plates and container numbers, not {self.reading.target}")

    @property
    def text(self) -> str:
        return self.reading.text

    def char_weights(self) -> tuple[float, ...]:
        """One weight per character: the OCR's per-character confidence, else the read's confidence."""
        r = self.reading
        return r.char_confidences if r.char_confidences else (r.confidence,) * len(r.text)

    def to_observed_read(self) -> ObservedRead:
        stamp = self.timestamp if self.timestamp.tzinfo else self.timestamp.replace(tzinfo=UTC)
        r = self.reading
        return ObservedRead(self.camera, stamp, r.text, r.confidence, r.valid, r.bbox)


@dataclass(frozen=True, slots=True)
class Consensus:
    """The fused reading of one object.

    ``valid`` is the grammar's verdict on ``text`` itself (for containers: the
    ISO 6346 check digit over the fused string). ``corrected`` means ``text``
    is not the plain top vote. ``observations`` are the reads behind it, best first.
    """

    target: DetClass
    text: str
    formatted: str
    confidence: float
    valid: bool
    char_confidences: tuple[float, ...]
    observations: tuple[Observation, ...]
    rows: int = 1
    orientation: Orientation = Orientation.HORIZONTAL
    size_type: str | None = None
    corrected: bool = False

    def __post_init__(self) -> None:
        if not self.text or not self.observations:
            raise ValueError("a consensus needs text and at least one observation")
        if len(self.char_confidences) != len(self.text):
            raise ValueError("char_confidences must have one value per character")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @property
    def weight(self) -> float:
        """Summed confidence of the reads behind it (how much evidence there is)."""
        return sum(o.reading.confidence for o in self.observations)

    @property
    def cameras(self) -> tuple[str, ...]:
        return tuple(sorted({o.camera for o in self.observations}))

    @property
    def first_seen(self) -> datetime:
        return min(o.timestamp for o in self.observations)

    def best_observation(self) -> Observation:
        """The most confident read that says ``text``, else the most confident read."""
        same = [o for o in self.observations if o.text == self.text]
        return max(same or self.observations, key=lambda o: o.reading.confidence)


def max_distance(text: str) -> float:
    return max(1.0, RELATIVE_DISTANCE * len(text))


def one_container(a: str, b: str) -> bool:
    """Whether two different check-digit-valid container numbers are best taken as one container
    misread (pure): their owner codes differ (two containers of one owner often travel together
    with neighbouring serials) and the whole numbers are within :func:`max_distance`."""
    if a == b:
        return True
    if a[:4] == b[:4] or containers.parse(a) is None or containers.parse(b) is None:
        return False
    return plates.confusion_distance(a, b) <= max_distance(a)


def cluster(
    items: Sequence[T],
    text: Callable[[T], str],
    valid: Callable[[T], bool],
    weight: Callable[[T], float],
) -> list[list[T]]:
    """Group ``items`` by string similarity; clusters sorted by summed weight, heaviest first.

    Items are visited valid first, then by weight; each joins the first cluster
    whose representative (its first item) is within :func:`max_distance`, unless
    both are valid and differ and are not :func:`one_container`. Deterministic for a given input order.
    """
    order = sorted(range(len(items)), key=lambda i: (not valid(items[i]), -weight(items[i]), i))
    clusters: list[list[T]] = []
    for i in order:
        item = items[i]
        for members in clusters:
            rep = members[0]
            if valid(rep) and valid(item) and not one_container(text(rep), text(item)):
                continue
            limit = max_distance(max(text(rep), text(item), key=len))
            if plates.confusion_distance(text(rep), text(item)) <= limit:
                members.append(item)
                break
        else:
            clusters.append([item])
    clusters.sort(key=lambda members: -sum(weight(m) for m in members))
    return clusters


def cluster_observations(observations: Sequence[Observation]) -> list[list[Observation]]:
    """:func:`cluster` over reads; validity is the grammar's verdict on the text, not the OCR's flag."""
    valid = {id(o): validate(o.reading.target, o.text, o.reading.rows) is not None for o in observations}
    return cluster(observations, lambda o: o.text, lambda o: valid[id(o)], lambda o: o.reading.confidence)


def align(read: str, reference: str) -> list[int | None]:
    """For each character of ``read``, the position of ``reference`` it lines up with (``None``: inserted)."""
    n, m = len(read), len(reference)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1][j - 1] + (read[i - 1] != reference[j - 1])
            cost[i][j] = min(sub, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    out: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (read[i - 1] != reference[j - 1]):
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return out


def _reference(observations: Sequence[Observation]) -> Observation:
    """The most confident read of the most common length (lengths weighted by confidence)."""
    by_length: dict[int, float] = {}
    for o in observations:
        by_length[len(o.text)] = by_length.get(len(o.text), 0.0) + o.reading.confidence
    length = max(sorted(by_length), key=lambda k: by_length[k])
    return max((o for o in observations if len(o.text) == length), key=lambda o: o.reading.confidence)


def vote(observations: Sequence[Observation], reference: str | None = None) -> list[dict[str, float]]:
    """Per position of ``reference`` (default: the most confident read of the most common length):
    character -> support in ``[0, 1]`` (see the module docstring)."""
    reference = reference if reference is not None else _reference(observations).text
    scores: list[dict[str, float]] = [{} for _ in reference]
    covering = [0] * len(reference)
    for o in observations:
        for k, pos in enumerate(align(o.text, reference)):
            if pos is None:
                continue
            covering[pos] += 1
            ch = o.text[k]
            scores[pos][ch] = scores[pos].get(ch, 0.0) + o.char_weights()[k]
    return [{c: min(1.0, s / max(1, covering[p])) for c, s in pos.items()} for p, pos in enumerate(scores)]


def _candidates(support: list[dict[str, float]]) -> list[str]:
    """The top string, then strings swapping up to :data:`MAX_SWAPS` contested characters, best first."""
    top = [max(sorted(pos), key=lambda c: pos[c]) for pos in support]
    contested = [
        (p, c) for p, pos in enumerate(support) for c, s in pos.items() if c != top[p] and s >= MIN_ALTERNATIVE_SUPPORT
    ]
    contested = sorted(contested, key=lambda pc: -support[pc[0]][pc[1]])[:_MAX_CONTESTED]
    scored: list[tuple[float, str]] = [(sum(support[p][c] for p, c in enumerate(top)), "".join(top))]
    for k in range(1, MAX_SWAPS + 1):
        for combo in combinations(contested, k):
            if len({p for p, _ in combo}) < k:
                continue
            chars = list(top)
            for p, c in combo:
                chars[p] = c
            scored.append((sum(support[p].get(c, 0.0) for p, c in enumerate(chars)), "".join(chars)))
    scored.sort(key=lambda sc: -sc[0])
    return list(dict.fromkeys(s for _, s in scored))


def validate(target: DetClass, text: str, rows: int | None = None) -> tuple[str, str] | None:
    """``(text, formatted)`` when the grammar accepts ``text`` as it stands, else ``None``."""
    if target is DetClass.CONTAINER_NUMBER:
        number = containers.parse(text)
        return None if number is None else (number.number, number.formatted)
    plate = plates.parse(text, rows if rows in (1, 2) else None)
    return None if plate is None else (plate.text, plate.formatted)


def repair(target: DetClass, text: str, rows: int | None = None) -> tuple[str, str] | None:
    """The grammar's unambiguous repair of ``text``, re-validated, else ``None``.

    Container numbers are repaired only where a character of the wrong class
    (a letter among the digits, a digit among the letters) forces it: an
    all-well-formed number whose check digit fails is left as it is, since
    guessing a same-class swap would pass the check digit one time in ten.
    """
    if target is DetClass.CONTAINER_NUMBER:
        if _WELL_FORMED.fullmatch(text):
            return None
        number = containers.correct(text)
        fixed = None if number is None else number.number
    else:
        plate = plates.correct(text, rows if rows in (1, 2) else None)
        fixed = None if plate is None else plate.text
    return None if fixed is None else validate(target, fixed, rows)


def _majority(values: Sequence[tuple[T, float]], default: T) -> T:
    totals: dict[T, float] = {}
    for value, w in values:
        totals[value] = totals.get(value, 0.0) + w
    return max(totals, key=lambda v: totals[v]) if totals else default


def _size_type(observations: Sequence[Observation]) -> str | None:
    votes = [
        (o.reading.size_type.upper(), o.reading.confidence)
        for o in observations
        if o.reading.size_type and containers.parse_size_type(o.reading.size_type) is not None
    ]
    return _majority(votes, None) if votes else None


def _choose(
    target: DetClass, support: list[dict[str, float]], observations: Sequence[Observation], rows: int
) -> tuple[str, str, bool, bool]:
    """``(text, formatted, valid, corrected)``: the first valid of the top vote, its contested
    variants, the heaviest read that is valid as read, the grammar's repair; else the top vote."""
    candidates = _candidates(support)
    for i, candidate in enumerate(candidates):
        ok = validate(target, candidate, rows)
        if ok is not None:
            return ok[0], ok[1], True, i > 0
    backed: dict[str, float] = {}
    for o in observations:
        if validate(target, o.text, rows) is not None:
            backed[o.text] = backed.get(o.text, 0.0) + o.reading.confidence
    if backed:
        ok = validate(target, max(sorted(backed), key=lambda t: backed[t]), rows)
        if ok is not None:
            return ok[0], ok[1], True, True
    fixed = repair(target, candidates[0], rows)
    if fixed is not None:
        return fixed[0], fixed[1], True, True
    return candidates[0], candidates[0], False, False


def resolve(observations: Sequence[Observation]) -> Consensus | None:
    """Vote over reads of one object and validate the result; ``None`` for no usable reads.

    All observations must have the same target; the caller clusters first
    (:func:`cluster_observations`) when they may show different objects.
    """
    usable = [o for o in observations if o.text]
    if not usable:
        return None
    target = usable[0].reading.target
    if any(o.reading.target is not target for o in usable):
        raise ValueError("resolve() needs observations of one target")
    rows = _majority([(o.reading.rows, o.reading.confidence) for o in usable], 1)
    support = vote(usable)
    text, formatted, valid, corrected = _choose(target, support, usable, rows)
    final = vote(usable, reference=text)  # the support of each chosen character, aligned to the result
    chars = tuple(final[p].get(c, 0.0) for p, c in enumerate(text))
    ranked = sorted(usable, key=lambda o: (o.text != text, -o.reading.confidence))
    return Consensus(
        target=target,
        text=text,
        formatted=formatted,
        confidence=sum(chars) / len(chars),
        valid=valid,
        char_confidences=chars,
        observations=tuple(ranked),
        rows=(2 if " " in formatted else 1) if valid and target is DetClass.PLATE else rows,
        orientation=_majority([(o.reading.orientation, o.reading.confidence) for o in usable], Orientation.HORIZONTAL),
        size_type=_size_type(usable) if target is DetClass.CONTAINER_NUMBER else None,
        corrected=corrected,
    )


def resolve_all(observations: Sequence[Observation]) -> list[Consensus]:
    """Cluster, then resolve each cluster; heaviest cluster first."""
    out = [resolve(members) for members in cluster_observations(observations)]
    return [c for c in out if c is not None]
