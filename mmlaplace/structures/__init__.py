"""Data structures and frames shared by models, inference, visualization and evaluation."""
from .crop_geometry import (
    CROP_META_KEYS,
    CropFrame,
    crop_frame,
    crop_scales_to_image,
    crop_to_heatmap,
    crop_to_image,
    heatmap_stride,
    heatmap_to_crop,
    image_to_crop,
)
from .landmark_boxes import landmark_box, square_box

__all__ = [
    'CROP_META_KEYS', 'CropFrame', 'crop_frame', 'image_to_crop', 'crop_to_image',
    'crop_scales_to_image', 'heatmap_stride', 'heatmap_to_crop', 'crop_to_heatmap',
    'landmark_box', 'square_box'
]
