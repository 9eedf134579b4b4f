"""Face parameters: sample a face's geometry (in image pixels), appearance and occluders.

A sample deforms the mean shape (:mod:`.shape_model`), rotates it in 3-D (yaw, pitch), adds the
head, hair, ear, neck and torso outlines, projects everything orthographically and applies a
similarity (roll, scale, translation) into the image; then it samples colours, style choices,
occluders and the camera effects that :func:`~.render.render_face` applies.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from .appearance import _sample_colors, _sample_occluders
from .landmarks import JAW, L_EYE, R_EYE
from .shape_model import (
    _JAW_FRONT_DEPTH,
    DIFFICULTIES,
    _contour_points,
    _deform_shape,
    _rotation,
    _sample_pose,
    _surface_z,
)


@dataclass
class FaceParams:
    """Everything needed to render one synthetic face (geometry already in image pixels).

    Attributes:
        image_size: Side of the square image in pixels.
        difficulty: ``'normal'`` or ``'hard'``.
        keypoints: (68, 2) float landmark coordinates, 0-based pixels (pixel centres on integers).
        yaw: Yaw in degrees (rotation about the vertical axis).
        pitch: Pitch in degrees.
        roll: In-plane rotation in degrees.
        scale: Pixels per model unit (landmark-box width of the mean shape).
        curves: Auxiliary image-space point sets (silhouette, forehead, hairline, ears, neck,
            torso, iris centres, ...), each an (N, 2) array.
        appearance: Colours and style choices.
        occluders: Occluder descriptions in image pixels.
        texture_seed: Seed of the generator used for textures while rendering.
    """

    image_size: int
    difficulty: str
    keypoints: np.ndarray
    yaw: float
    pitch: float
    roll: float
    scale: float
    curves: Dict[str, np.ndarray] = field(default_factory=dict)
    appearance: Dict[str, Any] = field(default_factory=dict)
    occluders: List[Dict[str, Any]] = field(default_factory=list)
    texture_seed: int = 0


class _Head(NamedTuple):
    """The sampled head top, in model units.

    Attributes:
        arc: (13, 3) forehead arc from landmark 16 over the head to landmark 0 (both excluded).
        height: Height of the arc above ``y_base``.
        half_width: Half width of the arc at ``y_base``.
        y_base: Height of the arc's ends (between landmarks 0 and 16).
        z: Depth of the head's cross-section centres.
    """

    arc: np.ndarray
    height: float
    half_width: float
    y_base: float
    z: float


def sample_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of sample ``index`` of ``split`` (independent of split size and workers).

    Args:
        seed: Dataset seed.
        split: Split name; different names give disjoint seed streams.
        index: Sample index in the split.

    Returns:
        A ``numpy.random.Generator`` seeded by ``SeedSequence([seed, crc32(split), index])``.
    """
    stream = zlib.crc32(split.encode('utf-8'))
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream, int(index)]))


def _jaw_contour(shape: np.ndarray, yaw: float) -> np.ndarray:
    """The 3-D landmarks with the jaw on the occluding contour of its head cross-sections."""
    pts3 = shape.copy()
    a = np.abs(shape[JAW, 0])
    side = np.sign(np.arange(17) - 8.0)
    contour = _contour_points(a, shape[JAW, 1], shape[JAW, 2], _JAW_FRONT_DEPTH, 0.4 * a, side,
                              yaw)
    contour[8] = shape[8]
    pts3[JAW] = contour
    return pts3


def _forehead_arc(rng: np.random.Generator, shape: np.ndarray, coeffs: Dict[str, float],
                  yaw: float) -> _Head:
    """Sample the head top: the forehead arc's contour from landmark 16 over to landmark 0."""
    a = np.abs(shape[JAW, 0])
    ht = rng.uniform(0.66, 0.78) * (1 + 0.5 * coeffs['lower_height'])
    w_top = 0.5 * (a[0] + a[16]) * rng.uniform(0.96, 1.04)
    y_base = 0.5 * (shape[0, 1] + shape[16, 1])
    t = np.linspace(0, np.pi, 15)[1:-1]
    ax = w_top * np.abs(np.cos(t))**0.6
    arc_side = np.where(np.cos(t) >= 0, 1.0, -1.0)
    arc_y = y_base - ht * np.sin(t)**0.8
    z_head = float(shape[0, 2])
    arc = _contour_points(ax, arc_y, np.full_like(ax, z_head), 0.45 * ax / w_top, 0.9 * ax,
                          arc_side, yaw)
    return _Head(arc, ht, w_top, y_base, z_head)


