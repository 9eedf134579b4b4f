"""Datasets of mmlaplace: built-in synthetic faces with exact iBUG 68-point landmarks."""
from .synthetic_faces import (
                              DIFFICULTIES,
                              FLIP_INDICES,
                              MEAN_SHAPE_3D,
                              FaceParams,
                              ann_file_name,
                              generate_dataset,
                              generate_face,
                              generate_split,
                              render_face,
                              sample_face_params,
                              sample_rng,
)

__all__ = [
    'DIFFICULTIES', 'FLIP_INDICES', 'MEAN_SHAPE_3D', 'FaceParams', 'ann_file_name',
    'generate_dataset', 'generate_face', 'generate_split', 'render_face', 'sample_face_params',
    'sample_rng'
]
