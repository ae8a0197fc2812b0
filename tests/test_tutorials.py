"""Every tutorial runs top to bottom in its reduced (CI) form and draws its figures.

Each `tutorials/*.py` runs in a fresh Python process with
`KERAS_GANS_TUTORIAL_QUICK=1` (fewer training steps) and
`KERAS_GANS_TUTORIAL_OUT` pointing at a temporary folder, so that the figures
committed under `docs/tutorials/` are never overwritten by a test run.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

# Five whole programs, half a minute each: a CI step of their own, shared
# with the cross-backend tests (`-m "backends or tutorials"`).
pytestmark = pytest.mark.tutorials

REPO = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = sorted((REPO / "tutorials").glob("[0-9]*.py"))

# The figures each tutorial must write. A new tutorial without an entry here
# must still write at least one PNG named after its number ("02_*.png").
EXPECTED_FIGURES = {
    "01_gan_theory_1d.py": [
        "01_generator_losses.png",
        "01_optimal_discriminator.png",
        "01_gan_training_snapshots.png",
        "01_gan_loss_curves.png",
    ],
    "02_infogan_fashion_mnist.py": [
        "02_info_bound.png",
        "02_training_curves.png",
        "02_categories.png",
        "02_code_sweeps.png",
        "02_code_effects.png",
        "02_confusion.png",
    ],
    "03_gan_cls_fashion_captions.py": [
        "03_captions.png",
        "03_text_similarity.png",
        "03_training_curves.png",
        "03_text_to_image.png",
        "03_interpolation.png",
        "03_style_transfer.png",
        "03_agreement.png",
    ],
    "04_three_ways_to_learn_px.py": [
        "04_parameter_counts.png",
        "04_elbo_terms.png",
        "04_iwae_k.png",
        "04_likelihoods.png",
        "04_samples.png",
    ],
    "05_failure_modes_and_stabilisers.py": [
        "05_dirac_gan.png",
        "05_collapse_classes.png",
        "05_collapse_samples.png",
    ],
}


def test_tutorials_are_found():
    assert {p.name for p in TUTORIALS} >= set(EXPECTED_FIGURES)


def _check_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG file"
    image = tf.io.decode_png(data, channels=3).numpy()
    height, width, _ = image.shape
    assert height >= 200 and width >= 300, f"{path.name} is only {width}x{height}"
    # A real plot: not one flat colour, and more than a handful of colours
    # (axes, text, lines, fills, anti-aliasing).
    assert image.std() > 10, f"{path.name} looks blank (pixel std {image.std():.1f})"
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"{path.name} has only {len(colours)} colours"
    # Something is drawn away from the edges, not only a frame.
    inner = image[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
    assert (inner < 200).any(), f"{path.name} has nothing drawn in its middle"


@pytest.mark.slow
@pytest.mark.parametrize("script", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_runs_in_quick_mode_and_writes_its_figures(script, tmp_path):
    out = tmp_path / "figures"
    env = {
        **os.environ,
        "KERAS_GANS_TUTORIAL_QUICK": "1",
        "KERAS_GANS_TUTORIAL_OUT": str(out),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
        ),
    }
    # Run from an unrelated folder: a tutorial must not depend on the cwd.
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n"
        f"--- stderr ---\n{result.stderr[-4000:]}"
    )

    written = sorted(p.name for p in out.glob("*.png"))
    prefix = script.name.split("_")[0] + "_"
    expected = EXPECTED_FIGURES.get(script.name)
    if expected is None:
        assert any(name.startswith(prefix) for name in written), written
    else:
        assert set(expected) <= set(written), f"missing {set(expected) - set(written)}"
    for name in written:
        _check_png(out / name)
