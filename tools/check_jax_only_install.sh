#!/usr/bin/env bash
# keras-gans[jax] in a fresh virtualenv without TensorFlow: train a DCGAN on
# NumPy Fashion-MNIST (Debian's dataset-fashion-mnist), save; then load that
# file on this environment's TensorFlow and export a SavedModel and TFLite.
# Usage: bash tools/check_jax_only_install.sh   (needs the internet or a PyPI mirror)
set -euo pipefail
rm -rf /tmp/venv_jax && python -m venv /tmp/venv_jax
/tmp/venv_jax/bin/pip install -q "$(cd "$(dirname "$0")/.." && pwd)[jax]"
/tmp/venv_jax/bin/python - <<'PY'
import importlib.util, sys
assert importlib.util.find_spec("tensorflow") is None, "tensorflow is installed"
import os
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras, keras_gans
ds = keras_gans.data.load("fashion_mnist", batch_size=128, seed=0, limit=2048)
gan = keras_gans.DCGAN(image_shape=(28, 28, 1), seed=0)
gan.compile()
h = gan.fit(ds, epochs=1, verbose=0).history
gan.save("/tmp/venv_jax_dcgan.keras")
keras_gans.images.save_image_grid(gan.generate(16, seed=0), "/tmp/venv_jax_samples.png")
print("trained on", keras.backend.backend(), {k: round(v[-1], 3) for k, v in h.items()},
      "steps", int(gan.g_optimizer.iterations), "tf imported:", "tensorflow" in sys.modules)
try:
    gan.export("/tmp/venv_jax_export")
except ModuleNotFoundError as e:
    print("export without TF:", e)
PY
KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 python - <<'PY'
import keras, keras_gans
m = keras.saving.load_model("/tmp/venv_jax_dcgan.keras")
print("loaded on", keras.backend.backend(), "steps", int(m.g_optimizer.iterations))
print("exported:", m.export("/tmp/venv_jax_export_tf", overwrite=True))
from keras_gans.export import tflite
print("tflite:", tflite.export_tflite("/tmp/venv_jax_export_tf/dcgan/1", "/tmp/venv_jax_tflite"))
PY
