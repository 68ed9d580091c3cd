"""Grammar-aware decoding: from the recogniser's frame probabilities to a checked reading.

A pure module. For each crop the recogniser gives one probability matrix per
text line (see :mod:`anpr.ocr_ctc`). Decoding:

1. CTC beam search per line, combined across lines into joint texts;
2. candidates from the grammars, :func:`anpr.plates.candidates` (Circular
   79/2024/TT-BCA) or :func:`anpr.containers.candidates` (ISO 6346), of the best
   joint texts: look-alike swaps that make the text valid;
   for container numbers also per-character top-k re-reads with every
   character taken from the class ISO 6346 allows at its position
   (:func:`positional_reads`), which the check digit as read then filters; each
   change must be a stencil look-alike or be supported by the frames
   (:func:`change_cost`);
3. each candidate is scored by its CTC likelihood ``log p(text | frames)``
   over the lines, so a swap the recogniser thought plausible beats one it did
   not, and the best is kept when it is not much less likely than the best
   unconstrained read.

A container number is valid only when its ISO 6346 check digit passes: as
read, or after swaps that keep the check digit as read (a changed check digit
would fit any misread of the other ten characters) when one candidate clearly
beats every other one. Two near-equal candidates are a tie, and a tie is
reported as an invalid read, never as a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from anpr import containers, plates
from anpr.ocr_ctc import (
    Probs,
    beam_search,
    char_confidences,
    char_distributions,
    greedy,
    prefix_log_likelihoods_many,
)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The characters of plates and container codes, and of the fine-tuned recogniser."""


@dataclass(frozen=True, slots=True)
class DecodeConfig:
    """Decoding knobs; log-probabilities are natural logs."""

    beam_width: int = 6
    joint_texts: int = 4
    plate_max_drop: float = 9.0
    container_max_drop: float = 7.0
    tie_margin: float = 1.1
    owner_prior: bool = True

    def __post_init__(self) -> None:
        if self.beam_width < 1 or self.joint_texts < 1:
            raise ValueError("beam_width and joint_texts must be >= 1")
        if self.plate_max_drop < 0 or self.container_max_drop < 0 or self.tie_margin < 0:
            raise ValueError("drops and the tie margin must be >= 0")


@dataclass(frozen=True, slots=True)
class Decoded:
    """The decoded text of one crop: normalised ``text`` (A-Z 0-9), its display form, validity,
    one confidence per character, the overall confidence and the unconstrained read ``raw``
    (lines joined by `` / ``)."""

    text: str
    formatted: str
    valid: bool
    char_confidences: tuple[float, ...]
    confidence: float
    raw: str
    rows: int

    def __post_init__(self) -> None:
        if len(self.char_confidences) != len(self.text):
            raise ValueError("one confidence per character of text")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence must be in [0, 1]")


def joint_reads(lines: Sequence[Probs], alphabet: str, config: DecodeConfig) -> list[tuple[tuple[str, ...], float]]:
    """The most likely line texts taken together, best first, with their summed log-probability."""
    if not lines:
        raise ValueError("no lines to decode")
    combos: list[tuple[tuple[str, ...], float]] = [((), 0.0)]
    for probs in lines:
        beams = beam_search(probs, alphabet, config.beam_width)
        combos = [((*parts, text), score + lp) for parts, score in combos for text, lp in beams]
        combos = sorted(combos, key=lambda c: c[1], reverse=True)[: config.beam_width]
    return combos[: config.joint_texts]


def score_all(lines: Sequence[Probs], texts: Sequence[str], alphabet: str) -> list[tuple[float, tuple[str, ...]]]:
    """For each text, ``log p(text)`` over the lines at its best cut into the lines, and that cut.

    One line: the CTC likelihood. Two lines: every cut point at once, from the
    prefix likelihoods on the first line and the suffix likelihoods on the
    second (CTC read backwards: reversed frames, reversed text).
    """
    return score_many([(lines, texts)], alphabet)[0]


