"""The README's quickstart runs as written (on the small committed fixture).

On each Keras backend: TensorFlow, JAX and PyTorch (the last two skip where
not installed, unless KERAS_GANS_REQUIRE_BACKENDS=1, as in CI).
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).parents[1] / "README.md"


def quickstart_code():
    text = README.read_text()
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no Python block under ## Quickstart"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    # JAX and PyTorch in subprocesses: the cross-backend step (`-m backends`).
    [
        "tensorflow",
        *(pytest.param(b, marks=pytest.mark.backends) for b in ("jax", "torch")),
    ],
)
def test_quickstart_runs_and_saves_a_model_that_reloads(fashion_dir, tmp_path, backend):
    if importlib.util.find_spec(backend) is None:
        if os.environ.get("KERAS_GANS_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"{backend} is not installed")
        pytest.skip(f"{backend} is not installed")
    code = quickstart_code()
    check = (
        "\nloaded = keras.saving.load_model('dcgan.keras')\n"
        "assert loaded.compiled\n"
        "import numpy as np\n"
        "np.testing.assert_array_equal(loaded.generate(16, seed=0), images)\n"
        "assert images.shape == (16, 28, 28, 1) and images.dtype == np.float32\n"
    )
    env = dict(os.environ, KERAS_GANS_DATA_DIR=str(fashion_dir), KERAS_BACKEND=backend)
    result = subprocess.run(
        [sys.executable, "-c", code + check],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "samples.png").stat().st_size > 0
    assert (tmp_path / "dcgan.keras").stat().st_size > 0


def test_readme_set_up_commands_are_the_ones_ci_runs():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_command = (
        "apt-get update && apt-get install -y chromium chromium-driver && "
        'pip install -e ".[test]" && python -m pytest -n 2 --dist loadfile\n'
    )
    assert test_command in text
    assert test_command in ci  # the same line, word for word
    assert "apt-get install -y dataset-fashion-mnist" in text
    assert "dataset-fashion-mnist" in ci


def _local_links(page):
    links = re.findall(r"\]\(([^)\s]+)\)", page.read_text())
    return [
        link.split("#")[0]
        for link in links
        if not link.startswith(("http://", "https://", "mailto:", "#"))
    ]


def test_every_image_and_file_the_readme_and_the_guides_link_exists():
    """The README and its guides in docs/ (the site's pages) link what is there.

    Each page's links are relative to the page, as on GitHub; the strict
    site build (`tools/check_docs.py`) checks their anchors too.
    """
    pages = [README, *sorted((README.parent / "docs").glob("*.md"))]
    missing, images = [], []
    for page in pages:
        for link in _local_links(page):
            if link.startswith("api/"):
                continue  # the site's API pages, generated from the source
            target = (page.parent / link).resolve()
            if not target.exists():
                missing.append(f"{page.name}: {link}")
            if link.endswith(".png"):
                images.append(target.relative_to(README.parent.resolve()).as_posix())
    assert not missing, f"Pages link to files that are not there: {missing}"
    assert len(_local_links(README)) >= 10
    assert len(images) >= 25
    assert len([i for i in images if i.startswith("docs/demo/")]) == 7
