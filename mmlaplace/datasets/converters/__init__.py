"""Converters of public face datasets to MMPose's annotation files, and unlabeled-face crops."""
from .aflw import (
    AFLW19_FEATURE_IDS,
    ann_file_aflw,
    convert_aflw,
    convert_aflw_mat,
    convert_aflw_sqlite,
    load_aflw_info_mat,
    read_aflw_sqlite,
)
from .coco_face import (
    FACE_CATEGORIES,
    face_annotation,
    grid_center_scale,
    image_entry,
    padded_bbox,
    write_coco_face_file,
)
from .face300w import SPLITS_300W, SUBSETS_300W, ann_file_300w, convert_300w, read_pts
from .five_point_crops import crop_square, prepare_unlabeled_faces, read_five_point_file

__all__ = [
    'AFLW19_FEATURE_IDS', 'ann_file_aflw', 'convert_aflw', 'convert_aflw_mat',
    'convert_aflw_sqlite', 'load_aflw_info_mat', 'read_aflw_sqlite', 'FACE_CATEGORIES',
    'face_annotation', 'grid_center_scale', 'image_entry', 'padded_bbox',
    'write_coco_face_file', 'SPLITS_300W', 'SUBSETS_300W', 'ann_file_300w', 'convert_300w',
    'read_pts', 'crop_square', 'prepare_unlabeled_faces', 'read_five_point_file'
]
