from .face_alignment_metric import FaceAlignmentMetric
from .heatmap_spread import HeatmapSpread, heatmap_spread

__all__ = ['FaceAlignmentMetric', 'HeatmapSpread', 'heatmap_spread']
