"""Faces at a chosen pose and placement, for rendered video sequences.

:func:`face_params_at_pose` is :func:`~.face_params.sample_face_params` with the pose and the
image placement given instead of sampled. It makes exactly the same random draws in the same
order (the sampled pose and placement are drawn and discarded), so for one generator seed the
identity, expression, appearance, effects and texture seed are the same whatever the pose:
re-rendering a face with :func:`~.render.render_face` at several poses changes only the geometry
(the textures are drawn from ``texture_seed`` in a pose-independent order, and they are fields
fixed in the image, not on the face). With neither a pose nor a placement and with occluders,
the result equals :func:`~.face_params.sample_face_params`'s.

The placement is a similarity with a constant scale and a 3-D pivot (the head's rotation
centre) that is put at a given image point, so a turning head keeps its size and turns about a
point behind the face, as a real head does, instead of being re-centred and re-scaled to its
landmark box as the sampled placement is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from .appearance import _sample_colors, _sample_occluders
from .face_params import (
    FaceParams,
    _ears_3d,
    _forehead_arc,
    _hairline,
    _image_transform,
    _jaw_contour,
    _neck_and_torso,
    _sample_effects,
)
from .landmarks import L_EYE, R_EYE
from .shape_model import DIFFICULTIES, _deform_shape, _rotation, _sample_pose

#: Default pivot of the head rotation in model units (box-width units, z towards the camera,
#: nose tip at z = 0): about 9 cm behind the nose tip, on the axis through the ears.
DEFAULT_PIVOT: Tuple[float, float, float] = (0.0, 0.0, -0.62)


@dataclass(frozen=True)
class FacePlacement:
    """Where and how large a face is drawn (a similarity from model units to pixels).

    Attributes:
        face_size: Pixel side of the face's landmark box at zero pose (the larger side of the
            box of the 68 landmarks of the unrotated face); sets the constant scale.
        center: Image position (x, y) in pixels of the pivot's projection.
        pivot: 3-D model point (x, y, z) about which the head turns, see
            :data:`DEFAULT_PIVOT`.
    """

    face_size: float
    center: Tuple[float, float]
    pivot: Tuple[float, float, float] = DEFAULT_PIVOT


def _placed_transform(placement: FacePlacement, frontal_kp: np.ndarray, rot: np.ndarray,
                      roll: float) -> Tuple[float, Callable[[np.ndarray], np.ndarray]]:
    """Scale and transform of (N, 2) projected model points for a fixed placement.

    Args:
        placement: The placement.
        frontal_kp: (68, 2) landmarks of the unrotated face in model units (set the scale).
        rot: (3, 3) head rotation (yaw, pitch).
        roll: In-plane rotation in degrees (about the pivot's image position).

    Returns:
        The scale (pixels per model unit) and the transform.
    """
    extent = float(np.ptp(frontal_kp, axis=0).max())
    scale = float(placement.face_size) / extent
    cr, sr = np.cos(np.deg2rad(roll)), np.sin(np.deg2rad(roll))
    rmat = np.array([[cr, -sr], [sr, cr]])
    pivot2 = (np.asarray(placement.pivot, np.float64) @ rot.T)[:2]
    center = np.asarray(placement.center, np.float64)

    def to_img(x2: np.ndarray) -> np.ndarray:
        return scale * ((np.asarray(x2) - pivot2) @ rmat.T) + center

    return scale, to_img


def face_params_at_pose(rng: np.random.Generator, difficulty: str = 'normal',
                        image_size: int = 256,
                        pose: Optional[Tuple[float, float, float]] = None,
                        placement: Optional[FacePlacement] = None,
                        occluders: bool = True) -> FaceParams:
    """:func:`~.face_params.sample_face_params` with a given pose and placement.

    Args:
        rng: The face's generator (e.g. from :func:`~.face_params.sample_rng`); a fresh one with
            the same seed gives the same face at every call.
        difficulty: ``'normal'`` or ``'hard'``.
        image_size: Side of the square output image in pixels.
        pose: ``(yaw, pitch, roll)`` in degrees; None: the sampled pose.
        placement: The face's size and position; None: the sampled placement (landmark box of
            the posed face centred with a random shift and scale, as in the datasets).
        occluders: Keep the sampled random occluders (False: none; the draws are the same).

    Returns:
        The :class:`~.face_params.FaceParams` (landmarks and curves in image pixels).
    """
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}')
    cfg = DIFFICULTIES[difficulty]
    shape, coeffs = _deform_shape(rng, cfg)
    sampled_pose = _sample_pose(rng, cfg)
    yaw, pitch, roll = (float(v) for v in (sampled_pose if pose is None else pose))
    rot = _rotation(yaw, pitch)
    pts3 = _jaw_contour(shape, yaw)
    head = _forehead_arc(rng, shape, coeffs, yaw)
    hair_pts = _hairline(rng, shape, head, yaw)
    ears = _ears_3d(shape, head.z)
    neck_l, neck_r_pts, torso = _neck_and_torso(rng, shape, yaw)
    eye_c = np.stack([shape[R_EYE].mean(0), shape[L_EYE].mean(0)]) + np.array([0, 0, 0.02])
    head_c = np.array([[0.0, head.y_base - 0.3 * head.height + 0.25, head.z]])

    def proj(x3: np.ndarray) -> np.ndarray:
        return (np.asarray(x3) @ rot.T)[:, :2]

    body_rot = _rotation(0.35 * yaw, 0.3 * pitch)
    kp_m = proj(pts3)
    scale, to_img = _image_transform(rng, cfg, kp_m, roll, image_size)  # always drawn
    if placement is not None:
        frontal = _jaw_contour(shape, 0.0)[:, :2]
        scale, to_img = _placed_transform(placement, frontal, rot, roll)
    kp = to_img(kp_m)
    curves = {
        'forehead': to_img(proj(head.arc)),
        'hairline': to_img(proj(hair_pts)),
        'ear_right': to_img(proj(ears[0])),
        'ear_left': to_img(proj(ears[1])),
        'neck_left': to_img(proj(neck_l)),
        'neck_right': to_img(proj(neck_r_pts)),
        'torso': to_img((torso @ body_rot.T)[:, :2]),
        'iris_centers': to_img(proj(eye_c)),
        'head_center': to_img(proj(head_c)),
    }
    appearance = _sample_colors(rng)
    appearance['hide_ear'] = (yaw < -22, yaw > 22)
    appearance['coeffs'] = coeffs
    occ = _sample_occluders(rng, cfg, kp, appearance['skin'])
    appearance.update(_sample_effects(rng, cfg))
    return FaceParams(
        image_size=int(image_size), difficulty=difficulty, keypoints=kp, yaw=yaw, pitch=pitch,
        roll=roll, scale=float(scale), curves=curves, appearance=appearance,
        occluders=occ if occluders else [], texture_seed=int(rng.integers(0, 2**31 - 1)))
