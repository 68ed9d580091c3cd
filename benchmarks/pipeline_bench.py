"""Gate pipeline benchmark: throughput, idle-lane CPU, a synthetic pass, and real gate frames.

Run from the repository root::

    .venv/bin/python benchmarks/pipeline_bench.py                # everything that can run here
    .venv/bin/python benchmarks/pipeline_bench.py --skip-real --idle-seconds 20
    .venv/bin/python benchmarks/pipeline_bench.py --sections idle --idle-seconds 20   # idle only, no models

Sections (each prints its numbers, and a JSON summary comes last):

* **throughput** - a 1080p synthetic pass (``anpr.synth.demo``) written as a video
  with still lead-in and tail, run through one camera worker as fast as it goes,
  every frame sampled, with motion gating. Uses the real models when
  ``models/gate-detector.*`` exists, else a null recogniser (then the number is
  decode + motion gate + bookkeeping only, and says so).
* **idle** - a still 1080p scene played as a live camera at ``--camera-fps``
  (a 10 s clip, looped), sampled at ``--sample-fps`` with the other ``ANPR_GATE_*``
  settings from the environment (idle sampling, decoder threads): process CPU
  time per wall second (share of one core) over ``--idle-seconds`` once the lane
  has settled (motion hold + ``idle_after_s``), split into reading (grab every
  frame, retrieve the samples) and the rest, with the decode-only floor (grab
  every frame, retrieve none) and the motion gate's own cost per sampled frame.
  Scenes (``--idle-scenes``): ``road`` - the synthetic gate's empty road with
  Gaussian sensor noise (sigma 2), close to what an IP camera sends; ``noise`` -
  uniform random pixels with +-3 noise per frame, a worst case for the decoder
  (each key frame is ~1 MB).
* **synthetic pass** - with real models: the fused event of a truck with two
  containers seen by the front and side cameras, against the rendered truth.
* **real gate frames** - with real models and ``../shared/datasets/gate-containers-unlabelled``:
  detector + OCR milliseconds per 1080p frame (each frame alone, median and p99), then
  frames grouped by pass id, fused with ``anpr pass`` logic; how many passes
  yield two valid numbers, whether fused numbers agree with the check-digit-valid
  per-image reads, and that no fused number failing the check digit is marked valid;
  then, per split, the passes against the hand-checked numbers of every frame
  (``anpr/training/gate_truth*.jsonl``): containers fused right, containers left
  without a valid number, and valid numbers fused wrong (a misread the check digit
  passed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anpr import containers  # noqa: E402
from anpr.cameras import GateSettings, file_stamp, parse_config  # noqa: E402
from anpr.cli_gate import build_recognizer, run_pass  # noqa: E402
from anpr.gate import GateRunner  # noqa: E402
from anpr.motion import MotionGate  # noqa: E402
from anpr.recognition import Recognizer  # noqa: E402
from anpr.sources import Capture, OpenCvCapture, StreamSource, expand_images  # noqa: E402
from anpr.synth.demo import render_pass_frames, write_video  # noqa: E402
from anpr.types import Detection, ImageArray, Reading  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "gate-containers-unlabelled"
PLATE, BOXES = "51C-123.45", ("MSCU1234566", "TGHU9876542")


class NullDetector:
    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        return [[] for _ in images]


class NullOcr:
    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        return [None for _ in detections]


def models_present() -> bool:
    return any((ROOT / "models" / f"gate-detector{s}").is_file() for s in (".pt", ".onnx"))


class ListSink:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass


def render_clip(folder: Path, frames: int, seed: int) -> dict[str, Path]:
    """A 1080p video per camera: 4 s still lead-in, the pass, 4 s still tail, at 10 fps."""
    seq = render_pass_frames(PLATE, list(BOXES), n_frames=frames, seed=seed, size=(1920, 1080))
    out = {}
    for cam in seq.cameras:
        still = cam.frames[0].copy()
        still[:] = np.median(np.stack(cam.frames[:3]), axis=0).astype(np.uint8)  # the empty road
        clip = [still] * 40 + list(cam.frames) + [still] * 40
        out[cam.camera] = write_video(clip, folder / f"{cam.camera}_20261127T031500000.mp4", fps=10.0)
    return out


def run_lane(videos: dict[str, Path], recognizer: Recognizer, sample_fps: float) -> tuple[float, Any, ListSink]:
    roles = {"plate-front": "plate-front", "container-side": "container-side"}
    config = parse_config(
        {
            "lanes": [{"id": "lane-1", "direction": "in"}],
            "cameras": [
                {"id": cam, "url": str(path), "lane": "lane-1", "role": roles.get(cam, "overview")}
                for cam, path in videos.items()
            ],
        }
    )
    settings = GateSettings(sample_fps=sample_fps, health_log_s=3600.0)
    sink = ListSink()
    started = time.perf_counter()
    health = GateRunner(config, settings, recognizer, sink).run(threading.Event())
    return time.perf_counter() - started, health, sink


def bench_throughput(work: Path, recognizer: Recognizer, real: bool, frames: int) -> dict[str, Any]:
    videos = render_clip(work, frames, seed=7)
    front = {"plate-front": videos["plate-front"]}
    wall, health, _ = run_lane(front, recognizer, sample_fps=60.0)  # every frame of the 10 fps clip
    stats = health.workers["plate-front"]
    fps = stats.frames / wall
    print(
        f"throughput: {stats.frames} frames of 1920x1080 in {wall:.2f} s = {fps:.1f} frames/s "
        f"({stats.analysed} analysed, {stats.idle} skipped as idle; "
        f"{'real models' if real else 'NULL recogniser: decode + gating + bookkeeping only'})"
    )
    return {
        "frames": stats.frames,
        "seconds": round(wall, 3),
        "frames_per_s": round(fps, 2),
        "analysed": stats.analysed,
        "idle": stats.idle,
        "real_models": real,
        "videos": videos,
    }


def bench_synthetic_pass(videos: dict[str, Path], recognizer: Recognizer) -> dict[str, Any]:
    wall, _, sink = run_lane(videos, recognizer, sample_fps=5.0)
    events = [e.to_json() for e in sink.events]
    plate_ok = any(e["plate"] and e["plate"]["text"] == PLATE.replace("-", "").replace(".", "") for e in events)
    numbers = {c["number"] for e in events for c in e["containers"] if c["check_digit_ok"]}
    print(
        f"synthetic pass: {len(events)} event(s) in {wall:.1f} s; plate right: {plate_ok}; "
        f"containers right: {sorted(numbers) == sorted(BOXES)} (fused {sorted(numbers)})"
    )
    return {
        "events": len(events),
        "plate_ok": plate_ok,
        "containers": sorted(numbers),
        "containers_ok": sorted(numbers) == sorted(BOXES),
    }


class PacedCapture:
    """A live camera stand-in: plays a video at ``fps`` in real time, looping at the end.

    Keep the clip long (seconds): each loop reopens the file, which a real camera never does.
    """

    def __init__(self, path: str, fps: float, threads: int | None = None) -> None:
        self.path, self.period, self.threads = path, 1.0 / fps, threads
        self.inner: Capture = OpenCvCapture(path, threads)
        self.next_at = time.monotonic()

    def grab(self) -> bool:
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at += self.period
        if not self.inner.grab():
            self.inner.release()
            self.inner = OpenCvCapture(self.path, self.threads)
            return self.inner.grab()
        return True

    def retrieve(self) -> ImageArray | None:
        return self.inner.retrieve()

    def position_ms(self) -> float | None:
        return None

    def release(self) -> None:
        self.inner.release()


def read_share(path: Path, seconds: float, camera_fps: float, retrieve_fps: float, threads: int | None) -> float:
    """CPU share of one core spent just reading the paced camera: every frame grabbed, ``retrieve_fps``
    of them retrieved (0: none, the decode floor)."""
    capture = PacedCapture(str(path), camera_fps, threads)
    every = max(1, round(camera_fps / retrieve_fps)) if retrieve_fps > 0 else 0
    cpu0, wall0, n = time.process_time(), time.perf_counter(), 0
    while time.perf_counter() - wall0 < seconds:
        capture.grab()
        if every and n % every == 0:
            capture.retrieve()
        n += 1
    capture.release()
    return 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def idle_frames(scene: str, n: int = 10) -> list[ImageArray]:
    """``n`` 1080p frames of a still scene with per-frame sensor noise (see the module docstring)."""
    rng = np.random.default_rng(3)
    if scene == "noise":
        still = rng.integers(70, 120, (1080, 1920, 3), dtype=np.uint8)
        noise = [rng.integers(-3, 4, still.shape) for _ in range(n)]
    else:
        seq = render_pass_frames(PLATE, [BOXES[0]], n_frames=3, seed=3, size=(1920, 1080))
        road = np.median(np.stack(seq.cameras[0].frames[:3]), axis=0).astype(np.uint8)  # the empty road
        still, noise = road, [np.rint(rng.normal(0.0, 2.0, road.shape)) for _ in range(n)]
    return [np.clip(still.astype(np.int16) + d, 0, 255).astype(np.uint8) for d in noise]


def bench_idle(work: Path, seconds: float, camera_fps: float, sample_fps: float, scene: str) -> dict[str, Any]:
    frames = idle_frames(scene)
    loop = [frames[i % len(frames)] for i in range(round(10 * camera_fps))]  # a 10 s clip: reopened rarely
    path = write_video(loop, work / f"idle-{scene}.mp4", fps=camera_fps)
    mbit_s = path.stat().st_size * 8 / 10 / 1e6
    settings = GateSettings(sample_fps=sample_fps, health_log_s=3600.0)
    threads = settings.decode_threads or None
    gate = MotionGate(settings.motion_threshold, settings.motion_pixel_delta, settings.motion_width)
    per_frame = []
    for i, f in enumerate(frames * 3):
        t0 = time.perf_counter()
        gate.update(f, _at(i))
        per_frame.append(time.perf_counter() - t0)
    gate_ms = 1000 * float(np.median(per_frame))
    source = StreamSource(
        "idle",
        str(path),
        live=True,
        sample_fps=sample_fps,
        opener=lambda url: PacedCapture(url, camera_fps, threads),
        idle_sample_fps=settings.idle_sample_fps or None,
    )
    config = parse_config({"cameras": [{"id": "idle", "url": str(path), "lane": "idle"}]})
    runner = GateRunner(
        config, settings, Recognizer(NullDetector(), NullOcr()), ListSink(), source_factory=lambda c, s: source
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    settle_s = settings.motion_hold_s + (settings.idle_after_s if settings.idle_sample_fps else 0.0) + 1.0
    time.sleep(settle_s)  # the first frame counts as motion; then the lane goes idle (and slows down)
    before = runner.health().workers["idle"]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    after = runner.health().workers["idle"]
    stop.set()
    thread.join()
    share = 100 * cpu / wall
    sampled, analysed = after.frames - before.frames, after.analysed - before.analysed
    rate = sampled / wall
    reading = read_share(path, seconds, camera_fps, rate, threads)
    floor = read_share(path, seconds, camera_fps, 0.0, threads)
    gate_share = 100 * gate_ms / 1000 * rate
    print(
        f"idle lane ({scene}, {mbit_s:.1f} Mbit/s): {share:.1f}% of one core for a 1080p camera at "
        f"{camera_fps:g} fps, {rate:.1f} samples/s once idle (sample fps {sample_fps:g}, idle "
        f"{settings.idle_sample_fps:g} after {settings.idle_after_s:g} s, decoder threads "
        f"{settings.decode_threads or 'auto'}); reading alone (grab all, retrieve the samples) {reading:.1f}%, "
        f"decode floor (grab all, retrieve none) {floor:.1f}%; motion gate {gate_ms:.2f} ms/frame "
        f"= {gate_share:.2f}%; detector ran on {analysed} of {sampled} samples in the window"
    )
    return {
        "scene": scene,
        "stream_mbit_s": round(mbit_s, 2),
        "cpu_percent_of_core": round(share, 2),
        "read_only_percent_of_core": round(reading, 2),
        "decode_floor_percent_of_core": round(floor, 2),
        "gate_ms_per_frame": round(gate_ms, 3),
        "gate_percent_of_core": round(gate_share, 3),
        "analysed": analysed,
        "sampled": sampled,
        "samples_per_s": round(rate, 2),
        "camera_fps": camera_fps,
        "sample_fps": sample_fps,
        "idle_sample_fps": settings.idle_sample_fps,
        "idle_after_s": settings.idle_after_s,
        "decode_threads": settings.decode_threads,
    }


def _at(i: int) -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=0.2 * i)


def agrees(fused_valid: set[str], valid_reads: set[str]) -> bool:
    """Every fused valid number was read validly in some frame, and every validly read number was
    fused (unless more than two distinct valid numbers were read: a pass carries at most two)."""
    return fused_valid <= valid_reads and (len(valid_reads) > 2 or valid_reads <= fused_valid)


def time_frames(paths: Sequence[Path], recognizer: Recognizer) -> dict[str, Any]:
    """Detector + OCR time per frame, each frame alone with the models loaded (the issue's
    150 ms per 1080p frame): median and p99 (nearest rank) milliseconds."""
    from anpr.imageio import load_image
    from anpr.ocr_metrics import percentile

    if not paths:
        return {"frames": 0}
    recognizer.recognize([load_image(paths[0])])  # one-off set-up costs stay out of the timing
    times, sizes = [], set()
    for path in paths:  # one 1080p frame in memory at a time; loading is not timed
        frame = load_image(path)
        sizes.add(f"{frame.shape[1]}x{frame.shape[0]}")
        started = time.perf_counter()
        recognizer.recognize([frame])
        times.append((time.perf_counter() - started) * 1000)
    shapes = sorted(sizes)
    out = {
        "frames": len(times),
        "sizes": shapes,
        "median_ms": round(float(np.median(times)), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
    }
    print(f"real gate frames, detector + OCR per frame ({', '.join(shapes)}): median {out['median_ms']} ms, "
          f"p99 {out['p99_ms']} ms over {len(times)} frames")  # fmt: skip
    return out


def truth_per_pass() -> dict[str, set[str]]:
    """The hand-checked container numbers of every real gate pass (held-out and training frames)."""
    from anpr.training.eval_detector import load_gate_truth
    from anpr.training.splits import gate_pass_id

    out: dict[str, set[str]] = defaultdict(set)
    for t in load_gate_truth(split="val") + load_gate_truth(split="train"):
        out[gate_pass_id(t.image)].add(t.number)
    return out


def against_truth(fused_valid: dict[str, set[str]], truth: dict[str, set[str]]) -> dict[str, dict[str, int]]:
    """Per split (``val``, ``train``): the passes' hand-checked containers, how many of them a pass
    fused as a valid number (``right``), the valid numbers fused that are none of the pass's
    (``wrong_valid``: what a cross-check would trust wrongly), and the containers left without a
    valid number (``missed``: reported unverified, or not at all)."""
    from anpr.training.splits import pass_split

    out: dict[str, dict[str, int]] = {}
    for pass_id, numbers in fused_valid.items():
        c = out.setdefault(pass_split(pass_id), {"containers": 0, "right": 0, "wrong_valid": 0, "missed": 0})
        known = truth.get(pass_id, set())
        c["containers"] += len(known)
        c["right"] += len(known & numbers)
        c["wrong_valid"] += len(numbers - known)
        c["missed"] += len(known - numbers)
    return dict(sorted(out.items()))


def bench_real(dataset: Path, recognizer: Recognizer) -> dict[str, Any]:
    passes: dict[str, list[str]] = defaultdict(list)
    paths = list(expand_images(str(dataset)))
    timing = time_frames(paths, recognizer)
    for path in paths:
        stamp = file_stamp(path)
        passes[stamp.pass_id or path.stem].append(str(path))
    two_valid = agree = invalid_marked_valid = 0
    per_pass = {}
    fused_valid: dict[str, set[str]] = {}
    for pass_id, paths in sorted(passes.items()):
        data, _ = run_pass([(p, file_stamp(p).camera or "camera") for p in paths], recognizer, lane="gate")
        fused = data["containers"]
        valid = {c["number"] for c in fused if c["check_digit_ok"]}
        reads = {
            c["number"]
            for imgs in data["cameras"].values()
            for img in imgs
            for c in img.get("containers", [])
            if c["check_digit_ok"]
        }
        invalid_marked_valid += sum(c["check_digit_ok"] and containers.parse(c["number"]) is None for c in fused)
        two_valid += len(valid) == 2
        agree += agrees(valid, reads)
        fused_valid[pass_id] = valid
        per_pass[pass_id] = {
            "frames": len(paths),
            "fused": [(c["number"], c["check_digit_ok"]) for c in fused],
            "valid_reads": sorted(reads),
            "plates": [p["text"] for p in data["plates"]],
        }
        print(f"  pass {pass_id}: {len(paths)} frame(s) fused {per_pass[pass_id]['fused']} valid reads {sorted(reads)}")
    print(
        f"real gate frames: {len(passes)} passes, {two_valid} with two valid numbers, "
        f"{agree} agree with the valid reads, {invalid_marked_valid} failing numbers marked valid"
    )
    truth = against_truth(fused_valid, truth_per_pass()) if dataset.resolve() == DATASET.resolve() else {}
    for split, c in truth.items():
        print(
            f"  {'held-out' if split == 'val' else 'training'} passes against the hand-checked numbers: "
            f"{c['right']} of {c['containers']} containers fused right, {c['missed']} without a valid number, "
            f"{c['wrong_valid']} valid numbers fused wrong"
        )
    return {
        "passes": len(passes),
        "two_valid": two_valid,
        "agree_with_valid_reads": agree,
        "failing_marked_valid": invalid_marked_valid,
        "against_truth": truth,
        "per_frame": timing,
        "per_pass": per_pass,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=24, help="Frames of the rendered pass per camera.")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--camera-fps", type=float, default=25.0)
    parser.add_argument("--sample-fps", type=float, default=5.0)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--skip-real", action="store_true", help="Skip the real gate frames.")
    parser.add_argument(
        "--sections",
        default="throughput,idle,synthetic,real",
        help="Comma-separated sections to run: throughput, idle, synthetic, real (idle alone loads no models).",
    )
    parser.add_argument("--idle-scenes", default="road,noise", help="Idle scenes, comma-separated: road, noise.")
    parser.add_argument(
        "--save",
        type=Path,
        help="Also write the JSON summary to this file (models/gate-eval.json is what the model card reads).",
    )
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sections - {"throughput", "idle", "synthetic", "real"}
    scenes = [s.strip() for s in args.idle_scenes.split(",") if s.strip()]
    if unknown or not set(scenes) <= {"road", "noise"}:
        parser.error(f"unknown section or scene: {sorted(unknown) + [s for s in scenes if s not in ('road', 'noise')]}")
    if args.save is not None and not args.save.parent.is_dir():
        parser.error(f"--save: no folder {args.save.parent}")
    real = models_present() and bool(sections & {"throughput", "synthetic", "real"})
    recognizer = build_recognizer() if real else Recognizer(NullDetector(), NullOcr())
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "throughput" in sections or "synthetic" in sections:
            summary["throughput"] = bench_throughput(work, recognizer, real, args.frames)
            videos = summary["throughput"].pop("videos")
        if "idle" in sections:
            summary["idle"] = [
                bench_idle(work, args.idle_seconds, args.camera_fps, args.sample_fps, scene) for scene in scenes
            ]
        if "synthetic" not in sections:
            pass
        elif real:
            summary["synthetic_pass"] = bench_synthetic_pass(videos, recognizer)
        else:
            print("synthetic pass: skipped (no models/gate-detector.pt or .onnx yet)")
    if "real" not in sections:
        pass
    elif real and args.dataset.is_dir() and not args.skip_real:
        summary["real_gate_frames"] = bench_real(args.dataset, recognizer)
    else:
        print(f"real gate frames: skipped (models present: {real}, dataset: {args.dataset.is_dir()})")
    print(json.dumps(summary, default=str))
    if args.save is not None:
        args.save.write_text(json.dumps(summary, default=str, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
