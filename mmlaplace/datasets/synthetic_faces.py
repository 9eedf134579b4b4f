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
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log

__all__ = [
    'MEAN_SHAPE_3D', 'FLIP_INDICES', 'DIFFICULTIES', 'FaceParams', 'sample_rng',
    'sample_face_params', 'render_face', 'generate_face', 'generate_split', 'generate_dataset',
    'ann_file_name'
]

#: Version of the generator; stored in each split's manifest (a change forces regeneration).
GENERATOR_VERSION = 1

NUM_KEYPOINTS = 68

# Mean 300W shape, landmark box width 1, centred on its box, mouth closed (inner lips 61-63 and
# 65-67 merged on the lip line, outer lower lip raised accordingly). Estimated offline from the
# 300W training subset annotations (generalized Procrustes, mirrored and averaged).
_MEAN_XY = np.array([
    [-0.5000, -0.3083], [-0.4960, -0.1769], [-0.4812, -0.0458], [-0.4538, 0.0826],
    [-0.4025, 0.2018], [-0.3237, 0.3057], [-0.2276, 0.3927], [-0.1210, 0.4624],
    [0.0000, 0.4824], [0.1210, 0.4624], [0.2276, 0.3927], [0.3237, 0.3057],
    [0.4025, 0.2018], [0.4538, 0.0826], [0.4812, -0.0458], [0.4960, -0.1769],
    [0.5000, -0.3083],
    [-0.4032, -0.4126], [-0.3413, -0.4664], [-0.2557, -0.4824], [-0.1671, -0.4703],
    [-0.0826, -0.4378],
    [0.0826, -0.4378], [0.1671, -0.4703], [0.2557, -0.4824], [0.3413, -0.4664],
    [0.4032, -0.4126],
    [0.0000, -0.3320], [0.0000, -0.2461], [0.0000, -0.1610], [0.0000, -0.0736],
    [-0.1003, -0.0153], [-0.0520, 0.0024], [0.0000, 0.0181], [0.0520, 0.0024],
    [0.1003, -0.0153],
    [-0.3032, -0.3191], [-0.2502, -0.3507], [-0.1851, -0.3498], [-0.1304, -0.3077],
    [-0.1902, -0.2951], [-0.2541, -0.2960],
    [0.1304, -0.3077], [0.1851, -0.3498], [0.2502, -0.3507], [0.3032, -0.3191],
    [0.2541, -0.2960], [0.1902, -0.2951],
    [-0.1917, 0.1472], [-0.1217, 0.1170], [-0.0495, 0.1018], [0.0000, 0.1141],
    [0.0495, 0.1018], [0.1217, 0.1170], [0.1917, 0.1472], [0.1242, 0.2047],
    [0.0538, 0.2333], [0.0000, 0.2388], [-0.0538, 0.2333], [-0.1242, 0.2047],
    [-0.1624, 0.1509], [-0.0502, 0.1590], [0.0000, 0.1620], [0.0502, 0.1590],
    [0.1624, 0.1509], [0.0502, 0.1590], [0.0000, 0.1620], [-0.0502, 0.1590],
], dtype=np.float64)

# Depth (cm, towards the camera, nose tip 0) of each landmark; divided by 14 cm per unit below.
# For the jaw it is the depth of the frontal occluding-contour point of the head cross-section.
_DEPTH_CM = np.array([
    -9.0, -9.0, -8.8, -8.3, -7.5, -6.3, -5.0, -3.9, -3.4, -3.9, -5.0, -6.3, -7.5, -8.3, -8.8,
    -9.0, -9.0,
    -5.0, -3.9, -3.1, -2.7, -2.6, -2.6, -2.7, -3.1, -3.9, -5.0,
    -2.3, -1.6, -0.9, 0.0,
    -2.3, -1.9, -1.7, -1.9, -2.3,
    -4.3, -3.4, -3.2, -3.4, -3.4, -3.6,
    -3.4, -3.2, -3.4, -4.3, -3.6, -3.4,
    -3.6, -2.4, -1.8, -1.6, -1.8, -2.4, -3.6, -2.6, -2.0, -1.9, -2.0, -2.6,
    -3.3, -2.3, -2.1, -2.3, -3.3, -2.4, -2.2, -2.4,
])

#: Frozen mean 3-D shape (68, 3): x right, y down, z towards the camera; units of box width.
MEAN_SHAPE_3D = np.concatenate([_MEAN_XY, _DEPTH_CM[:, None] / 14.0], axis=1)
MEAN_SHAPE_3D.setflags(write=False)

# Half depth (front half, to the face surface on the mid line) of the head cross-section
# through each jaw landmark, units of box width.
_JAW_FRONT_DEPTH = np.array(
    [5.5, 6.0, 6.0, 6.3, 5.3, 3.3, 2.0, 0.6, 0.0, 0.6, 2.0, 3.3, 5.3, 6.3, 6.0, 6.0, 5.5]) / 14.0

#: Horizontal flip permutation of the 68 iBUG landmarks.
FLIP_INDICES = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] +
    [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] +
    [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])

JAW = np.arange(0, 17)
R_BROW = np.arange(17, 22)
L_BROW = np.arange(22, 27)
BRIDGE = np.arange(27, 31)
NOSE_BASE = np.arange(31, 36)
R_EYE = np.arange(36, 42)
L_EYE = np.arange(42, 48)
OUTER_LIP = np.arange(48, 60)
INNER_LIP = np.arange(60, 68)
MOUTH = np.arange(48, 68)

#: Per-difficulty sampling ranges. Angles in degrees, sizes relative to the landmark box.
DIFFICULTIES: Dict[str, Dict[str, Any]] = {
    'normal': dict(
        yaw_std=18.0, yaw_max=38.0, pitch_std=10.0, pitch_max=20.0, roll_std=7.0, roll_max=25.0,
        scale_log_std=0.05, shift_std=0.03, identity=1.0, mouth_closed_p=0.5, mouth_open_max=0.10,
        blink_p=0.05, occluder_p=0.25, occluder_max=1, occluder_size=(0.15, 0.35),
        blur_p=0.5, blur_sigma=(0.3, 1.0), noise_std=(0.0, 4.0), gray_p=0.06,
        light_gradient=(0.0, 0.3)),
    'hard': dict(
        yaw_std=32.0, yaw_max=44.0, pitch_std=14.0, pitch_max=30.0, roll_std=14.0, roll_max=45.0,
        scale_log_std=0.08, shift_std=0.04, identity=1.3, mouth_closed_p=0.35,
        mouth_open_max=0.18, blink_p=0.15, occluder_p=0.85, occluder_max=2,
        occluder_size=(0.2, 0.5), blur_p=0.9, blur_sigma=(0.8, 2.5), noise_std=(2.0, 10.0),
        gray_p=0.1, light_gradient=(0.15, 0.5)),
}

_SKIN_TONES = np.array([[241, 213, 195], [229, 186, 158], [214, 164, 130], [190, 138, 100],
                        [160, 110, 76], [125, 84, 58], [92, 62, 44], [70, 48, 36]], np.float64)
_HAIR_COLORS = np.array([[22, 18, 16], [45, 32, 24], [78, 54, 36], [118, 82, 52], [165, 125, 80],
                         [210, 180, 120], [140, 65, 35], [150, 150, 150], [205, 205, 200]],
                        np.float64)
_HAIR_P = np.array([0.24, 0.22, 0.16, 0.1, 0.06, 0.07, 0.05, 0.06, 0.04])
_IRIS_COLORS = np.array([[70, 42, 25], [40, 28, 22], [105, 70, 40], [70, 110, 160],
                         [90, 120, 85], [115, 125, 135], [120, 95, 55]], np.float64)
_IRIS_P = np.array([0.3, 0.25, 0.15, 0.1, 0.07, 0.06, 0.07])

Points = np.ndarray


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


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------
_HERMITE: Dict[int, np.ndarray] = {}


def _hermite_basis(samples: int) -> np.ndarray:
    """(samples, 4) cubic Hermite basis [h00, h10, h01, h11] at u = k / samples."""
    if samples not in _HERMITE:
        u = np.arange(samples) / samples
        _HERMITE[samples] = np.stack([2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u,
                                      -2 * u**3 + 3 * u**2, u**3 - u**2], axis=1)
    return _HERMITE[samples]


