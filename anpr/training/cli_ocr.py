"""``anpr train ocr``: rebuild the fine-tuned recogniser in ``models/ocr`` from scratch."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from anpr.errors import InvalidInputError


def register(train_app: typer.Typer) -> None:
    """Add ``ocr`` to the ``anpr train`` group."""

    @train_app.command("ocr")
    def train_ocr_command(
        out: Path = typer.Option(Path("models/ocr"), help="Where <network>.py/.yaml/.pth and metrics.json go."),
        epochs: int = typer.Option(6, min=1, max=200),
        max_minutes: float = typer.Option(33.0, min=0.5, help="Time budget for the training loop (minutes)."),
        synth_plates: int = typer.Option(2000, min=0, help="Synthetic plate crops."),
        synth_containers: int = typer.Option(1500, min=0, help="Synthetic container-number crops (all layouts)."),
        synth_sizes: int = typer.Option(300, min=0, help="Synthetic size/type code crops."),
        height: int = typer.Option(32, min=16, max=128, help="Recogniser input height (multiple of 16)."),
        batch_size: int = typer.Option(32, min=1, max=512),
        lr: float = typer.Option(6e-4, min=1e-6, max=1e-1, help="Peak learning rate (cosine schedule)."),
        pseudo: Path = typer.Option(Path("var/pseudo"), help="Verified plate boxes on vn-plate-photos."),
        photo_repeat: int = typer.Option(3, min=1, max=20, help="Times each verified photo line is shown per epoch."),
        small_copies: int = typer.Option(
            0, min=0, max=10, help="Copies of each vn-plate-crops crop shrunk to street-photo size."
        ),
        plates_only: bool = typer.Option(
            False, "--plates-only", help="A plate recogniser: no synthetic container or size/type codes."
        ),
        synth_painted: int = typer.Option(
            0, min=0, help="Synthetic registration numbers painted on vehicle bodies (bold serif and sans faces)."
        ),
        hard_photos: int = typer.Option(
            0,
            min=0,
            max=20,
            help="Also train on unverified photo boxes read within this many edits of the label (0: none).",
        ),
        gate_crops: int = typer.Option(
            0,
            min=0,
            max=100,
            help="Train on the training gate frames' hand-checked container numbers, each with this many "
            "nudged copies, and validate on the held-out frames' (0: none).",
        ),
        gate_detector: Path | None = typer.Option(
            None,
            help="Also train on crops of the container boxes these detector weights find on the training "
            "gate frames' numbers (needs --gate-crops).",
        ),
        lines: Path | None = typer.Option(
            None, help="Line pack: train on it when it exists, else write it once the data is assembled."
        ),
        prepare_only: bool = typer.Option(False, "--prepare-only", help="Write the line pack (--lines) and stop."),
        report: bool = typer.Option(
            True,
            "--report/--no-report",
            help="Score the result through the engine (needs easyocr and the datasets); else write train-record.json.",
        ),
        threads: int = typer.Option(1, min=1, max=64, help="CPU threads for torch."),
        seed: int = typer.Option(0),
        init: Path | None = typer.Option(None, help="Continue from an earlier <network>.pth instead of english_g2."),
        device: str = typer.Option("cpu", help="Training device: cpu, or a torch device such as cuda or cuda:0."),
        frozen_convs: int = typer.Option(3, min=0, max=7, help="Leading convolutions kept frozen (0: train all)."),
        width_max: float = typer.Option(
            1.2, min=1.0, max=3.0, help="Half the lines are drawn at 0.8 to this many times their width."
        ),
        geometry: float = typer.Option(
            0.0, min=0.0, max=1.0, help="Share of lines also re-cut, turned and sheared a little (0: none)."
        ),
    ) -> None:
        """Fine-tune english_g2 (CTC) on plate crops, verified photo crops and synthetic codes."""
        from anpr.training.line_pack import LinePackError
        from anpr.training.train_ocr import TrainConfig, train

        try:
            config = TrainConfig(
                out_dir=out, epochs=epochs, max_minutes=max_minutes, synth_plates=synth_plates,
                synth_containers=synth_containers, synth_sizes=synth_sizes, height=height,
                batch_size=batch_size, lr=lr, pseudo_dir=pseudo, photo_repeat=photo_repeat, threads=threads,
                small_copies=small_copies, plates_only=plates_only, synth_painted=synth_painted,
                seed=seed, init=init, device=device, frozen_convs=frozen_convs, hard_photos=hard_photos,
                gate_crops=gate_crops, gate_detector=gate_detector,
                lines=lines, prepare_only=prepare_only, report=report, width_jitter=(0.8, width_max),
                geometry=geometry,
            )  # fmt: skip
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        try:
            metrics = train(config)
        except LinePackError as exc:
            raise InvalidInputError(str(exc)) from exc
        keys = ("before", "after", "best", "minutes", "lines", "val_lines")
        typer.echo(json.dumps({k: metrics[k] for k in keys if k in metrics}, indent=1))

    @train_app.command("ocr-soup")
    def ocr_soup_command(
        weights: list[Path] = typer.Argument(..., help="Two or more <network>.pth fine-tuned from the same start."),
        out: Path = typer.Option(..., help="The averaged <network>.pth to write."),
    ) -> None:
        """Average recognisers fine-tuned from the same weights (a model soup) into one."""
        from anpr.training.train_ocr import average_recognisers, save_state

        try:
            state = average_recognisers(weights)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        save_state(state, out)
        typer.echo(json.dumps({"out": str(out), "averaged": [str(w) for w in weights]}))

    @train_app.command("ocr-score")
    def ocr_score_command(
        weights: list[Path] = typer.Argument(..., help="Saved <network>.pth recognisers to score."),
        lines: Path = typer.Option(..., help="The line pack whose validation lines they are scored on."),
        threads: int = typer.Option(2, min=1, max=64, help="CPU threads for torch."),
    ) -> None:
        """Score recognisers on a line pack's validation lines: one JSON line each, the same figures a
        training run reports per epoch (to choose among runs and their soups without training)."""
        import torch

        from anpr.training.train_ocr import TrainConfig, score_recognisers

        torch.set_num_threads(threads)
        try:
            scores = score_recognisers(lines, weights, TrainConfig())
        except ValueError as exc:  # a LinePackError is one too
            raise InvalidInputError(str(exc)) from exc
        for score in scores:
            typer.echo(json.dumps(score))

    @train_app.command("quantize-ocr")
    def quantize_ocr_command(
        containers: bool = typer.Option(
            False, "--containers", help="The container recogniser, calibrated on gate frames (default: plates)."
        ),
        images: int = typer.Option(100, min=1, help="Training photos (or gate frames) to calibrate on."),
    ) -> None:
        """Write the calibrated int8 graph of a shipped recogniser (``ANPR_OCR_BACKEND=onnx-int8``)."""
        from anpr.config import get_settings
        from anpr.detector import load_detector
        from anpr.imageio import load_image
        from anpr.ocr import EasyOcrEngine, OcrSettings, get_ocr_settings, has_custom_model
        from anpr.training.quantize_ocr import calibration_batches, calibration_files, write_int8
        from anpr.training.real_labels import GATE_FRAMES, PLATE_PHOTOS

        settings = get_settings()
        ocr = OcrSettings(**{**get_ocr_settings().model_dump(), "backend": "onnx"})
        network = ocr.network if containers else ocr.plate_network
        if not has_custom_model(settings, ocr, network):
            raise InvalidInputError(
                f"no fine-tuned {network} recogniser in {settings.ocr_path()}: only shipped recognisers are quantized"
            )
        files = calibration_files(PLATE_PHOTOS, GATE_FRAMES, 0 if containers else images, images if containers else 0)
        if not files:
            raise InvalidInputError(
                f"no training images to calibrate on under {GATE_FRAMES if containers else PLATE_PHOTOS}"
            )
        engine = EasyOcrEngine(settings, ocr)
        info = engine.info if containers else engine.plate_info
        # The activation ranges come from the lines of the boxes the first looks find. A closer look's
        # box (Detection.closer) adds more lines of the same kind for the same plates; left out, the
        # graph does not move with that run-time option (calibration alone moves results by a point).
        first_looks = load_detector(settings.model_copy(update={"detector_closer_look_imgsz": 0}))
        try:
            batches = calibration_batches(first_looks, engine, [load_image(f) for f in files], plates=not containers)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        record = write_int8(info.path, info.name, info.height, batches, settings.torch_threads)
        typer.echo(json.dumps(record, indent=2))
