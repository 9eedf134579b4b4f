from .ced_plot import save_ced_plot
from .functional import (
    ced_auc,
    ced_curve,
    failure_rate,
    normalized_errors,
    per_sample_nme,
    pooled_nme,
    scale_error_spearman,
)
from .metrics import FaceAlignmentMetric, HeatmapSpread, heatmap_spread

__all__ = [
    'FaceAlignmentMetric', 'HeatmapSpread', 'heatmap_spread', 'save_ced_plot', 'ced_auc',
    'ced_curve', 'failure_rate', 'normalized_errors', 'per_sample_nme', 'pooled_nme',
    'scale_error_spearman'
]
