"""Tests for keras_gans.latent: lerp, slerp, interpolate and latent arithmetic."""

import math

import numpy as np
import pytest

from keras_gans import latent

E0 = np.array([1.0, 0.0, 0.0], "float32")
E1 = np.array([0.0, 1.0, 0.0], "float32")


def _gaussian(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# --- lerp ---------------------------------------------------------------------------


def test_lerp_endpoints_are_exact_and_points_are_evenly_spaced():
    z0 = np.array([1.0, -2.0, 4.0], "float32")
    z1 = np.array([3.0, 2.0, 0.0], "float32")
    path = latent.lerp(z0, z1, steps=5)
    assert path.shape == (5, 3)
    assert path.dtype == np.float32
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)
    # t = 0, 1/4, 1/2, 3/4, 1; z1 - z0 = (2, 4, -4).
    expected = [
        [1.0, -2.0, 4.0],
        [1.5, -1.0, 3.0],
        [2.0, 0.0, 2.0],
        [2.5, 1.0, 1.0],
        [3.0, 2.0, 0.0],
    ]
    np.testing.assert_allclose(path, expected, atol=1e-6)


def test_lerp_midpoint_is_the_average():
    z0, z1 = _gaussian(16, seed=1), _gaussian(16, seed=2)
    path = latent.lerp(z0, z1, steps=3)
    np.testing.assert_allclose(path[1], (z0 + z1) / 2.0, atol=1e-6)


def test_lerp_default_steps_and_vector_shape():
    path = latent.lerp(np.zeros(4), np.ones(4))
    assert path.shape == (8, 4)
    assert path.dtype == np.float32
    np.testing.assert_allclose(path[:, 0], np.arange(8) / 7.0, atol=1e-6)


def test_lerp_batches():
    z0, z1 = _gaussian(2, 5, seed=3), _gaussian(2, 5, seed=4)
    path = latent.lerp(z0, z1, steps=4)
    assert path.shape == (4, 2, 5)
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)
    for i in range(2):
        np.testing.assert_allclose(path[:, i], latent.lerp(z0[i], z1[i], steps=4))


def test_lerp_accepts_lists_and_float64():
    path = latent.lerp([0.0, 2.0], np.array([4.0, 2.0], "float64"), steps=3)
    assert path.dtype == np.float32
    np.testing.assert_allclose(path, [[0.0, 2.0], [2.0, 2.0], [4.0, 2.0]])


# --- slerp --------------------------------------------------------------------------


def test_slerp_endpoints():
    z0, z1 = _gaussian(32, seed=5), _gaussian(32, seed=6)
    path = latent.slerp(z0, z1, steps=6)
    assert path.shape == (6, 32)
    assert path.dtype == np.float32
    np.testing.assert_allclose(path[0], z0, atol=1e-6)
    np.testing.assert_allclose(path[-1], z1, atol=1e-6)


def test_slerp_stays_on_the_great_circle_when_norms_match():
    z0 = _gaussian(64, seed=7)
    z1 = _gaussian(64, seed=8)
    z1 = z1 * (np.linalg.norm(z0) / np.linalg.norm(z1))
    path = latent.slerp(z0, z1, steps=11)
    norms = np.linalg.norm(path.astype("float64"), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(z0), rtol=1e-5)
    # Lerp would cut through the ball: its midpoint is strictly shorter.
    assert np.linalg.norm(latent.lerp(z0, z1, steps=11)[5]) < 0.9 * norms[5]


def test_slerp_midpoint_of_orthogonal_unit_vectors():
    path = latent.slerp(E0, E1, steps=3)
    s = 1.0 / math.sqrt(2.0)
    np.testing.assert_allclose(path[1], [s, s, 0.0], atol=1e-6)
    np.testing.assert_allclose(path[1], (E0 + E1) / math.sqrt(2.0), atol=1e-6)


def test_slerp_of_orthogonal_unit_vectors_follows_cos_and_sin():
    # On the quarter circle from e0 to e1: z(t) = cos(t pi/2) e0 + sin(t pi/2) e1.
    path = latent.slerp(E0, E1, steps=5)
    for k, t in enumerate([0.0, 0.25, 0.5, 0.75, 1.0]):
        expected = [math.cos(t * math.pi / 2), math.sin(t * math.pi / 2), 0.0]
        np.testing.assert_allclose(path[k], expected, atol=1e-6)


def test_slerp_of_orthogonal_vectors_with_different_norms():
    # omega = pi/2: z(1/2) = sin(pi/4) z0 + sin(pi/4) z1 = (1, 2, 0) / sqrt(2).
    path = latent.slerp(E0, 2.0 * E1, steps=3)
    np.testing.assert_allclose(path[1], [1 / math.sqrt(2), 2 / math.sqrt(2), 0.0])


@pytest.mark.parametrize("scale", [1.0, 2.0, 0.5])
def test_slerp_of_parallel_vectors_falls_back_to_lerp(scale):
    z0 = np.array([1.0, 2.0, -3.0], "float32")
    z1 = scale * z0
    path = latent.slerp(z0, z1, steps=5)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path, latent.lerp(z0, z1, steps=5), atol=1e-6)


def test_slerp_of_opposite_vectors_is_finite():
    z0 = np.array([1.0, 2.0, -3.0], "float32")
    path = latent.slerp(z0, -z0, steps=5)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path, latent.lerp(z0, -z0, steps=5), atol=1e-6)


def test_slerp_with_a_zero_vector_is_finite():
    path = latent.slerp(np.zeros(3), E0, steps=4)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path[0], 0.0, atol=1e-7)
    np.testing.assert_allclose(path[-1], E0, atol=1e-6)