def _catmull_rom(points: Points, closed: bool = False, samples: int = 8) -> Points:
    """Sample a centripetal Catmull-Rom spline that passes exactly through ``points``.

    Evaluated in its equivalent cubic Hermite form (tangents of the non-uniform, centripetal
    parameterization), which is much cheaper than the Barry-Goldman pyramid.

    Args:
        points: (N, 2) knots.
        closed: Whether the curve is closed (last knot joins the first).
        samples: Samples per segment (the knot itself is the first sample of each segment).

    Returns:
        (M, 2) samples; knot ``k`` is sample ``k * samples``.
    """
    p = np.asarray(points, np.float64)
    n = len(p)
    if n < 3:
        return p.copy()
    if closed:
        ext = np.concatenate([p[-1:], p, p[:2]])
        nseg = n
    else:
        ext = np.concatenate([(2 * p[0] - p[1])[None], p, (2 * p[-1] - p[-2])[None]])
        nseg = n - 1
    d = np.diff(ext, axis=0)  # (nseg + 2, 2)
    dt = np.maximum(np.sqrt(np.hypot(d[:, 0], d[:, 1])), 1e-4)[:, None]  # centripetal
    v = d / dt  # chord velocities
    # tangent at knot i (ext index i + 1), scaled to the segment's parameter length
    tan = (v[:-1] * dt[1:] + v[1:] * dt[:-1]) / (dt[:-1] + dt[1:])  # (nseg + 1, 2)
    seg_dt = dt[1:nseg + 1]
    ctrl = np.stack([ext[1:nseg + 1], tan[:nseg] * seg_dt, ext[2:nseg + 2],
                     tan[1:nseg + 1] * seg_dt], axis=1)  # (nseg, 4, 2)
    out = np.einsum('sk,nkd->nsd', _hermite_basis(samples), ctrl).reshape(-1, 2)
    out[::samples] = p[:nseg]  # exact knots
    if not closed:
        out = np.concatenate([out, p[-1:]])
    return out


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    """3-D rotation ``Rx(pitch) @ Ry(yaw)`` (degrees); x' = x cos(yaw) + z sin(yaw)."""
    y, p = np.deg2rad(yaw), np.deg2rad(pitch)
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return rx @ ry


def _contour_points(a: np.ndarray, y: np.ndarray, z0: np.ndarray, b_front: np.ndarray,
                    b_back: np.ndarray, side: np.ndarray, yaw: float) -> np.ndarray:
    """Occluding-contour points of elliptic horizontal head cross-sections under a yaw.

    The cross-section at height ``y`` is ``x = a sin(phi)``, ``z = z0 + B cos(phi)`` with
    ``B = b_front`` on the front half and ``b_back`` on the back half. The returned point is the
    one with extreme rotated x on ``side`` (+1 right, -1 left); at zero yaw it is (±a, y, z0).

    Returns:
        (N, 3) model-frame points, to be rotated with :func:`_rotation`.
    """
    st, ct = np.sin(np.deg2rad(yaw)), np.cos(np.deg2rad(yaw))
    big_b = np.where(side * st > 0, b_front, b_back)
    phi = np.arctan2(side * a * ct, side * big_b * st)
    return np.stack([a * np.sin(phi), y, z0 + big_b * np.cos(phi)], axis=1)


def _eye_tilt(d: np.ndarray, angle_deg: float) -> np.ndarray:
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
    return d @ np.array([[c, s], [-s, c]])


def _deform_shape(rng: np.random.Generator, cfg: Dict[str, Any]) -> Tuple[np.ndarray, Dict]:
    """Sample identity and expression and apply them to the mean 3-D shape.

    Returns:
        The deformed (68, 3) shape and a dict of the sampled coefficients.
    """
    k = cfg['identity']
    p = MEAN_SHAPE_3D.copy()
    c: Dict[str, float] = {}

    def n(std: float, lim: float = 2.5) -> float:
        return float(np.clip(rng.normal(0.0, std * k), -lim * std * k, lim * std * k))

    # ----- identity
    c['face_width'] = fw = n(0.05)
    p[JAW, 0] *= 1 + fw
    p[17:48, 0] *= 1 + 0.35 * fw
    p[MOUTH, 0] *= 1 + 0.2 * fw
    c['jaw_taper'] = jt = n(0.07)
    w_jaw = np.array([0, 0, 0, 0.1, .3, .55, .8, .95, 1, .95, .8, .55, .3, .1, 0, 0, 0])
    p[JAW, 0] *= 1 + jt * w_jaw
    c['lower_height'] = lh = n(0.05)
    below = p[:, 1] > -0.3
    p[below, 1] += lh * (p[below, 1] + 0.3)
    c['chin'] = ch = n(0.025)
    w_chin = np.array([0, 0, 0, 0, .1, .3, .6, .85, 1, .85, .6, .3, .1, 0, 0, 0, 0])
    p[JAW, 1] += ch * w_chin
    es, ea, sp, tl, ey = n(0.07), n(0.1), n(0.015), n(3.0), n(0.015)
    c.update(eye_size=es, eye_aspect=ea, eye_spacing=sp, eye_tilt=tl)
    for idx, sign in ((R_EYE, -1.0), (L_EYE, 1.0)):
        ctr = p[idx, :2].mean(0)
        d = p[idx, :2] - ctr
        d[:, 0] *= 1 + es
        d[:, 1] *= (1 + es) * (1 + ea)
        d = _eye_tilt(d, -sign * tl)
        p[idx, :2] = ctr + d + np.array([sign * sp, ey])
    bh, ba = n(0.02), n(0.012)
    for idx, sign in ((R_BROW, -1.0), (L_BROW, 1.0)):
        p[idx, 1] += bh + 0.5 * ey
        p[idx, 0] += 0.7 * sign * sp
        p[idx[1:4], 1] -= ba * np.array([0.6, 1.0, 0.7])
    nl, nw, nd = n(0.03), n(0.08), n(0.15)
    c.update(nose_length=nl, nose_width=nw)
    p[28:36, 1] += nl * np.array([.33, .66, 1, 1, 1, 1, 1, 1])
    p[NOSE_BASE, 0] *= 1 + nw
    p[28:31, 2] += nd * np.array([0.3, 0.6, 1.0]) * 0.12
    mw, my, ut, lt = n(0.07), n(0.02), n(0.2), n(0.2)
    c.update(mouth_width=mw)
    p[MOUTH, 0] *= 1 + mw
    p[MOUTH, 1] += my + 0.5 * nl
    line = p[62, 1]
    p[49:54, 1] = line + (p[49:54, 1] - line) * (1 + ut)
    p[55:60, 1] = line + (p[55:60, 1] - line) * (1 + lt)
    p[:, :2] += rng.normal(0.0, 0.003 * k, size=(NUM_KEYPOINTS, 2))

    # ----- expression
    opened = rng.random() >= cfg['mouth_closed_p']
    o = float(rng.uniform(0.004, cfg['mouth_open_max'])) if opened else 0.0
    if opened and rng.random() < 0.5:
        o *= rng.uniform(0.2, 0.6)
    sm = float(np.clip(rng.normal(0.2, 0.4), -0.3, 1.0))
    c.update(mouth_open=o, smile=sm)
    p[[65, 66, 67], 1] += o * np.array([0.85, 1.0, 0.85])
    p[55:60, 1] += o * np.array([0.75, 0.95, 1.0, 0.95, 0.75])
    p[[60, 64], 1] += 0.2 * o
    p[JAW, 1] += 0.9 * o * np.array([0, 0, 0, .05, .2, .45, .7, .9, 1, .9, .7, .45, .2, .05,
                                     0, 0, 0])
    p[[48, 54, 60, 64], 0] *= 1 - 0.8 * o
    p[[48, 54], 1] -= 0.03 * sm
    p[[60, 64], 1] -= 0.022 * sm
    p[[48, 54, 60, 64], 0] *= 1 + 0.07 * sm
    p[[49, 53, 59, 55], 1] -= 0.01 * sm
    br = float(rng.uniform(-0.01, 0.035))
    p[17:27, 1] -= br * np.array([.7, .85, 1, 1, .9, .9, 1, 1, .85, .7])
    if rng.random() < 0.15:
        fr = float(rng.uniform(0.0, 0.02))
        p[[20, 21, 22, 23], 1] += fr * np.array([0.5, 1, 1, 0.5])
        p[[21, 22], 0] *= 1 - 2 * fr
    closure = float(rng.uniform(0.6, 1.0)) if rng.random() < cfg['blink_p'] else \
        float(rng.uniform(0.0, 0.25))
    closure = min(1.0, closure + 0.15 * max(sm, 0.0))
    c['eye_closure'] = closure
    for upper, lower in (([37, 38], [41, 40]), ([44, 43], [46, 47])):
        cl = closure if rng.random() > 0.05 else float(rng.uniform(0.0, 1.0))
        gap = p[lower, 1] - p[upper, 1]
        p[upper, 1] += cl * gap * 0.85
        p[lower, 1] -= cl * gap * 0.15
    return p, c


def _truncated_normal(rng: np.random.Generator, std: float, limit: float) -> float:
    """Zero-mean normal truncated to [-limit, limit] (rejection; clipped after 20 tries)."""
    for _ in range(20):
        v = rng.normal(0.0, std)
        if abs(v) <= limit:
            return float(v)
    return float(np.clip(v, -limit, limit))


def _sample_pose(rng: np.random.Generator, cfg: Dict[str, Any]) -> Tuple[float, float, float]:
    """Yaw, pitch and roll in degrees (truncated normals)."""
    return (_truncated_normal(rng, cfg['yaw_std'], cfg['yaw_max']),
            _truncated_normal(rng, cfg['pitch_std'], cfg['pitch_max']),
            _truncated_normal(rng, cfg['roll_std'], cfg['roll_max']))


def _surface_z(x: np.ndarray, a: Union[float, np.ndarray], z0: float,
               b: Union[float, np.ndarray]) -> np.ndarray:
    """Depth of the front half of an elliptic cross-section at lateral position x."""
    return z0 + b * np.sqrt(np.clip(1.0 - (x / a)**2, 0.0, 1.0))


