"""``anpr train ...``: reproduce the shipped models from scratch."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path

import typer

from anpr.errors import InvalidInputError
from anpr.training import RELABEL_CONF
from anpr.types import BBox, DetClass

log = logging.getLogger(__name__)
train_app = typer.Typer(help="Train the detector and the OCR recogniser (seeded, CPU or GPU).", no_args_is_help=True)


def _build_dataset(
    work: Path,
    synth_train: int,
    synth_val: int,
    imgsz: int,
    seed: int,
    pseudo: Path,
    gate_repeat: int = 1,
    plate_photos: int | None = None,
    mask_conf: float | None = None,
    wide_probability: float = 0.0,
    roof_probability: float = 0.0,
    gate_truth: bool = False,
    background: int = 0,
    own_plates: Path | None = None,
) -> Path:
    from anpr.synth.dataset import write_yolo_dataset
    from anpr.training.eval_detector import load_gate_truth
    from anpr.training.real_labels import background_photos, gate_images, plate_images
    from anpr.training.yolo_data import add_real_images, write_data_yaml

    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    summary = write_yolo_dataset(
        data, synth_train, synth_val, seed=seed, imgsz=imgsz,
        wide_probability=wide_probability, roof_probability=roof_probability,
    )  # fmt: skip
    photos = plate_images(pseudo, mask_conf)
    if plate_photos is not None and plate_photos < len(photos):
        photos = random.Random(seed).sample(photos, plate_photos)
    plates = add_real_images(data, "train", photos, "plate")
    extra = background_photos(background, seed, photos)
    if own_plates is not None and extra:
        from anpr.config import get_settings
        from anpr.detector import load_detector
        from anpr.training.real_labels import with_own_plates

        settings = get_settings().model_copy(update={"detector_weights": own_plates})
        extra = with_own_plates(extra, load_detector(settings))
    plain = add_real_images(data, "train", extra, "background")
    truth: dict[str, list[BBox]] = {}
    for number in load_gate_truth(split="train") if gate_truth else []:
        truth.setdefault(number.image, []).append(number.box)
    frames = gate_images(pseudo, truth)
    gates = sum(add_real_images(data, "train", frames, "gate" if k == 0 else f"gate{k}") for k in range(gate_repeat))
    counts = {"synthetic": summary.images, "synthetic_objects": summary.objects,
              "synthetic_wide_probability": wide_probability, "synthetic_roof_probability": roof_probability,
              "real_plate_photos": plates, "background_photos": plain,
              "background_own_plates": sum(len(e.boxes) for e in extra) if own_plates else None,
              "gate_truth": gate_truth,
              "real_plate_photos_painted": sum(bool(p.masked) for p in photos),
              "real_gate_frames": len(frames), "real_gate_frames_shown": gates}  # fmt: skip
    (work / "dataset.json").write_text(json.dumps(counts, indent=2))
    log.info("dataset: %s", counts)
    return write_data_yaml(data)


@train_app.command("detector")
def train_detector(
    out: Path = typer.Option(Path("models"), help="Where gate-detector.pt/.onnx are written."),
    work: Path = typer.Option(Path("var/detector"), help="Scratch folder for datasets and runs."),
    pseudo: Path = typer.Option(Path("var/pseudo"), help="Verified pseudo-label files (JSON lines)."),
    synth_train: int = typer.Option(1500, min=0, help="Synthetic training scenes."),
    synth_val: int = typer.Option(200, min=1, help="Synthetic validation scenes."),
    epochs: int = typer.Option(30, min=1),
    imgsz: int = typer.Option(416, min=160, max=1280, help="Training input size."),
    infer_imgsz: int = typer.Option(
        480, min=160, max=1280, help="Inference size: ONNX export and relabelling (small real plates need more)."
    ),
    batch: int = typer.Option(16, min=1),
    seed: int = typer.Option(0),
    device: str = typer.Option("cpu", help="cpu, or a CUDA device index such as 0."),
    hours: float | None = typer.Option(
        None, min=0.001, help="Wall-clock budget per training run; ultralytics fits the epochs into it."
    ),
    rounds: int = typer.Option(1, min=0, help="Relabel-and-retrain rounds after the first training."),
    relabel_conf: float = typer.Option(
        RELABEL_CONF, min=0.001, max=1.0, help="Lowest box confidence the relabelling rounds verify by OCR."
    ),
    bootstrap: int = typer.Option(
        0,
        min=0,
        help="CRAFT-bootstrap this many train photos first (0: use var/pseudo as is).",
    ),
    init: Path | None = typer.Option(None, help="Start from these weights instead of from scratch."),
    gate_repeat: int = typer.Option(
        1, min=1, max=20, help="Show each labelled real gate frame this many times per epoch (there are few)."
    ),
    plate_photos: int | None = typer.Option(
        None, min=0, help="Use only this many of the labelled real plate photos, drawn by the seed (default all)."
    ),
    mask_unverified: float | None = typer.Option(
        None,
        min=0.001,
        max=1.0,
        help="Paint out plate boxes from this confidence up that relabelling could not verify (other vehicles' "
        "unread plates), so that training does not learn them as background (default: leave them).",
    ),
    wide_probability: float = typer.Option(
        0.0, min=0.0, max=1.0, help="Share of synthetic container walls painted with wide letter spacing."
    ),
    roof_probability: float = typer.Option(
        0.0, min=0.0, max=1.0, help="Share of synthetic gate scenes that also show a roof strip with the number."
    ),
    freeze: int = typer.Option(0, min=0, max=22, help="Keep the first N layers as they are (10: the backbone)."),
    lr0: float | None = typer.Option(None, min=1e-7, help="AdamW learning rate (default: ultralytics' choice)."),
    gate_truth: bool = typer.Option(
        False,
        help="Label the training gate frames' container numbers from the hand-checked truth "
        "(anpr/training/gate_truth_train.jsonl: roof markings included) instead of the relabelling.",
    ),
    tune_class: DetClass | None = typer.Option(
        None,
        help="Learn only this class's scores (needs --init): boxes and the other classes' scores "
        "stay exactly those of --init.",
    ),
    background_photos: int = typer.Option(
        0,
        min=0,
        help="Add this many train-split plate photos with no boxes (only with --tune-class: "
        "background for the tuned class; the plates in them are not labelled; with --class-branch they carry "
        "--init's own plate boxes).",
    ),
    class_branch: bool = typer.Option(
        False,
        help="Train the head's whole class branch only (needs --init): boxes stay those of --init, and every "
        "class's scores are learned.",
    ),
    containers_only: bool = typer.Option(
        False,
        help="The model is for container numbers only: its plate scores are not to be used, so "
        "--background-photos may leave the plates in them unlabelled.",
    ),
) -> None:
    """Train the YOLO gate detector on synthetic scenes plus verified real pseudo-labels."""
    from anpr.training.train_detector import TrainConfig, save_run_record, ship, train

    if imgsz % 32 or infer_imgsz % 32:
        raise InvalidInputError("--imgsz and --infer-imgsz must be multiples of 32")
    if (tune_class is not None or class_branch) and (init is None or freeze or rounds):
        raise InvalidInputError("--tune-class and --class-branch need --init, and no --freeze or relabelling --rounds")
    if tune_class is not None and class_branch:
        raise InvalidInputError("--tune-class and --class-branch are two ways to tune: choose one")
    if background_photos and tune_class is None and not class_branch and not containers_only:
        raise InvalidInputError(
            "--background-photos would teach that their plates are background: use it with --tune-class, "
            "--class-branch or --containers-only"
        )
    if bootstrap:
        from anpr.training import craft_bootstrap

        craft_bootstrap.main(["--limit", str(bootstrap), "--out", str(pseudo / "plates_craft.jsonl")])
    weights = init
    for round_no in range(rounds + 1):
        data_yaml = _build_dataset(
            work, synth_train, synth_val, imgsz, seed + round_no, pseudo, gate_repeat, plate_photos, mask_unverified,
            wide_probability, roof_probability, gate_truth, background_photos, init if class_branch else None,
        )  # fmt: skip
        cfg = TrainConfig(data_yaml=data_yaml, run_dir=work / f"run{round_no}", epochs=epochs, imgsz=imgsz,
                          batch=batch, seed=seed, device=device, init_weights=weights, time_hours=hours,
                          freeze=freeze, lr0=lr0, tune_class=tune_class,
                          class_branch=class_branch)  # fmt: skip
        best, metrics = train(cfg)
        weights = best
        if round_no < rounds:
            from anpr.training.relabel import relabel_all

            relabel_all(best, pseudo, imgsz=infer_imgsz, conf=relabel_conf)
    assert weights is not None
    shipped = ship(weights, out, infer_imgsz)
    dataset = json.loads((work / "dataset.json").read_text())
    save_run_record(
        out / "detector-train.json",
        cfg,
        {"synthetic_val": metrics, "dataset": dataset, "containers_only": containers_only, **shipped},
    )
    typer.echo(json.dumps({"shipped": shipped, "synthetic_val": metrics}, indent=2))


@train_app.command("detector-blend")
def detector_blend(
    start: Path = typer.Argument(..., help="The weights a fine-tune started from."),
    tuned: Path = typer.Argument(..., help="The fine-tuned weights."),
    weight: float = typer.Option(0.5, min=0.0, max=1.0, help="Share of the fine-tuned weights."),
    out: Path = typer.Option(Path("models"), help="Where gate-detector.pt/.onnx are written."),
    infer_imgsz: int = typer.Option(480, min=160, max=1280, help="ONNX export size."),
) -> None:
    """Interpolate a detector and its fine-tune, and ship the result (ONNX included)."""
    from anpr.training.train_detector import blend_detectors, ship

    for path in (start, tuned):
        if not path.is_file():
            raise InvalidInputError(f"no such weights file: {path}")
    out.mkdir(parents=True, exist_ok=True)
    try:
        blended = blend_detectors(start, tuned, weight, out / "blend.pt")
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    shipped = ship(blended, out, infer_imgsz)
    blended.unlink()
    typer.echo(json.dumps({"blend": {"start": str(start), "tuned": str(tuned), "weight": weight}, **shipped}))


@train_app.command("eval-detector")
def eval_detector_command(
    weights: Path = typer.Option(Path("models/gate-detector.pt"), help="Weights to evaluate (.pt or .onnx)."),
    pseudo: Path = typer.Option(Path("var/pseudo"), help="Verified pseudo-label files (JSON lines)."),
    imgsz: int = typer.Option(480, min=160, max=1280),
    limit: int = typer.Option(0, min=0, help="Evaluate only this many validation photos (0 = all)."),
    out: Path = typer.Option(Path("models/detector-eval.json"), help="Where the numbers are written."),
    second_look: int = typer.Option(
        -1, min=-1, max=1920, help="Input size of the second look at images with no box (0: none; -1: the settings')."
    ),
) -> None:
    """Detector recall on the held-out real photos and gate frames, and speed per backend.

    Boxes are kept at the settings' thresholds (``ANPR_DETECTOR_CONF``, ``ANPR_DETECTOR_PLATE_CONF``),
    as ``anpr recognize`` and ``anpr eval`` keep them, so the hand audit judges the same boxes; small
    plates get the settings' closer look (``ANPR_DETECTOR_CLOSER_LOOK_IMGSZ``), read as at run time."""
    from anpr.config import get_settings
    from anpr.detector import UltralyticsDetector, second_look_size
    from anpr.ocr import EasyOcrEngine
    from anpr.training.eval_detector import (
        eval_containers,
        eval_containers_audited,
        eval_plates,
        load_gate_truth,
        time_detector,
    )

    settings = get_settings()
    look = settings.detector_second_look_imgsz if second_look < 0 else second_look
    detector = UltralyticsDetector(
        weights,
        imgsz=imgsz,
        conf=settings.detector_conf,
        class_conf=settings.detector_class_conf(),
        second_look_imgsz=second_look_size(imgsz, look),
        closer_look_imgsz=settings.detector_closer_look_imgsz,
    )
    ocr = EasyOcrEngine(settings)
    result: dict[str, object] = {
        "weights": str(weights),
        "imgsz": imgsz,
        "second_look_imgsz": detector.second_look_imgsz,
        "closer_look_imgsz": detector.closer_look_imgsz,
        "plate_conf": settings.detector_plate_conf,
        "container_conf": settings.detector_container_conf,
        "plates_val": eval_plates(detector, ocr, pseudo, limit=limit),
        "containers_val": eval_containers(detector, pseudo),
        "containers_audited": eval_containers_audited(detector, ocr, load_gate_truth()),
    }
    speed: dict[str, float] = {}
    for path in (weights.with_suffix(".pt"), weights.with_suffix(".onnx")):
        if path.exists():
            backend = UltralyticsDetector(path, imgsz=imgsz)
            speed[f"{path.suffix[1:]}_ms_640x480"] = time_detector(backend, (640, 480))
            speed[f"{path.suffix[1:]}_ms_1920x1080"] = time_detector(backend, (1920, 1080), runs=15)
    result["speed_median_ms"] = speed
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    typer.echo(json.dumps(result, indent=2))
