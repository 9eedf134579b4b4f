"""Synthetic face images with exact iBUG 68-point landmarks (built-in offline face data).

Every sample is a rendered RGB portrait whose 68 landmarks (0-based iBUG / 300W order: jaw 0-16,
right brow 17-21, left brow 22-26, nose bridge 27-30, nose bottom 31-35, right eye 36-41, left
eye 42-47, outer lip 48-59, inner lip 60-67) lie exactly on drawn image structure:

* the jaw landmarks are knots of the closed spline that is filled as the face silhouette, so
  they sit on the face's edge against the background, ears or neck;
* the brow landmarks lie inside drawn brow strokes (on the stroke's upper-middle line);
* each eye outline is two splines (upper lid 36-39, lower lid 39-36 for the right eye) drawn
  through the six eye landmarks, so the corners are the outline's corners;
* the nose bridge 27-30 is a drawn ridge line, 31-35 the drawn nose base with the nostrils;
* the lips are filled between the outer (48-59) and inner (60-67) contour splines.

Geometry: a frozen 3-D mean shape :data:`MEAN_SHAPE_3D` (x, y in units of the landmark-box
width, estimated once offline by generalized Procrustes analysis of the 2012 annotations of the
300W training subset and mirrored to be symmetric; the depth z is anthropometric, in the same
units, 1 unit ~ 14 cm, nose tip at z = 0). A sample deforms it (identity: face width, jaw taper,
chin, lower-face height, eye size / spacing / tilt, brow height / arch, nose length / width /
depth, mouth width / lip thickness; expression: mouth opening, smile, brow raise / frown, eye
closure), rotates it in 3-D (yaw, pitch), projects it orthographically and applies a similarity
(roll, scale, translation). The jaw and forehead contour points are not rigid 3-D points: each
is the tangent (occluding-contour) point of an elliptic horizontal head cross-section at its
height, recomputed for the yaw, which is how 300W annotates the jaw of turned faces (on the
visible cheek contour) and keeps the far eye inside the silhouette.

Appearance: random skin tone with a low-frequency texture and Lambertian shading of an
ellipsoidal head under a random light, hair (several styles, some bald), ears, neck, clothing,
textured backgrounds (gradients, noise blobs, stripes, shapes), eyes with sclera, iris, pupil,
lids and creases, nose shading, lips with teeth when open, partial occluders (hand, hat, bars,
boxes, ellipses; a face mask and glasses in hard mode; occluded landmarks stay labelled with
visibility 2 as in 300W), global lighting gradient, colour cast, Gaussian blur, sensor noise
and, rarely, gray. ``'hard'`` difficulty (the ``test_hard`` split) has stronger yaw / pitch /
roll, more and larger occluders, stronger blur and noise.

Determinism: sample ``i`` of split ``s`` with seed ``seed`` uses the generator
``numpy.random.default_rng(SeedSequence([seed, crc32(s), i]))`` only, so it is the same
whatever the split size or worker count, and different splits use disjoint seed streams.

Package layout (the part renderers draw back to front, see :func:`render_face`):

* :mod:`.landmarks`: landmark count, index groups and :data:`FLIP_INDICES`;
* :mod:`.shape_model`: :data:`MEAN_SHAPE_3D`, :data:`DIFFICULTIES`, identity / expression
  deformation, pose and head cross-section contours;
* :mod:`.appearance`: colour palettes, style choices and occluder sampling;
* :mod:`.face_params`: :class:`FaceParams`, :func:`sample_rng`, :func:`sample_face_params`
  (also at a given pose and :class:`~.face_params.FacePlacement`, for the video sequences of
  :mod:`mmlaplace.datasets.video_sequences`);
* :mod:`.curves` and :mod:`.painter`: splines, the anti-aliased canvas, colour sources, noise;
* :mod:`.background`, :mod:`.head` (skin, clothing, neck, ears), :mod:`.hair`, :mod:`.eyes`,
  :mod:`.brows`, :mod:`.nose`, :mod:`.mouth`, :mod:`.occluders`: the face parts, sharing the
  per-face state of :mod:`.scene`;
* :mod:`.render`: :func:`render_face` and the camera effects;
* :mod:`.dataset_generation`: :func:`generate_face`, :func:`generate_split`,
  :func:`generate_dataset` and the 300W-style annotations.
"""
from __future__ import annotations

import importlib
from typing import Any

from .dataset_generation import (
    DATASET_SPLITS,
    GENERATOR_VERSION,
    ann_file_name,
    generate_dataset,
    generate_face,
    generate_split,
)
from .face_params import FaceParams, sample_face_params, sample_rng
from .landmarks import (
    BRIDGE,
    FLIP_INDICES,
    INNER_LIP,
    JAW,
    L_BROW,
    L_EYE,
    MOUTH,
    NOSE_BASE,
    NUM_KEYPOINTS,
    OUTER_LIP,
    R_BROW,
    R_EYE,
    Points,
)
from .painter import Color, Roi
from .render import render_face
from .shape_model import DIFFICULTIES, MEAN_SHAPE_3D

__all__ = [
    'MEAN_SHAPE_3D', 'FLIP_INDICES', 'DIFFICULTIES', 'FaceParams', 'sample_rng',
    'sample_face_params', 'render_face', 'generate_face', 'generate_split', 'generate_dataset',
    'ann_file_name', 'GENERATOR_VERSION', 'NUM_KEYPOINTS', 'DATASET_SPLITS', 'JAW', 'R_BROW',
    'L_BROW', 'BRIDGE', 'NOSE_BASE', 'R_EYE', 'L_EYE', 'OUTER_LIP', 'INNER_LIP', 'MOUTH',
    'Points', 'Roi', 'Color'
]

#: Private helpers of the former single module ``synthetic_faces.py`` -> their new submodule;
#: still reachable as ``synthetic_faces.<name>`` (resolved lazily by :func:`__getattr__`).
_PRIVATE_NAMES = {
    **dict.fromkeys(['_HERMITE', '_hermite_basis', '_catmull_rom', '_CIRCLES', '_ellipse_pts',
                     '_offset_curve'], 'curves'),
    **dict.fromkeys(['_MEAN_XY', '_DEPTH_CM', '_JAW_FRONT_DEPTH', '_rotation',
                     '_contour_points', '_surface_z', '_eye_tilt', '_deform_shape',
                     '_truncated_normal', '_sample_pose'], 'shape_model'),
    **dict.fromkeys(['_SKIN_TONES', '_HAIR_COLORS', '_HAIR_P', '_IRIS_COLORS', '_IRIS_P',
                     '_sample_colors', '_sample_occluders'], 'appearance'),
    **dict.fromkeys(['_GRIDS', '_grid', '_gray3', '_Painter', '_upsample', '_smooth_noise',
                     '_NOISE_BANKS', '_white_noise', '_scaled', '_tint'], 'painter'),
    '_random_color': 'background',
    '_background': 'background',
    '_shade_field': 'head',
    '_lid_curves': 'eyes',
    '_draw_occluder': 'occluders',
    **dict.fromkeys(['_annotation', '_chunk_worker', '_worker_init', '_split_paths'],
                    'dataset_generation'),
}


def __getattr__(name: str) -> Any:
    """Resolve a private helper of the former single module from its new submodule."""
    if name in _PRIVATE_NAMES:
        return getattr(importlib.import_module(f'.{_PRIVATE_NAMES[name]}', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