def _sample_colors(rng: np.random.Generator) -> Dict[str, Any]:
    """Sample the colour palette and style choices of one face."""
    t = rng.uniform(0, len(_SKIN_TONES) - 1)
    i = int(min(t, len(_SKIN_TONES) - 2))
    skin = _SKIN_TONES[i] * (1 - (t - i)) + _SKIN_TONES[i + 1] * (t - i)
    skin = np.clip(skin * rng.uniform(0.92, 1.06) + rng.normal(0, 6, 3), 20, 250)
    hair = _HAIR_COLORS[rng.choice(len(_HAIR_COLORS), p=_HAIR_P)]
    hair = np.clip(hair * rng.uniform(0.8, 1.15) + rng.normal(0, 5, 3), 5, 250)
    lip_red = np.array([175.0, 80.0, 90.0]) + rng.normal(0, 12, 3)
    lips = np.clip(skin * (1 - (k := rng.uniform(0.25, 0.6))) + lip_red * k, 0, 255)
    lips = lips * rng.uniform(0.72, 0.95)
    if rng.random() < 0.1:  # lipstick
        lips = np.clip(np.array([170.0, 30.0, 50.0]) + rng.normal(0, 20, 3), 0, 255)
    brow = np.clip(hair * rng.uniform(0.5, 0.9), 5, 200)
    if hair.mean() > 120:  # light hair: darker, less saturated brows
        brow = np.clip(0.5 * hair * rng.uniform(0.5, 0.8) + 0.5 * np.array([70.0, 55, 45]), 5,
                       200)
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(40, 256)]]])
    cloth = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)
    style = rng.choice(['short', 'long', 'bob', 'bald', 'updo'], p=[0.35, 0.3, 0.15, 0.1, 0.1])
    light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.7, 0.4), 1.0])
    return dict(
        skin=skin, hair=hair, lips=lips, brow=brow, cloth=cloth,
        iris=_IRIS_COLORS[rng.choice(len(_IRIS_COLORS), p=_IRIS_P)] * rng.uniform(0.8, 1.2),
        hair_style=str(style), ears=bool(rng.random() < 0.85), ambient=rng.uniform(0.45, 0.7),
        light=light / np.linalg.norm(light), brow_thickness=rng.uniform(0.022, 0.045),
        brow_alpha=rng.uniform(0.55, 0.95), teeth=rng.random() < 0.85,
        gaze=rng.uniform(-0.35, 0.35, 2), iris_radius=rng.uniform(0.040, 0.050),
        lash=rng.uniform(0.6, 1.0), makeup=bool(rng.random() < 0.15),
        beard=bool(rng.random() < 0.08), neck_shadow=rng.uniform(0.55, 0.8),
        neckline_depth=rng.uniform(0.05, 0.3), hair_over_ears=bool(rng.random() < 0.5))


def _sample_occluders(rng: np.random.Generator, cfg: Dict[str, Any], kp: np.ndarray,
                      skin: np.ndarray) -> List[Dict[str, Any]]:
    """Random partial occluders in image pixels (landmarks under them stay labelled)."""
    occ: List[Dict[str, Any]] = []
    if rng.random() >= cfg['occluder_p']:
        return occ
    box = kp.max(0) - kp.min(0)
    side = float(box.max())
    hard = cfg['occluder_max'] > 1
    kinds = ['hand', 'rect', 'ellipse', 'bar', 'hat'] + (['mask', 'glasses'] if hard else [])
    for _ in range(int(rng.integers(1, cfg['occluder_max'] + 1))):
        kind = str(rng.choice(kinds))
        size = side * rng.uniform(*cfg['occluder_size'])
        anchor = kp[int(rng.integers(0, NUM_KEYPOINTS))]
        center = anchor + rng.normal(0, 0.15, 2) * side
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(30, 256)]]])
        color = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)
        o: Dict[str, Any] = dict(kind=kind, center=center, size=size,
                                 angle=float(rng.uniform(0, 360)), color=color,
                                 aspect=float(rng.uniform(0.3, 1.0)),
                                 texture=bool(rng.random() < 0.5))
        if kind == 'hand':
            o['color'] = np.clip(skin * rng.uniform(0.85, 1.1), 0, 255)
            # fingers point towards the face centre, from outside
            ctr = kp.mean(0)
            direction = ctr - center
            o['angle'] = float(np.degrees(np.arctan2(direction[1], direction[0])))
            o['center'] = center - direction / (np.linalg.norm(direction) + 1e-6) * size * 0.3
        elif kind == 'hat':
            top = kp[17:27, 1].min()
            o['brim_y'] = float(top - rng.uniform(0.05, 0.3) * side +
                                (rng.uniform(0.0, 0.2) * side if hard else 0.0))
            o['center'] = np.array([kp[:, 0].mean(), o['brim_y']])
            o['size'] = side
        elif kind == 'mask':
            o['top_y'] = float(kp[28:31, 1].mean())
            o['center'] = np.array([kp[:, 0].mean(), o['top_y']])
            o['size'] = side
        elif kind == 'glasses':
            o['center'] = np.array(kp[36:48].mean(0))
            o['size'] = side
            o['dark'] = bool(rng.random() < 0.5)
        occ.append(o)
    return occ


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


