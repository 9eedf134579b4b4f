import numpy as np
import pytest

from mmlaplace.evaluation.functional import (
    ced_auc,
    ced_curve,
    check_thresholds,
    failure_rate,
    normalized_errors,
    per_sample_nme,
    pooled_nme,
    scale_error_spearman,
    threshold_name,
)


def test_normalized_errors_by_hand_and_bad_norm():
    pred = np.array([[[3.0, 4.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 2.0]]])
    gt = np.zeros_like(pred)
    errors = normalized_errors(pred, gt, np.array([10.0, 4.0]))
    np.testing.assert_allclose(errors, [[0.5, np.sqrt(2) / 10], [0.0, 0.5]])
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match='sample 1'):
            normalized_errors(pred, gt, np.array([10.0, bad]))
    with pytest.raises(ValueError, match=r'\(N, K, 2\)'):
        normalized_errors(pred, gt[:, :1], np.array([1.0, 1.0]))


def test_pooled_and_per_sample_nme_with_invisible_landmarks():
    errors = np.array([[0.1, 0.3, 9.0], [0.2, 9.0, 9.0], [9.0, 9.0, 9.0]])
    mask = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]], bool)
    # pooled over the 3 visible landmarks (MMPose), not the mean of the per-face NMEs
    assert pooled_nme(errors, mask) == pytest.approx(0.6 / 3)
    nme = per_sample_nme(errors, mask)
    np.testing.assert_allclose(nme[:2], [0.2, 0.2])
    assert np.isnan(nme[2])
    assert np.isnan(pooled_nme(errors, np.zeros_like(mask)))


def test_failure_rate_is_strictly_above_threshold_and_ignores_nan():
    nme = np.array([0.05, 0.08, 0.081, 0.3, np.nan])
    assert failure_rate(nme, 0.08) == pytest.approx(2 / 4)
    assert failure_rate(nme, 0.5) == 0.0
    assert np.isnan(failure_rate(np.array([np.nan]), 0.08))


@pytest.mark.parametrize('threshold', [0.08, 0.10])
def test_auc_equals_the_integral_of_the_ced_curve(threshold):
    rng = np.random.default_rng(0)
    nme = rng.gamma(2.0, 0.03, size=300)
    t, frac = ced_curve(nme, threshold, num=200001)
    numeric = np.trapezoid(frac, t) / threshold
    assert ced_auc(nme, threshold) == pytest.approx(numeric, abs=1e-4)
    # the curve is the empirical CDF
    assert frac[-1] == pytest.approx(np.mean(nme <= threshold))
    assert np.all(np.diff(frac) >= 0)


def test_auc_extremes():
    assert ced_auc(np.zeros(5), 0.08) == 1.0
    assert ced_auc(np.full(5, 0.2), 0.08) == 0.0
    assert ced_auc(np.array([0.04]), 0.08) == pytest.approx(0.5)
    assert np.isnan(ced_auc(np.array([]), 0.08))


def _ranks(x):
    r = np.empty(x.size)
    r[np.argsort(x)] = np.arange(x.size)
    return r


def test_spearman_against_pearson_of_ranks():
    rng = np.random.default_rng(1)
    errors = rng.random((20, 5))
    assert scale_error_spearman(np.exp(3 * errors), errors) == pytest.approx(1.0)
    assert scale_error_spearman(-errors, errors) == pytest.approx(-1.0)
    scales = errors + rng.normal(0, 0.3, errors.shape)
    expected = np.corrcoef(_ranks(scales.ravel()), _ranks(errors.ravel()))[0, 1]
    assert scale_error_spearman(scales, errors) == pytest.approx(expected)
    # invisible landmarks are left out: a perfect ranking on the visible ones
    mask = np.ones_like(errors, bool)
    mask[:, 0] = False
    scales = errors.copy()
    scales[:, 0] = -errors[:, 0]
    assert scale_error_spearman(scales, errors) < 1
    assert scale_error_spearman(scales, errors, mask) == pytest.approx(1.0)
    assert np.isnan(scale_error_spearman(np.ones((2, 5)), errors[:2]))


def test_threshold_names_and_checks():
    assert [threshold_name(t) for t in (0.08, 0.1, 0.035)] == ['8', '10', '3.5']
    assert check_thresholds([0.08, 0.1]) == (0.08, 0.1)
    for bad in ([], [0.0], [np.nan], [0.08, 0.08]):
        with pytest.raises(ValueError, match='thresholds'):
            check_thresholds(bad)