def score_many(
    items: Sequence[tuple[Sequence[Probs], Sequence[str]]], alphabet: str
) -> list[list[tuple[float, tuple[str, ...]]]]:
    """:func:`score_all` of every ``(lines, texts)`` item (the views of one plate, or the candidates
    of several), their forward passes run together (:func:`~anpr.ocr_ctc.prefix_log_likelihoods_many`)."""
    if any(not lines or len(lines) > 2 for lines, _ in items):
        raise ValueError("one or two lines per crop")
    prefixes = prefix_log_likelihoods_many([(lines[0], texts) for lines, texts in items], alphabet)
    two = [i for i, (lines, _) in enumerate(items) if len(lines) == 2]
    backwards = prefix_log_likelihoods_many(
        [(items[i][0][1][::-1], [t[::-1] for t in items[i][1]]) for i in two], alphabet
    )
    suffixes = dict(zip(two, backwards, strict=True))
    out: list[list[tuple[float, tuple[str, ...]]]] = []
    for i, (_, texts) in enumerate(items):
        if i not in suffixes:
            out.append([(float(p[-1]), (t,)) for p, t in zip(prefixes[i], texts, strict=True)])
            continue
        scored: list[tuple[float, tuple[str, ...]]] = []
        for text, pre, suf in zip(texts, prefixes[i], suffixes[i], strict=True):
            totals = pre + suf[::-1]  # cut after k characters: prefix k on line 1, the rest on line 2
            k = int(np.argmax(totals))
            scored.append((float(totals[k]), (text[:k], text[k:])))
        out.append(scored)
    return out


def score(lines: Sequence[Probs], text: str, alphabet: str) -> tuple[float, tuple[str, ...]]:
    """``log p(text)`` over the lines, at the best cut of ``text`` into the lines, and that cut."""
    return score_all(lines, [text], alphabet)[0]


def _confidences(lines: Sequence[Probs], parts: Sequence[str], alphabet: str) -> tuple[float, ...]:
    out: list[float] = []
    for probs, part in zip(lines, parts, strict=True):
        best_path, confs = greedy(probs, alphabet)
        # The best path usually spells the chosen text; align (Viterbi) only when it does not.
        out.extend(confs if best_path == part else char_confidences(probs, part, alphabet))
    return tuple(min(1.0, max(0.0, c)) for c in out)


def _mean(confs: Sequence[float]) -> float:
    """Geometric mean; 0 for no characters."""
    if not confs:
        return 0.0
    return float(math.exp(sum(math.log(max(c, 1e-6)) for c in confs) / len(confs)))


def _decoded(
    lines: Sequence[Probs],
    alphabet: str,
    text: str,
    formatted: str,
    valid: bool,
    raw: str,
    rows: int,
    parts: tuple[str, ...] | None = None,
) -> Decoded:
    """The reading of ``text``; ``parts`` is its cut into the lines where already scored."""
    if parts is None:
        parts = (text,) if len(lines) == 1 else score(lines, text, alphabet)[1]
    confs = _confidences(lines, parts, alphabet)
    return Decoded(text, formatted, valid, confs, _mean(confs), raw, rows)


def _decoded_within(
    lines: Sequence[Probs], alphabet: str, parts: Sequence[str], at: int, text: str, formatted: str, raw: str
) -> Decoded:
    """The valid reading of ``text``, found from character ``at`` of a longer text (``parts``, cut
    into the lines) that also holds marks beside it: ``text`` takes those characters' confidences."""
    confs = _confidences(lines, parts, alphabet)[at : at + len(text)]
    return Decoded(text, formatted, True, confs, _mean(confs), raw, len(lines))


def _ranked(lines: Sequence[Probs], alphabet: str, texts: Iterable[str]) -> list[tuple[float, str, tuple[str, ...]]]:
    """The distinct texts, likeliest first: ``(log p, text, its cut into the lines)``."""
    unique = list(dict.fromkeys(texts))
    return _by_score(unique, score_all(lines, unique, alphabet)) if unique else []


