"""Shared test set-up.

Two logical CPU devices are configured before TensorFlow initialises, so that
`tf.distribute.MirroredStrategy` tests run with two replicas on any machine.
Tests that do not ask for a strategy run on the first device as usual.
"""

import functools
import importlib.util
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Under pytest-xdist, each worker's share of the cores for OpenMP (PyTorch's
# CPU kernels, NumPy's BLAS), set before they are imported and inherited by
# the processes tests start. Two workers each spinning two OpenMP threads on
# two cores made the PyTorch pass of .ci/run 1.5x slower (133 s against 90 s
# for test_demo.py and test_likelihood.py). TensorFlow and XLA use their own
# thread pools and are unaffected.
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
if _workers > 1:
    os.environ.setdefault(
        "OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // _workers))
    )

# Compiling, not running, is most of a JAX test's time on CPU at these tiny
# shapes. XLA's backend optimisations off and a compilation cache that the
# xdist workers and the processes tests start share (a saved and reloaded
# model's step is the same program) took the JAX pass of .ci/run from 7:44
# to 4:27 on a 2-core AMD host; the numbers the tests compare are the same.
# TensorFlow reads XLA_FLAGS too, for `jit_compile=True`. A user's own
# settings win.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    os.path.join(tempfile.gettempdir(), "keras_gans-tests-jax-cache"),
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(512 * 2**20))

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
TOOLS = pathlib.Path(__file__).parents[1] / "tools"


@functools.cache
def _import_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_tool():
    """Imports a script of tools/ as a module, once: `load_tool("train_zoo")`."""
    return _import_tool


@pytest.fixture(scope="session")
def train_zoo(load_tool):
    """tools/train_zoo.py as a module."""
    return load_tool("train_zoo")


@pytest.fixture
def fashion_dir():
    """Directory with a small real Fashion-MNIST subset in the original IDX layout."""
    return FIXTURES / "fashion-mnist"


@pytest.fixture
def tiny_dcgan_config(fashion_dir):
    """A DCGAN run of seconds: one epoch of 64 fixture images, latent 8."""
    from keras_gans import runs

    return runs.TrainConfig(
        model="dcgan",
        epochs=1,
        batch_size=32,
        limit=64,
        latent_dim=8,
        data_dir=str(fashion_dir),
    )


@pytest.fixture(scope="session")
def two_cpu_strategy():
    # One strategy for the session: several MirroredStrategy objects in one
    # process can clash in their collective all-reduce ops.
    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
    assert len(devices) == 2, devices
    return tf.distribute.MirroredStrategy(devices)


def pytest_addoption(parser):
    parser.addoption(
        "--demo-screenshots",
        metavar="DIR",
        default=None,
        help="tests/test_demo_browser.py also writes docs/demo.md's screenshots of "
        "the demo page into DIR (docs/demo)",
    )
