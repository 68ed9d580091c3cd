"""CTC decoding over a recogniser's per-frame character probabilities.

A pure module (numpy, and numba for the inner loops:
:mod:`anpr.ctc_kernels`). The recogniser (easyocr's generation-2 VGG +
BiLSTM network) emits, for each of ``T`` horizontal frames of a text line, a
probability for every class: column 0 is the CTC blank and column ``i`` is
``alphabet[i - 1]``. A text is read off a frame sequence by collapsing repeats
and dropping blanks (Graves et al., "Connectionist Temporal Classification",
ICML 2006). Here:

* :func:`fold` maps the stock 96-character model onto our upper-case alphabet
  (lower case onto upper case, punctuation and space onto blank);
* :func:`greedy` is the best-path read with one confidence per character;
* :func:`beam_search` is CTC prefix beam search, the top texts with their
  log-probabilities (summed over alignments);
* :func:`log_likelihood` is the CTC forward algorithm: ``log p(text | frames)``
  for any candidate text, which is how grammar candidates are ranked;
* :func:`char_confidences` aligns a text to the frames (Viterbi) and gives each
  character the highest probability it reaches on its own frames;
  :func:`char_distributions` gives every alternative's, the per-character top-k.

Shapes: ``probs`` is float ``(T, C)`` with rows summing to 1 and
``C == len(alphabet) + 1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from anpr.ctc_kernels import (
    FLOOR,
    NEG_INF,
    as_int64,
    forward_prefixes,
    max_code_length,
    prefix_beams,
    spelled,
    viterbi_states,
)

Probs = npt.NDArray[np.float32]
"""``(T, C)`` per-frame class probabilities, column 0 the CTC blank."""


def _check(probs: Probs, alphabet: str) -> None:
    if probs.ndim != 2 or probs.shape[1] != len(alphabet) + 1:
        raise ValueError(f"probs must be (T, {len(alphabet) + 1}), got {probs.shape}")


def fold_matrix(source: str, target: str) -> npt.NDArray[np.float32]:
    """The ``(len(source)+1, len(target)+1)`` 0/1 matrix that folds ``source`` classes onto ``target``.

    A source character goes to its upper-case form when ``target`` has it, and
    to the blank otherwise (punctuation, space and foreign symbols are not
    characters of a plate or container code; on the plate they are gaps).
    """
    if len(set(target)) != len(target):
        raise ValueError("target alphabet has repeated characters")
    index = {c: i + 1 for i, c in enumerate(target)}
    out = np.zeros((len(source) + 1, len(target) + 1), np.float32)
    out[0, 0] = 1.0
    for i, ch in enumerate(source, start=1):
        out[i, index.get(ch.upper(), 0)] = 1.0
    return out


def fold(probs: Probs, matrix: npt.NDArray[np.float32]) -> Probs:
    """``probs`` folded through :func:`fold_matrix` and renormalised per frame."""
    out = (probs @ matrix).astype(np.float32)
    total = out.sum(axis=1, keepdims=True)
    folded: Probs = out / np.maximum(total, FLOOR)
    return folded


def greedy(probs: Probs, alphabet: str) -> tuple[str, tuple[float, ...]]:
    """Best-path text and, per character, the highest probability over its frames."""
    _check(probs, alphabet)
    best = probs.argmax(axis=1)
    chars: list[str] = []
    confs: list[float] = []
    previous = 0
    for t, k in enumerate(best.tolist()):
        p = float(probs[t, k])
        if k != 0 and k == previous:
            confs[-1] = max(confs[-1], p)
        elif k != 0:
            chars.append(alphabet[k - 1])
            confs.append(p)
        previous = k
    return "".join(chars), tuple(confs)


def beam_search(probs: Probs, alphabet: str, beam_width: int = 8, prune: float = 1e-3) -> list[tuple[str, float]]:
    """The ``beam_width`` most likely texts, best first, with ``log p(text | frames)``.

    CTC prefix beam search: each prefix keeps the probability of its
    alignments ending in a blank and in its last character. Characters below
    ``prune`` in a frame are not expanded there (speed; they stay reachable
    through :func:`log_likelihood`). Beam scores are rescaled every frame so
    long lines cannot underflow. A frame that expands nothing (only the blank
    is likely) moves every prefix's mass onto its blank ending, in one step.

    The search runs compiled (:func:`~anpr.ctc_kernels.prefix_beams`); a line whose prefixes
    grow too long for its codes (22 characters of a 37-class alphabet) runs through
    :func:`beam_search_reference`, which gives the same results.
    """
    _check(probs, alphabet)
    if beam_width < 1:
        raise ValueError("beam_width must be >= 1")
    values = np.ascontiguousarray(probs, dtype=np.float64)  # the layout the kernel was compiled for
    hit_rows, hit_cols = np.nonzero(values[:, 1:] >= prune)
    starts = np.zeros(len(values) + 1, np.int64)
    np.cumsum(np.bincount(hit_rows, minlength=len(values)), out=starts[1:])
    classes = as_int64(hit_cols + 1)
    base = len(alphabet) + 1
    high, low, lengths, scores, fits = prefix_beams(
        values, starts, classes, values[hit_rows, classes], beam_width, base, max_code_length(base)
    )
    if not fits:
        return beam_search_reference(probs, alphabet, beam_width, prune)
    codes = zip(high.tolist(), low.tolist(), lengths.tolist(), strict=True)
    texts = [spelled(hi, lo, length, alphabet) for hi, lo, length in codes]
    return sorted(zip(texts, scores.tolist(), strict=True), key=lambda item: item[1], reverse=True)


def beam_search_reference(
    probs: Probs, alphabet: str, beam_width: int = 8, prune: float = 1e-3
) -> list[tuple[str, float]]:
    """:func:`beam_search` in Python: what the compiled kernel is tested against, and what runs
    when a prefix outgrows the kernel's codes (:func:`~anpr.ctc_kernels.max_code_length`).
    """
    _check(probs, alphabet)
    if beam_width < 1:
        raise ValueError("beam_width must be >= 1")
    values = probs.astype(np.float64)
    hit_rows, hit_cols = np.nonzero(values[:, 1:] >= prune)
    expansions: list[list[tuple[str, float]]] = [[] for _ in range(len(values))]
    rows = values.tolist()
    for t, k in zip(hit_rows.tolist(), (hit_cols + 1).tolist(), strict=True):
        expansions[t].append((alphabet[k - 1], rows[t][k]))
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}
    log_scale = 0.0
    for frame, expand in zip(rows, expansions, strict=True):
        blank = frame[0]
        if not expand:
            mass = sum(b + n for b, n in beams.values())
            if mass * blank <= 0.0:
                break
            log_scale += math.log(mass * blank)
            beams = {prefix: ((b + n) / mass, 0.0) for prefix, (b, n) in beams.items()}
            continue
        nxt: dict[str, list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            entry = nxt.setdefault(prefix, [0.0, 0.0])
            entry[0] += (pb + pnb) * blank
            last = prefix[-1] if prefix else ""
            for ch, p in expand:
                if ch == last:
                    entry[1] += pnb * p  # a repeat without a blank collapses into the same char
                    grown = nxt.setdefault(prefix + ch, [0.0, 0.0])
                    grown[1] += pb * p
                else:
                    grown = nxt.setdefault(prefix + ch, [0.0, 0.0])
                    grown[1] += (pb + pnb) * p
        ranked = sorted(nxt.items(), key=lambda kv: kv[1][0] + kv[1][1], reverse=True)[:beam_width]
        total = sum(b + n for _, (b, n) in ranked)
        if total <= 0.0:
            break
        log_scale += math.log(total)
        beams = {prefix: (b / total, n / total) for prefix, (b, n) in ranked}
    out = [(prefix, math.log(max(b + n, FLOOR)) + log_scale) for prefix, (b, n) in beams.items()]
    return sorted(out, key=lambda item: item[1], reverse=True)


def _labels(text: str, alphabet: str) -> list[int] | None:
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    out = [index.get(c, -1) for c in text]
    return None if -1 in out else out


def _extended(labels: Sequence[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Blank-interleaved label sequence and where a skip over a blank is allowed."""
    ext = np.zeros(2 * len(labels) + 1, np.int64)
    ext[1::2] = labels
    skip = np.zeros(len(ext), bool)
    skip[3::2] = ext[3::2] != ext[1:-2:2]  # a char may follow the previous char directly if they differ
    return ext, skip


