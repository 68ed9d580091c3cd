"""Container numbers read against the hand-checked truth of every real gate frame.

    .venv/bin/python benchmarks/container_truth.py                 # held-out and training frames
    .venv/bin/python benchmarks/container_truth.py --split val

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=("val", "train", "all"), default="all")
    args = parser.parse_args(argv)

    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.ocr import EasyOcrEngine
    from anpr.training.eval_detector import GATE_TRUTH, GATE_TRUTH_TRAIN, eval_containers_audited, load_gate_truth
    from anpr.training.real_labels import GATE_FRAMES

    if not GATE_FRAMES.is_dir():
        print(f"no gate frames under {GATE_FRAMES}", file=sys.stderr)
        return 2
    settings = get_settings()
    detector, ocr = load_detector(settings), EasyOcrEngine(settings)
    splits = ("val", "train") if args.split == "all" else (args.split,)
    files = {"val": GATE_TRUTH, "train": GATE_TRUTH_TRAIN}
    report = {}
    for split in splits:
        truth = load_gate_truth(files[split], split)
        report[split] = eval_containers_audited(detector, ocr, truth)
        name = "held-out" if split == "val" else "training"
        for marking, c in report[split].items():
            print(
                f"{name:>8} {marking:>4}: {c['numbers']:3d} numbers, {c['boxed']:3d} boxed, {c['read']:3d} read, "
                f"{c['wrong_valid']} wrong but valid"
            )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
