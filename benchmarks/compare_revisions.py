"""Time per photo of two code revisions, measured in alternating processes, and whether they read alike.

    .venv/bin/python benchmarks/compare_revisions.py --base 0c1f19e            # against the working tree
    .venv/bin/python benchmarks/compare_revisions.py --base HEAD~3 --head HEAD --slices 10

On a shared host the median of one whole ``anpr eval`` run moves by 15-25% from one run to the next
(other tenants, steal time), more than most changes are worth. This script splits the labelled photos
of ``--split`` into ``--slices`` interleaved slices and runs each slice once per revision, each in a
fresh process, alternating which revision goes first: slow periods of the host fall on both. Every
process loads the models, reads one photo untimed, then times ``Recognizer.recognize`` on each photo of
its slice. A revision other than the working tree is checked out with ``git worktree`` in a temporary
folder and imported from there (the same ``.venv``; models come from that revision).

Prints the per-revision median, mean and p99 (nearest rank) over all photos, each slice's median, and
how many photos the two revisions return different plate texts for (``same_reads``), then one JSON
document. Each process times a few dozen photos, so its numbers read higher than a long ``anpr eval``
run; compare the two revisions with each other, not with targets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anpr.ocr_metrics import percentile  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "datasets" / "vn-plate-photos"

SLICE = """
import json, sys, time
from pathlib import Path
from anpr.cli_recognize import build_recognizer, labelled_photos
from anpr.imageio import load_image
folder, split, limit, k, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = labelled_photos(folder, split, limit)[k::n]
images_dir = folder / "images" if (folder / "images").is_dir() else folder
images = [load_image(images_dir / row["image"]) for row in rows]
recognizer = build_recognizer()
recognizer.recognize(images[:1])
out = []
for row, image in zip(rows, images):
    started = time.perf_counter()
    (result,) = recognizer.recognize([image])
    out.append([row["image"], (time.perf_counter() - started) * 1000, [p.text for p in result.plates]])
print(json.dumps(out))
"""


def run_slice(tree: Path, folder: Path, split: str, limit: int, k: int, n: int) -> list[list[Any]]:
    """One slice read by the code in ``tree``, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", SLICE, str(folder.resolve()), split, str(limit), str(k), str(n)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: list[list[Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times), 1),
        "mean_ms": round(sum(times) / len(times), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="Git revision to compare against.")
    parser.add_argument("--head", default="", help="Git revision to compare (default: the working tree).")
    parser.add_argument("--folder", type=Path, default=PHOTOS, help="Labelled photos (labels.csv).")
    parser.add_argument("--split", default="val", choices=("val", "train", "all"))
    parser.add_argument("--slices", type=int, default=10, help="Interleaved slices, one process per revision each.")
    parser.add_argument("--limit", type=int, default=0, help="Only the first N photos of the split (0 = all).")
    args = parser.parse_args(argv)
    if args.slices < 1 or args.limit < 0:
        parser.error("--slices must be at least 1 and --limit at least 0")
    if not (args.folder / "labels.csv").is_file():
        parser.error(f"no labels.csv in {args.folder}")
    with tempfile.TemporaryDirectory(prefix="anpr-revisions-") as scratch:
        trees: dict[str, Path] = {}
        for name, rev in (("base", args.base), ("head", args.head)):
            if not rev:
                trees[name] = ROOT
                continue
            tree = Path(scratch) / name
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            trees[name] = tree
        try:
            reads: dict[str, dict[str, tuple[float, list[str]]]] = {"base": {}, "head": {}}
            slices: dict[str, list[float]] = {"base": [], "head": []}
            for k in range(args.slices):
                order = ("base", "head") if k % 2 == 0 else ("head", "base")
                for name in order:
                    got = run_slice(trees[name], args.folder, args.split, args.limit, k, args.slices)
                    reads[name].update({image: (ms, plates) for image, ms, plates in got})
                    slices[name].append(round(statistics.median(ms for _, ms, _ in got), 1) if got else 0.0)
                print(f"slice {k + 1}/{args.slices}: base {slices['base'][-1]} ms, head {slices['head'][-1]} ms")
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    report: dict[str, Any] = {"split": args.split, "photos": len(reads["base"]), "slices": args.slices}
    for name, rev in (("base", args.base), ("head", args.head or "working tree")):
        figures = summary([ms for ms, _ in reads[name].values()])
        report[name] = {"revision": rev, **figures, "slices": slices[name]}
        print(f"{name} ({rev}): " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    differ = sorted(image for image, (_, plates) in reads["base"].items() if reads["head"][image][1] != plates)
    report["same_reads"] = len(reads["base"]) - len(differ)
    report["different_reads"] = differ
    print(f"same plate texts on {report['same_reads']} of {report['photos']} photos")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
