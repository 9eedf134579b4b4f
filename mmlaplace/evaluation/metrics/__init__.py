from .heatmap_spread import HeatmapSpread, heatmap_spread

__all__ = ['HeatmapSpread', 'heatmap_spread']