def _by_score(
    texts: Sequence[str], scored: Sequence[tuple[float, tuple[str, ...]]]
) -> list[tuple[float, str, tuple[str, ...]]]:
    """``texts`` with their :func:`score_all` results, likeliest first: ``(log p, text, cut)``."""
    return sorted(((s, t, parts) for (s, parts), t in zip(scored, texts, strict=True)), reverse=True)


def decode_plate(lines: Sequence[Probs], alphabet: str = ALPHABET, config: DecodeConfig | None = None) -> Decoded:
    """The most likely valid Vietnamese plate in the lines (top row first), else the raw read."""
    return decode_plates([lines], alphabet, config)[0]


def decode_plates(
    views: Sequence[Sequence[Probs]], alphabet: str = ALPHABET, config: DecodeConfig | None = None
) -> list[Decoded]:
    """:func:`decode_plate` of every view (the lines of one crop each), their candidates scored in one
    pass over the frames."""
    config = config or DecodeConfig()
    proposals: list[tuple[tuple[str, ...], float, dict[str, plates.Plate]]] = []
    for lines in views:
        reads = joint_reads(lines, alphabet, config)
        found: dict[str, plates.Plate] = {}
        for parts, _ in reads:
            for plate in plates.candidates(" / ".join(parts), rows=len(lines), max_subs=2)[:8]:
                found.setdefault(plate.text, plate)
        proposals.append((*reads[0], found))
    asked = [i for i, (_, _, found) in enumerate(proposals) if found]
    scored = dict(zip(asked, score_many([(views[i], list(proposals[i][2])) for i in asked], alphabet), strict=True))
    out: list[Decoded] = []
    for i, (lines, (raw_parts, raw_score, found)) in enumerate(zip(views, proposals, strict=True)):
        raw = " / ".join(raw_parts)
        ranked = _by_score(list(found), scored.get(i, []))
        if ranked and ranked[0][0] >= raw_score - config.plate_max_drop:
            plate = found[ranked[0][1]]
            out.append(_decoded(lines, alphabet, plate.text, plate.formatted, True, raw, plate.rows, ranked[0][2]))
            continue
        text = "".join(raw_parts)
        out.append(_decoded(lines, alphabet, text, text, False, raw, len(lines)))
    return out


def _over_views(
    views: Sequence[Sequence[Probs]], texts: Sequence[str], alphabet: str
) -> tuple[list[list[tuple[float, tuple[str, ...]]]], npt.NDArray[np.float64]]:
    """Every text scored on every view (:func:`score_many`), and their log-likelihoods as a
    views x texts array: what the rescorings sum over views."""
    scored = score_many([(v, texts) for v in views], alphabet)
    return scored, np.array([[s for s, _ in view_scores] for view_scores in scored], dtype=np.float64)


def _likeliest(per_view: npt.NDArray[np.float64]) -> tuple[int, int]:
    """Of :func:`_over_views`' array, the text whose log-likelihood summed over the views is highest,
    and the view that likes it best (where its reading is measured)."""
    best = int(np.argmax(per_view.sum(axis=0)))
    return best, int(np.argmax(per_view[:, best]))


