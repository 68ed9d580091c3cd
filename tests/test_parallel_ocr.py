"""Parallel recogniser runs from a line pack (the procedure for a lent GPU), on the CPU at toy size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anpr.training import line_pack, parallel_ocr
from anpr.training.parallel_ocr import RunSpec, parse_run, render_synth, synth_jobs

REPO = Path(__file__).resolve().parents[1]
PLATE_WEIGHTS = REPO / "models" / "ocr" / "anpr_plate_g2.pth"


def test_parse_run_reads_every_field_and_defaults_the_rest() -> None:
    assert parse_run("a:init=w.pth,lr=1e-4,seed=7,width=1.5") == RunSpec("a", Path("w.pth"), 1e-4, 7, 1.5)
    assert parse_run("stock_2") == RunSpec("stock_2", None, 3e-4, 0, 1.2, 0.0)
    assert parse_run("g:geometry=0.5").geometry == 0.5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (":lr=1e-4", "name"),
        ("a b:lr=1", "name"),
        ("a:rate=1e-4", "rate=1e-4"),
        ("a:lr=fast", "fast"),
        ("a:lr=-1", "positive"),
        ("a:seed=1.5", "1.5"),
        ("a:width=0.5", "between 0.8 and 3"),
        ("a:width=wide", "wide"),
        ("a:geometry=2", "share between 0 and 1"),
    ],
)
def test_parse_run_refuses_bad_specs_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_run(text)


def test_synth_chunks_cover_the_counts_with_distinct_seeds() -> None:
    jobs = synth_jobs(600, 150, 3, 32, 400)
    assert [(kind, n) for kind, n, *_ in jobs] == [
        ("plates", 250), ("plates", 250), ("plates", 100), ("painted", 100), ("painted", 50),
    ]  # fmt: skip
    seeds = [seed for _, _, seed, _, _ in jobs]
    assert len(set(seeds)) == len(seeds)
    assert synth_jobs(0, 0, 3, 32, 400) == []


def test_rendering_is_the_same_on_any_number_of_workers() -> None:
    one = render_synth(6, 2, 5, workers=1)
    two = render_synth(6, 2, 5, workers=2)
    assert [line.text for line in one] == [line.text for line in two]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(one, two, strict=True))
    assert {line.source for line in one} == {"synth", "synth-painted"}
    assert all(line.image.shape[0] == 32 for line in one)


def test_main_trains_each_run_and_collects_weights_and_records(tmp_path: Path) -> None:
    lines = render_synth(12, 0, 9, workers=1)
    pack = tmp_path / "pack.npz"
    line_pack.save(pack, lines[:8], lines[8:], {"lines": {"synth": 8}})
    collect = tmp_path / "collect"
    code = parallel_ocr.main(
        [
            "--lines", str(pack), "--work", str(tmp_path / "work"), "--collect", str(collect),
            "--synth-plates", "3", "--synth-painted", "1", "--workers", "1", "--minutes", "0.01",
            "--device", "cpu", "--run", f"a:init={PLATE_WEIGHTS},lr=1e-4,seed=1",
            "--run", f"b:init={PLATE_WEIGHTS},seed=2",
        ]
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in collect.iterdir()) == ["a.pth", "b.pth", "runs.json"]
    summary = json.loads((collect / "runs.json").read_text(encoding="utf-8"))
    # the pack's own lines plus the ones rendered here (a two-row plate gives two lines)
    assert summary["data"]["lines"]["synth"] >= 8 + 3
    assert summary["data"]["lines"]["synth-painted"] == 1
    for name, seed in (("a", "1"), ("b", "2")):
        run = summary["runs"][name]
        assert run["exit_code"] == 0 and run["spec"]["seed"] == seed
        assert run["record"]["best"]["epoch"] >= 0 and "history" in run["record"]


def test_main_refuses_missing_weights_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        parallel_ocr.main(
            ["--lines", str(tmp_path / "x.npz"), "--work", str(tmp_path), "--collect", str(tmp_path / "c"),
             "--run", f"a:init={tmp_path / 'none.pth'}"]
        )  # fmt: skip
    assert exc.value.code == 2
    assert not (tmp_path / "c").exists()
