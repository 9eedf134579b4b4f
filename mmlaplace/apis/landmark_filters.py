r"""Temporal filters for landmark tracks: none, one-euro and an uncertainty-driven Kalman filter.

Every filter smooths the ``(K, 2)`` landmarks of one face frame by frame, each coordinate on
its own, behind one interface (:class:`LandmarkFilter`): ``update(points, scales)`` takes the
frame's measured landmarks and their per-axis Laplace scales ``b`` (image pixels, the model's
own uncertainty) and returns the filtered landmarks and their variances.

* :class:`PassThroughFilter` (``'none'``): the measurement itself, with the Laplace variance
  ``2 b^2``.
* :class:`OneEuroFilter` (``'one-euro'``): Casiez et al., CHI 2012: an exponential smoother
  whose cut-off frequency rises with the speed, ``f_c = min_cutoff + beta * |dx/dt|``; the
  same two knobs for every landmark, blind to the model's uncertainty. The usual baseline.
* :class:`KalmanLandmarkFilter` (``'kalman'``): a constant-velocity Kalman filter per
  coordinate whose measurement variance is the model's Laplace variance
  ``R = 2 (gain * b)^2 + floor^2``: confident landmarks are followed, uncertain ones (an
  occluded eye, a blurred jaw) lean on the motion model.
* :class:`AffineKalmanLandmarkFilter` (``'kalman-affine'``): the same measurement model with
  a face motion model: the face's affine motion, fitted to the frame's landmarks weighted by
  their inverse variances, carries every landmark, and each landmark's own residual is a
  random walk. No lag on the shared motion; uncertain landmarks follow the face.

The Kalman model, per coordinate with state ``s = (x, v)`` and frame interval ``dt``:

.. math::

    s_t = F s_{t-1} + w, \quad F = \begin{pmatrix} 1 & dt \\ 0 & 1 \end{pmatrix}, \quad
    w \sim \mathcal{N}\Bigl(0, q \begin{pmatrix} dt^3/3 & dt^2/2 \\ dt^2/2 & dt \end{pmatrix}
    \Bigr), \qquad z_t = x_t + e, \quad e \sim (0, R_t = 2 b_t^2)

(white-noise acceleration of spectral density ``q`` in px^2 / frame^3). A missing
measurement (NaN) only predicts.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Type, Union

import numpy as np

__all__ = [
    'FilteredLandmarks', 'LandmarkFilter', 'PassThroughFilter', 'OneEuroFilter',
    'KalmanLandmarkFilter', 'AffineKalmanLandmarkFilter', 'LANDMARK_FILTERS',
    'build_landmark_filter', 'laplace_variance'
]


@dataclass
class FilteredLandmarks:
    """One frame's filter output.

    Attributes:
        points (np.ndarray): Filtered landmarks (K, 2), image pixels.
        variances (np.ndarray): Variance of each filtered coordinate (K, 2), pixels^2 (NaN
            where unknown: no scales given to a filter that has no variance model).
    """

    points: np.ndarray
    variances: np.ndarray


def laplace_variance(scales: Optional[np.ndarray], shape: tuple) -> np.ndarray:
    """Variance ``2 b^2`` of Laplace scales ``b`` (K, 2); NaN of ``shape`` without scales."""
    if scales is None:
        return np.full(shape, np.nan)
    return 2.0 * np.square(np.asarray(scales, np.float64))


def _check_measurement(name: str, points: np.ndarray, scales: Optional[np.ndarray],
                       num_points: Optional[int], dt: float = 1.0) -> tuple:
    if not dt > 0:
        raise ValueError(f'{name}.update: dt must be > 0, got {dt}')
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f'{name}.update: points must be (K, 2), got shape {points.shape}')
    if num_points is not None and len(points) != num_points:
        raise ValueError(f'{name}.update: the track has {num_points} landmarks, this frame '
                         f'{len(points)} (call reset() to start a new track)')
    if scales is not None:
        scales = np.asarray(scales, np.float64)
        if scales.shape != points.shape:
            raise ValueError(f'{name}.update: scales must have the shape of points '
                             f'{points.shape}, got {scales.shape}')
        if (scales[np.isfinite(scales)] < 0).any():
            raise ValueError(f'{name}.update: scales must be >= 0')
    return points, scales


class LandmarkFilter:
    """Interface: filter one face's landmarks frame by frame.

    ``update`` is called once per frame with the measurement; ``reset`` starts a new track
    (a new face or a lost one). The first ``update`` after a reset returns the measurement.
    """

    def reset(self) -> None:
        """Forget the track."""
        raise NotImplementedError

    def update(self, points: np.ndarray, scales: Optional[np.ndarray] = None,
               dt: float = 1.0) -> FilteredLandmarks:
        """Filter one frame.

        Args:
            points (np.ndarray): Measured landmarks (K, 2), image pixels; NaN rows are
                missing measurements.
            scales (np.ndarray, optional): Their per-axis Laplace scales b (K, 2), pixels.
            dt (float): Frames since the previous update. Defaults to 1.

        Returns:
            FilteredLandmarks: Filtered landmarks (K, 2) and variances (K, 2).
        """
        raise NotImplementedError


class PassThroughFilter(LandmarkFilter):
    """No smoothing: the measurement, with the Laplace variance ``2 b^2``.

    Example:
        >>> out = PassThroughFilter().update(np.zeros((68, 2)), np.ones((68, 2)))
        >>> float(out.variances[0, 0])
        2.0
    """

    def reset(self) -> None:
        pass

    def update(self, points: np.ndarray, scales: Optional[np.ndarray] = None,
               dt: float = 1.0) -> FilteredLandmarks:
        points, scales = _check_measurement(type(self).__name__, points, scales, None, dt)
        return FilteredLandmarks(points.copy(), laplace_variance(scales, points.shape))


class OneEuroFilter(LandmarkFilter):
    """The one-euro filter (Casiez, Roussel and Vogel, CHI 2012), per coordinate.

    ``x_hat_t = x_hat_{t-1} + a(f_c) (x_t - x_hat_{t-1})`` with ``a(f) = 1 / (1 + tau / T)``,
    ``tau = 1 / (2 pi f)``, ``T = dt / fps`` and the cut-off ``f_c = min_cutoff + beta *
    |dx_hat/dt|`` from the speed, itself smoothed at ``d_cutoff``. Fixed knobs for every
    landmark: a low ``min_cutoff`` removes jitter, a high ``beta`` removes lag.

    The reported variance is the stationary variance of an exponential smoother of factor
    ``a`` on measurements of variance ``R = 2 b^2``: ``a / (2 - a) R`` (NaN without scales).

    Args:
        min_cutoff (float): Minimum cut-off frequency, Hz. Defaults to 1.0.
        beta (float): Speed coefficient, 1 / px. Defaults to 0.05.
        d_cutoff (float): Cut-off for the speed, Hz. Defaults to 1.0.
        fps (float): Frames per second (``dt = 1`` frame is ``1 / fps`` s). Defaults to 30.

    Example:
        >>> f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
        >>> _ = f.update(np.zeros((1, 2)))
        >>> bool(f.update(np.ones((1, 2))).points[0, 0] < 1)  # smoothed towards 0
        True
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0,
                 fps: float = 30.0):
        for key, value in (('min_cutoff', min_cutoff), ('d_cutoff', d_cutoff), ('fps', fps)):
            if not value > 0:
                raise ValueError(f'OneEuroFilter: {key} must be > 0, got {value}')
        if beta < 0:
            raise ValueError(f'OneEuroFilter: beta must be >= 0, got {beta}')
        self.min_cutoff, self.beta, self.d_cutoff, self.fps = min_cutoff, beta, d_cutoff, fps
        self.reset()

    def reset(self) -> None:
        self._x: Optional[np.ndarray] = None
        self._dx: Optional[np.ndarray] = None

    @staticmethod
    def _alpha(cutoff: np.ndarray, period: float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / period)

    def update(self, points: np.ndarray, scales: Optional[np.ndarray] = None,
               dt: float = 1.0) -> FilteredLandmarks:
        points, scales = _check_measurement(type(self).__name__, points, scales,
                                            None if self._x is None else len(self._x), dt)
        variance = laplace_variance(scales, points.shape)
        if self._x is None:
            self._x = points.copy()
            self._dx = np.zeros_like(points)
            return FilteredLandmarks(points.copy(), variance)
        period = dt / self.fps
        seen = np.isfinite(points)
        z = np.where(seen, points, self._x)  # a missing coordinate holds its value
        speed = (z - self._x) / period
        self._dx = self._dx + self._alpha(np.full_like(z, self.d_cutoff), period) * (
            speed - self._dx)
        a = self._alpha(self.min_cutoff + self.beta * np.abs(self._dx), period)
        a = np.where(seen, a, 0.0)
        self._x = self._x + a * (z - self._x)
        return FilteredLandmarks(self._x.copy(), a / (2 - a) * variance)


