"""The figures: shapes, where things are drawn, errors on bad input, PNG writing."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmlaplace.visualization import (
    crop_errors,
    draw_comparison,
    draw_heatmaps,
    draw_rows,
    draw_uncertainty,
    figure_to_rgb,
    heatmap_overlay,
    heatmap_peak,
    landmarks_with_uncertainty,
    new_figure,
    save_face_grid,
    save_rgb,
)

K, S = 5, 16


def _crop(rng, peak=(3, 12), offset=(0.0, 0.0), with_gt=True):
    heatmaps = np.full((K, S, S), 1e-4, np.float32)
    heatmaps[:, peak[0], peak[1]] = 1.0
    heatmaps /= heatmaps.sum(axis=(1, 2), keepdims=True)
    pred = rng.uniform(2, S - 2, (K, 2))
    return dict(image=rng.integers(0, 255, (S, S, 3), dtype=np.uint8), heatmaps=heatmaps,
                pred=pred, scales=np.full((K, 2), 1.5), img_path=f'face_{peak}.png',
                gt=pred + np.asarray(offset) if with_gt else None)


def _full_axes(width=1.6, height=1.6):
    fig = new_figure(width, height)
    return fig, fig.add_axes((0, 0, 1, 1))


def test_heatmap_overlay_colours_the_peak_pixel_only():
    """A one-hot heatmap at (row 3, col 12) of a black 16 x 16 image lights up that cell."""
    image = np.zeros((S, S, 3), np.uint8)
    heatmaps = np.zeros((K, S, S), np.float32)
    heatmaps[:, 3, 12] = 1.0
    fig, ax = _full_axes()
    heatmap_overlay(ax, image, heatmaps, colorbar=False)
    rgb = figure_to_rgb(fig, dpi=80)  # 128 x 128: 8 pixels per heatmap cell
    assert rgb.shape == (128, 128, 3) and rgb.dtype == np.uint8
    cell = rgb[3 * 8 + 2:3 * 8 + 6, 12 * 8 + 2:12 * 8 + 6]
    assert cell.max(axis=-1).min() > 60, 'the peak cell must be coloured'
    assert rgb[12 * 8:, :4 * 8].max() < 10, 'far from the peak the black image stays black'


def test_heatmap_overlay_rejects_bad_shapes():
    fig, ax = _full_axes()
    with pytest.raises(ValueError, match=r'\(K, h, w\)'):
        heatmap_overlay(ax, np.zeros((S, S, 3), np.uint8), np.zeros((S, S)))
    with pytest.raises(ValueError, match='RGB'):
        heatmap_overlay(ax, np.zeros((S, S), np.uint8), np.zeros((K, S, S)))


def test_heatmap_peak_is_a_percentile_of_landmark_peaks():
    heatmaps = np.zeros((10, 4, 4))
    heatmaps[np.arange(10), 0, 0] = np.arange(1, 11)
    assert heatmap_peak(heatmaps, percentile=100) == 10
    assert heatmap_peak([heatmaps[:5], heatmaps[5:]], percentile=0) == 1
    assert 8 < heatmap_peak(heatmaps) < 10


def test_uncertainty_ellipses_have_the_predicted_half_axes():
    """b = (4, 2) at (8, 8), 8 pixels per crop pixel: the ellipse spans x 4..12, y 6..10."""
    fig, ax = _full_axes()
    landmarks_with_uncertainty(ax, np.zeros((S, S, 3), np.uint8), np.array([[8.0, 8.0]]),
                               np.array([[2.0, 1.0]]), scale_factor=2.0)
    rgb = figure_to_rgb(fig, dpi=80).astype(int)
    rows, cols = np.nonzero((rgb[..., 0] > 100) & (rgb[..., 1] < 80))
    to_pixel = lambda v: (v + 0.5) * 8  # noqa: E731
    assert abs(cols.min() - to_pixel(4)) <= 3 and abs(cols.max() - to_pixel(12)) <= 3
    assert abs(rows.min() - to_pixel(6)) <= 3 and abs(rows.max() - to_pixel(10)) <= 3
    with pytest.raises(ValueError, match='scales'):
        landmarks_with_uncertainty(ax, np.zeros((S, S, 3), np.uint8), np.zeros((2, 2)),
                                   np.ones((1, 2)))


def test_larger_scales_draw_more():
    def red_pixels(b):
        fig, ax = _full_axes()
        landmarks_with_uncertainty(ax, np.zeros((S, S, 3), np.uint8), np.array([[8.0, 8.0]]),
                                   np.array([[b, b]]))
        rgb = figure_to_rgb(fig, dpi=80).astype(int)
        return int(((rgb[..., 0] > 120) & (rgb[..., 1] < 80)).sum())
    assert red_pixels(5.0) > 2 * red_pixels(1.0)


def test_crop_errors():
    rng = np.random.default_rng(0)
    error, scale = crop_errors(_crop(rng, offset=(3.0, 4.0)))
    assert error == pytest.approx(5.0) and scale == pytest.approx(1.5)
    assert crop_errors(dict(_crop(rng, with_gt=False), scales=None)) == (None, None)


def test_figures_shapes_and_content():
    rng = np.random.default_rng(0)
    crops = [_crop(rng, peak=(3, 12)), _crop(rng, peak=(12, 3))]
    heat = draw_heatmaps(crops, title='t', dpi=40)
    unc = draw_uncertainty(crops, title='t', dpi=40)
    for rgb in (heat, unc):
        assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8
        assert rgb.shape[1] > rgb.shape[0] > 40 and rgb.std() > 10
    moved = draw_heatmaps([_crop(np.random.default_rng(0), peak=(8, 8)), crops[1]],
                          title='t', dpi=40)
    assert moved.shape == heat.shape and np.abs(moved.astype(int) - heat).sum() > 0
    one = draw_heatmaps(crops[:1], dpi=40)
    assert one.shape[1] < heat.shape[1]  # one face column fewer
    both = draw_comparison([crops, crops[::-1]], ['A', 'B'], title='A vs B', dpi=40)
    assert both.shape[1] == heat.shape[1] and both.shape[0] > 3 * unc.shape[0] * 0.8
    no_gt = draw_uncertainty([dict(c, gt=None, scales=None) for c in crops], title='t', dpi=40)
    assert no_gt.shape == unc.shape


def test_figures_reject_inconsistent_input():
    rng = np.random.default_rng(0)
    crops = [_crop(rng), _crop(rng)]
    with pytest.raises(ValueError, match='same non-zero number of faces'):
        draw_comparison([crops, crops[:1]], ['A', 'B'])
    with pytest.raises(ValueError, match='names'):
        draw_comparison([crops, crops], ['A'])
    with pytest.raises(ValueError, match='row kind'):
        draw_rows([('scatter', crops, 'x')])
    with pytest.raises(ValueError, match='same non-zero'):
        draw_heatmaps([])


def test_save_rgb_full_and_palette(tmp_path: Path):
    rng = np.random.default_rng(0)
    rgb = draw_uncertainty([_crop(rng)], dpi=40)
    full = save_rgb(rgb, str(tmp_path / 'a' / 'full.png'))
    small = save_rgb(rgb, str(tmp_path / 'small.png'), colors=16)
    np.testing.assert_array_equal(np.asarray(Image.open(full).convert('RGB')), rgb)
    assert Image.open(small).mode == 'P' and Image.open(small).size == rgb.shape[1::-1]
    assert Path(small).stat().st_size < Path(full).stat().st_size
    with pytest.raises(ValueError, match='uint8'):
        save_rgb(rgb.astype(np.float32), str(tmp_path / 'x.png'))
    with pytest.raises(ValueError, match='colors'):
        save_rgb(rgb, str(tmp_path / 'x.png'), colors=1000)


def test_save_face_grid_still_writes_the_demo_figure(tmp_path: Path):
    rng = np.random.default_rng(0)
    crops = [_crop(rng), _crop(rng)]
    out = save_face_grid(str(tmp_path / 'grid.png'), [c['image'] for c in crops],
                         [c['heatmaps'] for c in crops], [c['pred'] for c in crops],
                         [c['scales'] for c in crops], [c['gt'] for c in crops], title='t',
                         dpi=30)
    assert Image.open(out).size[0] > 100
    with pytest.raises(ValueError, match='same'):
        save_face_grid(str(tmp_path / 'bad.png'), [], [], [], [])
