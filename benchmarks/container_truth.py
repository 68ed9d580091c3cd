"""Container numbers read against the hand-checked truth of every real gate frame.

    .venv/bin/python benchmarks/container_truth.py                 # held-out and training frames
    .venv/bin/python benchmarks/container_truth.py --split val
    .venv/bin/python benchmarks/container_truth.py --split val --scores models/gate-detector.onnx var/x/a.onnx

Every container number legible in the real gate frames was checked by eye: the held-out frames in
``anpr/training/gate_truth.jsonl``, the training frames in ``anpr/training/gate_truth_train.jsonl``
(the number, its box, side or roof marking, layout). The configured detector and OCR engine read
each frame as the gate does, and per split and marking this prints the numbers, how many a
container box covers (``boxed``), how many a covering box reads exactly (``read``), and
``wrong_valid``: the silent misreads, a covering box read as another check-digit-valid number
(overall also a valid read of a box on no hand-checked number). A number reported valid is what a
customs cross-check trusts, so ``wrong_valid`` should stay 0.

The detector learned the training frames' boxes, and the shipped container recogniser their numbers
(``anpr train ocr --gate-crops``), so the training split flatters both; the held-out split measures
them. Nothing is timed. Needs ``../shared/datasets/gate-containers-unlabelled``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=("val", "train", "all"), default="all")
    parser.add_argument(
        "--scores",
        nargs="+",
        type=Path,
        metavar="WEIGHTS",
        help="Instead: print each number's best covering container-box confidence under each of these detectors "
        "(kept from 0.01), to see how far below the threshold a missed number is and how a round moves it.",
    )
    args = parser.parse_args(argv)

    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.ocr import EasyOcrEngine
    from anpr.training.eval_detector import eval_containers_audited, load_gate_truth
    from anpr.training.real_labels import GATE_FRAMES

    if not GATE_FRAMES.is_dir():
        print(f"no gate frames under {GATE_FRAMES}", file=sys.stderr)
        return 2
    settings = get_settings()
    splits = ("val", "train") if args.split == "all" else (args.split,)
    if args.scores:
        return _scores(args.scores, [t for s in splits for t in load_gate_truth(split=s)])
    detector, ocr = load_detector(settings), EasyOcrEngine(settings)
    report = {}
    for split in splits:
        truth = load_gate_truth(split=split)
        report[split] = eval_containers_audited(detector, ocr, truth)
        name = "held-out" if split == "val" else "training"
        for marking, c in report[split].items():
            low, high = c["recall_interval"] or (0.0, 0.0)
            print(
                f"{name:>8} {marking:>4}: {c['numbers']:3d} numbers, {c['boxed']:3d} boxed "
                f"(95% interval {100 * low:.1f}-{100 * high:.1f}%), {c['read']:3d} read, "
                f"{c['wrong_valid']} wrong but valid"
            )
    print(json.dumps(report))
    return 0


def _scores(weights: list[Path], truth: list[Any]) -> int:
    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.errors import AnprError
    from anpr.training.eval_detector import covering_scores

    columns = []
    for path in weights:
        try:
            low = {"detector_weights": path, "detector_conf": 0.01, "detector_container_conf": 0.01}
            detector = load_detector(get_settings().model_copy(update=low))
        except (AnprError, OSError, ValueError) as exc:
            print(f"cannot load {path}: {exc}", file=sys.stderr)
            return 2
        columns.append(covering_scores(detector, truth))
    print("number       marking layout      " + " ".join(f"{p.parent.name or p.name:>12}" for p in weights) + "  frame")
    for i, t in enumerate(truth):
        cells = " ".join(f"{'n/a' if c[i] is None else format(c[i], '.2f'):>12}" for c in columns)
        print(f"{t.number:12} {t.marking:7} {t.layout:11} {cells}  {t.image}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
