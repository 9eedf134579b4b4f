"""Figures of the paper: heatmaps over faces (Fig. 1/3) and landmarks with uncertainty (Fig. 5).

All functions work on numpy arrays in the model's input space (the affine-warped crop), so the
heatmaps, the predictions and the ground truth share one coordinate frame. They draw on
matplotlib's object-oriented API (:class:`~matplotlib.figure.Figure` on an Agg canvas), so they
never change the global pyplot backend and work headless.
"""
from typing import Optional, Sequence, Union

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import EllipseCollection
from matplotlib.colors import Normalize

from .figure_canvas import new_figure, save_figure


def heatmap_peak(heatmaps: Union[np.ndarray, Sequence[np.ndarray]],
                 percentile: float = 90.0) -> float:
    """A robust top of the colour scale: a high percentile of the landmarks' peak values.

    The plain maximum is set by the single sharpest landmark and leaves most heatmaps faint;
    the 90th percentile of the K peaks shows every landmark, the sharpest ones saturate.

    Args:
        heatmaps (np.ndarray | Sequence[np.ndarray]): One (K, h, w) stack, or several.
        percentile (float): Which percentile of the peaks (100 = the maximum).

    Returns:
        float: The value.
    """
    stacks = [heatmaps] if isinstance(heatmaps, np.ndarray) else list(heatmaps)
    peaks = np.concatenate([np.asarray(h).reshape(len(h), -1).max(axis=1) for h in stacks])
    return float(np.percentile(peaks, percentile))


def heatmap_overlay(ax: Axes, image: np.ndarray, heatmaps: np.ndarray,
                    alpha: float = 0.8, cmap: str = 'jet', colorbar: bool = True,
                    vmax: Optional[float] = None) -> ScalarMappable:
    """Draw all K heatmaps superimposed on a face (their per-pixel maximum), with a colour bar.

    Args:
        ax (Axes): Axes to draw on.
        image (np.ndarray): RGB image (H, W, 3), uint8.
        heatmaps (np.ndarray): Normalized heatmaps (K, h, w); stretched over the image when the
            sizes differ (nearest neighbour, so each heatmap pixel stays visible).
        alpha (float): Opacity of the heatmap layer where it peaks; a pixel's opacity is
            ``alpha * min(p / vmax, 1)``.
        cmap (str): Matplotlib colour map.
        colorbar (bool): Add a colour bar of the probability mass per pixel.
        vmax (float, optional): Top of the colour scale (higher values get its top colour);
            :func:`heatmap_peak` of these heatmaps when None. Give the same value to several
            panels to share one colour bar.

    Returns:
        ScalarMappable: The heatmap's colour scale (e.g. for a shared colour bar).

    Example:
        >>> fig = new_figure(2, 2)
        >>> mappable = heatmap_overlay(fig.add_subplot(), np.zeros((80, 80, 3), np.uint8),
        ...                            np.full((68, 80, 80), 1 / 6400))
        >>> round(mappable.norm.vmax * 6400, 6)  # heatmap_peak of uniform maps
        1.0
    """
    heatmaps = np.asarray(heatmaps)
    if heatmaps.ndim != 3:
        raise ValueError(f'heatmaps must be (K, h, w), got shape {heatmaps.shape}')
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be RGB (H, W, 3), got shape {image.shape}')
    H, W = image.shape[:2]
    combined = heatmaps.max(axis=0)
    top = max(heatmap_peak(heatmaps) if vmax is None else float(vmax), 1e-12)
    # colour and opacity both grow with p(x): faint tails stay see-through, peaks stand out
    norm = Normalize(vmin=0.0, vmax=top)
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    rgba = mappable.to_rgba(combined)
    rgba[..., 3] = alpha * np.clip(combined / top, 0.0, 1.0)
    ax.imshow(image, extent=(-0.5, W - 0.5, H - 0.5, -0.5))
    ax.imshow(rgba, extent=(-0.5, W - 0.5, H - 0.5, -0.5), interpolation='nearest')
    if colorbar:
        cb = ax.figure.colorbar(mappable, ax=ax, fraction=0.046, pad=0.02, extend='max')
        cb.set_label('p(x) (max over landmarks)', fontsize=7)
        cb.ax.tick_params(labelsize=6)
    ax.set_xticks([])
    ax.set_yticks([])
    return mappable


