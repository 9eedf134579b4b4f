"""Temporal measures of landmark tracks against exact truth: jitter, RMSE and lag.

All take tracks of shape (T, K, 2) (frames, landmarks, x / y) in pixels; NaN frames (a
face not tracked there) are left out.
"""
from typing import Optional

import numpy as np

__all__ = ['track_jitter', 'track_rmse', 'track_lag']


def _check(name: str, *tracks: np.ndarray) -> tuple:
    out = []
    for track in tracks:
        track = np.asarray(track, np.float64)
        if track.ndim != 3 or track.shape[2] != 2:
            raise ValueError(f'{name}: tracks must be (T, K, 2), got shape {track.shape}')
        out.append(track)
    if any(t.shape != out[0].shape for t in out):
        raise ValueError(f'{name}: tracks of different shapes {[t.shape for t in out]}')
    return tuple(out)


def track_jitter(points: np.ndarray, truth: Optional[np.ndarray] = None) -> float:
    """RMS frame-to-frame motion of the landmarks, px.

    ``sqrt(mean_t,k ||(p_t - p_{t-1}) - (g_t - g_{t-1})||^2)``: on a still face (truth
    ``g`` constant or None) all motion is jitter; with a moving truth its motion is removed.

    Args:
        points (np.ndarray): Estimates (T, K, 2), T >= 2.
        truth (np.ndarray, optional): Exact landmarks (T, K, 2). None: a still face.

    Returns:
        float: Jitter in pixels.

    Example:
        >>> track_jitter(np.array([[[0., 0.]], [[3., 4.]], [[3., 4.]]]))
        3.5355...
    """
    (points,) = _check('track_jitter', points)
    step = np.diff(points, axis=0)
    if truth is not None:
        step = step - np.diff(_check('track_jitter', points, truth)[1], axis=0)
    norms = np.linalg.norm(step, axis=-1)
    norms = norms[np.isfinite(norms)]
    if norms.size == 0:
        raise ValueError('track_jitter: needs two consecutive tracked frames')
    return float(np.sqrt(np.mean(norms ** 2)))


def track_rmse(points: np.ndarray, truth: np.ndarray,
               mask: Optional[np.ndarray] = None) -> float:
    """Root mean squared point-to-point error ``sqrt(mean ||p - g||^2)``, px.

    Args:
        points (np.ndarray): Estimates (T, K, 2).
        truth (np.ndarray): Exact landmarks (T, K, 2).
        mask (np.ndarray, optional): (T, K) bool: which landmarks of which frames count
            (e.g. the occluded ones).

    Returns:
        float: RMSE in pixels (NaN when the mask selects nothing).
    """
    points, truth = _check('track_rmse', points, truth)
    err = np.sum((points - truth) ** 2, axis=-1)
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != err.shape:
            raise ValueError(f'track_rmse: mask must be (T, K) {err.shape}, got {mask.shape}')
        err = err[mask]
    err = err[np.isfinite(err)]
    return float(np.sqrt(err.mean())) if err.size else float('nan')


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    return float(np.sum(a * b) / max(np.sqrt(np.sum(a * a) * np.sum(b * b)), 1e-12))


def track_lag(points: np.ndarray, truth: np.ndarray, max_lag: int = 15) -> float:
    """Delay of the estimates behind the truth, frames, by cross-correlation of the motion.

    The frame-to-frame motions of estimate and truth are cross-correlated (Pearson, over
    landmarks, axes and the frames after the first ``max_lag``) at shifts ``0..max_lag``;
    the peak is refined to a fraction of a frame by a parabola through its neighbours.
    0: no lag.

    Args:
        points (np.ndarray): Estimates (T, K, 2).
        truth (np.ndarray): Exact landmarks (T, K, 2) of a moving face.
        max_lag (int): Largest shift tried. Defaults to 15.

    Returns:
        float: Lag in frames.

    Example:
        >>> t = np.arange(100.0)
        >>> truth = np.sin(t / 8)[:, None, None] * np.ones((1, 1, 2))
        >>> late = np.concatenate([truth[:1].repeat(3, axis=0), truth[:-3]])
        >>> round(track_lag(late, truth), 1)
        3.0
    """
    points, truth = _check('track_lag', points, truth)
    dp = np.nan_to_num(np.diff(points, axis=0))
    dg = np.nan_to_num(np.diff(truth, axis=0))
    if len(dg) <= max_lag + 2:
        raise ValueError(f'track_lag: needs more than {max_lag + 3} frames, got {len(points)}')
    n = len(dg)  # the same estimate frames against the truth shifted by d
    corr = np.array([_pearson(dp[max_lag:], dg[max_lag - d:n - d]) for d in range(max_lag + 1)])
    best = int(np.argmax(corr))
    if 0 < best < max_lag:
        a, b, c = corr[best - 1:best + 2]
        denom = a - 2 * b + c
        if denom < 0:
            return float(best + 0.5 * (a - c) / denom)
    return float(best)