def rescore_plate(
    views: Sequence[Sequence[Probs]], decoded: Sequence[Decoded], alphabet: str = ALPHABET
) -> tuple[int, Decoded]:
    """One plate read several ways in one layout (the same rows, crops cut with different margins):
    the valid plate that is most likely over all the views together.

    Each view's own decode (``decoded[i]`` of ``views[i]``) proposes its text and the grammar's
    candidates of its raw read; every proposal is scored by its CTC log-likelihood summed over
    the views (a product of the views' probabilities), and the best valid one wins. Its reading
    is then measured on the view that likes it best. With no valid proposal, the most confident
    decode is returned as it was, and so it is when no view decoded a valid plate on its own
    (each view's decode already refused valid plates much less likely than its raw read).
    Returns the index of the view the reading was measured on, and the reading.
    """
    if not views or len(views) != len(decoded):
        raise ValueError("one decode per view, at least one view")
    rows = len(views[0])
    if any(len(v) != rows for v in views):
        raise ValueError("every view must hold the same number of lines")
    found: dict[str, plates.Plate] = {}
    for d in decoded:
        for text in (d.text, *(p.text for p in plates.candidates(d.raw, rows=rows, max_subs=2)[:8])):
            plate = plates.parse(text, rows=rows)
            if plate is not None and plate.text == text:
                found.setdefault(text, plate)
    first = max(range(len(decoded)), key=lambda i: (decoded[i].valid, decoded[i].confidence))
    if not found or not decoded[first].valid:  # no view found a valid plate likely enough: stay invalid
        return first, decoded[first]
    texts = list(found)
    scored, per_view = _over_views(views, texts, alphabet)
    best, view = _likeliest(per_view)
    plate = found[texts[best]]
    cut = scored[view][best][1]
    return view, _decoded(views[view], alphabet, plate.text, plate.formatted, True, decoded[view].raw, plate.rows, cut)


CONTAINER_CLASSES = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ",) * 3 + ("UJZ",) + ("0123456789",) * 7
"""What ISO 6346 allows at each position: owner code, category, serial and check digit."""
LOOK_ALIKES = frozenset(frozenset(p) for p in ("0O", "0D", "0Q", "1I", "2Z", "4A", "5S", "6G", "8B"))
"""Letter/digit pairs that container stencils draw alike: only the position tells them apart."""
SUPPORT_FLOOR = 0.02
"""Any other character changed from the read needs at least this probability on its frames."""


def _dists(lines: Sequence[Probs], parts: Sequence[str], alphabet: str) -> list[dict[str, float]] | None:
    out: list[dict[str, float]] = []
    for probs, part in zip(lines, parts, strict=True):
        dists = char_distributions(probs, part, alphabet)
        if dists is None:
            return None
        out.extend(dists)
    return out


def positional_reads(
    dists: Sequence[Mapping[str, float]], classes: Sequence[str], floor: float = SUPPORT_FLOOR
) -> list[str]:
    """Re-reads of a read with every character taken from its position's class.

    ``dists`` holds, per character of the read, each character's probability on
    its frames (:func:`~anpr.ocr_ctc.char_distributions`). Per position the two
    likeliest allowed characters are kept, the runner-up only where it reaches
    ``floor``; at most 64 combinations, likeliest first. This is per-character
    top-k decoding constrained by the code's layout (letters, category, digits).
    """
    if len(dists) != len(classes):
        return []
    combos: list[tuple[str, float]] = [("", 1.0)]
    for dist, allowed in zip(dists, classes, strict=True):
        ranked = sorted(((c, dist.get(c, 0.0)) for c in allowed), key=lambda cp: cp[1], reverse=True)
        choice = [ranked[0]] + [cp for cp in ranked[1:2] if cp[1] >= floor]
        combos = sorted(((t + c, p * q) for t, p in combos for c, q in choice), key=lambda tp: -tp[1])[:64]
    return [t for t, _ in combos]


def change_cost(candidate: str, read: str, dists: Sequence[Mapping[str, float]]) -> float:
    """Nats a candidate loses against the read on the characters it changes; ``inf`` if unsupported.

    Look-alike swaps (:data:`LOOK_ALIKES`) are free, since the stencil cannot show
    the difference; any other changed character must reach :data:`SUPPORT_FLOOR`.
    """
    if len(candidate) != len(read) or len(dists) != len(read):
        return math.inf
    cost = 0.0
    for c, r, dist in zip(candidate, read, dists, strict=True):
        if c == r or frozenset((c, r)) in LOOK_ALIKES:
            continue
        if dist.get(c, 0.0) < SUPPORT_FLOOR:
            return math.inf
        cost += math.log(max(dist.get(r, 0.0), 1e-9) / dist[c])
    return max(0.0, cost)


