"""tools/bench_small_data.py: the configs it compares and its report."""

import pytest


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_small_data")


def _row(config, seed, kid):
    metrics = {
        "kid": kid,
        "kid_std": 0.01,
        "fid": 10 * kid,
        "precision": 0.5,
        "recall": 0.25,
        "classes_covered": 3.0,
        "class_kl": 1.0,
    }
    return {
        "config": config,
        "seed": seed,
        "steps": 125,
        "epochs": 1,
        "train_seconds": 120.0,
        "metrics": metrics,
        "protocol": "the protocol",
        "machine": {
            "cpu": "a CPU",
            "usable_cores": 2,
            "tensorflow": "2",
            "keras": "3",
            "date": "2026-12-06 10:00 UTC",
        },
    }


def test_configs_change_only_the_regularisers(bench):
    recipe = {"train": {"model": "dcgan", "epochs": 3, "seed": 0, "augment": "x"}}
    base = bench.run_recipe(recipe, "baseline", 2)["train"]
    assert base == {
        "model": "dcgan",
        "epochs": 3,
        "seed": 2,
        "augment": None,
        "r1_gamma": 0.0,
        "r1_interval": 1,
    }
    both = bench.run_recipe(recipe, "r1_diffaugment", 0)["train"]
    assert both["augment"] == "color,translation,cutout" and both["r1_interval"] == 16
    assert recipe["train"]["augment"] == "x"  # the recipe itself is unchanged


def test_report_gives_mean_and_sample_std_over_seeds(bench):
    recipe = {
        "train": {"model": "dcgan", "batch_size": 32, "epochs": 1},
        "evaluate": {"seed": 0},
    }
    results = {
        "baseline/0": _row("baseline", 0, 1.0),
        "baseline/1": _row("baseline", 1, 3.0),
        "r1/0": _row("r1", 0, 5.0),
    }
    text = bench.render(results, "dcgan_emoji", recipe)
    # mean 2, sample std sqrt(2) = 1.41 over the seeds 0 and 1
    assert "| baseline | 0,1 | 2.0000 ± 1.4142 | 20.00 ± 14.14 |" in text
    assert "| r1 | 0 | 5.0000 | 50.00 |" in text
    assert "| r1 | 5.0000 ± 0.0100 | - |" in text  # seed 1 missing
    assert "125 steps of batch 32" in text and "--epochs 1" in text
