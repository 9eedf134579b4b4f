"""The three pictures as RGB arrays: (a) heatmaps, (b) uncertainty, (c) two models side by side.

Each takes "crops": mappings with the keys returned by :func:`mmlaplace.apis.predict_crops` and
:func:`mmlaplace.visualization.sample_to_crop` -- ``image`` (H, W, 3) uint8 RGB, ``heatmaps``
(K, h, w), ``pred`` (K, 2), ``scales`` (K, 2) or None, ``gt`` (K, 2) or None, all in the input
crop's pixels. Faces go in columns; rows are kinds of panel (and models, for the comparison).

Example:
    >>> from mmlaplace.apis import predict_crops
    >>> crops = predict_crops(model, dataset, range(8))  # doctest: +SKIP
    >>> rgb = draw_heatmaps(crops, title='LaplaceKL')        # doctest: +SKIP

    A hand-made crop (K = 68 uniform heatmaps, no scales, no ground truth):

    >>> crop = dict(image=np.zeros((80, 80, 3), np.uint8), heatmaps=np.full((68, 20, 20), 1 / 400),
    ...             pred=np.full((68, 2), 40.0), scales=None, gt=None)
    >>> rgb = draw_heatmaps([crop], title='LaplaceKL')
    >>> rgb.ndim, rgb.shape[2], rgb.dtype
    (3, 3, dtype('uint8'))
"""
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .face_figures import heatmap_overlay, heatmap_peak, landmarks_with_uncertainty
from .figure_canvas import figure_to_rgb, new_figure

Crop = Mapping[str, Any]
ROW_KINDS = ('heatmaps', 'uncertainty')
LEGEND = 'green x: ground truth, red: prediction, ellipse half-axes: Laplace scales (b_x, b_y)'


def crop_errors(crop: Crop) -> Tuple[Optional[float], Optional[float]]:
    """Mean landmark error and mean predicted scale of one face, in crop pixels.

    Args:
        crop (Mapping): A crop with ``pred`` (K, 2), ``gt`` (K, 2) or None and ``scales``
            (K, 2) or None.

    Returns:
        tuple: ``(error, scale)``: the mean Euclidean distance between ``pred`` and ``gt``
        (None without ground truth) and the mean of ``scales`` (None without scales).
    """
    pred = np.asarray(crop['pred'], np.float64).reshape(-1, 2)
    gt, scales = crop.get('gt'), crop.get('scales')
    error = None if gt is None else float(
        np.linalg.norm(pred - np.asarray(gt, np.float64).reshape(-1, 2), axis=1).mean())
    scale = None if scales is None else float(np.asarray(scales, np.float64).mean())
    return error, scale


