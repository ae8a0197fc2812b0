"""Tests for keras_gans.metrics against the metrics' definitions.

Expected values come from closed forms (Gaussians, hand-made point clouds and
histograms) or from direct, unoptimised formulas written here with SciPy, so
the library's chunked / stabilised code is checked against something
independent. Statistical checks use fixed seeds and tolerances of several
standard errors, computed in the test from the estimator's variance.
"""

import math

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import tensorflow as tf

from keras_gans import metrics

# --- FID ------------------------------------------------------------------------


def _fid_diagonal(mu1, var1, mu2, var2):
    # Closed form for diagonal covariances: the matrices commute, so
    # tr((S1 S2)^(1/2)) = sum sqrt(s1 s2).
    return float(
        np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2))
    )


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_frechet_distance_diagonal_gaussians_closed_form(method):
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    var1, var2 = rng.uniform(0.2, 3.0, 6), rng.uniform(0.2, 3.0, 6)
    expected = _fid_diagonal(mu1, var1, mu2, var2)
    got = metrics.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2), method)
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_frechet_distance_scaled_full_covariance(method):
    # N(0, S) vs N(0, c^2 S): (S c^2 S)^(1/2) = c S, so d^2 = (1 - c)^2 tr(S),
    # for a full (non-diagonal) S.
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    s = a @ a.T + 0.1 * np.eye(5)
    c = 1.7
    got = metrics.frechet_distance(np.zeros(5), s, np.zeros(5), c**2 * s, method)
    assert got == pytest.approx((1 - c) ** 2 * np.trace(s), rel=1e-9)


def test_fid_from_large_samples_matches_closed_form():
    rng = np.random.default_rng(2)
    d, n = 4, 100_000
    mu1, mu2 = np.array([0.0, 1.0, -0.5, 0.3]), np.array([1.0, 0.0, 0.5, 0.3])
    var1, var2 = np.array([1.0, 0.5, 2.0, 1.0]), np.array([2.0, 0.5, 1.0, 0.25])
    real = mu1 + np.sqrt(var1) * rng.standard_normal((n, d))
    fake = mu2 + np.sqrt(var2) * rng.standard_normal((n, d))
    expected = _fid_diagonal(mu1, var1, mu2, var2)
    # Delta method: the mean term |mu1^ - mu2^|^2 has variance
    # 4 sum D^2 (s1 + s2) / n; each (sqrt s1^ - sqrt s2^)^2 has variance
    # 4 (sqrt s1 - sqrt s2)^2 (s1 + s2) / (2 n) since var(sqrt s^) = s / (2n).
    # The bias is O(d^2 / n) (estimated covariances), here < 1e-3.
    diff = mu1 - mu2
    var = 4 * np.sum(diff**2 * (var1 + var2)) / n
    var += 4 * np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2 * (var1 + var2)) / (2 * n)
    tolerance = 5 * math.sqrt(var) + 10 * d**2 / n
    assert abs(metrics.fid_from_activations(real, fake) - expected) < tolerance
    assert tolerance < 0.05 * expected  # the check is sharp


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_fid_of_a_set_with_itself_is_zero(method):
    x = np.random.default_rng(3).normal(size=(2000, 32)) * 3.0 + 1.0
    assert abs(metrics.fid_from_activations(x, x, method=method)) < 1e-8


def test_fid_methods_agree_and_singular_covariances_are_handled():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(0.3, size=(300, 16)) @ rng.normal(size=(16, 16))
    assert metrics.fid_from_activations(a, b) == pytest.approx(
        metrics.fid_from_activations(a, b, method="eigh"), rel=1e-9
    )
    # Fewer samples than features: singular covariances. It warns, and both
    # methods still give a real number, ~0 for identical sets.
    small = rng.normal(size=(20, 64))
    for method in ("sqrtm", "eigh"):
        with pytest.warns(RuntimeWarning, match="20 samples for 64 features"):
            assert abs(metrics.fid_from_activations(small, small, method)) < 1e-4


