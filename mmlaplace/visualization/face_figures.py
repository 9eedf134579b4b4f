"""Figures of the paper: heatmaps over faces (Fig. 1/3) and landmarks with uncertainty (Fig. 5).

All functions work on numpy arrays in the model's input space (the affine-warped crop), so the
heatmaps, the predictions and the ground truth share one coordinate frame.
"""
from typing import Optional, Sequence

import matplotlib

matplotlib.use('Agg')  # headless: figures go to files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402


def heatmap_overlay(ax: plt.Axes, image: np.ndarray, heatmaps: np.ndarray,
                    alpha: float = 0.6, cmap: str = 'jet', colorbar: bool = True) -> None:
    """Draw all K heatmaps superimposed on a face (their per-pixel maximum), with a colour bar.

    Args:
        ax (plt.Axes): Axes to draw on.
        image (np.ndarray): RGB image (H, W, 3), uint8.
        heatmaps (np.ndarray): Normalized heatmaps (K, h, w); resized to the image when the
            sizes differ (nearest neighbour, so each heatmap pixel stays visible).
        alpha (float): Opacity of the heatmap layer.
        cmap (str): Matplotlib colour map.
        colorbar (bool): Add a colour bar of the probability mass per pixel.

    Example:
        >>> fig, ax = plt.subplots()
        >>> heatmap_overlay(ax, np.zeros((80, 80, 3), np.uint8), np.full((68, 80, 80), 1 / 6400))
    """
    if heatmaps.ndim != 3:
        raise ValueError(f'heatmaps must be (K, h, w), got shape {heatmaps.shape}')
    H, W = image.shape[:2]
    combined = heatmaps.max(axis=0)
    ax.imshow(image, extent=(-0.5, W - 0.5, H - 0.5, -0.5))
    im = ax.imshow(np.ma.masked_less(combined, combined.max() * 0.02), cmap=cmap, alpha=alpha,
                   extent=(-0.5, W - 0.5, H - 0.5, -0.5), interpolation='nearest')
    if colorbar:
        cb = plt.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
        cb.set_label('p(x) (max over landmarks)', fontsize=7)
        cb.ax.tick_params(labelsize=6)
    ax.set_xticks([])
    ax.set_yticks([])


def landmarks_with_uncertainty(ax: plt.Axes, image: np.ndarray, pred: np.ndarray,
                               scales: Optional[np.ndarray] = None,
                               gt: Optional[np.ndarray] = None, scale_factor: float = 1.0,
                               color: str = 'red') -> None:
    """Draw predicted landmarks over the ground truth, with each landmark's uncertainty.

    The uncertainty is drawn as an axis-aligned ellipse with half-axes equal to the predicted
    per-axis Laplace scale ``(b_x, b_y)`` (times ``scale_factor``), as in the paper's Fig. 5.

    Args:
        ax (plt.Axes): Axes to draw on.
        image (np.ndarray): RGB image (H, W, 3), uint8.
        pred (np.ndarray): Predicted landmarks (K, 2), in image pixels.
        scales (np.ndarray, optional): Per-axis scales (K, 2), in image pixels.
        gt (np.ndarray, optional): Ground-truth landmarks (K, 2), drawn as green crosses.
        scale_factor (float): Multiplier of the ellipses' half-axes.
        color (str): Colour of predictions and ellipses.

    Example:
        >>> fig, ax = plt.subplots()
        >>> landmarks_with_uncertainty(ax, np.zeros((80, 80, 3), np.uint8),
        ...                            np.full((68, 2), 40.0), np.ones((68, 2)))
    """
    H, W = image.shape[:2]
    ax.imshow(image, extent=(-0.5, W - 0.5, H - 0.5, -0.5))
    if gt is not None:
        ax.scatter(gt[:, 0], gt[:, 1], s=10, c='lime', marker='x', linewidths=0.8,
                   label='ground truth')
    ax.scatter(pred[:, 0], pred[:, 1], s=6, c=color, label='prediction')
    if scales is not None:
        for (x, y), (bx, by) in zip(pred, scales):
            ax.add_patch(Ellipse((x, y), 2 * bx * scale_factor, 2 * by * scale_factor,
                                 fill=False, edgecolor=color, linewidth=0.6, alpha=0.8))
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
    fig, axes = plt.subplots(2, n, figsize=(2.6 * n, 5.4), squeeze=False)
    for i in range(n):
        heatmap_overlay(axes[0, i], images[i], heatmaps[i], colorbar=(i == n - 1))
        landmarks_with_uncertainty(axes[1, i], images[i], preds[i], scales[i],
                                   None if gts is None else gts[i])
    axes[0, 0].set_ylabel('heatmaps (all K)', fontsize=8)
    axes[1, 0].set_ylabel('pred (red, ellipse = b) / gt (green)', fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out_file, dpi=dpi)
    plt.close(fig)
    return out_file