def draw_rows(rows: Sequence[Tuple[str, Sequence[Crop], str]], title: str = '',
              scale_factor: float = 1.0, panel_size: float = 1.7, dpi: int = 100,
              note: str = '') -> np.ndarray:
    """Draw rows of face panels into one RGB image.

    Args:
        rows (Sequence[tuple]): ``(kind, crops, label)`` per row: ``kind`` is ``'heatmaps'``
            (all K heatmaps over the face, one colour bar per row shared by its panels) or
            ``'uncertainty'`` (predictions over the ground truth with scale ellipses); the
            colour scale of a heatmap row tops at :func:`heatmap_peak` of its faces;
            ``crops`` the N faces (the same N in every row); ``label`` the row's name.
        title (str): Figure title.
        scale_factor (float): Multiplier of the ellipses' half-axes.
        panel_size (float): Size of one face panel in inches.
        dpi (int): Pixels per inch.
        note (str): A line under the title (e.g. the legend).

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    if not rows:
        raise ValueError('draw_rows: no rows to draw')
    n = len(rows[0][1])
    for kind, crops, label in rows:
        if kind not in ROW_KINDS:
            raise ValueError(f'draw_rows: row kind must be one of {ROW_KINDS}, got {kind!r}')
        if len(crops) != n or n == 0:
            raise ValueError(f'draw_rows: every row needs the same non-zero number of faces, '
                             f'got {n} and {len(crops)} (row {label!r})')
    header = 0.35 * bool(title) + 0.2 * bool(note)
    fig = new_figure(panel_size * n + 0.9, (panel_size + 0.25) * len(rows) + header,
                     constrained=True)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (kind, crops, label) in enumerate(rows):
        if kind == 'heatmaps':
            vmax = heatmap_peak([np.asarray(c['heatmaps']) for c in crops])
            for i, crop in enumerate(crops):
                im = heatmap_overlay(axes[r, i], crop['image'], crop['heatmaps'],
                                     colorbar=False, vmax=vmax)
                _, scale = crop_errors(crop)
                if scale is not None:
                    axes[r, i].set_title(f'mean b {scale:.2f} px', fontsize=7, pad=2)
            cb = fig.colorbar(im, ax=list(axes[r, :]), fraction=0.05 / n, pad=0.01,
                              aspect=15, extend='max')
            cb.set_label('p(x), max over K', fontsize=7)
            cb.ax.tick_params(labelsize=6)
        else:
            for i, crop in enumerate(crops):
                landmarks_with_uncertainty(axes[r, i], crop['image'], crop['pred'],
                                           crop.get('scales'), crop.get('gt'),
                                           scale_factor=scale_factor)
                error, scale = crop_errors(crop)
                parts = ([] if error is None else [f'err {error:.2f}']) + \
                    ([] if scale is None else [f'b {scale:.2f}'])
                if parts:
                    axes[r, i].set_title(' / '.join(parts) + ' px', fontsize=7, pad=2)
        axes[r, 0].set_ylabel(label, fontsize=8)
    if title or note:
        fig.suptitle('\n'.join(t for t in (title, note) if t), fontsize=8)
    return figure_to_rgb(fig, dpi=dpi)


def draw_heatmaps(crops: Sequence[Crop], title: str = '', label: str = 'heatmaps (all K)',
                  dpi: int = 100) -> np.ndarray:
    """(a) All K heatmaps superimposed on each face, with a colour bar (paper Fig. 1 / 3).

    Args:
        crops (Sequence[Mapping]): N faces (see the module docstring).
        title (str): Figure title.
        label (str): Row label.
        dpi (int): Pixels per inch.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    return draw_rows([('heatmaps', crops, label)], title=title, dpi=dpi)


def draw_uncertainty(crops: Sequence[Crop], title: str = '', label: str = 'predictions',
                     scale_factor: float = 1.0, dpi: int = 100,
                     legend: bool = True) -> np.ndarray:
    """(b) Predictions over the ground truth with per-landmark uncertainty ellipses (Fig. 5).

    Args:
        crops (Sequence[Mapping]): N faces (see the module docstring).
        title (str): Figure title.
        label (str): Row label.
        scale_factor (float): Multiplier of the ellipses' half-axes (1: one Laplace scale).
        dpi (int): Pixels per inch.
        legend (bool): Add a line explaining the marks under the title.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    return draw_rows([('uncertainty', crops, label)], title=title, scale_factor=scale_factor,
                     dpi=dpi, note=LEGEND if legend else '')


def draw_comparison(crops_per_model: Sequence[Sequence[Crop]], names: Sequence[str],
                    title: str = '', scale_factor: float = 1.0, dpi: int = 100) -> np.ndarray:
    """(c) Several models on the same faces: heatmaps and uncertainty rows per model.

    Args:
        crops_per_model (Sequence[Sequence[Mapping]]): For each model, its N faces (the same
            faces, in the same order, for every model).
        names (Sequence[str]): One name per model (row labels).
        title (str): Figure title.
        scale_factor (float): Multiplier of the ellipses' half-axes.
        dpi (int): Pixels per inch.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    if len(crops_per_model) != len(names) or not names:
        raise ValueError(f'draw_comparison: {len(crops_per_model)} models but {len(names)} '
                         'names')
    rows: List[Tuple[str, Sequence[Crop], str]] = []
    for crops, name in zip(crops_per_model, names):
        rows += [('heatmaps', crops, f'{name}\nheatmaps'),
                 ('uncertainty', crops, f'{name}\npredictions')]
    return draw_rows(rows, title=title, scale_factor=scale_factor, dpi=dpi, note=LEGEND)
