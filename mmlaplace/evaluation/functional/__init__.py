from .face_alignment import (
    ced_auc,
    ced_curve,
    check_thresholds,
    failure_rate,
    normalized_errors,
    per_sample_nme,
    pooled_nme,
    scale_error_spearman,
    threshold_name,
)
from .temporal_stability import track_jitter, track_lag, track_rmse

__all__ = [
    'ced_auc', 'ced_curve', 'check_thresholds', 'failure_rate', 'normalized_errors',
    'per_sample_nme', 'pooled_nme', 'scale_error_spearman', 'threshold_name',
    'track_jitter', 'track_lag', 'track_rmse'
]
