"""Jitter, RMSE and lag of landmark tracks: closed-form cases and bad input."""
import numpy as np
import pytest

from mmlaplace.evaluation.functional import track_jitter, track_lag, track_rmse


def _sine(num_frames=120, k=5):
    t = np.arange(num_frames, dtype=np.float64)
    phase = np.arange(k)[None, :, None]
    return 20 * np.sin(t[:, None, None] / 9 + phase) * np.ones((1, 1, 2))


def test_jitter_of_white_noise_is_sqrt2_sigma_per_axis():
    rng = np.random.default_rng(0)
    noisy = rng.normal(0, 1.5, (2000, 10, 2))
    # frame-to-frame difference of N(0, s^2) per axis: variance 2 s^2 per axis, 4 s^2 in 2-D
    assert track_jitter(noisy) == pytest.approx(2 * 1.5, rel=0.02)
    truth = _sine()
    assert track_jitter(truth + 0.0, truth) == 0.0
    assert track_jitter(truth) > 1


def test_rmse_and_mask():
    truth = np.zeros((4, 3, 2))
    points = truth.copy()
    points[1, 2] = [3, 4]
    assert track_rmse(points, truth) == pytest.approx(np.sqrt(25 / 12))
    mask = np.zeros((4, 3), bool)
    mask[1, 2] = True
    assert track_rmse(points, truth, mask) == pytest.approx(5.0)
    assert np.isnan(track_rmse(points, truth, np.zeros((4, 3), bool)))
    points[0] = np.nan  # untracked frame: left out
    assert track_rmse(points, truth, mask) == pytest.approx(5.0)


@pytest.mark.parametrize('delay', [0, 2, 5])
def test_lag_finds_a_known_delay(delay):
    truth = _sine()
    delayed = np.concatenate([np.repeat(truth[:1], delay, axis=0), truth[:len(truth) - delay]])
    assert track_lag(delayed, truth) == pytest.approx(delay, abs=0.15)


def test_lag_of_an_exponential_smoother_is_positive():
    truth = _sine()
    smooth = truth.copy()
    for t in range(1, len(truth)):
        smooth[t] = smooth[t - 1] + 0.3 * (truth[t] - smooth[t - 1])
    assert 1.0 < track_lag(smooth, truth) < 4.0  # (1 - a) / a = 2.3 frames at low frequency


def test_bad_tracks():
    with pytest.raises(ValueError, match=r'\(T, K, 2\)'):
        track_jitter(np.zeros((5, 68)))
    with pytest.raises(ValueError, match='different shapes'):
        track_rmse(np.zeros((5, 68, 2)), np.zeros((4, 68, 2)))
    with pytest.raises(ValueError, match='mask must be'):
        track_rmse(np.zeros((5, 3, 2)), np.zeros((5, 3, 2)), np.zeros(5, bool))
    with pytest.raises(ValueError, match='needs more than'):
        track_lag(np.zeros((10, 3, 2)), np.zeros((10, 3, 2)))
    with pytest.raises(ValueError, match='two consecutive'):
        track_jitter(np.full((3, 2, 2), np.nan))