LONGER_READS = (12, 13)
"""Lengths of a read that may hold a number and a mark or two beside it (a bracket above a vertical
stack, a rust streak below): :func:`_container_candidates` also repairs each 11 characters of it."""


def _container_candidates(
    lines: Sequence[Probs], reads: Sequence[tuple[tuple[str, ...], float]], alphabet: str, max_cost: float
) -> dict[str, int]:
    """Check-digit-valid numbers near any of the likeliest reads as long as the likeliest, each change
    supported by the frames and the likeliest read's check digit kept (it is what proves the repair).

    A read of another length is not a repair of the likeliest: a 10-character likeliest read has
    no check digit to keep, and a runner-up that repeats a character of it (``CAIU8979962`` beside
    ``CAIU897962``, a vertical stack cut before its check digit) passes one time in ten.

    A read one or two characters longer (:data:`LONGER_READS`) is repaired 11 characters at a
    time, the marks beside them kept as read (``L`` + ``TGHU2703360`` for ``LT6HU2703360``), so
    every candidate is scored against the same frames. Only the likeliest read is repaired, and only
    by stencil look-alikes (:data:`LOOK_ALIKES`, at no cost), since where the number lies in the read
    is a guess as well: with supported same-class changes too, a roof marking read ``TENU270954U0``
    became the valid ``TEMU2709644`` beside the painted ``TEMU2709541``. Returns each candidate as
    scored, with where its number starts in it."""
    out: dict[str, int] = {}
    likeliest = "".join(reads[0][0]) if reads else ""
    longer = len(likeliest) in LONGER_READS
    starts = range(len(likeliest) - 10) if longer else range(1)
    for parts, _ in reads[:1] if longer else reads:
        read = "".join(parts)
        if len(read) != len(likeliest):
            continue
        dists = _dists(lines, parts, alphabet)
        if dists is None:
            continue
        for at in starts:
            if longer:  # which characters are the number is a guess too: look-alikes only
                number, near, budget = read[at : at + 11], dists[at : at + 11], 0.0
            else:
                number, near, budget = read, dists, max_cost
            check = likeliest[at + 10 : at + 11]  # the likeliest read's check digit
            pool = [number, *(c.number for c in containers.candidates(number))]
            pool += positional_reads(near, CONTAINER_CLASSES)
            # The check digit as read must confirm a repair: another one would "validate" any misread.
            for t in pool:
                if t[-1:] == check and containers.parse(t) is not None and change_cost(t, number, near) <= budget:
                    out.setdefault(read[:at] + t + read[at + len(number) :], at)
    return out


def decode_container(lines: Sequence[Probs], alphabet: str = ALPHABET, config: DecodeConfig | None = None) -> Decoded:
    """The container number in the lines, valid only when its check digit passes without a tie.

    A number valid as read wins, then the one valid number read within a longer text
    (:func:`anpr.containers.numbers_within`: the box also read marks beyond it; its characters keep
    their own confidences). (Either way, with ``owner_prior``, an owner code the check digit cannot
    tell from a known one, ``WSKU`` for ``MSKU``, becomes the known one:
    :func:`anpr.containers.prefer_known_owner`.) Otherwise candidates come from look-alike and
    same-class swaps (:func:`anpr.containers.candidates`) and per-character
    re-reads (:func:`positional_reads`); a candidate must keep the check digit
    as read (a new check digit would fit any misread of the other ten), be
    supported by the frames (:func:`change_cost`), and beat the next candidate
    by ``tie_margin`` nats, or the read is reported invalid.
    """
    config = config or DecodeConfig()
    reads = joint_reads(lines, alphabet, config)
    raw_parts, _ = reads[0]
    raw_text = "".join(raw_parts)
    raw = " / ".join(raw_parts)
    number = containers.parse(raw_text)
    start: int | None = None  # where a number read within a longer text begins
    measured = raw_parts  # the text, cut into the lines, whose characters' confidences the number takes
    if number is None:
        inside = containers.numbers_within(raw_text)
        if len(inside) == 1:  # the box read marks beyond the number too
            start, number = inside[0]
        else:
            found = _container_candidates(lines, reads, alphabet, config.container_max_drop)
            ranked = _ranked(lines, alphabet, found)
            if ranked and (len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= config.tie_margin):
                _, text, cut = ranked[0]
                number = containers.parse(text[found[text] : found[text] + 11])
                assert number is not None  # candidates are valid by construction
                if len(text) > 11:  # marks beside the number were read too: measure the number alone
                    start, measured = found[text], cut
    if number is None:
        return _decoded(lines, alphabet, raw_text, raw_text, False, raw, len(lines))
    if config.owner_prior:
        number = containers.prefer_known_owner(number)
    if start is not None:
        return _decoded_within(lines, alphabet, measured, start, number.number, number.formatted, raw)
    return _decoded(lines, alphabet, number.number, number.formatted, True, raw, len(lines))


