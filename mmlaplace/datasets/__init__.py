"""Datasets: built-in synthetic faces, unlabeled face folders and transforms."""
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
from .transforms import PackFaceInputs
from .unlabeled_face_dataset import UnlabeledFaceDataset

__all__ = [
    'DIFFICULTIES', 'FLIP_INDICES', 'MEAN_SHAPE_3D', 'FaceParams', 'ann_file_name',
    'generate_dataset', 'generate_face', 'generate_split', 'render_face', 'sample_face_params',
    'sample_rng', 'PackFaceInputs', 'UnlabeledFaceDataset'
]
