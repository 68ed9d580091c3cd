"""Several recogniser runs at once on one lent machine, from a line pack, for a model soup.

A lent GPU comes for minutes, without the datasets and with only 64 MiB of files. Stage 12
showed what to do with it: train a few runs from the same weights side by side, then average
them (``anpr train ocr-soup``). This module is that session's procedure as one command, so that
the next lent machine runs it without a script written on the spot::

    python3 -m anpr.training.parallel_ocr --lines var/lines.npz --work /tmp/ocr --collect $OUT \\
        --synth-plates 4000 --synth-painted 800 --minutes 7 --device cuda \\
        --run a:init=models/ocr/anpr_plate_g2.pth,lr=1e-4,seed=20 --run b:...,seed=21

1. The synthetic lines, which the pack leaves out for their size, are rendered here in seeded
   chunks by every core (:func:`render_synth`), and added to the pack's training lines.
2. Each ``--run`` trains in its own process (``train_ocr.train``, no engine report) for the
   same time budget; the best epoch on the pack's validation lines is kept.
3. ``--collect`` receives ``<run>.pth`` for each run that saved weights, and ``runs.json`` with
   every run's settings and training record (or its error).

It imports neither easyocr nor the settings, which a bare GPU machine lacks: only torch,
OpenCV, Pillow, NumPy and PyYAML. Without numba the decoding's kernels run as plain Python
(:data:`anpr.ctc_kernels.COMPILED`); validation only needs the greedy read, which is Python anyway.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from anpr.training import line_pack, ocr_data
from anpr.training.ocr_data import LineSample

log = logging.getLogger(__name__)

PLATE_CHUNK = 250
PAINTED_CHUNK = 100


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One training run: its name, starting weights, peak learning rate, seed, the widest width
    jitter of its lines (:attr:`anpr.training.train_ocr.TrainConfig.width_jitter`, from 0.8) and the
    share of lines re-framed (:attr:`anpr.training.train_ocr.TrainConfig.geometry`)."""

    name: str
    init: Path | None
    lr: float
    seed: int
    width: float = 1.2
    geometry: float = 0.0


def parse_run(text: str) -> RunSpec:
    """``NAME:init=PATH,lr=FLOAT,seed=INT,width=FLOAT,geometry=FLOAT`` (each key optional: stock
    weights, 3e-4, 0, 1.2, 0)."""
    name, _, rest = text.partition(":")
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"run {text!r}: a name of letters, digits, '-' and '_' comes first")
    fields: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in ("init", "lr", "seed", "width", "geometry"):
            raise ValueError(
                f"run {text!r}: {item!r} is not init=PATH, lr=FLOAT, seed=INT, width=FLOAT or geometry=FLOAT"
            )
        fields[key] = value
    try:
        lr = float(fields.get("lr", "3e-4"))
        seed = int(fields.get("seed", "0"))
        width = float(fields.get("width", "1.2"))
        geometry = float(fields.get("geometry", "0"))
    except ValueError as exc:
        raise ValueError(f"run {text!r}: {exc}") from exc
    if lr <= 0:
        raise ValueError(f"run {text!r}: the learning rate must be positive")
    if not 0.8 <= width <= 3:
        raise ValueError(f"run {text!r}: width must be between 0.8 and 3")
    if not 0 <= geometry <= 1:
        raise ValueError(f"run {text!r}: geometry must be a share between 0 and 1")
    init = Path(fields["init"]) if fields.get("init") else None
    return RunSpec(name, init, lr, seed, width, geometry)


Job = tuple[str, int, int, int, int]
"""One chunk to render: kind (``plates`` or ``painted``), count, seed, line height and maximum width."""


def _chunk(job: Job) -> list[LineSample]:
    kind, count, seed, height, max_width = job
    samples = (
        ocr_data.synth_plate_samples(count, seed, "train")
        if kind == "plates"
        else ocr_data.synth_painted_samples(count, seed, "train")
    )
    return [line for sample in samples for line in ocr_data.lines_of(sample, height, max_width)]


def synth_jobs(plates: int, painted: int, seed: int, height: int, max_width: int) -> list[Job]:
    """Seeded chunks: plates in chunks of :data:`PLATE_CHUNK`, painted numbers of :data:`PAINTED_CHUNK`.

    Chunk ``i`` is seeded ``seed * 1000 + i`` (painted: ``+ 500``), so the same arguments render
    the same lines on any number of workers, and no chunk repeats another's seed.
    """
    jobs: list[Job] = []
    for kind, total, size, offset in (("plates", plates, PLATE_CHUNK, 0), ("painted", painted, PAINTED_CHUNK, 500)):
        for i, start in enumerate(range(0, total, size)):
            jobs.append((kind, min(size, total - start), seed * 1000 + offset + i, height, max_width))
    return jobs