def prefix_log_likelihoods(probs: Probs, texts: Sequence[str], alphabet: str) -> list[npt.NDArray[np.float64]]:
    """For each text, ``log p(text[:k] | frames)`` for ``k = 0 .. len(text)`` (CTC forward algorithm).

    A prefix that cannot fit the frames, or a text with a character outside
    ``alphabet``, gets ``-1e30``.

    The recursion runs on probabilities (sums and products, which cost far less
    than log-sum-exp), each text's states rescaled by their largest every
    :data:`~anpr.ctc_kernels.RESCALE_EVERY` frames, the scales kept as logs. A state more than
    about ``e**-600`` below the best state of its text underflows to zero and
    reads as ``-1e30``: such a prefix is as good as impossible.
    """
    return prefix_log_likelihoods_many([(probs, texts)], alphabet)[0]


def prefix_log_likelihoods_many(
    items: Sequence[tuple[Probs, Sequence[str]]], alphabet: str
) -> list[list[npt.NDArray[np.float64]]]:
    """:func:`prefix_log_likelihoods` of every ``(probs, texts)`` item, in one call.

    Reading a plate several ways gives many short frame sequences, each with a few texts to
    score; the compiled forward recursion (:func:`~anpr.ctc_kernels.forward_prefixes`) runs
    them all from one stack of frames.
    """
    for probs, _ in items:
        _check(probs, alphabet)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    rows = [(item, text) for item, (_, texts) in enumerate(items) for text in texts]
    known = [all(c in index for c in t) for _, t in rows]
    item_frames = as_int64([len(probs) for probs, _ in items])
    item_start = np.zeros(len(items), np.int64)
    np.cumsum(item_frames[:-1], out=item_start[1:])
    labels = as_int64([index[c] for (_, text), ok in zip(rows, known, strict=True) if ok for c in text])
    label_start = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(t) if ok else 0 for (_, t), ok in zip(rows, known, strict=True)], out=label_start[1:])
    out_start = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(t) + 1 for _, t in rows], out=out_start[1:])
    out = np.full(int(out_start[-1]), NEG_INF)
    if rows and int(item_frames.sum()):
        frames = np.concatenate([np.maximum(probs.astype(np.float64), FLOOR) for probs, _ in items])
        text_item = as_int64([item for item, _ in rows])
        forward_prefixes(frames, item_start, item_frames, text_item, labels, label_start, out, out_start)
    found: list[list[npt.NDArray[np.float64]]] = [[] for _ in items]
    for row, (item, _) in enumerate(rows):
        prefix = out[out_start[row] : out_start[row + 1]].copy()
        if not known[row]:
            prefix[:] = NEG_INF
        elif not item_frames[item]:
            prefix[0] = 0.0  # no frames: only the empty text
        found[item].append(prefix)
    return found


