"""The 3-D shape model: frozen mean shape, identity / expression deformation and head pose.

:data:`MEAN_SHAPE_3D` holds x, y in units of the landmark-box width (estimated once offline by
generalized Procrustes analysis of the 2012 annotations of the 300W training subset and
mirrored to be symmetric) and an anthropometric depth z in the same units (1 unit ~ 14 cm, nose
tip at z = 0). The jaw and forehead contour points are not rigid 3-D points but occluding
contours of elliptic head cross-sections (:func:`_contour_points`), recomputed for the yaw.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple, Union

import numpy as np

from .landmarks import JAW, L_BROW, L_EYE, MOUTH, NOSE_BASE, NUM_KEYPOINTS, R_BROW, R_EYE

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


def _surface_z(x: np.ndarray, a: Union[float, np.ndarray], z0: float,
               b: Union[float, np.ndarray]) -> np.ndarray:
    """Depth of the front half of an elliptic cross-section at lateral position x."""
    return z0 + b * np.sqrt(np.clip(1.0 - (x / a)**2, 0.0, 1.0))


def _eye_tilt(d: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate (N, 2) offsets from an eye centre by ``angle_deg`` degrees."""
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
    return d @ np.array([[c, s], [-s, c]])


# --------------------------------------------------------------------------------------------
# Identity and expression
# --------------------------------------------------------------------------------------------
#: ``n(std, lim=2.5)``: a normal identity coefficient of std ``std * k`` clipped to ±lim std.
Coefficient = Callable[..., float]


def _coefficient_sampler(rng: np.random.Generator, k: float) -> Coefficient:
    """The clipped-normal sampler of identity coefficients, their std scaled by ``k``."""

    def n(std: float, lim: float = 2.5) -> float:
        return float(np.clip(rng.normal(0.0, std * k), -lim * std * k, lim * std * k))

    return n


def _deform_outline(p: np.ndarray, n: Coefficient, c: Dict[str, float]) -> None:
    """Identity of the face outline: width, jaw taper, lower-face height and chin (in place)."""
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


def _deform_eyes(p: np.ndarray, n: Coefficient, c: Dict[str, float]) -> Tuple[float, float]:
    """Identity of the eyes: size, aspect, spacing, tilt and height (in place).

    Returns:
        The eye spacing and vertical shift, which the brows follow.
    """
    es, ea, sp, tl, ey = n(0.07), n(0.1), n(0.015), n(3.0), n(0.015)
    c.update(eye_size=es, eye_aspect=ea, eye_spacing=sp, eye_tilt=tl)
    for idx, sign in ((R_EYE, -1.0), (L_EYE, 1.0)):
        ctr = p[idx, :2].mean(0)
        d = p[idx, :2] - ctr
        d[:, 0] *= 1 + es
        d[:, 1] *= (1 + es) * (1 + ea)
        d = _eye_tilt(d, -sign * tl)
        p[idx, :2] = ctr + d + np.array([sign * sp, ey])
    return sp, ey


def _deform_brows(p: np.ndarray, n: Coefficient, sp: float, ey: float) -> None:
    """Identity of the brows: height and arch, following the eyes (in place)."""
    bh, ba = n(0.02), n(0.012)
    for idx, sign in ((R_BROW, -1.0), (L_BROW, 1.0)):
        p[idx, 1] += bh + 0.5 * ey
        p[idx, 0] += 0.7 * sign * sp
        p[idx[1:4], 1] -= ba * np.array([0.6, 1.0, 0.7])


def _deform_nose(p: np.ndarray, n: Coefficient, c: Dict[str, float]) -> float:
    """Identity of the nose: length, width and depth (in place); returns the length."""
    nl, nw, nd = n(0.03), n(0.08), n(0.15)
    c.update(nose_length=nl, nose_width=nw)
    p[28:36, 1] += nl * np.array([.33, .66, 1, 1, 1, 1, 1, 1])
    p[NOSE_BASE, 0] *= 1 + nw
    p[28:31, 2] += nd * np.array([0.3, 0.6, 1.0]) * 0.12
    return nl