def render_synth(
    plates: int, painted: int, seed: int, workers: int, height: int = 32, max_width: int = 400
) -> list[LineSample]:
    """Synthetic plate and painted-number training lines, rendered in parallel (same lines for any ``workers``)."""
    jobs = synth_jobs(plates, painted, seed, height, max_width)
    if not jobs:
        return []
    if workers <= 1:
        chunks = [_chunk(job) for job in jobs]
    else:
        with mp.get_context("spawn").Pool(workers) as pool:
            chunks = pool.map(_chunk, jobs)
    return [line for chunk in chunks for line in chunk]


def _train(spec: RunSpec, config: dict[str, Any], threads: int) -> None:
    from anpr.training.train_ocr import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {spec.name} %(message)s")
    train(
        TrainConfig(
            **config,
            init=spec.init,
            lr=spec.lr,
            seed=spec.seed,
            threads=threads,
            width_jitter=(0.8, spec.width),
            geometry=spec.geometry,
        )
    )


def run_all(
    specs: Sequence[RunSpec], pack: Path, work: Path, *, minutes: float, device: str, batch_size: int = 32
) -> dict[str, Any]:
    """Train every spec at once from ``pack``; returns each run's record, or its error."""
    threads = max(1, (os.cpu_count() or 1) // max(1, len(specs)))
    ctx = mp.get_context("spawn")
    procs = {}
    for spec in specs:
        config = {
            "out_dir": work / spec.name, "lines": pack, "device": device, "max_minutes": minutes,
            "epochs": 200, "frozen_convs": 0, "report": False, "batch_size": batch_size,
        }  # fmt: skip
        proc = ctx.Process(target=_train, args=(spec, config, threads), name=spec.name)
        proc.start()
        procs[spec.name] = proc
    deadline = time.monotonic() + 60 * minutes + 180  # loading, the last epoch and its validation
    for proc in procs.values():
        proc.join(max(1.0, deadline - time.monotonic()))
        if proc.is_alive():
            log.warning("run %s outlived its budget: stopped (its best epoch so far is kept)", proc.name)
            proc.terminate()
            proc.join()
    results: dict[str, Any] = {}
    for spec in specs:
        record_path = work / spec.name / "train-record.json"
        entry: dict[str, Any] = {"spec": {k: str(v) for k, v in asdict(spec).items()}}
        entry["exit_code"] = procs[spec.name].exitcode
        if record_path.exists():
            entry["record"] = json.loads(record_path.read_text(encoding="utf-8"))
        results[spec.name] = entry
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=Path, required=True, help="line pack written by anpr train ocr --prepare-only")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for the combined pack and runs")
    parser.add_argument("--collect", type=Path, required=True, help="where <run>.pth and runs.json go")
    parser.add_argument(
        "--run", action="append", required=True, help="NAME:init=PATH,lr=FLOAT,seed=INT,width=FLOAT,geometry=FLOAT"
    )
    parser.add_argument("--synth-plates", type=int, default=4000)
    parser.add_argument("--synth-painted", type=int, default=800)
    parser.add_argument("--synth-seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes rendering synthetic lines")
    parser.add_argument("--minutes", type=float, default=7.0, help="each run's training budget")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        specs = [parse_run(text) for text in args.run]
    except ValueError as exc:
        parser.error(str(exc))
    if len({s.name for s in specs}) != len(specs):
        parser.error("run names must differ")
    for spec in specs:
        if spec.init is not None and not spec.init.is_file():
            parser.error(f"run {spec.name}: no weights at {spec.init}")
    if args.synth_plates < 0 or args.synth_painted < 0 or args.minutes <= 0:
        parser.error("synthetic counts must be 0 or more and --minutes positive")
    try:
        train, val, counts = line_pack.load(args.lines)
    except line_pack.LinePackError as exc:
        parser.error(str(exc))
    started = time.monotonic()
    synth = render_synth(args.synth_plates, args.synth_painted, args.synth_seed, args.workers)
    log.info("rendered %d synthetic lines in %.0f s", len(synth), time.monotonic() - started)
    lines_by_source = dict(counts.get("lines", {}))
    for source, n in ocr_data.by_source(synth).items():
        lines_by_source[source] = lines_by_source.get(source, 0) + n
    counts = {**counts, "lines": lines_by_source, "synth_rendered_here": {
        "plates": args.synth_plates, "painted": args.synth_painted, "seed": args.synth_seed}}  # fmt: skip
    args.work.mkdir(parents=True, exist_ok=True)
    combined = args.work / "combined.npz"
    line_pack.save(combined, [*train, *synth], val, counts)
    results = run_all(specs, combined, args.work, minutes=args.minutes, device=args.device, batch_size=args.batch_size)
    args.collect.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        weights = args.work / spec.name / "anpr_gate_g2.pth"
        if weights.exists():
            shutil.copyfile(weights, args.collect / f"{spec.name}.pth")
    summary = {"data": counts, "runs": results}
    (args.collect / "runs.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    for name, entry in results.items():
        best = entry.get("record", {}).get("best", {})
        log.info("run %s: exit %s, best epoch %s, val %s", name, entry["exit_code"], best.get("epoch"), best.get("val"))
    return 0 if all(entry["exit_code"] == 0 for entry in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