CONFIRMING_VIEWS = 5
"""Views of one container box from which a number must be read at least twice to be taken
(:func:`rescore_container`): the box's own read and eight nudged ones, when the first two nudges
did not settle it. On the real gate frames every valid number read this way was read by five views
or more, except one misread (``DERU5013288`` for ``SGRU5011283``) that only its own box read."""


def _unconfirmed(
    views: Sequence[Sequence[Probs]], decoded: Sequence[Decoded], same: Sequence[int], alphabet: str
) -> tuple[int, Decoded]:
    """A container box whose valid own read no other view repeats: the likeliest over the views
    (``same``) of the texts they read that fail the check digit, reported invalid. A misread that
    passes the check digit is worse than a number left unverified; with no such text the own read
    stands."""
    texts = list(dict.fromkeys(decoded[i].text for i in same if not decoded[i].valid and decoded[i].text))
    if not texts:
        return 0, decoded[0]
    scored, per_view = _over_views([views[i] for i in same], texts, alphabet)
    best, row = _likeliest(per_view)
    view = same[row]
    text, rows = texts[best], len(views[0])
    return view, _decoded(views[view], alphabet, text, text, False, decoded[view].raw, rows, scored[row][best][1])


def rescore_container(
    views: Sequence[Sequence[Probs]],
    decoded: Sequence[Decoded],
    min_votes: int,
    alphabet: str = ALPHABET,
    config: DecodeConfig | None = None,
) -> tuple[int, Decoded]:
    """One container box read from several nudged boxes (``views[0]`` its own, ``decoded[i]`` each
    view's :func:`decode_container`): the valid number most likely over all the views together.

    Every view with as many lines as the first proposes its valid number; each proposal is scored by
    its CTC log-likelihood summed over those views, and the best one wins, measured on the view that
    likes it best. With no valid proposal, the first decode is returned as it was. When the first
    view's own read does not stand (it is not valid, or, below, no other view repeats it), a
    proposal is taken only when at least ``min_votes`` views read it and it beats the next proposal
    by the tie margin: a misread passes the check digit about one time in ten, and a number only one
    or two nudged boxes read is as often one of those as the painted one. (Proposals carry the
    owner prior already: :func:`decode_container`.)

    With :data:`CONFIRMING_VIEWS` views or more, a number only one view reads is no proposal, the
    box's own included: a valid own read that none of the nudged boxes repeats, and that no other
    number replaces as above, is reported as the text the views make likeliest, invalid
    (:func:`_unconfirmed`). On a real vertical stack whose box cut the check digit, two of eleven
    nudged boxes read a wrong number that passes (``TEIU8912521`` for ``TEMU8912520``) where the
    box's own read was another (``TFIU8912523``).
    Returns the index of the view the reading was measured on, and the reading.
    """
    if not views or len(views) != len(decoded):
        raise ValueError("one decode per view, at least one view")
    if min_votes < 1:
        raise ValueError("min_votes must be at least 1")
    config = config or DecodeConfig()
    rows = len(views[0])
    same = [i for i, v in enumerate(views) if len(v) == rows]
    votes: dict[str, int] = {}
    for i in same:
        if decoded[i].valid:
            votes[decoded[i].text] = votes.get(decoded[i].text, 0) + 1
    if len(same) >= CONFIRMING_VIEWS:
        votes = {text: n for text, n in votes.items() if n >= 2}
        if not votes and decoded[0].valid:
            return _unconfirmed(views, decoded, same, alphabet)
    if not votes:
        return 0, decoded[0]
    texts = list(votes)
    scored, per_view = _over_views([views[i] for i in same], texts, alphabet)
    totals = per_view.sum(axis=0)
    order = np.argsort(-totals)
    best = int(order[0])
    own_stands = decoded[0].valid and decoded[0].text in votes
    if not own_stands:
        clear = len(texts) == 1 or totals[best] - totals[int(order[1])] >= config.tie_margin
        if votes[texts[best]] < min_votes or not clear:
            return _unconfirmed(views, decoded, same, alphabet) if decoded[0].valid else (0, decoded[0])
    row = int(np.argmax(per_view[:, best]))
    view = same[row]
    number = containers.parse(texts[best])
    assert number is not None  # proposals are valid decodes
    cut = scored[row][best][1]
    return view, _decoded(views[view], alphabet, number.number, number.formatted, True, decoded[view].raw, rows, cut)