def _hairline(rng: np.random.Generator, shape: np.ndarray, head: _Head,
              yaw: float) -> np.ndarray:
    """Sample the (11, 3) hairline on the forehead surface, temple to temple via the centre."""
    ht, w_top, y_base, z_head = head.height, head.half_width, head.y_base, head.z
    hair_c = rng.uniform(0.25, 0.42)  # from the brows up, at the centre
    brow_top = shape[17:27, 1].min()
    u = np.linspace(-1, 1, 11)
    temple_y = y_base - rng.uniform(0.12, 0.22)
    hy = temple_y + (brow_top - hair_c - temple_y) * (1 - np.abs(u)**rng.uniform(1.5, 3.0))
    hy += rng.normal(0, 0.01, hy.shape)
    # half width of the forehead arc at each hairline height
    hw = w_top * np.sqrt(np.clip(1 - ((y_base - hy) / ht)**(2 / 0.8), 0.0, 1.0))**0.6
    hair_x = u * hw * 0.999
    hair_pts = np.stack([hair_x, hy, _surface_z(hair_x, np.maximum(hw, 1e-6), z_head,
                                                0.45 * hw / w_top)], axis=1)
    # endpoints of the hairline: on the silhouette
    hair_ends = _contour_points(hw[[0, -1]], hy[[0, -1]], np.full(2, z_head),
                                0.45 * hw[[0, -1]] / w_top, 0.9 * hw[[0, -1]],
                                np.array([-1.0, 1.0]), yaw)
    hair_pts[0], hair_pts[-1] = hair_ends[0], hair_ends[1]
    return hair_pts


def _ears_3d(shape: np.ndarray, z_head: float) -> List[np.ndarray]:
    """(right, left) 3-D ear rims, attached behind the contour at heights of landmarks 0-2."""
    ears = []
    for s in (-1.0, 1.0):
        j0 = 0 if s < 0 else 16
        ea = abs(shape[j0, 0])
        y0 = shape[j0, 1]
        rim = np.array([[0.00, -0.03, 0.03], [0.05, -0.06, -0.04], [0.085, -0.02, -0.16],
                        [0.095, 0.08, -0.20], [0.07, 0.22, -0.14], [0.045, 0.33, -0.07],
                        [0.0, 0.34, 0.0]])
        ear = np.stack([s * (ea - 0.02 + rim[:, 0]), y0 + rim[:, 1], z_head + rim[:, 2]], 1)
        ears.append(ear)
    return ears


