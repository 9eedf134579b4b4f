"""Temporal landmark filters: statistics on noisy signals, steps, ramps and bad input."""
import numpy as np
import pytest

from mmlaplace.apis.landmark_filters import (
    AffineKalmanLandmarkFilter,
    KalmanLandmarkFilter,
    OneEuroFilter,
    PassThroughFilter,
    build_landmark_filter,
    laplace_variance,
)

K = 400  # landmarks used as independent trials


def _noisy_constant(num_frames: int, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, sigma, (num_frames, K, 2))


def _scales_for_std(sigma: float) -> np.ndarray:
    # Laplace variance 2 b^2 = sigma^2
    return np.full((K, 2), sigma / np.sqrt(2))


def test_kalman_variance_falls_as_predicted_on_a_noisy_constant():
    sigma = 2.0
    f = KalmanLandmarkFilter(process_noise=1e-3, min_std=0.0)
    reported, empirical = [], []
    for z in _noisy_constant(60, sigma):
        out = f.update(z, _scales_for_std(sigma))
        reported.append(out.variances.mean())
        empirical.append(np.mean(out.points ** 2))  # truth is 0
    reported, empirical = np.array(reported), np.array(empirical)
    assert reported[0] == pytest.approx(sigma ** 2)
    assert (np.diff(reported[:30]) < 0).all(), 'the filtered variance must fall'
    assert reported[-1] < 0.2 * sigma ** 2
    # the filter's own variance is the real error variance (800 trials: ~10% sampling error)
    for t in (1, 5, 20, 59):
        assert empirical[t] == pytest.approx(reported[t], rel=0.3), t


def test_one_euro_reported_variance_matches_its_smoothing():
    sigma = 2.0
    f = OneEuroFilter(min_cutoff=0.5, beta=0.0, fps=30)
    outs = [f.update(z, _scales_for_std(sigma)) for z in _noisy_constant(400, sigma, seed=1)]
    late = np.stack([o.points for o in outs[100:]])
    assert late.var() == pytest.approx(outs[-1].variances.mean(), rel=0.25)
    assert outs[-1].variances.mean() < 0.2 * sigma ** 2


@pytest.mark.parametrize('process_noise,frames', [(0.05, 8), (0.5, 4)])
def test_kalman_follows_a_step_within_stated_frames(process_noise, frames):
    # a 20 px jump of a landmark measured with 1 px noise: within `frames` frames the
    # estimate is within 2 px of the new value (and it was not before the jump)
    rng = np.random.default_rng(0)
    f = KalmanLandmarkFilter(process_noise=process_noise)
    b = np.full((1, 2), 1 / np.sqrt(2))
    for _ in range(50):
        f.update(rng.normal(0, 1, (1, 2)), b)
    errors = [np.abs(f.update(20 + rng.normal(0, 1, (1, 2)), b).points - 20).max()
              for _ in range(30)]
    settled = next(i for i, e in enumerate(errors) if all(x < 2 for x in errors[i:]))
    assert errors[0] > 2
    assert settled + 1 <= frames, errors


def test_a_large_scale_measurement_moves_the_state_less():
    moved = {}
    for b in (0.5, 10.0):
        f = KalmanLandmarkFilter(process_noise=0.05)
        for _ in range(20):
            f.update(np.zeros((1, 2)), np.full((1, 2), 1.0))
        moved[b] = float(f.update(np.full((1, 2), 10.0), np.full((1, 2), b)).points[0, 0])
    assert 0 < moved[10.0] < 0.2 * moved[0.5]
    assert moved[0.5] > 5


def test_kalman_tracks_a_ramp_without_lag_and_one_euro_lags():
    t = np.arange(120, dtype=np.float64)
    truth = 2.0 * t  # 2 px / frame
    kalman = KalmanLandmarkFilter(process_noise=0.01)
    euro = OneEuroFilter(min_cutoff=1.0, beta=0.0, fps=30)
    b = np.full((1, 2), 0.5)
    for x in truth:
        k_out = kalman.update(np.full((1, 2), x), b)
        e_out = euro.update(np.full((1, 2), x), b)
    assert abs(k_out.points[0, 0] - truth[-1]) < 0.05
    assert truth[-1] - e_out.points[0, 0] > 5  # a fixed low cut-off lags a moving landmark