def _deform_mouth(p: np.ndarray, n: Coefficient, c: Dict[str, float], nl: float) -> None:
    """Identity of the mouth: width, height (below the nose) and lip thickness (in place)."""
    mw, my, ut, lt = n(0.07), n(0.02), n(0.2), n(0.2)
    c.update(mouth_width=mw)
    p[MOUTH, 0] *= 1 + mw
    p[MOUTH, 1] += my + 0.5 * nl
    line = p[62, 1]
    p[49:54, 1] = line + (p[49:54, 1] - line) * (1 + ut)
    p[55:60, 1] = line + (p[55:60, 1] - line) * (1 + lt)


def _open_mouth_and_smile(rng: np.random.Generator, cfg: Dict[str, Any], p: np.ndarray,
                          c: Dict[str, float]) -> float:
    """Expression of the mouth: opening (the jaw follows) and smile (in place).

    Returns:
        The smile coefficient (a smile narrows the eyes).
    """
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
    return sm


def _raise_or_frown_brows(rng: np.random.Generator, p: np.ndarray) -> None:
    """Expression of the brows: raise, sometimes a frown (in place)."""
    br = float(rng.uniform(-0.01, 0.035))
    p[17:27, 1] -= br * np.array([.7, .85, 1, 1, .9, .9, 1, 1, .85, .7])
    if rng.random() < 0.15:
        fr = float(rng.uniform(0.0, 0.02))
        p[[20, 21, 22, 23], 1] += fr * np.array([0.5, 1, 1, 0.5])
        p[[21, 22], 0] *= 1 - 2 * fr


def _close_eyes(rng: np.random.Generator, cfg: Dict[str, Any], p: np.ndarray,
                c: Dict[str, float], sm: float) -> None:
    """Expression of the eyes: closure (blinks; smiles narrow the eyes), in place."""
    closure = float(rng.uniform(0.6, 1.0)) if rng.random() < cfg['blink_p'] else \
        float(rng.uniform(0.0, 0.25))
    closure = min(1.0, closure + 0.15 * max(sm, 0.0))
    c['eye_closure'] = closure
    for upper, lower in (([37, 38], [41, 40]), ([44, 43], [46, 47])):
        cl = closure if rng.random() > 0.05 else float(rng.uniform(0.0, 1.0))
        gap = p[lower, 1] - p[upper, 1]
        p[upper, 1] += cl * gap * 0.85
        p[lower, 1] -= cl * gap * 0.15


def _deform_shape(rng: np.random.Generator, cfg: Dict[str, Any]) -> Tuple[np.ndarray, Dict]:
    """Sample identity and expression and apply them to the mean 3-D shape.

    Args:
        rng: The sample's generator.
        cfg: The difficulty's sampling ranges (an entry of :data:`DIFFICULTIES`).

    Returns:
        The deformed (68, 3) shape and a dict of the sampled coefficients.
    """
    k = cfg['identity']
    p = MEAN_SHAPE_3D.copy()
    c: Dict[str, float] = {}
    n = _coefficient_sampler(rng, k)
    # ----- identity
    _deform_outline(p, n, c)
    sp, ey = _deform_eyes(p, n, c)
    _deform_brows(p, n, sp, ey)
    nl = _deform_nose(p, n, c)
    _deform_mouth(p, n, c, nl)
    p[:, :2] += rng.normal(0.0, 0.003 * k, size=(NUM_KEYPOINTS, 2))
    # ----- expression
    sm = _open_mouth_and_smile(rng, cfg, p, c)
    _raise_or_frown_brows(rng, p)
    _close_eyes(rng, cfg, p, c, sm)
    return p, c


# --------------------------------------------------------------------------------------------
# Pose
# --------------------------------------------------------------------------------------------
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