def decode_completed(
    lines: Sequence[Probs], known: str, at_start: bool, alphabet: str = ALPHABET, config: DecodeConfig | None = None
) -> Decoded | None:
    """A container number completed from ``lines``, a crop reaching further than the one that read
    ``known``; ``None`` unless it keeps ``known`` and passes the check digit.

    ``known`` opens the number (``at_start``: owner code, category and serial from a crop that
    ended before the check digit, ``MSCU500627``) or closes it (serial and check digit from a crop
    that began inside the owner code, ``6889054``). Marks beyond the number on the far side (a
    size/type code beside a roof number, a logo's letters above it) are not part of it. A repaired
    read (:func:`decode_container`) also counts when it keeps ``known``: repairs keep the check
    digit as read, so the check digit is never one computed to fit.
    """
    config = config or DecodeConfig()
    parts, _ = joint_reads(lines, alphabet, config)[0]
    text = "".join(parts)
    if len(text) >= 11 and (text.startswith(known) if at_start else text.endswith(known)):
        number = containers.parse(text[:11] if at_start else text[-11:])
        if number is not None:
            return _decoded(lines, alphabet, number.number, number.formatted, True, " / ".join(parts), len(lines))
    decoded = decode_container(lines, alphabet, config)
    kept = decoded.text.startswith(known) if at_start else decoded.text.endswith(known)
    return decoded if decoded.valid and kept else None


def decode_size_type(lines: Sequence[Probs], alphabet: str = ALPHABET, config: DecodeConfig | None = None) -> Decoded:
    """The first of the likeliest reads that is an ISO 6346 size/type code; else the one code read
    within the likeliest read, when a box also read a mark or two beside it (the handle bracket above
    a stacked ``22G1`` read as ``422G1``; the code's characters keep their own confidences); else
    the raw read."""
    config = config or DecodeConfig()
    reads = joint_reads(lines, alphabet, config)
    raw_parts, _ = reads[0]
    raw = " / ".join(raw_parts)
    for parts, _ in reads:
        code = containers.parse_size_type("".join(parts))
        if code is not None:
            return _decoded(lines, alphabet, code.code, code.code, True, raw, len(lines))
    text = "".join(raw_parts)
    if len(text) in SIZE_TYPE_LONGER_READS:
        inside = [(at, c) for at in range(len(text) - 3) if (c := containers.parse_size_type(text[at : at + 4]))]
        if len(inside) == 1:
            at, code = inside[0]
            return _decoded_within(lines, alphabet, raw_parts, at, code.code, code.code, raw)
    return _decoded(lines, alphabet, text, text, False, raw, len(lines))


SIZE_TYPE_LONGER_READS = (5, 6)
"""Lengths of a size/type read that may hold the 4-character code and a mark or two beside it."""
