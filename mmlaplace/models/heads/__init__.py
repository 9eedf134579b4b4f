from .global_heatmap_correction import GlobalHeatmapCorrectionUnit, ghcu_correct
from .pip_head import PIPHead
from .soft_argmax_head import SoftArgmaxHead

__all__ = ['GlobalHeatmapCorrectionUnit', 'PIPHead', 'SoftArgmaxHead', 'ghcu_correct']