def test_missing_measurement_predicts_and_grows_the_variance():
    f = KalmanLandmarkFilter(process_noise=0.05)
    b = np.full((2, 2), 1.0)
    for x in range(10):
        out = f.update(np.array([[x, 0.0], [x, 0.0]]), b)
    before = out.variances.copy()
    out = f.update(np.array([[np.nan, np.nan], [10.0, 0.0]]), b)
    assert out.variances[0, 0] > before[0, 0]  # not measured: predicted only
    assert out.variances[1, 0] < out.variances[0, 0]
    assert out.points[0, 0] == pytest.approx(10.0, abs=0.5)  # kept the velocity
    euro = OneEuroFilter()
    euro.update(np.zeros((1, 2)))
    assert np.isfinite(euro.update(np.full((1, 2), np.nan)).points).all()


def test_pass_through_returns_the_measurement_and_laplace_variance():
    z = np.arange(6, dtype=np.float64).reshape(3, 2)
    out = PassThroughFilter().update(z, np.full((3, 2), 3.0))
    np.testing.assert_array_equal(out.points, z)
    np.testing.assert_array_equal(out.variances, np.full((3, 2), 18.0))
    assert np.isnan(laplace_variance(None, (3, 2))).all()


def test_reset_starts_a_new_track():
    f = KalmanLandmarkFilter()
    f.update(np.zeros((68, 2)), np.ones((68, 2)))
    with pytest.raises(ValueError, match='68 landmarks, this frame 5'):
        f.update(np.zeros((5, 2)), np.ones((5, 2)))
    f.reset()
    out = f.update(np.full((5, 2), 7.0), np.ones((5, 2)))
    np.testing.assert_array_equal(out.points, np.full((5, 2), 7.0))


@pytest.mark.parametrize('points,scales,match', [
    (np.zeros((68, 3)), None, r'points must be \(K, 2\)'),
    (np.zeros((68, 2)), np.ones((68, 1)), 'scales must have the shape'),
    (np.zeros((68, 2)), -np.ones((68, 2)), 'scales must be >= 0'),
])
def test_bad_measurements(points, scales, match):
    for f in (PassThroughFilter(), OneEuroFilter(), KalmanLandmarkFilter(),
              AffineKalmanLandmarkFilter()):
        with pytest.raises(ValueError, match=match):
            f.update(points, scales)


def test_bad_parameters_and_names():
    with pytest.raises(ValueError, match='process_noise must be > 0'):
        KalmanLandmarkFilter(process_noise=0)
    with pytest.raises(ValueError, match='min_cutoff must be > 0'):
        OneEuroFilter(min_cutoff=-1)
    for f in (PassThroughFilter(), OneEuroFilter(), KalmanLandmarkFilter()):
        with pytest.raises(ValueError, match=r'update: dt must be > 0, got 0'):
            f.update(np.zeros((1, 2)), dt=0)
    with pytest.raises(ValueError, match='first frame of a track'):
        KalmanLandmarkFilter().update(np.full((1, 2), np.nan))
    with pytest.raises(ValueError, match="unknown landmark filter 'kalmann'.*one-euro"):
        build_landmark_filter('kalmann')
    with pytest.raises(TypeError, match="landmark filter 'kalman'"):
        build_landmark_filter('kalman', beta=1.0)
    assert isinstance(build_landmark_filter(None), PassThroughFilter)
    f = build_landmark_filter(dict(type='kalman', process_noise=0.2))
    assert isinstance(f, KalmanLandmarkFilter) and f.q == 0.2
    assert build_landmark_filter(f) is f


FACE = np.random.default_rng(3).uniform(0, 120, (68, 2))


