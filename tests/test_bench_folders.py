"""tools/bench_folders.py: its folders, its measuring pieces and its report."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_folders")


@pytest.fixture(scope="module")
def pictures(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench") / "pictures"
    path, seconds = bench.ensure_folder(folder, 50, 40, max_size=56)
    assert seconds > 0
    return path


def test_a_folder_is_made_once_and_reused(bench, pictures):
    assert len(list(pictures.rglob("*.jpg"))) == 50
    assert bench.ensure_folder(pictures, 50, 40, max_size=56) == (pictures, 0.0)


def test_the_pillow_dataset_gives_64x64_in_model_range(bench, pictures):
    for draft in (False, True):
        dataset = bench.PillowFolder(pictures, draft=draft)
        assert len(dataset) == 50
        image = dataset[3]
        assert image.shape == (64, 64, 3) and image.dtype == np.float32
        assert -1.0 <= image.min() and image.max() <= 1.0


def test_the_sampler_keeps_peaks_of_anonymous_and_file_memory(bench):
    with bench.MemorySampler(interval=0.001) as sampler:
        block = np.ones(32 * 2**20, np.uint8)  # 32 MiB, touched
        del block
    assert sampler.samples >= 2
    assert sampler.peaks["RssAnon"] >= 32 * 1024
    assert set(sampler.peaks) >= {"RssAnon", "RssFile", "VmHWM"}


def _memory(peak_mib):
    kib = int(peak_mib * 1024)
    return {
        "images": 960,
        "seconds": 1.0,
        "anon_imports_kib": 300 * 1024,
        "anon_after_load_kib": 310 * 1024,
        "peak_anon_kib": kib,
        "peak_file_kib": 1024,
        "vmhwm_kib": kib + 1024,
    }


def _speed(rate, second=None):
    out = {
        "rate": rate,
        "setup_seconds": 0.1,
        "cpu_per_image_ms": 1.0,
        "other_cores": 0.0,
    }
    if second:
        out["rate_second_epoch"] = second
    return out


def _fit(rate, other=0.1):
    return {
        "rate": rate,
        "rate_median_step": rate,
        "rate_cpu": rate,
        "other_cores": other,
        "sys_per_step": 0.1,
        "faults_per_step": 1000.0,
    }


def test_the_section_gives_each_verdict(bench, load_tool, tmp_path):
    args = bench.parse_args(["--quick", "--output", ""])
    results = {
        "memory": {
            100: {
                "first": [_memory(350)],
                "cached": [_memory(351)],
                "cached_long": [_memory(410)],
            },
            1000: {"first": [_memory(380)], "cached": [_memory(420)]},
        },
        "speed": {
            v: [_speed(1000.0 if v != "torch_dl" else 500.0, 2000.0)]
            for v in bench.SPEED_VARIANTS
        },
        "fit": {
            "fit_folder": [_fit(60.0), _fit(30.0, other=1.0)],
            "fit_memory": [_fit(62.0), _fit(62.0)],
            "fit_memory_mallopt": [_fit(40.0), _fit(40.0)],
        },
    }
    machine = {
        "cpu": "a CPU",
        "cpu_detail": "n/a",
        "logical_cores": 2,
        "usable_cores": 2,
        "gpus": 0,
        "python": "3",
        "tensorflow": "2",
        "keras": "3",
        "keras_gans": "0",
        "date": "today",
        "loadavg_before": (0.5, 0.5, 0.5),
    }
    text = bench.render(results, args, machine, 60.0, "python tools/bench_folders.py")
    assert text.startswith(bench.SECTION + "\n")
    # 350 -> 380 MiB: +31.5 MB; 351 -> 420 MiB: +72.4 MB.
    assert "first pass +31.5 MB; cached pass +72.4 MB. Within 50 MB: **no**" in text
    # The 100 read for 10 epochs: 410 MiB, 10 MiB (10.5 MB) under the 1,000.
    assert "| 100 | cached, 10 epochs | 430 |" in text
    assert "peak RssAnon 430 MB, +10 MB against the 1,000" in text
    assert "`kg_first` 1,000 images/s = 1.00x `image_dataset_from_directory`, " in text
    assert "2.00x the `DataLoader`" in text
    # Medians 45 / 62; the quiet processes alone: 60 / 62.
    assert "0.726x (per-round 0.726x, per CPU-second 0.726x, quiet processes " in text
    assert "0.968x). At least 0.95x: **no**" in text
    assert "`fit_memory_mallopt` / `fit_memory`: 0.645x (ratio of medians)" in text
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Before\n\nkept\n")
    load_tool("report").write_report(output, text, header=bench.SECTION)
    written = output.read_text()
    assert "## Before\n\nkept\n" in written and bench.SECTION in written
