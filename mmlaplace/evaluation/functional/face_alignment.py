"""Face-alignment error statistics: normalized errors, NME, failure rate, CED and its AUC.

All functions are pure NumPy. Errors are *normalized* distances (pixel error divided by the
sample's normalization distance: inter-ocular distance on 300W, ``sqrt(w * h)`` of the face
box on AFLW), so a threshold of ``0.08`` means 8 % of that distance.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
from scipy.stats import spearmanr

__all__ = [
    'normalized_errors', 'pooled_nme', 'per_sample_nme', 'failure_rate', 'ced_curve',
    'ced_auc', 'scale_error_spearman', 'threshold_name', 'check_thresholds'
]


def normalized_errors(pred: np.ndarray, gt: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Point-to-point errors divided by each sample's normalization distance.

    Args:
        pred (np.ndarray): Predicted landmarks ``(N, K, 2)``.
        gt (np.ndarray): Ground-truth landmarks ``(N, K, 2)``.
        norm (np.ndarray): Normalization distance per sample ``(N,)``, positive and finite.

    Returns:
        np.ndarray: Normalized errors ``(N, K)``, float64.

    Raises:
        ValueError: if the shapes disagree or a normalization distance is not positive and
            finite (its sample index is named).

    Example:
        >>> pred = np.zeros((1, 2, 2)); gt = np.array([[[3., 4.], [0., 0.]]])
        >>> normalized_errors(pred, gt, np.array([10.]))
        array([[0.5, 0. ]])
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    norm = np.asarray(norm, dtype=np.float64).reshape(-1)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError(f'normalized_errors: `pred` {pred.shape} and `gt` {gt.shape} must both '
                         'be (N, K, 2)')
    if norm.shape != (pred.shape[0], ):
        raise ValueError(f'normalized_errors: `norm` must be (N,) = ({pred.shape[0]},), '
                         f'got {norm.shape}')
    bad = np.flatnonzero(~(np.isfinite(norm) & (norm > 0)))
    if bad.size:
        raise ValueError(f'normalized_errors: normalization distance of sample {bad[0]} is '
                         f'{norm[bad[0]]}; it must be positive and finite')
    return np.linalg.norm(pred - gt, axis=-1) / norm[:, None]


def pooled_nme(errors: np.ndarray, mask: Optional[np.ndarray] = None) -> float:
    """Mean normalized error over all visible landmarks of all samples (MMPose's ``NME``).

    Args:
        errors (np.ndarray): Normalized errors ``(N, K)``.
        mask (np.ndarray, optional): Visible landmarks ``(N, K)``; None: all.

    Returns:
        float: The NME, NaN when no landmark is visible.

    Example:
        >>> round(pooled_nme(np.array([[0.1, 0.3], [0.2, 0.0]]), np.array([[1, 1], [1, 0]])), 6)
        0.2
    """
    errors = np.asarray(errors, dtype=np.float64)
    mask = np.ones(errors.shape, bool) if mask is None else np.asarray(mask, bool)
    return float(errors[mask].mean()) if mask.any() else float('nan')


def per_sample_nme(errors: np.ndarray, mask: Optional[np.ndarray] = None) -> np.ndarray:
    """NME of each sample: mean normalized error over its visible landmarks.

    Args:
        errors (np.ndarray): Normalized errors ``(N, K)``.
        mask (np.ndarray, optional): Visible landmarks ``(N, K)``; None: all.

    Returns:
        np.ndarray: ``(N,)``, NaN for a sample without visible landmarks.

    Example:
        >>> per_sample_nme(np.array([[0.1, 0.3], [0.2, 0.0]]), np.array([[1, 1], [1, 0]]))
        array([0.2, 0.2])
    """
    errors = np.asarray(errors, dtype=np.float64)
    mask = np.ones(errors.shape, bool) if mask is None else np.asarray(mask, bool)
    count = mask.sum(axis=1)
    total = np.where(mask, errors, 0.0).sum(axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _finite(nme: np.ndarray) -> np.ndarray:
    nme = np.asarray(nme, dtype=np.float64).reshape(-1)
    return nme[np.isfinite(nme)]


def failure_rate(nme: np.ndarray, threshold: float) -> float:
    """Fraction of samples whose NME is above ``threshold`` (NaN samples are ignored).

    Args:
        nme (np.ndarray): Per-sample NME ``(N,)``.
        threshold (float): Failure threshold, e.g. 0.08.

    Returns:
        float: Failure rate in [0, 1], NaN without samples.

    Example:
        >>> failure_rate(np.array([0.05, 0.09, 0.12, 0.08]), 0.08)
        0.5
    """
    nme = _finite(nme)
    return float((nme > threshold).mean()) if nme.size else float('nan')


def ced_curve(nme: np.ndarray, max_threshold: float,
              num: int = 1001) -> Tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution: fraction of samples with NME <= t for t in [0, max].

    Args:
        nme (np.ndarray): Per-sample NME ``(N,)`` (NaN samples are ignored).
        max_threshold (float): Largest NME on the curve.
        num (int): Number of points. Defaults to 1001.

    Returns:
        tuple[np.ndarray, np.ndarray]: thresholds ``(num,)`` and fractions ``(num,)``.

    Example:
        >>> t, f = ced_curve(np.array([0.02, 0.06]), 0.08, num=5)
        >>> f.tolist()  # at t = 0, 0.02, 0.04, 0.06, 0.08
        [0.0, 0.5, 0.5, 1.0, 1.0]
    """
    nme = np.sort(_finite(nme))
    thresholds = np.linspace(0.0, max_threshold, num)
    if not nme.size:
        return thresholds, np.full(num, np.nan)
    return thresholds, np.searchsorted(nme, thresholds, side='right') / nme.size


def ced_auc(nme: np.ndarray, threshold: float) -> float:
    r"""Area under the CED curve up to ``threshold``, divided by ``threshold``.

    Computed exactly: the CED :math:`F(t)` is a step function, and
    :math:`\frac{1}{T}\int_0^T F(t)\,dt = \frac{1}{N}\sum_i \max(0, 1 - e_i / T)`.
    1 means every sample has zero error, 0 that every sample fails.

    Args:
        nme (np.ndarray): Per-sample NME ``(N,)`` (NaN samples are ignored).
        threshold (float): Upper limit ``T`` of the integral, e.g. 0.08.

    Returns:
        float: The AUC in [0, 1], NaN without samples.

    Example:
        >>> ced_auc(np.array([0.0, 0.04, 0.1]), 0.08)
        0.5
    """
    nme = _finite(nme)
    if not nme.size:
        return float('nan')
    return float(np.clip(1.0 - nme / threshold, 0.0, 1.0).mean())


def scale_error_spearman(scales: np.ndarray, errors: np.ndarray,
                         mask: Optional[np.ndarray] = None) -> float:
    """Spearman rank correlation between predicted landmark scales and actual errors.

    A calibrated uncertainty ranks the landmarks like their errors: the correlation is
    positive, 1 for a perfect ranking, about 0 for an uninformative one. All visible
    landmarks of all samples are pooled.

    Args:
        scales (np.ndarray): Predicted scale per landmark ``(N, K)`` (in the same units as
            ``errors`` across samples, e.g. divided by the normalization distance).
        errors (np.ndarray): Normalized errors ``(N, K)``.
        mask (np.ndarray, optional): Visible landmarks ``(N, K)``; None: all.

    Returns:
        float: Spearman's rho, NaN with fewer than 3 pairs or a constant input.

    Example:
        >>> scale_error_spearman(np.array([[1., 2., 3.]]), np.array([[0.1, 0.5, 0.4]]))
        0.5
    """
    scales = np.asarray(scales, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    if scales.shape != errors.shape:
        raise ValueError(f'scale_error_spearman: `scales` {scales.shape} and `errors` '
                         f'{errors.shape} must have the same shape')
    mask = np.ones(errors.shape, bool) if mask is None else np.asarray(mask, bool)
    mask = mask & np.isfinite(scales) & np.isfinite(errors)
    x, y = scales[mask], errors[mask]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float('nan')
    return float(spearmanr(x, y).statistic)


def threshold_name(threshold: float) -> str:
    """Short name of an NME threshold in percent: 0.08 -> ``'8'``, 0.035 -> ``'3.5'``.

    Example:
        >>> threshold_name(0.10), threshold_name(0.035)
        ('10', '3.5')
    """
    return f'{round(threshold * 100, 6):g}'


def check_thresholds(thresholds: Sequence[float]) -> Tuple[float, ...]:
    """Validate NME thresholds (positive, finite, distinct names) and return them as a tuple."""
    thresholds = tuple(float(t) for t in thresholds)
    if not thresholds or not all(np.isfinite(t) and t > 0 for t in thresholds):
        raise ValueError(f'`thresholds` must be positive finite NMEs such as (0.08, 0.10), '
                         f'got {thresholds}')
    names = [threshold_name(t) for t in thresholds]
    if len(set(names)) != len(names):
        raise ValueError(f'`thresholds` must be distinct, got {thresholds}')
    return thresholds