class KalmanLandmarkFilter(LandmarkFilter):
    """Constant-velocity Kalman filter per coordinate, measurement noise from the model.

    The measurement variance of each coordinate is its Laplace variance in image pixels,
    ``R = 2 (scale_gain * b)^2 + min_std^2``, so every landmark in every frame is weighted by
    the model's own uncertainty (see the module docstring for the model). Without scales the
    filter uses ``R = default_std^2``.

    Args:
        process_noise (float): Spectral density ``q`` of the white-noise acceleration,
            px^2 / frame^3: higher follows motion faster and smooths less. Defaults to 0.05.
        scale_gain (float): Calibration factor on the predicted scales (1: trust the model's
            ``b`` as it is). Defaults to 1.0.
        min_std (float): Measurement standard deviation floor, px. Defaults to 0.1.
        default_std (float): Measurement standard deviation without scales, px.
            Defaults to 2.0.
        init_velocity_std (float): Prior standard deviation of the velocity at a track's
            start, px / frame. Defaults to 5.0.
        velocity_decay (float): Factor ``rho`` in ``v_t = rho v_{t-1} + w`` (1: constant
            velocity; below 1 the velocity fades, a damped motion model). Defaults to 1.0.
        speed_gain (float): Speed-adaptive process noise, ``q_t = q (1 + speed_gain |v|^2)``
            with ``|v|`` the landmark's filtered speed (px / frame) of the previous frame:
            a landmark at rest is smoothed hard (weighted by its measurement noise), a moving
            one is followed (the adaptation of the one-euro filter, inside a filter that also
            knows each measurement's noise). 0 keeps ``q`` constant. Defaults to 0.0.

    Example:
        >>> f = KalmanLandmarkFilter(process_noise=0.001)
        >>> rng = np.random.default_rng(0)
        >>> for _ in range(100):
        ...     out = f.update(rng.normal(0, 1, (68, 2)), np.full((68, 2), 2 ** -0.5))
        >>> bool(out.variances.max() < 0.25)  # R = 1: the filtered variance fell 4x
        True
    """

    def __init__(self, process_noise: float = 0.05, scale_gain: float = 1.0,
                 min_std: float = 0.1, default_std: float = 2.0,
                 init_velocity_std: float = 5.0, velocity_decay: float = 1.0,
                 speed_gain: float = 0.0):
        for key, value in (('process_noise', process_noise), ('scale_gain', scale_gain),
                           ('default_std', default_std)):
            if not value > 0:
                raise ValueError(f'KalmanLandmarkFilter: {key} must be > 0, got {value}')
        for key, value in (('min_std', min_std), ('init_velocity_std', init_velocity_std),
                           ('speed_gain', speed_gain)):
            if value < 0:
                raise ValueError(f'KalmanLandmarkFilter: {key} must be >= 0, got {value}')
        if not 0 <= velocity_decay <= 1:
            raise ValueError('KalmanLandmarkFilter: velocity_decay must be in [0, 1], got '
                             f'{velocity_decay}')
        self.velocity_decay, self.speed_gain = velocity_decay, speed_gain
        self.q, self.scale_gain, self.min_std = process_noise, scale_gain, min_std
        self.default_std, self.init_velocity_std = default_std, init_velocity_std
        self.reset()

    def reset(self) -> None:
        self._x: Optional[np.ndarray] = None  # position (K, 2)
        self._v: Optional[np.ndarray] = None  # velocity (K, 2)
        self._p: Optional[np.ndarray] = None  # covariance (K, 2, 3): Pxx, Pxv, Pvv

    def _carry(self, points: np.ndarray, r: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Where the previous estimates are carried before the velocity step (here: stay)."""
        return self._x

    def process_noise_now(self) -> Union[float, np.ndarray]:
        """``q`` of this step: constant, or (K, 1) from the filtered speeds (``speed_gain``)."""
        if not self.speed_gain:
            return self.q
        speed2 = np.square(self._v).sum(-1, keepdims=True)
        return self.q * (1.0 + self.speed_gain * speed2)

    def measurement_variance(self, points: np.ndarray,
                             scales: Optional[np.ndarray]) -> np.ndarray:
        """``R`` (K, 2) of a frame: ``2 (scale_gain b)^2 + min_std^2`` (pixels^2)."""
        if scales is None:
            return np.full(points.shape, self.default_std ** 2)
        r = 2.0 * np.square(self.scale_gain * scales) + self.min_std ** 2
        return np.where(np.isfinite(r), r, np.inf)

    def update(self, points: np.ndarray, scales: Optional[np.ndarray] = None,
               dt: float = 1.0) -> FilteredLandmarks:
        points, scales = _check_measurement(type(self).__name__, points, scales,
                                            None if self._x is None else len(self._x), dt)
        r = self.measurement_variance(points, scales)
        seen = np.isfinite(points) & np.isfinite(r)
        if self._x is None:
            if not seen.all():
                raise ValueError('KalmanLandmarkFilter.update: the first frame of a track '
                                 'needs every landmark measured (finite points and scales)')
            self._x, self._v = points.copy(), np.zeros_like(points)
            self._p = np.stack([r, np.zeros_like(r),
                                np.full_like(r, self.init_velocity_std ** 2)], axis=-1)
            return FilteredLandmarks(self._x.copy(), r.copy())
        # predict
        pxx, pxv, pvv = np.moveaxis(self._p, -1, 0)
        x = self._carry(points, r, seen) + dt * self._v
        decay = self.velocity_decay ** dt
        q = self.process_noise_now()
        pxx = pxx + 2 * dt * pxv + dt * dt * pvv + q * dt ** 3 / 3
        pxv = decay * (pxv + dt * pvv) + q * dt ** 2 / 2
        pvv = decay * decay * pvv + q * dt
        # update where measured
        z = np.where(seen, points, x)
        s = pxx + np.where(seen, r, 0.0)
        kx = np.where(seen, pxx / np.where(seen, s, 1.0), 0.0)
        kv = np.where(seen, pxv / np.where(seen, s, 1.0), 0.0)
        innovation = z - x
        self._x = x + kx * innovation
        self._v = decay * self._v + kv * innovation
        self._p = np.stack([(1 - kx) * pxx, (1 - kx) * pxv, pvv - kv * pxv], axis=-1)
        return FilteredLandmarks(self._x.copy(), self._p[..., 0].copy())


class AffineKalmanLandmarkFilter(KalmanLandmarkFilter):
    """Kalman filter with a face motion model: the face moves as one, each landmark a little.

    The landmarks of a face share most of their motion. Each frame, the affine map ``A_t``
    from the previous estimates to the new measurements is fitted by least squares weighted
    by the measurements' inverse variances ``1 / R`` (confident landmarks decide, occluded or
    blurred ones barely count), and shrunk towards no motion by the Wiener factor
    ``m / (m + motion_shrink * n)`` (``m``: the fitted motion's mean square, ``n``: what the
    measurement noise alone would fit), so a still face holds still. Every landmark is
    carried by ``A_t``; its own residual motion (expression, the non-affine part of a head
    turn) is the constant-velocity model of :class:`KalmanLandmarkFilter`, as is the update
    with ``R = 2 (gain b)^2 + floor^2`` per coordinate. The shared motion comes from the
    current frame, so it does not lag; a landmark with a large predicted scale follows the
    face instead of its own measurement.

    Args:
        process_noise (float): Spectral density ``q`` of the residual's white-noise
            acceleration, px^2 / frame^3. Defaults to 0.3.
        scale_gain (float): Calibration factor on the predicted scales. Defaults to 4.0.
        min_std (float): Measurement standard deviation floor, px. Defaults to 0.1.
        default_std (float): Measurement standard deviation without scales, px.
            Defaults to 2.0.
        init_velocity_std (float): Prior standard deviation of the residual velocity,
            px / frame. Defaults to 1.0.
        velocity_decay (float): Fading of the residual velocity per frame (see
            :class:`KalmanLandmarkFilter`). Defaults to 0.5.
        motion_shrink (float): Weight of the noise in the motion's shrinkage (0: the fitted
            motion as it is). Defaults to 0.3.

    The defaults are the setting of lowest mean RMSE on the tuning sequences of
    ``tools/benchmark_video.py`` (seed 1; reported on seed 0, docs/results.md section 6).

    Example:
        >>> f = AffineKalmanLandmarkFilter(motion_shrink=0.0)
        >>> face = np.random.default_rng(0).uniform(0, 100, (68, 2))
        >>> _ = f.update(face, np.ones((68, 2)))
        >>> moved = f.update(face + [5.0, 0.0], np.ones((68, 2))).points  # the face moved
        >>> bool(np.allclose(moved, face + [5.0, 0.0], atol=1e-6))  # followed, no lag
        True
    """

    def __init__(self, process_noise: float = 0.3, scale_gain: float = 4.0,
                 min_std: float = 0.1, default_std: float = 2.0,
                 init_velocity_std: float = 1.0, velocity_decay: float = 0.5,
                 motion_shrink: float = 0.3):
        super().__init__(process_noise=process_noise, scale_gain=scale_gain, min_std=min_std,
                         default_std=default_std, init_velocity_std=init_velocity_std,
                         velocity_decay=velocity_decay)
        if motion_shrink < 0:
            raise ValueError(f'AffineKalmanLandmarkFilter: motion_shrink must be >= 0, got '
                             f'{motion_shrink}')
        self.motion_shrink = motion_shrink

    @staticmethod
    def fit_affine(src: np.ndarray, dst: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted least-squares affine (2, 3) mapping ``src`` (N, 2) to ``dst`` (N, 2)."""
        if len(src) < 3:  # too few points for an affine map: a translation
            shift = np.sum(weights[:, None] * (dst - src), 0) / max(weights.sum(), 1e-12)
            return np.concatenate([np.eye(2), shift[:, None]], axis=1)
        design = np.concatenate([src, np.ones((len(src), 1))], axis=1)  # (N, 3)
        sw = np.sqrt(weights)[:, None]
        solution, *_ = np.linalg.lstsq(design * sw, dst * sw, rcond=None)
        return solution.T

    def _carry(self, points: np.ndarray, r: np.ndarray, seen: np.ndarray) -> np.ndarray:
        used = seen.all(axis=1)
        if not used.any():
            return self._x
        weights = 1.0 / r[used].sum(axis=1)
        affine = self.fit_affine(self._x[used], points[used], weights)
        moved = self._x @ affine[:, :2].T + affine[:, 2]
        if self.motion_shrink == 0 or used.sum() < 3:
            return moved
        design = np.concatenate([self._x[used], np.ones((int(used.sum()), 1))], axis=1)
        cov = np.linalg.pinv(design.T @ (design * weights[:, None]))  # per axis, (3, 3)
        full = np.concatenate([self._x, np.ones((len(self._x), 1))], axis=1)
        noise = 2 * np.einsum('ki,ij,kj->k', full, cov, full).mean()
        motion = np.sum((moved - self._x) ** 2, axis=1).mean()
        factor = motion / (motion + self.motion_shrink * noise + 1e-12)
        return self._x + factor * (moved - self._x)


