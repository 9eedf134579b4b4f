"""Pictures of the paper: heatmaps over faces, landmarks with uncertainty, model comparisons."""
from .crop_samples import MISSING_HEATMAPS, sample_to_crop
from .face_figures import (
    heatmap_overlay,
    heatmap_peak,
    landmarks_with_uncertainty,
    save_face_grid,
)
from .figure_canvas import figure_to_rgb, new_figure, save_figure, save_rgb
from .landmark_figures import (
    crop_errors,
    draw_comparison,
    draw_heatmaps,
    draw_rows,
    draw_uncertainty,
)
from .nme_curves import plot_nme_curves

__all__ = [
    'heatmap_overlay', 'heatmap_peak', 'landmarks_with_uncertainty', 'save_face_grid',
    'sample_to_crop',
    'MISSING_HEATMAPS', 'figure_to_rgb', 'new_figure', 'save_figure', 'save_rgb',
    'crop_errors', 'draw_rows', 'draw_heatmaps', 'draw_uncertainty', 'draw_comparison',
    'plot_nme_curves'
]
