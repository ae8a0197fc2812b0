"""tools/bench_stabilisers.py: the ablation's runs, resumption and report."""

import json

import pytest


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_stabilisers")


def _row(name, seed, fid, seconds=10.0):
    point = {"sampler": {k: fid for k in ("fid", "kid", "precision", "recall")}}
    point["sampler"].update(classes_covered=10.0, class_kl=0.5)
    return {
        "config": name,
        "seed": seed,
        "steps": 938,
        "train_seconds": seconds,
        "losses": [{"d_loss": 1.0}],
        "points": [point, point],
        "finite": True,
    }


def test_table_gives_mean_and_sample_std_per_config(bench):
    results = {
        "full/baseline/0": _row("baseline", 0, 1.0),
        "full/baseline/1": _row("baseline", 1, 3.0),
        "full/r1/0": _row("r1", 0, 5.0, seconds=20.0),
        "small/r1/0": _row("r1", 0, 99.0),
    }
    lines, order = bench.table(results, "full")
    assert order == ["baseline", "r1"]  # CONFIGS order, the small part left out
    # mean 2, sample std sqrt(2) = 1.41 over the seeds 0 and 1
    assert lines[2].startswith("| baseline | 0,1 | 2.00 ± 1.41 | 2.000 ± 1.414 |")
    assert lines[3].startswith("| r1 | 0 | 5.00 | 5.000 |")
    assert lines[3].endswith("| 20 |")
    assert bench.table(results, "full", which="live")[1] == []


@pytest.mark.slow
def test_runs_resume_and_write_the_section(bench, tmp_path, fashion_dir, monkeypatch):
    folder, output = tmp_path / "runs", tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Before\n\nkept\n")
    argv = [
        "--part",
        "small",
        "--configs",
        "baseline",
        "ema",
        "--seeds",
        "0",
        "--steps",
        "4",
        "--eval-every",
        "2",
        "--n",
        "128",
        "--data-dir",
        str(fashion_dir),
        "--folder",
        str(folder),
        "--output",
        str(output),
    ]
    bench.main(argv)
    files = sorted(p.name for p in folder.glob("*.json"))
    assert files == ["small_baseline_0.json", "small_ema_0.json"]
    run = json.loads((folder / "small_ema_0.json").read_text())["small/ema/0"]
    assert run["steps"] == 4 and len(run["points"]) == 2 and run["finite"]
    assert set(run["points"][-1]) == {"sampler", "live"}  # EMA copy and live G
    text = output.read_text()
    begin, end = bench.machine.section_markers("bench_stabilisers", "ablation")
    assert "kept" in text and text.index(begin) < text.index(end)
    section = text[text.index(begin) : text.index(end)]
    assert "**The first 6,000 training images (10%), after 4 steps**" in section
    assert "| baseline | 0 |" in section and "| ema | 0 |" in section
    assert "The live G of the EMA runs" in section

    # A second call trains nothing and writes the same section.
    def no_training(*args):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(bench.Bench, "run_one", no_training)
    bench.main(argv)
    again = output.read_text()
    assert again[again.index(begin) : again.index(end)] == section
    monkeypatch.undo()

    # The step-time part: two passes of one timed window per config.
    timing = ["--part", "timing", "--configs", "baseline", "--timing-windows", "1"]
    timing += ["--timing-window", "2"]
    bench.main(timing + argv[argv.index("--data-dir") :])
    row = json.loads((folder / "timing_baseline_0.json").read_text())
    assert len(row["timing/baseline/0"]["step_seconds"]) == 2
    text = output.read_text()
    assert "**Cost per training step**" in text
    assert "| baseline | " in text.split("**Cost per training step**")[1]
    assert "| 1.00 |" in text  # the baseline against itself
    assert "median of 2 windows of 2 steps per config" in text