def _neck_and_torso(rng: np.random.Generator, shape: np.ndarray,
                    yaw: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample the neck (a cylinder: left and right contours) and the (8, 3) torso outline."""
    neck_r = 0.33 * rng.uniform(0.85, 1.15) * float(np.ptp(shape[JAW, 0]))
    collar_y = shape[8, 1] + rng.uniform(0.25, 0.45)
    neck_y = np.array([0.15, 0.5 * (0.15 + collar_y), collar_y, collar_y + 0.5])
    neck_l = _contour_points(np.full(4, neck_r), neck_y, np.full(4, -0.5), np.full(4, neck_r),
                             np.full(4, neck_r), -np.ones(4), yaw)
    neck_r_pts = _contour_points(np.full(4, neck_r), neck_y, np.full(4, -0.5),
                                 np.full(4, neck_r), np.full(4, neck_r), np.ones(4), yaw)
    shoulder = rng.uniform(0.85, 1.25)
    torso = np.array([[-0.3, collar_y - 0.05, -0.5], [-0.8 * shoulder, collar_y + 0.08, -0.6],
                      [-1.3 * shoulder, collar_y + 0.3, -0.6],
                      [-1.6 * shoulder, collar_y + 1.5, -0.6],
                      [1.6 * shoulder, collar_y + 1.5, -0.6],
                      [1.3 * shoulder, collar_y + 0.3, -0.6],
                      [0.8 * shoulder, collar_y + 0.08, -0.6], [0.3, collar_y - 0.05, -0.5]])
    return neck_l, neck_r_pts, torso


def _image_transform(rng: np.random.Generator, cfg: Dict[str, Any], kp_m: np.ndarray,
                     roll: float,
                     image_size: int) -> Tuple[float, Callable[[np.ndarray], np.ndarray]]:
    """Sample the similarity (roll, scale, shift) from projected model units to image pixels.

    Args:
        rng: The sample's generator.
        cfg: The difficulty's sampling ranges.
        kp_m: (68, 2) projected landmarks in model units (they set the scale and centring).
        roll: In-plane rotation in degrees.
        image_size: Image side in pixels.

    Returns:
        The scale (pixels per model unit) and the transform of (N, 2) projected points.
    """
    cr, sr = np.cos(np.deg2rad(roll)), np.sin(np.deg2rad(roll))
    rmat = np.array([[cr, -sr], [sr, cr]])
    kp_r = kp_m @ rmat.T
    lo, hi = kp_r.min(0), kp_r.max(0)
    target = 0.5 * image_size * float(np.exp(rng.normal(0.0, cfg['scale_log_std'])))
    scale = target / float((hi - lo).max())
    shift = np.clip(rng.normal(0.0, cfg['shift_std'], 2), -2 * cfg['shift_std'],
                    2 * cfg['shift_std']) * image_size
    offset = np.full(2, image_size / 2.0) + shift - scale * (lo + hi) / 2

    def to_img(x2: np.ndarray) -> np.ndarray:
        return scale * (np.asarray(x2) @ rmat.T) + offset

    return scale, to_img


def _sample_effects(rng: np.random.Generator, cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Sample the background seed and the camera effects (blur, noise, gray, lighting)."""
    effects: Dict[str, Any] = {}
    effects['background'] = int(rng.integers(0, 2**31 - 1))
    effects['blur'] = float(rng.uniform(*cfg['blur_sigma'])) if rng.random() < cfg[
        'blur_p'] else 0.0
    effects['noise'] = float(rng.uniform(*cfg['noise_std']))
    effects['gray'] = bool(rng.random() < cfg['gray_p'])
    effects['light_gradient'] = float(rng.uniform(*cfg['light_gradient']))
    effects['light_angle'] = float(rng.uniform(0, 2 * np.pi))
    effects['color_gain'] = rng.normal(1.0, 0.05, 3)
    return effects


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


def sample_face_params(rng: np.random.Generator, difficulty: str = 'normal',
                       image_size: int = 256,
                       pose: Optional[Tuple[float, float, float]] = None,
                       placement: Optional[FacePlacement] = None,
                       occluders: bool = True) -> FaceParams:
    """Sample identity, expression, pose, appearance and occluders of one face.

    With ``pose`` and / or ``placement`` the face is drawn at that pose and place instead of
    the sampled ones, with exactly the same random draws in the same order (the sampled pose
    and placement are drawn and discarded), so for one generator seed the identity,
    expression, appearance, effects and texture seed are the same whatever the pose (the
    rendered video sequences of :mod:`mmlaplace.datasets.video_sequences` re-render one face
    at many poses).

    Args:
        rng: The sample's random generator (see :func:`sample_rng`).
        difficulty: ``'normal'`` or ``'hard'`` (stronger yaw / pitch / roll, more and larger
            occluders, stronger blur and noise).
        image_size: Side of the square output image in pixels.
        pose: ``(yaw, pitch, roll)`` in degrees; None: the sampled pose.
        placement: The face's size and position (:class:`FacePlacement`); None: the sampled
            placement (landmark box of the posed face centred with a random shift and
            scale, as in the datasets).
        occluders: Keep the sampled random occluders (False: none; the draws are the same).

    Returns:
        The :class:`FaceParams`, with landmarks and auxiliary curves in image pixels.
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
