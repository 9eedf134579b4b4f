"""Utilities shared by mmlaplace models."""
from .heatmap_stats import heatmap_moments, normalize_heatmaps, render_target_heatmaps

__all__ = ['normalize_heatmaps', 'heatmap_moments', 'render_target_heatmaps']