def test_frechet_distance_sqrtm_fallbacks(monkeypatch):
    import keras_gans.metrics.fid as fid

    calls = []
    real_sqrtm = fid.scipy.linalg.sqrtm

    def flaky_sqrtm(a):
        calls.append(a)
        # Not finite on the first call: the eps retry must take over.
        return np.full_like(a, np.inf) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(fid.scipy.linalg, "sqrtm", flaky_sqrtm)
    with pytest.warns(RuntimeWarning, match="adding 1e-06"):
        got = fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))
    np.testing.assert_allclose(calls[1], (1 + 1e-6) ** 2 * np.eye(2))
    # As in pytorch-fid, the traces stay those of the original covariances,
    # so the offset shifts the result by -2 d eps.
    assert got == pytest.approx(-2 * 2 * 1e-6, rel=1e-6)

    # A small imaginary part is rounding and is dropped; a large one raises.
    monkeypatch.setattr(fid.scipy.linalg, "sqrtm", lambda a: a + 1e-9j)
    assert fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) == (
        pytest.approx(0.0, abs=1e-12)
    )
    monkeypatch.setattr(fid.scipy.linalg, "sqrtm", lambda a: a + 0.1j)
    with pytest.raises(ValueError, match="real up to rounding"):
        fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))


def test_fid_input_errors():
    with pytest.raises(ValueError, match="same number of features; received 3 and 4"):
        metrics.fid_from_activations(np.ones((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match="at least 2 samples .* received 1"):
        metrics.fid_from_activations(np.ones((1, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"2-D array .* received shape \(5,\)"):
        metrics.fid_from_activations(np.ones(5), np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"`sigma2` of shape \(2, 2\)"):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="method"):
        metrics.frechet_distance(np.zeros(1), np.eye(1), np.zeros(1), np.eye(1), "svd")


# --- KID ------------------------------------------------------------------------


def _moment_tensors(mu, cov):
    m2 = cov + np.outer(mu, mu)
    m3 = (
        np.einsum("i,j,k->ijk", mu, mu, mu)
        + np.einsum("i,jk->ijk", mu, cov)
        + np.einsum("j,ik->ijk", mu, cov)
        + np.einsum("k,ij->ijk", mu, cov)
    )
    return mu, m2, m3


def _population_mmd2_cubic(p, q, gamma, coef0):
    # (g x.y + c)^3 = sum_r C(3, r) g^r c^(3-r) <x^(x)r, y^(x)r>, so the MMD^2
    # between P and Q is sum_r C(3, r) g^r c^(3-r) |M_r(P) - M_r(Q)|^2 with
    # M_r the r-th moment tensors (the r = 0 term cancels).
    return sum(
        math.comb(3, r) * gamma**r * coef0 ** (3 - r) * np.sum((mp - mq) ** 2)
        for r, mp, mq in zip(
            (1, 2, 3), _moment_tensors(*p), _moment_tensors(*q), strict=True
        )
    )


def _biased_mmd2_cubic(x, y, gamma, coef0):
    k = lambda a, b: (gamma * a @ b.T + coef0) ** 3  # noqa: E731
    return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()


@pytest.mark.parametrize("shift", [0.0, 0.6])
def test_kid_is_unbiased_against_the_population_mmd(shift):
    # Many independent pairs of small sets (m = 10): the average estimate
    # must match the exact population MMD^2 within 4 standard errors, while
    # the biased (V-statistic) estimator misses it, so the test can tell.
    rng = np.random.default_rng(5)
    d, m, draws = 2, 10, 3000
    p = (np.zeros(d), np.eye(d))
    q = (np.array([shift, 0.0]), np.diag([1.0 + shift, 1.0]))
    gamma, coef0 = 1.0 / d, 1.0
    exact = _population_mmd2_cubic(p, q, gamma, coef0)
    unbiased, biased = [], []
    for _ in range(draws):
        x = rng.multivariate_normal(*p, size=m)
        y = rng.multivariate_normal(*q, size=m)
        kid = metrics.kernel_inception_distance(x, y, num_subsets=1, subset_size=m)
        unbiased.append(kid["mean"])
        biased.append(_biased_mmd2_cubic(x, y, gamma, coef0))
    se = np.std(unbiased) / math.sqrt(draws)
    assert abs(np.mean(unbiased) - exact) < 4 * se
    assert abs(np.mean(biased) - exact) > 10 * se
    if shift == 0.0:
        assert exact == 0.0
    else:
        assert exact > 20 * se


def test_kid_near_zero_for_one_distribution_and_positive_for_shifted():
    rng = np.random.default_rng(6)
    real = rng.normal(size=(1000, 16))
    same = rng.normal(size=(1000, 16))
    shifted = rng.normal(0.5, size=(1000, 16))
    kid_same = metrics.kernel_inception_distance(real, same, 30, 250)
    kid_shifted = metrics.kernel_inception_distance(real, shifted, 30, 250)
    # "std" is the spread of one 250-subset estimate; the mean over subsets
    # of 1000 samples varies less than that, so 3 std is a loose bound.
    assert abs(kid_same["mean"]) < 3 * kid_same["std"]
    assert kid_shifted["mean"] > 10 * kid_shifted["std"]
    # Deterministic for a seed.
    assert metrics.kernel_inception_distance(real, same, 30, 250) == kid_same


def test_kid_clips_subset_size_and_checks_inputs():
    x = np.random.default_rng(7).normal(size=(30, 3))
    with pytest.warns(UserWarning, match="using subsets of 20"):
        metrics.kernel_inception_distance(x, x[:20], num_subsets=2, subset_size=1000)
    with pytest.raises(ValueError, match="same number of features"):
        metrics.kernel_inception_distance(x, x[:, :2])
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.kernel_inception_distance(x, x[:1])


# --- Inception score ------------------------------------------------------------


def test_inception_score_bounds():
    k, splits = 10, 5
    # The same confident prediction everywhere: the marginal equals each
    # prediction, KL = 0, IS = 1 (the lower bound).
    same = np.tile(np.eye(k)[3], (100, 1))
    assert metrics.inception_score(same, splits) == pytest.approx(
        {"mean": 1.0, "std": 0.0}
    )
    # Confident predictions spread evenly over K classes within every split:
    # KL = log K for each example, IS = K (the upper bound).
    spread = np.eye(k)[np.tile(np.arange(k), 2 * splits)]
    assert metrics.inception_score(spread, splits)["mean"] == pytest.approx(k)
    assert metrics.inception_score(spread, splits)["std"] == pytest.approx(0.0)
    # Uniform predictions: each equals the marginal, IS = 1.
    uniform = np.full((100, k), 1.0 / k)
    assert metrics.inception_score(uniform, splits)["mean"] == pytest.approx(1.0)
    # Anything else lies between.
    rng = np.random.default_rng(8)
    mixed = rng.dirichlet(np.full(k, 0.3), size=500)
    score = metrics.inception_score(mixed, splits)["mean"]
    assert 1.0 < score < k


def test_inception_score_hand_computed():
    # Two examples, one split: p = [1, 0] and [1/2, 1/2]; marginal [3/4, 1/4].
    kl1 = math.log(1 / 0.75)
    kl2 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    got = metrics.inception_score([[1.0, 0.0], [0.5, 0.5]], splits=1)
    assert got["mean"] == pytest.approx(math.exp((kl1 + kl2) / 2), rel=1e-12)


def test_inception_score_input_errors():
    with pytest.raises(ValueError, match="sum to 1 .* 0.5. Apply a softmax"):
        metrics.inception_score(np.array([[0.5, 0.5], [0.3, 0.2]]), splits=1)
    with pytest.raises(
        ValueError, match=r"\(finite, >= 0\); received values in \[-1, 2\]"
    ):
        metrics.inception_score(np.array([[2.0, -1.0], [0.5, 0.5]]), splits=1)
    with pytest.raises(ValueError, match=r"splits=10 with 4 samples"):
        metrics.inception_score(np.eye(4), splits=10)


# --- Precision / recall, density / coverage -------------------------------------


def _clusters(rng, centres, per_cluster, scale=0.1):
    return np.concatenate(
        [c + scale * rng.normal(size=(per_cluster, 2)) for c in centres]
    )


def _reference_prdc(real, fake, k_pr, k_dc):
    # Direct transcription of the papers with full distance matrices.
    def kth(x, k):
        return np.sort(scipy.spatial.distance.cdist(x, x), axis=1)[:, k]

    d_rf = scipy.spatial.distance.cdist(real, fake)
    r_pr, f_pr, r_dc = kth(real, k_pr), kth(fake, k_pr), kth(real, k_dc)
    return {
        "precision": (d_rf <= r_pr[:, None]).any(axis=0).mean(),
        "recall": (d_rf <= f_pr[None, :]).any(axis=1).mean(),
        "density": (d_rf < r_dc[:, None]).sum(axis=0).mean() / k_dc,
        "coverage": (d_rf.min(axis=1) < r_dc).mean(),
    }


def test_prdc_on_a_hand_made_example():
    # 1-D, k = 1. Real 0, 1, 3, 6 have radii 1, 1, 2, 3; fake 1.05, 1.2,
    # 4.5, 10 have radii 0.15, 0.15, 3.3, 5.5.
    # precision: 10 is outside every real ball (6 +- 3)            -> 3/4
    # recall: 0 is outside every fake ball ([0.9, 1.2] nearest)     -> 3/4
    # density: 1.05 is in the balls of 1 and 3, 1.2 of 1 and 3,
    #          4.5 of 3 and 6, 10 of none: (2 + 2 + 2 + 0) / (1 * 4) -> 1.5
    # coverage: 0's nearest fake (1.05) is outside its ball (1)     -> 3/4
    real = np.array([[0.0], [1.0], [3.0], [6.0]])
    fake = np.array([[1.05], [1.2], [4.5], [10.0]])
    assert metrics.precision_recall(real, fake, k=1) == {
        "precision": 0.75,
        "recall": 0.75,
    }
    assert metrics.density_coverage(real, fake, k=1) == {
        "density": 1.5,
        "coverage": 0.75,
    }


def test_prdc_identical_far_and_half_the_modes():
    rng = np.random.default_rng(9)
    centres = [(10.0 * i, 10.0 * j) for i in range(4) for j in range(2)]
    real = _clusters(rng, centres, 50)
    # Fake = real: every point sits on a real point and vice versa.
    assert metrics.precision_recall(real, real) == {"precision": 1.0, "recall": 1.0}
    assert metrics.density_coverage(real, real)["coverage"] == 1.0
    # Fake far away: nothing overlaps.
    far = real + 1000.0
    assert metrics.precision_recall(real, far) == {"precision": 0.0, "recall": 0.0}
    assert metrics.density_coverage(real, far) == {"density": 0.0, "coverage": 0.0}
    # Fake = copies of the real points of half the modes: all fake points
    # are real points (precision 1) and exactly the real points of those
    # modes are covered (recall = coverage = 1/2); the clusters are 10 apart
    # and 0.1 wide, so no ball reaches another mode.
    half = real[: len(real) // 2]
    assert metrics.precision_recall(real, half) == {"precision": 1.0, "recall": 0.5}
    assert metrics.density_coverage(real, half)["coverage"] == 0.5


def test_prdc_fresh_samples_of_half_the_modes():
    rng = np.random.default_rng(10)
    centres = [(10.0 * i, 0.0) for i in range(10)]
    real = _clusters(rng, centres, 200)
    same = _clusters(rng, centres, 200)
    half = _clusters(rng, centres[:5], 400)
    pr_same, dc_same = (
        metrics.precision_recall(real, same),
        metrics.density_coverage(real, same),
    )
    pr_half, dc_half = (
        metrics.precision_recall(real, half),
        metrics.density_coverage(real, half),
    )
    # New samples of the same distribution: high precision, recall and
    # coverage, density near 1 (its expectation when the distributions match).
    assert pr_same["precision"] > 0.85 and pr_same["recall"] > 0.85
    assert dc_same["coverage"] > 0.9 and 0.85 < dc_same["density"] < 1.15
    # Half the modes: quality kept, diversity halved.
    assert pr_half["precision"] > 0.85 and 0.4 < pr_half["recall"] <= 0.5
    assert 0.45 < dc_half["coverage"] <= 0.5 and 0.85 < dc_half["density"] < 1.15


def test_density_counts_every_ball_of_a_mode():
    # Each mode: k + 1 real points on a circle of radius 1 around a centre.
    # A point's k-th neighbour is then the farthest one on its circle (at
    # least sqrt(2) away), so a fake point at the centre (1 away) lies in all
    # k + 1 balls: density = (k + 1) / k, coverage = 1.
    k = 5
    angles = 2 * np.pi * np.arange(k + 1) / (k + 1)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    centres = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    real = np.concatenate([c + circle for c in centres])
    got = metrics.density_coverage(real, centres, k=k)
    assert got["density"] == pytest.approx((k + 1) / k)
    assert got["coverage"] == 1.0


def test_prdc_chunking_matches_full_matrices():
    rng = np.random.default_rng(11)
    real = rng.normal(size=(97, 5)) + 20.0  # offset: tests the centring too
    fake = rng.normal(0.4, 1.2, size=(61, 5)) + 20.0
    expected = _reference_prdc(real, fake, k_pr=3, k_dc=5)
    for batch_size in (1, 7, 1000):
        got = {
            **metrics.precision_recall(real, fake, 3, batch_size),
            **metrics.density_coverage(real, fake, 5, batch_size),
        }
        assert got == pytest.approx(expected)


def test_prdc_input_errors():
    x = np.zeros((3, 2))
    with pytest.raises(
        ValueError,
        match=r"at least 4 samples in `real` .* k-th nearest neighbour \(k=3\); received 3",
    ):
        metrics.precision_recall(x, np.ones((10, 2)), k=3)
    with pytest.raises(ValueError, match="same number of features"):
        metrics.density_coverage(np.ones((10, 2)), np.ones((10, 3)))
    with pytest.raises(ValueError, match="k >= 1"):
        metrics.precision_recall(np.ones((10, 2)), np.ones((10, 2)), k=0)


# --- Parzen window --------------------------------------------------------------


def test_parzen_matches_the_kde_formula_on_a_small_set():
    rng = np.random.default_rng(12)
    samples, test, sigma = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), 0.7
    # p(x) = 1/N sum_i N(x; s_i, sigma^2 I), summed directly.
    expected = [
        math.log(
            np.mean(
                [scipy.stats.multivariate_normal.pdf(x, s, sigma**2) for s in samples]
            )
        )
        for x in test
    ]
    got = metrics.parzen_log_likelihood(samples, test, sigma, batch_size=3)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_parzen_is_stable_where_the_density_underflows():
    # One kernel, a point 30 sigma away: exp underflows, the log does not.
    samples, test, sigma = np.zeros((1, 4)), np.full((1, 4), 0.15), 0.01
    expected = scipy.stats.multivariate_normal.logpdf(test[0], samples[0], sigma**2)
    got = metrics.parzen_log_likelihood(samples, test, sigma)
    assert np.isfinite(got[0]) and got[0] == pytest.approx(expected, rel=1e-12)
    # Images are flattened.
    images = metrics.parzen_log_likelihood(
        np.zeros((1, 2, 2, 1)), np.full((1, 2, 2, 1), 0.15), sigma
    )
    assert images[0] == pytest.approx(expected, rel=1e-12)


def test_parzen_converges_to_the_smoothed_gaussian():
    # With many samples from N(0, 1), the Parzen estimate at x tends to
    # E N(x; S, sigma^2) = N(x; 0, 1 + sigma^2). Its relative standard
    # deviation is sqrt(Var K / N) / p, with E K^2 = N(x; 0, 1 + sigma^2/2)
    # / (2 sigma sqrt(pi)); allow 5 of them on the log scale.
    rng = np.random.default_rng(13)
    n, sigma = 20_000, 0.3
    samples = rng.normal(size=(n, 1))
    x = np.linspace(-2.0, 2.0, 9)
    mean = scipy.stats.norm.pdf(x, 0.0, math.sqrt(1 + sigma**2))
    second = scipy.stats.norm.pdf(x, 0.0, math.sqrt(1 + sigma**2 / 2)) / (
        2 * sigma * math.sqrt(math.pi)
    )
    rel_sd = np.sqrt((second - mean**2) / n) / mean
    got = metrics.parzen_log_likelihood(samples, x[:, None], sigma)
    assert np.all(np.abs(got - np.log(mean)) < 5 * rel_sd)


def test_parzen_selects_a_sensible_sigma_and_reports_the_test_mean():
    rng = np.random.default_rng(14)
    n = 2000
    samples, valid, test = (rng.normal(size=(n, 1)) for _ in range(3))
    sigmas = np.logspace(-2, 1, 16)
    result = metrics.parzen_evaluate(samples, valid, test, sigmas=sigmas)
    # Near the MISE-optimal width for Gaussian data (Silverman's rule,
    # 1.06 n^(-1/5) = 0.23 here), far from the grid's ends.
    silverman = 1.06 * n ** (-0.2)
    assert silverman / 2 < result["sigma"] < 2 * silverman
    # It is the grid point with the best validation mean ...
    means = [metrics.parzen_log_likelihood(samples, valid, s).mean() for s in sigmas]
    assert result["sigma"] == pytest.approx(sigmas[int(np.argmax(means))])
    # ... and the test figures are the mean and std / sqrt(n) at that sigma.
    ll = metrics.parzen_log_likelihood(samples, test, result["sigma"])
    assert result["mean"] == pytest.approx(ll.mean())
    assert result["std_error"] == pytest.approx(ll.std() / math.sqrt(n))
    # Close to the data's own entropy bound, -0.5 log(2 pi e), from below.
    assert -0.5 * math.log(2 * math.pi * math.e) - 0.1 < result["mean"]


def test_parzen_warns_at_the_grid_edge_and_checks_inputs():
    rng = np.random.default_rng(15)
    x = rng.normal(size=(100, 2))
    with pytest.warns(UserWarning, match="edge of the grid"):
        assert metrics.select_parzen_sigma(x, x + 0.5, sigmas=[1e-3, 2e-3]) == 2e-3
    with pytest.raises(ValueError, match="same number of features"):
        metrics.parzen_log_likelihood(x, np.ones((3, 3)), 1.0)
    with pytest.raises(ValueError, match="positive sigma"):
        metrics.parzen_log_likelihood(x, x, 0.0)


# --- Mode collapse --------------------------------------------------------------


def test_mode_collapse_report_against_a_uniform_reference():
    r = metrics.mode_collapse_report([0, 0, 0, 1], num_classes=4)
    assert r["classes_covered"] == 2
    assert r["most_frequent_class"] == 0 and r["most_frequent_share"] == 0.75
    np.testing.assert_array_equal(r["histogram"], [3, 1, 0, 0])
    # KL(p_gen || uniform) = 0.75 log(0.75 / 0.25) + 0.25 log(0.25 / 0.25).
    assert r["kl_from_reference"] == pytest.approx(0.75 * math.log(3), abs=1e-8)
    # One class only: log K. Balanced: 0.
    assert metrics.mode_collapse_report([2] * 7, num_classes=4)[
        "kl_from_reference"
    ] == pytest.approx(math.log(4), abs=1e-8)
    assert metrics.mode_collapse_report(np.arange(8) % 4, num_classes=4)[
        "kl_from_reference"
    ] == pytest.approx(0.0, abs=1e-12)


def test_mode_collapse_report_against_data_labels_and_probabilities():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    labels = [0, 1, 1, 2]  # reference histogram 1/4, 1/2, 1/4
    r = metrics.mode_collapse_report(probs, reference_labels=labels, num_classes=3)
    # argmax -> classes 0, 1, 0: p_gen = 2/3, 1/3, 0.
    expected = 2 / 3 * math.log((2 / 3) / 0.25) + 1 / 3 * math.log((1 / 3) / 0.5)
    assert r["kl_from_reference"] == pytest.approx(expected, abs=1e-8)
    assert r["classes_covered"] == 2 and r["most_frequent_share"] == pytest.approx(
        2 / 3
    )
    # A generated class that the data never show: large but finite (smoothing).
    r = metrics.mode_collapse_report([2, 2], reference_labels=[0, 1], num_classes=3)
    assert 20 < r["kl_from_reference"] < np.inf
    # min_count: a class needs that many samples to count as covered.
    assert (
        metrics.mode_collapse_report([0, 0, 1], num_classes=2, min_count=2)[
            "classes_covered"
        ]
        == 1
    )


def test_mode_collapse_report_input_errors():
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\) .* \[0, 5\]"):
        metrics.mode_collapse_report([0, 5], num_classes=3)
    with pytest.raises(ValueError, match="num_classes=3 columns"):
        metrics.mode_collapse_report(np.ones((2, 4)) / 4, num_classes=3)


# --- Streaming keras.metrics.Metric classes -------------------------------------


def _batches(x, sizes):
    edges = np.cumsum([0, *sizes])
    return [x[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def test_streaming_fid_equals_the_pure_function():
    rng = np.random.default_rng(16)
    real = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8)) + 3.0
    fake = rng.normal(size=(430, 8)) + 2.5
    m = metrics.FrechetDistance(num_features=8)
    for batch in _batches(real, [100, 1, 299, 100]):
        m.update_state(real_features=batch)
    for batch in _batches(fake, [200, 230]):
        m.update_state(fake_features=batch)
    expected = metrics.fid_from_activations(real, fake)
    assert float(m.result()) == pytest.approx(expected, rel=1e-9)
    # Fixed real statistics, new generated ones.
    m.reset_fake_state()
    assert np.isnan(float(m.result()))
    m.update_state(fake_features=real)
    assert abs(float(m.result())) < 1e-8
    m.reset_state()
    assert float(m.real_count.numpy()) == 0.0


def test_streaming_fid_in_tf_function_and_under_mirrored_strategy(two_cpu_strategy):
    rng = np.random.default_rng(17)
    real, fake = rng.normal(size=(64, 4)), rng.normal(0.5, size=(64, 4))
    expected = metrics.fid_from_activations(real, fake)
    with two_cpu_strategy.scope():
        m = metrics.FrechetDistance(num_features=4)
    dataset = tf.data.Dataset.from_tensor_slices((real, fake)).batch(16)

    @tf.function
    def step(x, y):
        two_cpu_strategy.run(m.update_state, args=(x, y))

    for x, y in two_cpu_strategy.experimental_distribute_dataset(dataset):
        step(x, y)
    # Each replica summed its half; reading adds the replicas' sums.
    assert float(m.real_count.numpy()) == 64.0
    assert float(tf.function(m.result)()) == pytest.approx(expected, rel=1e-9)


def test_streaming_inception_score_equals_the_pure_function():
    rng = np.random.default_rng(18)
    probs = rng.dirichlet(np.full(6, 0.4), size=120)
    splits = 4
    m = metrics.InceptionScore(num_classes=6, splits=splits)
    for batch in _batches(probs, [7, 50, 63]):
        m.update_state(batch)
    # Round robin: sample i is in split i % splits.
    by_split = np.concatenate([probs[s::splits] for s in range(splits)])
    expected = metrics.inception_score(by_split, splits)
    got = m.result_dict()
    assert float(got["mean"]) == pytest.approx(expected["mean"], rel=1e-12)
    assert float(got["std"]) == pytest.approx(expected["std"], rel=1e-9)
    assert float(m.result()) == pytest.approx(expected["mean"], rel=1e-12)
    with pytest.raises(tf.errors.InvalidArgumentError, match="softmax"):
        m.update_state(np.full((2, 6), 0.5))
    with pytest.raises(ValueError, match="6 features"):
        m.update_state(np.full((2, 5), 0.2))


def test_streaming_kid_and_prdc_equal_the_pure_functions():
    rng = np.random.default_rng(19)
    real = rng.normal(size=(300, 5)).astype("float32")
    fake = rng.normal(0.2, size=(250, 5)).astype("float32")
    kid = metrics.KernelDistance(5, max_samples=400, num_subsets=20, subset_size=100)
    pr = metrics.PrecisionRecall(5, max_samples=400)
    dc = metrics.DensityCoverage(5, max_samples=400)
    for m in (kid, pr, dc):
        for r, f in zip(
            _batches(real, [100, 200]), _batches(fake, [50, 200]), strict=True
        ):
            m.update_state(real_features=r, fake_features=f)
    # Fewer samples than max_samples: the reservoirs hold everything, in order.
    held_real, held_fake = kid.samples()
    np.testing.assert_array_equal(held_real, real)
    np.testing.assert_array_equal(held_fake, fake)
    expected = metrics.kernel_inception_distance(real, fake, 20, 100)
    got = kid.result_dict()
    assert float(got["mean"]) == expected["mean"]
    assert float(got["std"]) == expected["std"]
    assert float(kid.result()) == expected["mean"]
    assert {k: float(v) for k, v in pr.result().items()} == metrics.precision_recall(
        real, fake
    )
    assert {k: float(v) for k, v in dc.result().items()} == metrics.density_coverage(
        real, fake
    )
    # Graph mode too (e.g. inside a compiled step).
    assert float(tf.function(kid.result)()) == expected["mean"]


def test_reservoir_keeps_a_bounded_uniform_sample():
    m = metrics.KernelDistance(num_features=1, max_samples=100, seed=3)
    stream = np.arange(1000, dtype="float32")[:, None]
    for batch in _batches(stream, [10] * 50 + [500]):
        m.update_state(real_features=batch, fake_features=batch)
    real, fake = m.samples()
    assert real.shape == (100, 1) and float(m.real_count.numpy()) == 1000.0
    assert len(np.unique(real)) == 100  # without replacement
    assert np.all(np.diff(real[:, 0]) > 0)  # in arrival order
    # Uniform over the stream: the mean index of a uniform 100-subset of
    # 0..999 has sd 288.7 * sqrt(1 - 100/1000) / 10 = 27.4; allow 4 sd.
    assert abs(real.mean() - 499.5) < 4 * 27.4
    # The sides draw different keys, so they hold different subsets.
    assert not np.array_equal(real, fake)
    m.reset_state()
    assert m.samples()[0].shape == (0, 1)
    assert np.isnan(float(m.result()))


def test_streaming_metrics_config_round_trip_and_errors():
    for m in (
        metrics.FrechetDistance(7),
        metrics.InceptionScore(5, splits=3),
        metrics.KernelDistance(7, max_samples=50, subset_size=20),
        metrics.PrecisionRecall(7, k=2, max_samples=50),
        metrics.DensityCoverage(7, k=4, max_samples=50),
    ):
        clone = type(m).from_config(m.get_config())
        assert clone.get_config() == m.get_config()
    fid = metrics.FrechetDistance(3)
    with pytest.raises(ValueError, match=r"3 features .* received shape \(2, 4\)"):
        fid.update_state(real_features=np.ones((2, 4)))
    with pytest.raises(ValueError, match="sample_weight"):
        fid.update_state(np.ones((2, 3)), np.ones((2, 3)), sample_weight=np.ones(2))
