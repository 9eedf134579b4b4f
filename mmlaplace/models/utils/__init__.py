"""Utilities shared by mmlaplace models."""
from .heatmap_stats import heatmap_moments, normalize_heatmaps, render_target_heatmaps
from .similarity_warp import (
    affine_scale,
    inside_crop,
    invert_affine,
    sample_similarity,
    similarity_ranges,
    transform_points,
    warp_images,
)

__all__ = ['normalize_heatmaps', 'heatmap_moments', 'render_target_heatmaps',
           'sample_similarity', 'similarity_ranges', 'transform_points', 'inside_crop',
           'invert_affine', 'warp_images', 'affine_scale']