def landmarks_with_uncertainty(ax: Axes, image: np.ndarray, pred: np.ndarray,
                               scales: Optional[np.ndarray] = None,
                               gt: Optional[np.ndarray] = None, scale_factor: float = 1.0,
                               color: str = 'red') -> None:
    """Draw predicted landmarks over the ground truth, with each landmark's uncertainty.

    The uncertainty is drawn as an axis-aligned ellipse with half-axes equal to the predicted
    per-axis Laplace scale ``(b_x, b_y)`` (times ``scale_factor``), as in the paper's Fig. 5.

    Args:
        ax (Axes): Axes to draw on.
        image (np.ndarray): RGB image (H, W, 3), uint8.
        pred (np.ndarray): Predicted landmarks (K, 2), in image pixels.
        scales (np.ndarray, optional): Per-axis scales (K, 2), in image pixels.
        gt (np.ndarray, optional): Ground-truth landmarks (K, 2), drawn as green crosses.
        scale_factor (float): Multiplier of the ellipses' half-axes.
        color (str): Colour of predictions and ellipses.

    Example:
        >>> fig = new_figure(2, 2)
        >>> landmarks_with_uncertainty(fig.add_subplot(), np.zeros((80, 80, 3), np.uint8),
        ...                            np.full((68, 2), 40.0), np.ones((68, 2)))
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    if scales is not None:
        scales = np.asarray(scales, dtype=np.float64).reshape(-1, 2)
        if len(scales) != len(pred):
            raise ValueError(f'scales must be (K, 2) like pred (K={len(pred)}), got '
                             f'{len(scales)} rows')
    H, W = image.shape[:2]
    ax.imshow(image, extent=(-0.5, W - 0.5, H - 0.5, -0.5))
    if gt is not None:
        gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
        ax.scatter(gt[:, 0], gt[:, 1], s=10, c='lime', marker='x', linewidths=0.8,
                   label='ground truth')
    ax.scatter(pred[:, 0], pred[:, 1], s=6, c=color, label='prediction')
    if scales is not None:
        # one collection for all K ellipses: much faster to draw than K patches
        ax.add_collection(EllipseCollection(
            2 * scale_factor * scales[:, 0], 2 * scale_factor * scales[:, 1],
            np.zeros(len(scales)), units='xy', offsets=pred, offset_transform=ax.transData,
            facecolors='none', edgecolors=color, linewidths=0.6, alpha=0.8))
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])


def save_face_grid(out_file: str, images: Sequence[np.ndarray], heatmaps: Sequence[np.ndarray],
                   preds: Sequence[np.ndarray], scales: Sequence[np.ndarray],
                   gts: Optional[Sequence[np.ndarray]] = None, title: str = '',
                   dpi: int = 120) -> str:
    """Save a two-row figure: heatmaps over faces, then landmarks with uncertainty.

    Args:
        out_file (str): PNG path to write.
        images (Sequence[np.ndarray]): N RGB crops (H, W, 3).
        heatmaps (Sequence[np.ndarray]): N heatmap stacks (K, h, w).
        preds (Sequence[np.ndarray]): N predictions (K, 2) in crop pixels.
        scales (Sequence[np.ndarray]): N per-axis scales (K, 2) in crop pixels.
        gts (Sequence[np.ndarray], optional): N ground truths (K, 2) in crop pixels.
        title (str): Figure title.
        dpi (int): Resolution.

    Returns:
        str: ``out_file``.
    """
    n = len(images)
    if not (len(heatmaps) == len(preds) == len(scales) == n) or n == 0:
        raise ValueError('save_face_grid: images, heatmaps, preds and scales must have the same '
                         f'non-zero length, got {n}, {len(heatmaps)}, {len(preds)}, '
                         f'{len(scales)}')
    fig = new_figure(2.6 * n, 5.4)
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        heatmap_overlay(axes[0, i], images[i], heatmaps[i], colorbar=(i == n - 1))
        landmarks_with_uncertainty(axes[1, i], images[i], preds[i], scales[i],
                                   None if gts is None else gts[i])
    axes[0, 0].set_ylabel('heatmaps (all K)', fontsize=8)
    axes[1, 0].set_ylabel('pred (red, ellipse = b) / gt (green)', fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, out_file, dpi=dpi)