def log_likelihood(probs: Probs, text: str, alphabet: str) -> float:
    """``log p(text | frames)`` by the CTC forward algorithm; ``-1e30`` if ``text`` cannot fit."""
    return float(prefix_log_likelihoods(probs, [text], alphabet)[0][-1])


def char_confidences(probs: Probs, text: str, alphabet: str) -> tuple[float, ...]:
    """For each character of ``text``, its highest probability over the frames that the best
    (Viterbi) alignment gives it; zeros when ``text`` cannot be aligned."""
    _check(probs, alphabet)
    labels = _labels(text, alphabet)
    if labels is None or not labels:
        return tuple(0.0 for _ in text)
    path = _viterbi(probs, labels)
    if path is None:
        return tuple(0.0 for _ in text)
    best = [0.0] * len(labels)
    for t, s in enumerate(path):
        if s % 2 == 1:
            i = s // 2
            best[i] = max(best[i], float(probs[t, labels[i]]))
    return tuple(best)


def char_distributions(probs: Probs, text: str, alphabet: str) -> list[dict[str, float]] | None:
    """For each character of ``text``, every class's highest probability over the frames the
    best (Viterbi) alignment gives that character: the per-character alternatives of a read.
    ``None`` when ``text`` cannot be aligned."""
    _check(probs, alphabet)
    labels = _labels(text, alphabet)
    path = _viterbi(probs, labels) if labels else None
    if labels is None or path is None:
        return None
    best = np.zeros((len(labels), probs.shape[1]), np.float64)
    for t, s in enumerate(path):
        if s % 2 == 1:
            best[s // 2] = np.maximum(best[s // 2], probs[t])
    return [{c: float(row[k + 1]) for k, c in enumerate(alphabet)} for row in best]


def _viterbi(probs: Probs, labels: Sequence[int]) -> list[int] | None:
    """The extended-label state of each frame on the most likely alignment, or ``None``
    (compiled: :func:`~anpr.ctc_kernels.viterbi_states`; a gate frame's container reads align
    several texts each). Ties go to staying, then to one step."""
    if not len(probs):
        return None
    ext, skip = _extended(labels)
    emit = np.ascontiguousarray(np.log(np.maximum(probs[:, ext].astype(np.float64), FLOOR)))
    path, found = viterbi_states(emit, skip)
    return path.tolist() if found else None