def sample_face_params(rng: np.random.Generator, difficulty: str = 'normal',
                       image_size: int = 256) -> FaceParams:
    """Sample identity, expression, pose, appearance and occluders of one face.

    Args:
        rng: The sample's random generator (see :func:`sample_rng`).
        difficulty: ``'normal'`` or ``'hard'`` (stronger yaw / pitch / roll, more and larger
            occluders, stronger blur and noise).
        image_size: Side of the square output image in pixels.

    Returns:
        The :class:`FaceParams`, with landmarks and auxiliary curves in image pixels.
    """
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}')
    cfg = DIFFICULTIES[difficulty]
    shape, coeffs = _deform_shape(rng, cfg)
    yaw, pitch, roll = _sample_pose(rng, cfg)
    rot = _rotation(yaw, pitch)

    # jaw: occluding-contour points of the cross-sections through each jaw landmark
    pts3 = shape.copy()
    a = np.abs(shape[JAW, 0])
    side = np.sign(np.arange(17) - 8.0)
    contour = _contour_points(a, shape[JAW, 1], shape[JAW, 2], _JAW_FRONT_DEPTH, 0.4 * a, side,
                              yaw)
    contour[8] = shape[8]
    pts3[JAW] = contour

    # forehead arc from landmark 16 over the head to landmark 0 (excluding both)
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

    # hairline on the forehead surface (temple to temple through the centre)
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

    # ears (3-D rims attached behind the contour at heights of landmarks 0-2)
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

    # neck (cylinder) and torso (rotated by a fraction of the head pose)
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

    # eye centres (for the irises), slightly in front of the lid surface
    eye_c = np.stack([shape[R_EYE].mean(0), shape[L_EYE].mean(0)]) + np.array([0, 0, 0.02])
    head_c = np.array([[0.0, y_base - 0.3 * ht + 0.25, z_head]])

    def proj(x3: np.ndarray) -> np.ndarray:
        return (np.asarray(x3) @ rot.T)[:, :2]

    body_rot = _rotation(0.35 * yaw, 0.3 * pitch)
    kp_m = proj(pts3)
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

    kp = to_img(kp_m)
    curves = {
        'forehead': to_img(proj(arc)),
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
    # (right, left) ear hidden behind the head: the far side is +x (the left ear) for yaw > 0
    appearance['hide_ear'] = (yaw < -22, yaw > 22)
    appearance['coeffs'] = coeffs
    occluders = _sample_occluders(rng, cfg, kp, appearance['skin'])
    appearance['background'] = int(rng.integers(0, 2**31 - 1))
    appearance['blur'] = float(rng.uniform(*cfg['blur_sigma'])) if rng.random() < cfg[
        'blur_p'] else 0.0
    appearance['noise'] = float(rng.uniform(*cfg['noise_std']))
    appearance['gray'] = bool(rng.random() < cfg['gray_p'])
    appearance['light_gradient'] = float(rng.uniform(*cfg['light_gradient']))
    appearance['light_angle'] = float(rng.uniform(0, 2 * np.pi))
    appearance['color_gain'] = rng.normal(1.0, 0.05, 3)
    return FaceParams(
        image_size=int(image_size), difficulty=difficulty, keypoints=kp, yaw=yaw, pitch=pitch,
        roll=roll, scale=float(scale), curves=curves, appearance=appearance,
        occluders=occluders, texture_seed=int(rng.integers(0, 2**31 - 1)))


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------
Roi = Tuple[int, int, int, int]
#: A colour source: an RGB triple, a full-image (H, W, 3) array, or a function of the ROI's
#: (row slice, column slice) returning an array broadcastable to the ROI.
Color = Union[Sequence[float], np.ndarray, Callable[[slice, slice], np.ndarray]]

_GRIDS: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Cached float32 pixel-coordinate grids ``(yy, xx)`` of a square image."""
    if size not in _GRIDS:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        yy.setflags(write=False)
        xx.setflags(write=False)
        _GRIDS[size] = (yy, xx)
    return _GRIDS[size]


def _gray3(gray: np.ndarray) -> np.ndarray:
    """(h, w) -> (h, w, 3) float32 copies of a map (OpenCV: far faster than ``np.repeat``)."""
    return cv2.cvtColor(np.ascontiguousarray(gray, np.float32), cv2.COLOR_GRAY2RGB)


class _Painter:
    """Float RGB canvas with anti-aliased, ROI-restricted alpha compositing.

    Args:
        image: (S, S, 3) float32 canvas, modified in place.
        layers: Whether to collect binary structure masks.
    """

    def __init__(self, image: np.ndarray, layers: bool = False) -> None:
        self.img = image
        self.size = image.shape[0]
        self.layers: Optional[Dict[str, np.ndarray]] = {} if layers else None

    def roi(self, pts: np.ndarray, pad: float) -> Optional[Roi]:
        """Integer bounding box ``(x0, y0, x1, y1)`` of ``pts`` plus ``pad``, clipped."""
        x0 = max(int(np.floor(pts[:, 0].min() - pad)), 0)
        y0 = max(int(np.floor(pts[:, 1].min() - pad)), 0)
        x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, self.size)
        y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, self.size)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    @staticmethod
    def _fixed(pts: np.ndarray, roi: Roi) -> np.ndarray:
        """Fixed-point (4 fractional bits) vertices relative to the ROI; pixel centres at
        integer coordinates, as OpenCV draws them.
        """
        return np.round((pts - np.array([roi[0], roi[1]])) * 16).astype(np.int32)

    def poly_mask(self, polys: Sequence[np.ndarray], roi: Roi, aa: bool = True) -> np.ndarray:
        m = np.zeros((roi[3] - roi[1], roi[2] - roi[0]), np.uint8)
        cv2.fillPoly(m, [self._fixed(p, roi) for p in polys], 255,
                     cv2.LINE_AA if aa else cv2.LINE_8, 4)
        return m

    def line_mask(self, lines: Sequence[np.ndarray], roi: Roi, thickness: int,
                  closed: bool = False, aa: bool = True) -> np.ndarray:
        m = np.zeros((roi[3] - roi[1], roi[2] - roi[0]), np.uint8)
        cv2.polylines(m, [self._fixed(p, roi) for p in lines], closed, 255,
                      max(int(thickness), 1), cv2.LINE_AA if aa else cv2.LINE_8, 4)
        return m

    def add_layer(self, name: str, polys: Sequence[np.ndarray], kind: str = 'poly') -> None:
        """Record a binary full-image mask (no anti-aliasing) of polygons or 1 px lines."""
        if self.layers is None:
            return
        roi = (0, 0, self.size, self.size)
        if kind == 'poly':
            m = self.poly_mask(polys, roi, aa=False)
        else:
            m = self.line_mask(polys, roi, 1, False, aa=False)
        self.layers[name] = np.maximum(self.layers[name], m) if name in self.layers else m

    def blend(self, roi: Roi, mask: np.ndarray, color: Color, alpha: float = 1.0,
              blur: float = 0.0) -> None:
        """``img = img + (color - img) * alpha * mask / 255`` inside the ROI.

        Works on the (h, w * 3) view of the ROI: numpy is slow when broadcasting over a last
        axis of length 3.
        """
        x0, y0, x1, y1 = roi
        h, w = y1 - y0, x1 - x0
        a = mask.astype(np.float32) * np.float32(alpha / 255.0)
        if blur > 0.25:
            a = cv2.GaussianBlur(a, (0, 0), blur)
        sub = self.img[y0:y1, x0:x1].reshape(h, w * 3)
        if callable(color):
            col = np.asarray(color(slice(y0, y1), slice(x0, x1)), np.float32)
        else:
            col = np.asarray(color, np.float32)
            if col.ndim == 3:
                col = col[y0:y1, x0:x1]
        if col.ndim == 3:
            col = col.reshape(h, w * 3)
        elif col.ndim == 1:
            col = np.tile(col, w)
        sub += (col - sub) * _gray3(a).reshape(h, w * 3)

    def poly(self, polys: Union[np.ndarray, Sequence[np.ndarray]], color: Color,
             alpha: float = 1.0, blur: float = 0.0) -> Optional[Tuple[Roi, np.ndarray]]:
        """Fill polygons (even-odd) anti-aliased; returns the ROI and its uint8 mask."""
        polys = [polys] if isinstance(polys, np.ndarray) else list(polys)
        roi = self.roi(np.concatenate(polys), 3 * blur + 2)
        if roi is None:
            return None
        m = self.poly_mask(polys, roi)
        self.blend(roi, m, color, alpha, blur)
        return roi, m

    def line(self, lines: Union[np.ndarray, Sequence[np.ndarray]], color: Color,
             thickness: float = 1.0, alpha: float = 1.0, blur: float = 0.0,
             closed: bool = False) -> None:
        """Draw anti-aliased polylines; thickness below 1 px fades a 1 px line."""
        lines = [lines] if isinstance(lines, np.ndarray) else list(lines)
        t = max(int(round(thickness)), 1)
        if thickness < 1:
            alpha *= max(thickness, 0.0)
        roi = self.roi(np.concatenate(lines), 3 * blur + t + 2)
        if roi is None:
            return
        self.blend(roi, self.line_mask(lines, roi, t, closed), color, alpha, blur)

    def ellipse(self, center: np.ndarray, axes: Tuple[float, float], angle: float,
                color: Color, alpha: float = 1.0, blur: float = 0.0) -> None:
        self.poly(_ellipse_pts(center, axes, angle), color, alpha, blur)


_CIRCLES: Dict[int, np.ndarray] = {}


def _ellipse_pts(center: np.ndarray, axes: Tuple[float, float], angle: float,
                 n: int = 32) -> np.ndarray:
    """(n, 2) vertices of an ellipse with semi-axes ``axes`` rotated by ``angle`` degrees."""
    if n not in _CIRCLES:
        t = np.arange(n) * (2 * np.pi / n)
        _CIRCLES[n] = np.stack([np.cos(t), np.sin(t)], 1)
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    rot = np.array([[c * axes[0], s * axes[0]], [-s * axes[1], c * axes[1]]])
    return _CIRCLES[n] @ rot + np.asarray(center, np.float64)


def _upsample(g: np.ndarray, size: int) -> np.ndarray:
    """Smoothly upsample a small (h, w[, c]) array to (size, size[, c]): bicubic to at most
    64 px, then bilinear (much cheaper than a full-size bicubic resize).
    """
    mid = min(size, 64)
    if max(g.shape[:2]) < mid:
        g = cv2.resize(g, (mid, mid), interpolation=cv2.INTER_CUBIC)
    return cv2.resize(g, (size, size), interpolation=cv2.INTER_LINEAR)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, channels: int = 1,
                  aspect: Tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Low-frequency noise of about unit std: ``cells`` control points per side.

    Returns:
        (size, size, channels) float32.
    """
    ch = max(2, int(cells * aspect[1]))
    cw = max(2, int(cells * aspect[0]))
    g = rng.standard_normal((ch, cw, channels), dtype=np.float32)
    return _upsample(g, size).reshape(size, size, channels)


_NOISE_BANKS: Dict[int, np.ndarray] = {}


def _white_noise(rng: np.random.Generator, size: int, channels: int = 1) -> np.ndarray:
    """Standard normal (size, size, channels) float32 noise, cut at a random offset and
    orientation from a fixed per-process noise bank (a view-cheap stand-in for drawing fresh
    normals, which dominated the rendering time; it stays a function of ``rng`` only).
    """
    side = max(512, 2 * size)
    if side not in _NOISE_BANKS:
        bank = np.random.default_rng(20190601).standard_normal((side, side, 3),
                                                               dtype=np.float32)
        bank.setflags(write=False)
        _NOISE_BANKS[side] = bank
    bank = _NOISE_BANKS[side]
    y0, x0 = rng.integers(0, side - size + 1, 2)
    c0 = int(rng.integers(0, 4 - channels)) if channels < 3 else 0
    out = bank[y0:y0 + size, x0:x0 + size, c0:c0 + channels]
    k = int(rng.integers(0, 8))
    if k & 1:
        out = out[::-1]
    if k & 2:
        out = out[:, ::-1]
    if k & 4:
        out = out.transpose(1, 0, 2)
    return out


def _offset_curve(curve: np.ndarray, dist: Union[float, np.ndarray]) -> np.ndarray:
    """Offset a polyline along its left normal (image coordinates) by ``dist`` per vertex."""
    d = np.gradient(curve, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    normal = np.stack([d[:, 1], -d[:, 0]], 1)
    return curve + normal * np.broadcast_to(np.asarray(dist, np.float64), (len(curve),))[:, None]


def _random_color(rng: np.random.Generator, max_sat: float = 200.0,
                  val: Tuple[int, int] = (20, 256)) -> np.ndarray:
    """Random RGB colour, mostly muted (saturation skewed low)."""
    hsv = np.uint8([[[rng.integers(0, 180), int(max_sat * rng.random()**1.5),
                      rng.integers(*val)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random textured background: gradient plus noise blobs / stripes / shapes / grain,
    sometimes defocused. Returns (S, S, 3) float32 (not clipped; the final image is).
    """
    # smooth parts at a quarter of the resolution
    low = max(size // 4, 8)
    yy, xx = _grid(low)
    ang = rng.uniform(0, 2 * np.pi)
    ca, sa = float(np.cos(ang)), float(np.sin(ang))
    g = np.clip((ca * xx + sa * yy) / low + 0.5 - 0.5 * (ca + sa), 0, 1)
    c0, c1 = _random_color(rng), _random_color(rng)
    img = c0 + (c1 - c0) * g[..., None]
    kinds = rng.choice(['blobs', 'stripes', 'shapes', 'grain', 'shapes'],
                       size=int(rng.integers(1, 4)), replace=False)
    if 'blobs' in kinds:
        img += _smooth_noise(rng, low, int(rng.integers(3, 12)), 3) * rng.uniform(10, 40)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
    yy, xx = _grid(size)
    painter = _Painter(img)
    for kind in kinds:
        if kind == 'blobs':
            continue
        elif kind == 'stripes':
            a = rng.uniform(0, np.pi)
            period = rng.uniform(0.03, 0.25) * size
            wave = np.sin((float(np.cos(a)) * xx + float(np.sin(a)) * yy) *
                          float(2 * np.pi / period))
            if rng.random() < 0.5:
                wave = np.sign(wave)
            col = _random_color(rng)
            flat = img.reshape(size, size * 3)
            flat += (np.tile(col, size) - flat) * _gray3(
                np.float32(rng.uniform(0.1, 0.4) / 2) * (wave + 1)).reshape(size, size * 3)
        elif kind == 'shapes':
            for _ in range(int(rng.integers(2, 8))):
                col = _random_color(rng)
                ctr = rng.uniform(-0.1, 1.1, 2) * size
                ax = rng.uniform(0.05, 0.4, 2) * size
                r = rng.random()
                if r < 0.45:
                    pts = _ellipse_pts(ctr, (ax[0], ax[1]), rng.uniform(0, 180), 4)
                    painter.poly(pts, col, rng.uniform(0.4, 1.0))
                elif r < 0.75:
                    painter.ellipse(ctr, (ax[0], ax[1]), rng.uniform(0, 180), col,
                                    rng.uniform(0.4, 1.0))
                else:
                    p2 = ctr + rng.normal(0, 0.4, 2) * size
                    painter.line(np.stack([ctr, p2]), col, rng.uniform(1, 6),
                                 rng.uniform(0.5, 1.0))
        else:  # grain
            img += _gray3(_white_noise(rng, size, 1)[..., 0] * np.float32(rng.uniform(3, 10)))
    if rng.random() < 0.5:  # defocus (strong blur computed at half resolution)
        sigma = float(rng.uniform(0.5, 3.0))
        if sigma > 1.5:
            half = cv2.resize(img, (size // 2, size // 2), interpolation=cv2.INTER_AREA)
            img = cv2.resize(cv2.GaussianBlur(half, (0, 0), sigma / 2), (size, size),
                             interpolation=cv2.INTER_LINEAR)
        else:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
    return img.astype(np.float32, copy=False)


def _shade_field(size: int, center: np.ndarray, axes: Tuple[float, float], roll: float,
                 light: np.ndarray, ambient: float) -> np.ndarray:
    """Lambertian shading (ambient..1) of an ellipsoid of the given image axes."""
    yy, xx = _grid(size)
    c, s = np.float32(np.cos(np.deg2rad(roll))), np.float32(np.sin(np.deg2rad(roll)))
    dx, dy = xx - np.float32(center[0]), yy - np.float32(center[1])
    u = (c * dx + s * dy) * np.float32(1 / axes[0])
    v = (c * dy - s * dx) * np.float32(1 / axes[1])
    nz = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
    lx = float(c * light[0] + s * light[1])
    ly = float(-s * light[0] + c * light[1])
    d = np.clip(u * np.float32(lx) + v * np.float32(ly) + nz * np.float32(light[2]), 0, 1)
    return np.float32(ambient) + np.float32(1 - ambient) * d


def _lid_curves(e: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Upper (corner 0 -> 1 -> 2 -> corner 3) and lower (3 -> 4 -> 5 -> 0) lid splines."""
    return _catmull_rom(e[[0, 1, 2, 3]], samples=8), _catmull_rom(e[[3, 4, 5, 0]], samples=8)


def _scaled(src: np.ndarray, factor: Union[float, np.ndarray]) -> Callable:
    """Colour source: a full-image array times a factor, evaluated only in the ROI."""
    f = np.asarray(factor, np.float32)
    return lambda ys, xs: src[ys, xs] * f


def _tint(color: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """``color * gray[..., None]`` as an (h, w * 3) array (fast interleaved broadcast)."""
    return _gray3(gray).reshape(gray.shape[0], -1) * np.tile(np.asarray(color, np.float32),
                                                             gray.shape[1])


def render_face(
        params: FaceParams,
        return_layers: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, np.ndarray]]]:
    """Render a face from its parameters (deterministic).

    Args:
        params: The output of :func:`sample_face_params`.
        return_layers: Also return binary (0/255, (H, W) uint8) structure masks rasterized from
            the very curves that are drawn: ``'face'`` (silhouette fill), ``'eye_outline'`` (both
            eye outlines, 1 px), ``'eyes'`` (eye openings), ``'brows'`` (brow strokes),
            ``'nose_ridge'`` (1 px ridge line), ``'nose_base'`` (1 px nose base line),
            ``'lips'`` (between outer and inner lip contours), ``'mouth_inner'`` (1 px inner
            lip contour) and ``'occluders'``.

    Returns:
        The (H, W, 3) uint8 RGB image, and with ``return_layers`` the dict of masks.
    """
    size = params.image_size
    rng = np.random.default_rng(params.texture_seed)
    app = params.appearance
    kp = params.keypoints
    cv = params.curves
    s = params.scale
    roll = params.roll
    img = _background(np.random.default_rng(app['background']), size)
    P = _Painter(img, layers=return_layers)
    skin = np.asarray(app['skin'], np.float32)
    hair = np.asarray(app['hair'], np.float32)
    light = np.asarray(app['light'], np.float32)
    light2 = light[:2]

    # ----- silhouette: closed spline through the jaw 0..16 and the forehead arc back to 0
    fh = cv['forehead']
    silhouette = _catmull_rom(np.concatenate([kp[JAW], fh]), closed=True, samples=8)
    head_c = cv['head_center'][0]
    half_w = 0.5 * np.linalg.norm(kp[16] - kp[0]) + 0.05 * s
    half_h = 0.5 * np.linalg.norm(fh[len(fh) // 2] - kp[8])
    shade = _shade_field(size, head_c, (half_w * 1.1, half_h * 1.08), roll, light,
                         float(app['ambient']))
    tex = 1.0 + 0.05 * _smooth_noise(rng, size, int(rng.integers(4, 9)))[..., 0] + \
        0.025 * _white_noise(rng, size, 1)[..., 0]
    tint = _upsample(skin * (1.0 + 0.03 * rng.standard_normal((5, 5, 3), dtype=np.float32)),
                     size)
    skin_img = tint * _gray3(tex * shade)

    # ----- clothing, back hair, neck, ears
    style = app['hair_style']
    if style != 'bald' or app['beard']:
        hair_tex = 1.0 + 0.18 * _smooth_noise(rng, size, 40, 1, aspect=(1.0, 0.08))[..., 0] + \
            0.08 * _white_noise(rng, size, 1)[..., 0]
        hair_shade = hair_tex * (0.6 + 0.4 * shade)
        hair_img: Color = lambda ys, xs: _tint(hair, hair_shade[ys, xs])  # noqa: E731
    cloth = np.asarray(app['cloth'], np.float32)
    cloth_tex = 1.0 + 0.1 * _smooth_noise(rng, size, 6)
    P.poly(_catmull_rom(cv['torso'], closed=True, samples=4),
           lambda ys, xs: _tint(cloth, cloth_tex[ys, xs, 0] * (0.7 + 0.3 * shade[ys, xs])))
    hair_out = head_c + (fh - head_c) * (1.0 + rng.uniform(0.04, 0.14))
    if style in ('long', 'bob'):
        drop = (2.0 if style == 'long' else 0.9) * (kp[8] - kp[27])
        side_l = np.stack([kp[0] + (kp[0] - head_c) * 0.15 + 0.1 * drop,
                           kp[3] + (kp[3] - head_c) * 0.25 + 0.5 * drop,
                           kp[5] + (kp[5] - head_c) * 0.2 + drop])
        side_r = np.stack([kp[11] + (kp[11] - head_c) * 0.2 + drop,
                           kp[13] + (kp[13] - head_c) * 0.25 + 0.5 * drop,
                           kp[16] + (kp[16] - head_c) * 0.15 + 0.1 * drop])
        back_hair = _catmull_rom(np.concatenate([side_r, hair_out, side_l]), closed=True,
                                 samples=6)
        if not app['hair_over_ears']:
            P.poly(back_hair, hair_img)
    neck_l, neck_r = cv['neck_left'], cv['neck_right']
    neck_bottom = 0.5 * (neck_l[2] + neck_r[2]) + np.array([0.0, app['neckline_depth'] * s])
    neck = np.concatenate([neck_l[:3], neck_bottom[None], neck_r[:3][::-1]])
    res = P.poly(_catmull_rom(neck, closed=True, samples=4),
                 _scaled(skin_img, app['neck_shadow']))
    if res is not None:  # the chin's shadow on the neck, clipped to the neck
        roi, neck_mask = res
        down = kp[8] - kp[27]
        shadow = P.poly_mask([np.concatenate([kp[3:14], (kp[3:14] + down * 0.2)[::-1]])], roi)
        shadow = cv2.GaussianBlur(shadow.astype(np.float32), (0, 0), 0.03 * s)
        P.blend(roi, shadow * neck_mask * np.float32(1 / 255), skin * 0.25, 0.6)
    if app['ears']:
        for name, hidden in zip(('ear_right', 'ear_left'), app['hide_ear']):
            if hidden:
                continue
            ear = _catmull_rom(cv[name], closed=True, samples=6)
            P.poly(ear, _scaled(skin_img, 0.88))
            P.ellipse(cv[name].mean(0), (0.03 * s, 0.065 * s), roll, skin * 0.55, 0.45,
                      blur=0.012 * s)
            P.line(ear, skin * 0.5, 1.0, 0.35, closed=True)
    if style in ('long', 'bob') and app['hair_over_ears']:  # over the ears, behind the face
        P.poly(back_hair, hair_img)

    # ----- face skin, contour shadow, make-up, beard
    P.poly(silhouette, skin_img)
    P.add_layer('face', [silhouette])
    P.line(silhouette[:16 * 8 + 1], skin * 0.4, 1.0, 0.35, blur=0.4)
    if app['makeup']:
        for j in (2, 14):
            P.ellipse(0.5 * (kp[j] + kp[30]), (0.1 * s, 0.06 * s), roll, (220, 110, 110),
                      0.15, blur=0.04 * s)
    if app['beard']:
        beard = np.concatenate([kp[2:15], _catmull_rom(kp[[54, 33, 48]], samples=6)])
        P.poly(beard, lambda ys, xs: _tint(hair * 0.8, hair_shade[ys, xs]), 0.5,
               blur=0.01 * s)

    # ----- front hair: hairline (left -> right) then the expanded forehead arc back over the top
    if style != 'bald':
        hl = cv['hairline']
        P.poly(_catmull_rom(np.concatenate([hl, hair_out]), closed=True, samples=6), hair_img)
        P.line(_catmull_rom(hl, samples=6), hair * 0.6, 1.0, 0.4, blur=0.6)
        if style == 'updo':
            top = hair_out[len(hair_out) // 2]
            P.ellipse(top + (top - head_c) * 0.05, (0.22 * s, 0.12 * s), roll, hair_img)

    # ----- eye sockets and brows
    eye_w = [float(np.linalg.norm(kp[idx[3]] - kp[idx[0]])) for idx in (R_EYE, L_EYE)]
    P.poly([_ellipse_pts(kp[idx].mean(0) + np.array([0.0, -0.25 * w]), (0.75 * w, 0.45 * w),
                         roll) for idx, w in zip((R_EYE, L_EYE), eye_w)],
           skin * 0.55, 0.25, blur=0.11 * sum(eye_w))
    brow = np.asarray(app['brow'], np.float32)
    strokes = []
    for idx in (R_BROW, L_BROW):
        center = _catmull_rom(kp[idx], samples=6)
        t = np.linspace(0, 1, len(center))
        if idx[0] == 22:  # the left brow runs inner -> outer
            t = t[::-1]
        thick = float(app['brow_thickness']) * s * (
            0.55 + 0.65 * np.sin(np.pi * (0.25 + 0.7 * t))**0.8)
        thick *= np.where(t > 0.8, 1 - (t - 0.8) * 2.5, 1.0)
        # the landmarks lie inside the stroke, 40 % of its thickness below its upper edge
        strokes.append(np.concatenate([_offset_curve(center, 0.4 * thick),
                                       _offset_curve(center, -0.6 * thick)[::-1]]))
    grain = _white_noise(rng, size, 1)
    P.poly(strokes, lambda ys, xs: _tint(brow, 1.0 + 0.12 * grain[ys, xs, 0]),
           float(app['brow_alpha']), blur=0.3)
    P.add_layer('brows', strokes)

    # ----- eyes: sclera, iris, pupil, glint, lid shadow, lids, crease
    iris_col = np.asarray(app['iris'], np.float32)
    r_iris = float(app['iris_radius']) * s
    fx = abs(np.cos(np.deg2rad(params.yaw)))
    fy = abs(np.cos(np.deg2rad(params.pitch)))
    lids = [_lid_curves(kp[idx]) for idx in (R_EYE, L_EYE)]
    heights = [float(np.mean(np.abs(kp[idx[[1, 2]], 1] - kp[idx[[5, 4]], 1])))
               for idx in (R_EYE, L_EYE)]
    P.line([_offset_curve(up, 0.22 * w + 0.5 * h)[2:-2]
            for (up, _), w, h in zip(lids, eye_w, heights)], skin * 0.5, 1.0, 0.35, blur=0.5)
    for k, idx in enumerate((R_EYE, L_EYE)):
        e = kp[idx]
        upper, lower = lids[k]
        w, height = eye_w[k], heights[k]
        opening = np.concatenate([upper, lower[1:-1]])
        if height > 0.6:
            yx = np.clip(np.round(e[1, ::-1]).astype(int), 0, size - 1)
            res = P.poly(opening, np.array([232, 226, 220], np.float32) *
                         np.float32(0.75 + 0.25 * shade[yx[0], yx[1]]))
            if res is not None:
                roi, mask = res
                ic = cv['iris_centers'][k] + np.asarray(app['gaze']) * np.array([0.3, 0.15]) * w
                inside = mask.astype(np.float32) * np.float32(1 / 255)
                iris = P.poly_mask([_ellipse_pts(ic, (r_iris * fx, r_iris * fy), roll)], roi)
                pupil = P.poly_mask([_ellipse_pts(ic, (0.42 * r_iris * fx, 0.42 * r_iris * fy),
                                                  roll)], roi)
                glint = P.poly_mask([_ellipse_pts(ic + np.array([-0.3, -0.35]) * r_iris,
                                                  (0.16 * r_iris, 0.16 * r_iris), 0)], roi)
                P.blend(roi, iris * inside, iris_col)
                P.blend(roi, iris * inside, iris_col * 0.55, 0.35, blur=0.15 * r_iris)
                P.blend(roi, pupil * inside, (12, 10, 10))
                P.blend(roi, glint * inside, (250, 250, 250), 0.85)
                lid = P.poly_mask([np.concatenate([upper, _offset_curve(
                    upper, -0.25 * height)[::-1]])], roi)
                P.blend(roi, lid * inside, (40, 30, 30), 0.35, blur=0.5)
            P.add_layer('eyes', [opening])
    P.line([up for up, _ in lids], (25, 18, 15), max(1.0, 0.035 * sum(eye_w)),
           0.85 * float(app['lash']))
    P.line([lo for _, lo in lids], skin * 0.45, 1.0, 0.55)
    P.add_layer('eye_outline', [c for pair in lids for c in pair], 'line')

    # ----- nose: side walls, ridge line, tip highlight, base line, alae, nostrils
    ridge = _catmull_rom(kp[BRIDGE], samples=8)
    nose_w = np.linalg.norm(kp[35] - kp[31])
    shadow_side = -1.0 if light2[0] > 0 else 1.0
    for side, j in ((-1.0, 31), (1.0, 35)):
        wall = _catmull_rom(np.stack([
            kp[28] + np.array([side * 0.18 * nose_w, 0]),
            kp[29] + np.array([side * 0.32 * nose_w, 0]),
            kp[j] + (kp[30] - kp[j]) * 0.25 + np.array([0, -0.12 * nose_w])]), samples=6)
        P.line(wall, skin * 0.45, max(1.0, 0.05 * nose_w), 0.35 if side == shadow_side else 0.15,
               blur=0.08 * nose_w)
    P.line(ridge, np.minimum(skin * 1.2 + 12, 255), max(1.0, 0.06 * nose_w), 0.3, blur=0.3)
    P.line(ridge, skin * 0.9, 1.0, 0.3)
    P.add_layer('nose_ridge', [ridge], 'line')
    P.ellipse(kp[30] - 0.03 * s * light2, (0.035 * s, 0.025 * s), roll,
              np.minimum(skin * 1.3 + 20, 255), 0.35, blur=0.015 * s)
    base = _catmull_rom(kp[NOSE_BASE], samples=6)
    P.poly(np.concatenate([base, (base + np.array([0, 0.035 * s]))[::-1]]), skin * 0.5, 0.25,
           blur=0.01 * s)
    wings, nostrils = [], []
    for j, jn in ((31, 32), (35, 34)):
        out = kp[j] - kp[33]
        wings.append(_catmull_rom(np.stack([
            kp[j], kp[j] + 0.15 * out + np.array([0, -0.09 * nose_w]),
            kp[j] - 0.05 * out + np.array([0, -0.2 * nose_w])]), samples=5))
        # nostril: a dark ellipse whose bottom sits on landmark 32 / 34
        v = kp[33] - kp[j]
        rx = 0.28 * np.linalg.norm(v)
        ry = 0.35 * rx
        nostrils.append(_ellipse_pts(kp[jn] + np.array([0.0, -ry]), (rx, ry),
                                     float(np.degrees(np.arctan2(v[1], v[0])))))
    P.line(wings, skin * 0.45, max(1.0, 0.04 * nose_w), 0.5, blur=0.3)
    P.poly(nostrils, skin * 0.25, 0.8, blur=0.3)
    P.line(base, skin * 0.4, max(1.0, 0.035 * nose_w), 0.6, blur=0.2)
    P.add_layer('nose_base', [base], 'line')

    # ----- mouth: lips between the outer and inner contours, interior, teeth
    out_up = _catmull_rom(kp[48:55])
    out_lo = _catmull_rom(kp[[54, 55, 56, 57, 58, 59, 48]])
    in_up = _catmull_rom(kp[60:65])
    in_lo = _catmull_rom(kp[[64, 65, 66, 67, 60]])
    outer = np.concatenate([out_up, out_lo[1:-1]])
    inner = np.concatenate([in_up, in_lo[1:-1]])
    lips = np.asarray(app['lips'], np.float32)
    P.ellipse(kp[57] + np.array([0, 0.03 * s]), (0.09 * s, 0.025 * s), roll, skin * 0.5, 0.25,
              blur=0.015 * s)
    P.poly([outer, inner], lambda ys, xs: _tint(lips, 0.85 + 0.15 * shade[ys, xs]))
    P.poly(np.concatenate([out_up, in_up[::-1]]), lips * 0.8, 0.5)
    P.ellipse(0.5 * (kp[57] + kp[66]) - 0.01 * s * light2, (0.04 * s, 0.012 * s), roll,
              np.minimum(lips * 1.4 + 20, 255), 0.3, blur=0.01 * s)
    gap = float(np.mean(kp[[65, 66, 67], 1] - kp[[63, 62, 61], 1]))
    if gap > 0.8:
        res = P.poly(inner, (45, 18, 22))
        if res is not None and app['teeth']:
            roi, mask = res
            teeth_h = min(0.035 * s, gap * 0.6)
            tm = P.poly_mask([np.concatenate([in_up, (in_up + np.array([0, teeth_h]))[::-1]])],
                             roi)
            P.blend(roi, tm.astype(np.float32) * mask * np.float32(1 / 255), (225, 220, 205),
                    0.95)
    P.line([in_up, in_lo], (50, 20, 25), 1.0, 0.8)
    P.line(outer, lips * 0.7, 1.0, 0.3, closed=True)
    P.add_layer('lips', [outer, inner])
    P.add_layer('mouth_inner', [in_up, in_lo], 'line')

    # ----- occluders
    for o in params.occluders:
        _draw_occluder(P, o, rng, kp)

    # ----- global lighting, colour cast, blur, noise, gray
    img = P.img
    gain = np.asarray(app['color_gain'], np.float32)
    if app['light_gradient'] > 0:
        ang = app['light_angle']
        k = 2 * app['light_gradient'] / size
        ramp = 1.0 + k * (np.cos(ang) * (np.arange(size) - size / 2))  # along x
        ramp_y = k * (np.sin(ang) * (np.arange(size) - size / 2))  # along y
        g = (ramp[None, :] + ramp_y[:, None]).astype(np.float32)
        img *= (_gray3(g).reshape(size, size * 3) * np.tile(gain, size)).reshape(size, size, 3)
    else:
        img *= gain
    if app['blur'] > 0:
        img = cv2.GaussianBlur(img, (0, 0), app['blur'])
    if app['noise'] > 0:
        img += _white_noise(rng, size, 3) * np.float32(app['noise'])
    if app['gray']:
        img = _gray3(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY))
    np.clip(img, 0, 255, out=img)
    out = cv2.convertScaleAbs(img)  # rounds to uint8 (abs is a no-op after the clip)
    if return_layers:
        layers = dict(P.layers or {})
        layers.setdefault('occluders', np.zeros((size, size), np.uint8))
        return out, layers
    return out


def _draw_occluder(P: _Painter, o: Dict[str, Any], rng: np.random.Generator,
                   kp: np.ndarray) -> None:
    """Draw one occluder and record it in the ``'occluders'`` layer."""
    size = P.size
    col = np.asarray(o['color'], np.float32)
    vgrad = np.linspace(0.85, 1.1, size, dtype=np.float32)[:, None]
    if o['texture']:
        tex = 1.0 + 0.15 * _smooth_noise(rng, size, int(rng.integers(3, 20)), 3)
        fill: Color = lambda ys, xs: col * tex[ys, xs] * vgrad[ys, :, None]  # noqa: E731
    else:
        fill = lambda ys, xs: _tint(col, np.broadcast_to(  # noqa: E731
            vgrad[ys], (ys.stop - ys.start, xs.stop - xs.start)))
    c = np.asarray(o['center'], np.float64)
    sz = float(o['size'])
    polys: List[np.ndarray] = []
    kind = o['kind']
    if kind == 'hand':
        ang = np.deg2rad(o['angle'])
        d = np.array([np.cos(ang), np.sin(ang)])
        n = np.array([-d[1], d[0]])
        polys.append(_ellipse_pts(c, (0.45 * sz, 0.38 * sz), o['angle']))
        for f in range(4):
            base = c + n * (f - 1.5) * 0.2 * sz + d * 0.25 * sz
            tip = base + d * sz * (0.55 + 0.1 * (1.5 - abs(f - 1.5)))
            seg = np.stack([base, tip])
            finger = np.concatenate([_offset_curve(seg, 0.09 * sz),
                                     [tip + d * 0.08 * sz],
                                     _offset_curve(seg, -0.09 * sz)[::-1]])
            polys.append(_catmull_rom(finger, closed=True, samples=4))
        thumb = np.stack([c - n * 0.35 * sz, c - n * 0.35 * sz + (d - n) * 0.35 * sz])
        polys.append(np.concatenate([_offset_curve(thumb, 0.1 * sz),
                                     _offset_curve(thumb, -0.1 * sz)[::-1]]))
        for poly in polys:
            P.poly(poly, fill)
        for poly in polys[1:]:
            P.line(poly, col * 0.6, 1.0, 0.4, closed=True)
    elif kind in ('rect', 'bar'):
        asp = o['aspect'] if kind == 'rect' else 0.18
        a = np.deg2rad(o['angle'])
        r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        polys.append((np.array([[-1, -asp], [1, -asp], [1, asp], [-1, asp]]) * sz * 0.5) @ r.T +
                     c)
        P.poly(polys[-1], fill)
    elif kind == 'ellipse':
        polys.append(_ellipse_pts(c, (0.5 * sz, 0.5 * sz * o['aspect']), o['angle']))
        P.poly(polys[-1], fill)
    elif kind == 'hat':
        y = o['brim_y']
        x0, x1 = kp[:, 0].min() - 0.25 * sz, kp[:, 0].max() + 0.25 * sz
        crown = np.array([[x0, y], [x1, y], [x1 - 0.12 * sz, y - 0.25 * sz],
                          [c[0] + 0.3 * sz, y - 0.9 * sz], [c[0] - 0.3 * sz, y - 0.9 * sz],
                          [x0 + 0.12 * sz, y - 0.25 * sz]])
        polys.append(_catmull_rom(crown, closed=True, samples=5))
        P.poly(polys[-1], fill)
        P.line(np.array([[x0, y], [x1, y]]), col * 0.5, max(1.0, 0.03 * sz), 0.8)
    elif kind == 'mask':
        y = o['top_y']
        pts = np.concatenate([[[kp[1, 0] - 0.03 * sz, y]], kp[2:15] + (kp[2:15] - kp[30]) * 0.08,
                              [[kp[15, 0] + 0.03 * sz, y]]])
        polys.append(_catmull_rom(pts, closed=True, samples=4))
        P.poly(polys[-1], fill)
    elif kind == 'glasses':
        for idx in (R_EYE, L_EYE):
            e = kp[idx]
            w = np.linalg.norm(e[3] - e[0])
            lens = _ellipse_pts(e.mean(0), (0.85 * w, 0.6 * w), 0)
            if o['dark']:
                P.poly(lens, (20, 20, 25), 0.85)
                polys.append(lens)
            P.line(lens, col * 0.4, max(1.0, 0.08 * w), 1.0, closed=True)
        P.line(np.stack([kp[39] + np.array([0.5 * np.linalg.norm(kp[39] - kp[36]), -2]),
                         kp[42] - np.array([0.5 * np.linalg.norm(kp[45] - kp[42]), 2])]),
               col * 0.4, 2.0, 1.0)
    if polys:
        P.add_layer('occluders', polys)


# --------------------------------------------------------------------------------------------
# Dataset generation
# --------------------------------------------------------------------------------------------
def generate_face(index: int, seed: int = 0, split: str = 'train', difficulty: str = 'normal',
                  image_size: int = 256, return_layers: bool = False) -> Tuple[Any, ...]:
    """Generate sample ``index`` of a split deterministically.

    Args:
        index: Sample index.
        seed: Dataset seed.
        split: Split name (selects the seed stream).
        difficulty: ``'normal'`` or ``'hard'``.
        image_size: Output side in pixels.
        return_layers: Append the structure masks of :func:`render_face` to the result.

    Returns:
        ``(image, keypoints)``: (S, S, 3) uint8 RGB and (68, 2) float64 pixel coordinates; with
        ``return_layers`` a third item, the dict of masks.
    """
    params = sample_face_params(sample_rng(seed, split, index), difficulty, image_size)
    if return_layers:
        image, layers = render_face(params, return_layers=True)
        return image, params.keypoints.copy(), layers
    return render_face(params), params.keypoints.copy()


def ann_file_name(split: str) -> str:
    """Annotation file name of a split, relative to the dataset root."""
    return f'annotations/face_landmarks_synthetic_{split}.json'


def _annotation(index: int, kp: np.ndarray) -> Dict[str, Any]:
    """One MMPose 300W (COCO-style) annotation, same keys and order as the real files."""
    lo, hi = kp.min(0), kp.max(0)
    w, h = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    kps: List[float] = []
    for x, y in kp:
        kps += [round(float(x), 3), round(float(y), 3), 2.0]
    return {
        'image_id': index + 1,
        'id': index + 1,
        'keypoints': kps,
        'num_keypoints': NUM_KEYPOINTS,
        'bbox': [round(float(lo[0]), 3), round(float(lo[1]), 3), round(w, 3), round(h, 3)],
        'iscrowd': 0,
        'area': round(w * h, 3),
        'category_id': 1,
        'center': [round(float(lo[0] + hi[0]) / 2, 3), round(float(lo[1] + hi[1]) / 2, 3)],
        'scale': round(max(w, h) / 200.0, 6),
    }


def _chunk_worker(task: Tuple[str, str, int, str, int, int, int, str, int]) -> List[Tuple]:
    """Render and save samples ``[start, stop)``; return ``(index, keypoints)`` pairs."""
    img_dir, split, seed, difficulty, image_size, start, stop, ext, quality = task
    out = []
    for i in range(start, stop):
        image, kp = generate_face(i, seed, split, difficulty, image_size)
        path = osp.join(img_dir, f'{i:06d}.{ext}')
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == 'jpg' else \
            [cv2.IMWRITE_PNG_COMPRESSION, 1]
        if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params):
            raise OSError(f'could not write {path}')
        out.append((i, np.round(kp, 3)))
    return out


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _split_paths(out_dir: str, split: str, labeled: bool) -> Dict[str, Optional[str]]:
    return dict(
        data_root=out_dir,
        img_dir=osp.join(out_dir, 'images', split),
        img_prefix='images/',
        ann_file=osp.join(out_dir, ann_file_name(split)) if labeled else None,
        file_list=osp.join(out_dir, 'filelists', f'{split}.txt'),
        manifest=osp.join(out_dir, 'meta', f'{split}.json'))


def generate_split(out_dir: str, split: str, num_images: int, seed: int = 0,
                   difficulty: str = 'normal', image_size: int = 256, labeled: bool = True,
                   num_workers: int = 2, overwrite: bool = False, ext: str = 'jpg',
                   jpeg_quality: int = 95,
                   mp_start_method: Optional[str] = None) -> Dict[str, Optional[str]]:
    """Generate one split: ``images/<split>/000000.jpg`` ... and, if labeled, its annotations.

    The annotation file ``annotations/face_landmarks_synthetic_<split>.json`` has exactly the
    structure of the real MMPose 300W files (categories / images / annotations with
    ``keypoints`` [x, y, 2] x 68, ``bbox`` = landmark box, ``center``, ``scale`` =
    max(w, h) / 200), so ``Face300WDataset(ann_file=..., data_root=out_dir,
    data_prefix=dict(img='images/'))`` reads it. ``filelists/<split>.txt`` lists the image
    paths relative to ``images/``; ``meta/<split>.json`` (written last) records the generation
    parameters and marks the split complete.

    Args:
        out_dir: Dataset root.
        split: Split name (also the seed stream, see :func:`sample_rng`).
        num_images: Number of images.
        seed: Dataset seed.
        difficulty: ``'normal'`` or ``'hard'``.
        image_size: Image side in pixels.
        labeled: Write the annotation JSON.
        num_workers: Worker processes (0 or 1: in this process).
        overwrite: Regenerate even if a complete split with the same parameters exists.
        ext: ``'jpg'`` or ``'png'``.
        jpeg_quality: JPEG quality.
        mp_start_method: Multiprocessing start method (default ``'spawn'``: ``'fork'`` can
            deadlock once the parent process has used OpenCV's or OpenMP's thread pools).

    Returns:
        Paths of the split: ``data_root``, ``img_dir``, ``img_prefix``, ``ann_file`` (None when
        unlabeled), ``file_list``, ``manifest``.

    Raises:
        FileExistsError: A complete split with different parameters exists and not overwrite.
    """
    if ext not in ('jpg', 'png'):
        raise ValueError(f'ext must be jpg or png, got {ext!r}')
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}')
    out_dir = osp.abspath(out_dir)
    paths = _split_paths(out_dir, split, labeled)
    meta = dict(generator_version=GENERATOR_VERSION, split=split, num_images=int(num_images),
                seed=int(seed), difficulty=difficulty, image_size=int(image_size),
                labeled=bool(labeled), ext=ext, jpeg_quality=int(jpeg_quality))
    names = [f'{split}/{i:06d}.{ext}' for i in range(num_images)]
    manifest = paths['manifest']
    assert manifest is not None and paths['img_dir'] is not None
    if osp.isfile(manifest) and not overwrite:
        with open(manifest) as f:
            old = json.load(f)
        complete = all(osp.isfile(osp.join(out_dir, 'images', n)) for n in names) and (
            not labeled or osp.isfile(str(paths['ann_file'])))
        if old.get('params') == meta and complete:
            print_log(f'synthetic faces: split {split!r} already complete in {out_dir}, skipped',
                      logger='current')
            return paths
        if old.get('params') != meta and complete:
            raise FileExistsError(
                f'split {split!r} in {out_dir} was generated with {old.get("params")}, not '
                f'{meta}; pass overwrite=True to regenerate it')
    if osp.isfile(manifest):
        os.remove(manifest)
    if osp.isdir(paths['img_dir']):
        shutil.rmtree(paths['img_dir'])
    os.makedirs(paths['img_dir'])
    for sub in ('annotations', 'filelists', 'meta'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)

    t0 = time.perf_counter()
    chunk = max(1, min(64, -(-num_images // max(1, 4 * max(num_workers, 1)))))
    tasks = [(paths['img_dir'], split, int(seed), difficulty, int(image_size), s,
              min(s + chunk, num_images), ext, int(jpeg_quality))
             for s in range(0, num_images, chunk)]
    results: List[Tuple] = []
    if num_workers > 1 and len(tasks) > 1:
        # spawn, not fork: OpenCV's and OpenMP's thread pools are not fork-safe (a forked
        # worker deadlocks once the parent has used cv2's parallel_for, e.g. cv2.resize)
        method = mp_start_method or 'spawn'
        ctx = mp.get_context(method)
        with ctx.Pool(num_workers, initializer=_worker_init) as pool:
            for part in pool.imap_unordered(_chunk_worker, tasks):
                results.extend(part)
    else:
        for task in tasks:
            results.extend(_chunk_worker(task))
    results.sort(key=lambda r: r[0])

    if labeled:
        data = {
            'categories': [{'supercategory': 'person', 'id': 1, 'name': 'face', 'keypoints': [],
                            'skeleton': []}],
            'images': [{'id': i + 1, 'file_name': names[i], 'height': int(image_size),
                        'width': int(image_size)} for i, _ in results],
            'annotations': [_annotation(i, kp) for i, kp in results],
        }
        with open(str(paths['ann_file']), 'w') as f:
            json.dump(data, f)
    with open(str(paths['file_list']), 'w') as f:
        f.write(''.join(n + '\n' for n in names))
    with open(manifest, 'w') as f:
        json.dump(dict(params=meta, seconds=round(time.perf_counter() - t0, 3)), f, indent=1)
    print_log(f'synthetic faces: wrote {num_images} {difficulty} images of split {split!r} to '
              f'{paths["img_dir"]} in {time.perf_counter() - t0:.1f}s', logger='current')
    return paths


#: Splits of :func:`generate_dataset`: name -> (difficulty, labeled).
DATASET_SPLITS = {
    'train': ('normal', True),
    'test': ('normal', True),
    'test_hard': ('hard', True),
    'unlabeled': ('normal', False),
}


def generate_dataset(out_dir: str, seed: int = 0, num_train: int = 2000, num_test: int = 300,
                     num_test_hard: int = 150, num_unlabeled: int = 1000, image_size: int = 256,
                     num_workers: int = 2,
                     overwrite: bool = False) -> Dict[str, Dict[str, Optional[str]]]:
    """Generate the train / test / test_hard / unlabeled synthetic face splits.

    Each split uses its own seed stream (derived from its name), so the splits are disjoint
    and each sample does not depend on the split sizes. Complete splits generated with the
    same parameters are skipped (idempotent) unless ``overwrite``.

    Args:
        out_dir: Dataset root (e.g. ``data/synthetic_faces``).
        seed: Dataset seed.
        num_train: Labeled training images (normal difficulty).
        num_test: Labeled test images (normal difficulty).
        num_test_hard: Labeled hard test images (stronger pose, occlusion, blur, noise).
        num_unlabeled: Unlabeled images (normal difficulty, images and a file list only).
        image_size: Image side in pixels.
        num_workers: Worker processes.
        overwrite: Regenerate existing splits.

    Returns:
        Split name -> paths (see :func:`generate_split`); splits with 0 images are omitted.
    """
    counts = dict(train=num_train, test=num_test, test_hard=num_test_hard,
                  unlabeled=num_unlabeled)
    out: Dict[str, Dict[str, Optional[str]]] = {}
    for split, (difficulty, labeled) in DATASET_SPLITS.items():
        if counts[split] <= 0:
            continue
        out[split] = generate_split(out_dir, split, counts[split], seed=seed,
                                    difficulty=difficulty, image_size=image_size,
                                    labeled=labeled, num_workers=num_workers,
                                    overwrite=overwrite)
    return out