def test_affine_kalman_follows_the_face_and_an_uncertain_landmark_follows_it_too():
    f = AffineKalmanLandmarkFilter(process_noise=0.01, motion_shrink=0.0)
    b = np.ones((68, 2))
    for _ in range(5):
        f.update(FACE, b)
    moved = FACE + [6.0, -3.0]
    measured = moved.copy()
    measured[0] += [25.0, 0.0]  # an occluded landmark: far off, and the model knows it
    scales = b.copy()
    scales[0] = 20.0
    out = f.update(measured, scales).points
    np.testing.assert_allclose(out[1:], moved[1:], atol=0.5)  # the shared motion, no lag
    assert np.abs(out[0] - moved[0]).max() < 1.0  # carried by the face, not its measurement
    plain = KalmanLandmarkFilter(process_noise=0.01)
    for _ in range(5):
        plain.update(FACE, b)
    assert np.abs(plain.update(measured, scales).points[1] - moved[1]).max() > 2  # lags


def test_affine_kalman_motion_shrink_holds_a_still_face():
    b = np.full((68, 2), 1.0)
    tracks = {}
    for shrink in (0.0, 1.0):
        rng = np.random.default_rng(0)  # the same frames for both
        f = AffineKalmanLandmarkFilter(process_noise=0.01, motion_shrink=shrink)
        shift = rng.normal(0, 0.3, (60, 1, 2))  # correlated jitter: the whole face shakes
        tracks[shrink] = np.stack([f.update(FACE + s + rng.normal(0, 0.3, (68, 2)), b).points
                                   for s in shift])
    steps = {k: np.abs(np.diff(v[10:], axis=0)).mean() for k, v in tracks.items()}
    assert steps[1.0] < 0.8 * steps[0.0]


def test_velocity_decay():
    with pytest.raises(ValueError, match='velocity_decay must be in'):
        KalmanLandmarkFilter(velocity_decay=1.5)
    with pytest.raises(ValueError, match='motion_shrink must be >= 0'):
        AffineKalmanLandmarkFilter(motion_shrink=-1)
    # without decay a coasting landmark keeps its velocity; with decay 0 it stops
    coast = {}
    for decay in (1.0, 0.0):
        f = KalmanLandmarkFilter(process_noise=0.1, velocity_decay=decay)
        for t in range(30):
            f.update(np.full((1, 2), 2.0 * t), np.full((1, 2), 0.3))
        for _ in range(5):
            out = f.update(np.full((1, 2), np.nan))
        coast[decay] = float(out.points[0, 0])
    assert coast[1.0] == pytest.approx(58 + 10, abs=0.5)
    assert coast[0.0] < 60


def test_speed_adaptive_process_noise_smooths_at_rest_and_follows_motion():
    """Same q: at rest the adaptive filter smooths as the constant one (v ~ 0), after a
    velocity change it settles faster (q grows with the speed)."""
    rng = np.random.default_rng(0)
    b = np.full((K, 2), 1 / np.sqrt(2))  # R = 1
    rest = rng.normal(0, 1, (80, K, 2))
    const = KalmanLandmarkFilter(process_noise=1e-3)
    adapt = KalmanLandmarkFilter(process_noise=1e-3, speed_gain=50.0)
    out_c = [const.update(z, b).points for z in rest]
    out_a = [adapt.update(z, b).points for z in rest]
    jitter_c = np.sqrt(np.mean(np.square(np.diff(out_c[40:], axis=0))))
    jitter_a = np.sqrt(np.mean(np.square(np.diff(out_a[40:], axis=0))))
    assert jitter_a < 0.3 and jitter_a < 1.6 * jitter_c  # both far below the raw 1.41
    # then the landmarks start moving at 2 px / frame
    errors = {}
    for name, f in (('const', const), ('adapt', adapt)):
        err = []
        for t in range(1, 31):
            out = f.update(2.0 * t + rng.normal(0, 1, (K, 2)), b)
            err.append(np.abs(out.points - 2.0 * t).mean())
        errors[name] = np.array(err)
    assert errors['adapt'][10:20].mean() < 0.5 * errors['const'][10:20].mean()
    # 0 is exactly the constant filter
    a, c = KalmanLandmarkFilter(speed_gain=0.0), KalmanLandmarkFilter()
    for z in rest[:5]:
        np.testing.assert_array_equal(a.update(z, b).points, c.update(z, b).points)
    with pytest.raises(ValueError, match='speed_gain'):
        KalmanLandmarkFilter(speed_gain=-1.0)