LANDMARK_FILTERS: Dict[str, Type[LandmarkFilter]] = {
    'none': PassThroughFilter,
    'one-euro': OneEuroFilter,
    'kalman': KalmanLandmarkFilter,
    'kalman-affine': AffineKalmanLandmarkFilter,
}

FilterSpec = Union[None, str, dict, LandmarkFilter]


def build_landmark_filter(spec: FilterSpec = 'kalman', **kwargs) -> LandmarkFilter:
    """A fresh filter from a name (``'none'``, ``'one-euro'``, ``'kalman'``) or a dict.

    Args:
        spec: A name of :data:`LANDMARK_FILTERS`, a dict ``dict(type=name, **kwargs)``, a
            :class:`LandmarkFilter` (returned as it is) or None (``'none'``).
        **kwargs: Constructor arguments (with a name).

    Returns:
        LandmarkFilter: The filter.

    Example:
        >>> type(build_landmark_filter(dict(type='one-euro', beta=0.1))).__name__
        'OneEuroFilter'
    """
    if isinstance(spec, LandmarkFilter):
        return spec
    if spec is None:
        spec = 'none'
    if isinstance(spec, dict):
        spec = dict(spec)
        kwargs = {**spec, **kwargs}
        spec = kwargs.pop('type', None)
    if not isinstance(spec, str) or spec not in LANDMARK_FILTERS:
        raise ValueError(f'unknown landmark filter {spec!r}: choose one of '
                         f'{", ".join(LANDMARK_FILTERS)}')
    try:
        return LANDMARK_FILTERS[spec](**kwargs)
    except TypeError as err:
        raise TypeError(f'landmark filter {spec!r}: {err}') from None