def test_slerp_batches_are_interpolated_pair_by_pair():
    # One orthogonal pair, one parallel pair, one random pair in a single batch.
    z0 = np.stack([E0, np.array([1.0, 1.0, 1.0], "float32"), _gaussian(3, seed=9)])
    z1 = np.stack([E1, np.array([2.0, 2.0, 2.0], "float32"), _gaussian(3, seed=10)])
    path = latent.slerp(z0, z1, steps=5)
    assert path.shape == (5, 3, 3)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path[0], z0, atol=1e-6)
    np.testing.assert_allclose(path[-1], z1, atol=1e-6)
    for i in range(3):
        np.testing.assert_allclose(
            path[:, i], latent.slerp(z0[i], z1[i], steps=5), atol=1e-6
        )
    s = 1.0 / math.sqrt(2.0)
    np.testing.assert_allclose(path[2, 0], [s, s, 0.0], atol=1e-6)
    np.testing.assert_allclose(path[2, 1], [1.5, 1.5, 1.5], atol=1e-6)


# --- interpolate and errors ---------------------------------------------------------


def test_interpolate_dispatches_by_name_and_defaults_to_slerp():
    z0, z1 = _gaussian(8, seed=11), _gaussian(8, seed=12)
    np.testing.assert_array_equal(
        latent.interpolate(z0, z1, steps=4), latent.slerp(z0, z1, steps=4)
    )
    np.testing.assert_array_equal(
        latent.interpolate(z0, z1, steps=4, method="slerp"),
        latent.slerp(z0, z1, steps=4),
    )
    np.testing.assert_array_equal(
        latent.interpolate(z0, z1, steps=4, method="lerp"),
        latent.lerp(z0, z1, steps=4),
    )
    assert latent.interpolate(z0, z1).shape == (8, 8)
    # The two really differ off the endpoints for non-parallel vectors.
    assert not np.allclose(
        latent.interpolate(z0, z1, 4, "lerp")[1], latent.interpolate(z0, z1, 4)[1]
    )


@pytest.mark.parametrize("method", ["linear", "SLERP", "", None])
def test_interpolate_unknown_method(method):
    with pytest.raises(ValueError, match="slerp.*lerp") as info:
        latent.interpolate(E0, E1, method=method)
    assert repr(method) in str(info.value)


@pytest.mark.parametrize("function", [latent.lerp, latent.slerp, latent.interpolate])
@pytest.mark.parametrize("steps", [1, 0, -3])
def test_fewer_than_two_steps_is_an_error(function, steps):
    with pytest.raises(ValueError, match="steps") as info:
        function(E0, E1, steps=steps)
    assert str(steps) in str(info.value)


@pytest.mark.parametrize("function", [latent.lerp, latent.slerp, latent.interpolate])
@pytest.mark.parametrize(
    "shape0, shape1", [((3,), (4,)), ((2, 3), (3, 3)), ((3,), (1, 3))]
)
def test_shape_mismatch_names_both_shapes(function, shape0, shape1):
    with pytest.raises(ValueError) as info:
        function(np.zeros(shape0), np.ones(shape1))
    message = str(info.value)
    assert str(shape0) in message
    assert str(shape1) in message


@pytest.mark.parametrize("function", [latent.lerp, latent.slerp])
def test_more_than_two_dimensions_is_an_error(function):
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        function(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))


# --- Concept vectors and arithmetic -------------------------------------------------


def test_concept_vector_is_the_mean():
    zs = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, -1.0, 5.0]], "float32")
    got = latent.concept_vector(zs)
    assert got.shape == (3,)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [2.0, 1.0, 3.0], atol=1e-6)


def test_concept_vector_of_one_vector_is_itself():
    z = np.array([0.5, -1.5], "float32")
    np.testing.assert_array_equal(latent.concept_vector(z), z)
    np.testing.assert_array_equal(latent.concept_vector(z[None]), z)


def test_arithmetic_averages_each_concept_first():
    smiling_woman = [[1.0, 0.0, 0.0, 4.0], [3.0, 0.0, 0.0, 2.0]]  # mean (2, 0, 0, 3)
    neutral_woman = [[0.0, 1.0, 0.0, 1.0]]  # mean (0, 1, 0, 1)
    neutral_man = [
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 3.0, 0.0],
        [0.0, 3.0, 2.0, 3.0],
    ]  # mean (0, 1, 2, 1)
    got = latent.arithmetic(smiling_woman, neutral_woman, neutral_man)
    assert got.shape == (4,)
    assert got.dtype == np.float32
    # (2, 0, 0, 3) - (0, 1, 0, 1) + (0, 1, 2, 1) = (2, 0, 2, 3)
    np.testing.assert_allclose(got, [2.0, 0.0, 2.0, 3.0], atol=1e-6)


def test_arithmetic_with_single_vectors():
    got = latent.arithmetic([1.0, 2.0], [0.5, 0.5], [-1.0, 3.0])
    np.testing.assert_allclose(got, [-0.5, 4.5])


@pytest.mark.parametrize(
    "a, b, c",
    [
        (np.zeros((2, 3)), np.zeros((1, 4)), np.zeros((2, 3))),
        (np.zeros(3), np.zeros(3), np.zeros(5)),
        (np.zeros(4), np.zeros((3, 3)), np.zeros(3)),
    ],
)
def test_arithmetic_with_mismatched_sizes_is_an_error(a, b, c):
    with pytest.raises(ValueError) as info:
        latent.arithmetic(a, b, c)
    message = str(info.value)
    for z in (a, b, c):
        assert str(z.shape[-1]) in message
