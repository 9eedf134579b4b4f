"""Video sequences with exact ground-truth landmarks, for video / landmark-smoothing benchmarks.

Four kinds of sequence, each a :class:`VideoSequence` (BGR frames, (T, 68, 2) truth in frame
pixels, per-frame occlusion flags, frame rate and a ``meta`` dict that records what was varied):

* :func:`still_face_sequence`: one rendered synthetic face, identical geometry in every frame,
  fresh Gaussian sensor noise per frame (measures a filter's jitter);
* :func:`moving_face_sequence`: the same identity and appearance re-rendered at every frame
  along a smooth known path: yaw sweep, pitch and roll oscillations, translation and a slow
  zoom (measures accuracy and lag under motion);
* :func:`occluded_face_sequence`: a still face and an opaque, hand-coloured rounded box that
  slides in from one side, covers about half of the face for a stretch of frames and leaves;
  ``occluded`` flags the covered landmarks;
* :func:`affine_path_sequence`: a real face image (e.g. one of the 300W crops, see
  :func:`load_300w_face`) moved by a known smooth affine path (translation, rotation, scale),
  the landmarks transformed with the very same matrices.

The synthetic faces come from :mod:`mmlaplace.datasets.synthetic_faces` ('normal' difficulty,
random occluders off, colour, no generator noise: the sequences add their own per-frame sensor
noise) through :func:`~.synthetic_faces.sample_face_params`, which keeps every random
draw of a face but takes the pose and the placement as arguments. The face of seed ``s`` is the
generator ``sample_rng(s, 'video_sequences', i)`` with ``i = face_index(s)``, the first
sample without a beard and with open eyes (so that a frontal face detector finds it). Frames
are square, ``frame_size`` pixels (default 320) with a landmark box of ``face_size`` pixels
(default 120) at zero pose. The rendered textures (skin grain, hair streaks) are fields fixed
in the image, so on the moving face they stay in place while the face outline, parts and
shading move.

Everything is deterministic: the same arguments give byte-identical frames.
"""
from __future__ import annotations

import functools
import json
import os
import os.path as osp
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .synthetic_faces import FaceParams, render_face, sample_rng
from .synthetic_faces.face_params import FacePlacement, sample_face_params
from .synthetic_faces.landmarks import NUM_KEYPOINTS

#: Seed stream of the synthetic sequence faces (see :func:`~.synthetic_faces.sample_rng`).
SEED_STREAM = 'video_sequences'
#: Default side of the square synthetic frames in pixels.
DEFAULT_FRAME_SIZE = 320
#: Default landmark-box side of the synthetic faces at zero pose, in pixels.
DEFAULT_FACE_SIZE = 120.0
#: Default annotation file of :func:`load_300w_face`, relative to the 300W subset's root.
DEFAULT_300W_ANN_FILE = 'annotations/face_landmarks_300w_valid_lfpw.json'
#: Largest |yaw|, |pitch|, |roll| (degrees) of the "frontal-ish" default pose of still faces.
_FRONTAL_LIMITS = (6.0, 4.0, 4.0)


@dataclass
class VideoSequence:
    """A rendered video with exact ground-truth landmarks.

    Attributes:
        name: Sequence name (``'still_face'``, ``'moving_face'``, ``'occluded_face'``,
            ``'affine_path'``).
        frames: (T, H, W, 3) uint8 frames in BGR order (OpenCV).
        keypoints: (T, 68, 2) float32 true landmarks in frame pixels (0-based, pixel centres
            on integers), iBUG 68-point order.
        occluded: (T, 68) bool, True where the scripted occluder covers the landmark in that
            frame (all False without an occluder).
        fps: Frame rate in frames per second.
        meta: What was varied and how (sequence kind, seed, per-frame pose / matrices, noise
            level, occluder geometry, ...); JSON-friendly except for numpy arrays.
    """

    name: str
    frames: np.ndarray
    keypoints: np.ndarray
    occluded: np.ndarray
    fps: float
    meta: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = len(self.frames)
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3 or self.frames.dtype != np.uint8:
            raise ValueError(f'VideoSequence {self.name!r}: frames must be (T, H, W, 3) uint8, '
                             f'got {self.frames.shape} {self.frames.dtype}')
        if self.keypoints.shape != (t, NUM_KEYPOINTS, 2):
            raise ValueError(f'VideoSequence {self.name!r}: keypoints must be '
                             f'({t}, {NUM_KEYPOINTS}, 2), got {self.keypoints.shape}')
        if self.occluded.shape != (t, NUM_KEYPOINTS):
            raise ValueError(f'VideoSequence {self.name!r}: occluded must be '
                             f'({t}, {NUM_KEYPOINTS}), got {self.occluded.shape}')

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(len(self.frames))

    @property
    def frame_size(self) -> Tuple[int, int]:
        """Frame (height, width) in pixels."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _check_count(num_frames: int) -> int:
    """Validate a frame count."""
    if int(num_frames) != num_frames or num_frames < 1:
        raise ValueError(f'num_frames must be a positive integer, got {num_frames!r}')
    return int(num_frames)


def _noise_rng(seed: int, name: str) -> np.random.Generator:
    """The sensor-noise generator of a sequence (its own stream per sequence name)."""
    stream = zlib.crc32(f'{SEED_STREAM}/noise/{name}'.encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream]))


def _with_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Add fresh Gaussian sensor noise.

    Args:
        image: (H, W, 3) uint8 or float image.
        rng: The noise generator.
        sigma: Noise standard deviation in grey levels (0: none).

    Returns:
        (H, W, 3) uint8 image, rounded and clipped.
    """
    if sigma < 0:
        raise ValueError(f'noise_sigma must be >= 0, got {sigma}')
    img = np.asarray(image, np.float32)
    if sigma > 0:
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _check_inside(points: np.ndarray, width: int, height: int, what: str,
                  margin: float = 1.0) -> None:
    """Raise if any (N, 2) point (or (T, N, 2)) is not inside the frame by ``margin`` px."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    lo, hi = pts.min(0), pts.max(0)
    if lo[0] < margin or lo[1] < margin or hi[0] > width - 1 - margin or \
            hi[1] > height - 1 - margin:
        raise ValueError(
            f'{what}: the face leaves the {width}x{height} frame (points span x '
            f'{lo[0]:.1f}..{hi[0]:.1f}, y {lo[1]:.1f}..{hi[1]:.1f}); use a larger frame_size, a '
            'smaller face_size or smaller motion amplitudes')


def _plain_face(params: FaceParams) -> bool:
    """Whether a face suits a frontal face detector: no beard and both eyes open."""
    kp = params.keypoints
    for eye in (slice(36, 42), slice(42, 48)):
        e = kp[eye]
        opening = (np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / 2
        if opening < 0.2 * np.linalg.norm(e[3] - e[0]):
            return False
    return not params.appearance['beard']


@functools.lru_cache(maxsize=64)
def face_index(seed: int) -> int:
    """Index of the synthetic face of ``seed`` in the seed stream :data:`SEED_STREAM`.

    The first sample ``i = 0, 1, ...`` of ``sample_rng(seed, SEED_STREAM, i)`` (normal
    difficulty) without a beard and with both eyes open, so that a frontal face detector finds
    it (a bearded or blinking synthetic face often defeats OpenCV's Haar cascade).

    Args:
        seed: Sequence seed.

    Returns:
        The sample index.
    """
    placement = FacePlacement(DEFAULT_FACE_SIZE, (DEFAULT_FRAME_SIZE / 2, DEFAULT_FRAME_SIZE / 2))
    for i in range(1000):
        params = sample_face_params(sample_rng(seed, SEED_STREAM, i), 'normal',
                                     DEFAULT_FRAME_SIZE, pose=(0.0, 0.0, 0.0),
                                     placement=placement, occluders=False)
        if _plain_face(params):
            return i
    raise RuntimeError(f'no plain synthetic face found for seed {seed}')  # pragma: no cover


def _face_params(seed: int, frame_size: int, pose: Tuple[float, float, float],
                 placement: FacePlacement) -> FaceParams:
    """The sequence face of ``seed`` at a pose: normal difficulty, no random occluders.

    The generator's own sensor noise and gray conversion are turned off (the sequences add
    their own per-frame noise and stay in colour); everything else is the sample's.
    """
    params = sample_face_params(sample_rng(seed, SEED_STREAM, face_index(seed)), 'normal',
                                 frame_size, pose=pose, placement=placement, occluders=False)
    params.appearance['noise'] = 0.0
    params.appearance['gray'] = False
    return params


def _frontal_pose(seed: int, frame_size: int) -> Tuple[float, float, float]:
    """The face's sampled pose clipped to a frontal-ish range (yaw ±6, pitch ±4, roll ±4)."""
    params = sample_face_params(sample_rng(seed, SEED_STREAM, face_index(seed)), 'normal',
                                 frame_size, occluders=False)
    sampled = (params.yaw, params.pitch, params.roll)
    return tuple(float(np.clip(v, -lim, lim))  # type: ignore[return-value]
                 for v, lim in zip(sampled, _FRONTAL_LIMITS))


def _render_bgr(params: FaceParams) -> np.ndarray:
    """Render a face (no noise) as (S, S, 3) uint8 BGR."""
    return cv2.cvtColor(render_face(params), cv2.COLOR_RGB2BGR)


def _face_outline(params: FaceParams) -> np.ndarray:
    """(N, 2) landmarks and head-top curves (forehead, hairline) of a face in pixels."""
    return np.concatenate([params.keypoints, params.curves['forehead'],
                           params.curves['hairline']])


def _synthetic_meta(kind: str, seed: int, frame_size: int, face_size: float,
                    noise_sigma: float, params: FaceParams) -> Dict[str, Any]:
    """The common ``meta`` entries of a synthetic sequence."""
    app = params.appearance
    return dict(kind=kind, source='synthetic', seed=int(seed),
                face=f'sample_rng({int(seed)}, {SEED_STREAM!r}, {face_index(seed)}), normal '
                     'difficulty, no random occluders',
                frame_size=int(frame_size), face_size=float(face_size),
                noise_sigma=float(noise_sigma), blur_sigma=float(app['blur']),
                hair_style=str(app['hair_style']))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Cosine ease from 0 (x <= 0) to 1 (x >= 1), with zero slope at both ends."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# Synthetic sequences
# --------------------------------------------------------------------------------------------
def still_face_sequence(num_frames: int = 90, seed: int = 0, noise_sigma: float = 6.0,
                        frame_size: int = DEFAULT_FRAME_SIZE,
                        face_size: float = DEFAULT_FACE_SIZE, fps: float = 30.0,
                        pose: Optional[Tuple[float, float, float]] = None) -> VideoSequence:
    """A still synthetic face with fresh sensor noise in every frame.

    The face is rendered once; frame ``t`` is that image plus Gaussian noise of std
    ``noise_sigma`` drawn afresh (seeded by ``seed``). The truth is the same in every frame,
    so any frame-to-frame motion of a prediction is jitter.

    Args:
        num_frames: Number of frames T.
        seed: Seed of the face (identity, appearance) and of the noise.
        noise_sigma: Sensor noise std in grey levels (0-255).
        frame_size: Side of the square frames in pixels.
        face_size: Landmark-box side of the face at zero pose in pixels.
        fps: Frame rate.
        pose: ``(yaw, pitch, roll)`` in degrees; None: the face's sampled pose clipped to
            yaw ±6, pitch ±4, roll ±4 (frontal-ish).

    Returns:
        The :class:`VideoSequence` ``'still_face'``: frames (T, S, S, 3) uint8 BGR, keypoints
        (T, 68, 2) float32 (identical rows), occluded all False.
    """
    num_frames = _check_count(num_frames)
    pose = _frontal_pose(seed, frame_size) if pose is None else tuple(map(float, pose))
    placement = FacePlacement(float(face_size), (frame_size / 2.0, frame_size / 2.0))
    params = _face_params(seed, frame_size, pose, placement)
    _check_inside(_face_outline(params), frame_size, frame_size, 'still_face_sequence')
    clean = _render_bgr(params)
    rng = _noise_rng(seed, 'still_face')
    frames = np.stack([_with_noise(clean, rng, noise_sigma) for _ in range(num_frames)])
    kp = np.repeat(params.keypoints[None].astype(np.float32), num_frames, axis=0)
    meta = _synthetic_meta('still', seed, frame_size, face_size, noise_sigma, params)
    meta.update(pose=dict(yaw=pose[0], pitch=pose[1], roll=pose[2]),
                varied='per-frame Gaussian sensor noise only (geometry and image fixed)')
    return VideoSequence('still_face', frames, kp, np.zeros((num_frames, NUM_KEYPOINTS), bool),
                         float(fps), meta)


def moving_face_path(num_frames: int, face_size: float = DEFAULT_FACE_SIZE,
                     yaw_amplitude: float = 30.0, pitch_amplitude: float = 5.0,
                     roll_amplitude: float = 8.0, shift_amplitude: Tuple[float, float] = (0.2, 0.1),
                     zoom: float = 0.1) -> Dict[str, np.ndarray]:
    """The smooth pose and placement path of :func:`moving_face_sequence`.

    With ``u = t / T`` (one period over the sequence, every term 0 at ``t = 0``):
    ``yaw = A_yaw sin(2 pi u)`` (0 -> +A -> 0 -> -A -> back), ``pitch = A_pitch sin(4 pi u)``,
    ``roll = A_roll sin(6 pi u)``, ``dx = A_x face_size sin(2 pi u)``,
    ``dy = A_y face_size sin(4 pi u)`` and the face size times
    ``1 + zoom (1 - cos(2 pi u)) / 2`` (the face comes closer and goes back).

    Args:
        num_frames: Number of frames T.
        face_size: Landmark-box side at zero pose in pixels (scales the shifts).
        yaw_amplitude: Yaw amplitude in degrees.
        pitch_amplitude: Pitch amplitude in degrees.
        roll_amplitude: Roll amplitude in degrees.
        shift_amplitude: (x, y) translation amplitudes as fractions of ``face_size``.
        zoom: Largest relative growth of the face size.

    Returns:
        ``yaw``, ``pitch``, ``roll`` (degrees), ``dx``, ``dy`` (pixels, from the frame centre)
        and ``face_size`` (pixels): (T,) float64 arrays.
    """
    u = np.arange(_check_count(num_frames), dtype=np.float64) / num_frames
    two_pi = 2.0 * np.pi
    return dict(
        yaw=yaw_amplitude * np.sin(two_pi * u),
        pitch=pitch_amplitude * np.sin(2 * two_pi * u),
        roll=roll_amplitude * np.sin(3 * two_pi * u),
        dx=shift_amplitude[0] * face_size * np.sin(two_pi * u),
        dy=shift_amplitude[1] * face_size * np.sin(2 * two_pi * u),
        face_size=face_size * (1.0 + zoom * 0.5 * (1.0 - np.cos(two_pi * u))))


def _moving_face_params(seed: int, frame_size: int,
                        path: Dict[str, np.ndarray]) -> List[FaceParams]:
    """The face's parameters at every frame of a :func:`moving_face_path` (no rendering)."""
    c = frame_size / 2.0
    return [
        _face_params(seed, frame_size, (path['yaw'][t], path['pitch'][t], path['roll'][t]),
                     FacePlacement(float(path['face_size'][t]),
                                   (c + path['dx'][t], c + path['dy'][t])))
        for t in range(len(path['yaw']))
    ]


def moving_face_sequence(num_frames: int = 120, seed: int = 0, noise_sigma: float = 2.0,
                         frame_size: int = DEFAULT_FRAME_SIZE,
                         face_size: float = DEFAULT_FACE_SIZE, fps: float = 30.0,
                         yaw_amplitude: float = 30.0, pitch_amplitude: float = 5.0,
                         roll_amplitude: float = 8.0,
                         shift_amplitude: Tuple[float, float] = (0.2, 0.1),
                         zoom: float = 0.1) -> VideoSequence:
    """A synthetic face turning and moving along a smooth known path.

    Every frame re-renders the same face (identity, expression, colours, hair, background,
    lighting and texture seed are fixed) at the frame's pose and placement
    (:func:`moving_face_path`): the head turns about a pivot about 9 cm behind the nose tip,
    so the geometry, the visible jaw contour and the shading change as a real turning head's
    would. With the defaults (T = 120) the landmarks move at most about 5 px per frame.

    Args:
        num_frames: Number of frames T.
        seed: Seed of the face and of the noise.
        noise_sigma: Per-frame sensor noise std in grey levels.
        frame_size: Side of the square frames in pixels.
        face_size: Landmark-box side at zero pose in pixels.
        fps: Frame rate.
        yaw_amplitude: Yaw sweep amplitude in degrees (-A..A and back).
        pitch_amplitude: Pitch amplitude in degrees.
        roll_amplitude: Roll amplitude in degrees.
        shift_amplitude: (x, y) translation amplitudes as fractions of ``face_size``.
        zoom: Largest relative growth of the face size.

    Returns:
        The :class:`VideoSequence` ``'moving_face'``: frames (T, S, S, 3) uint8 BGR, keypoints
        (T, 68, 2) float32, occluded all False; ``meta['path']`` holds the per-frame pose and
        placement.

    Raises:
        ValueError: The face would leave the frame.
    """
    num_frames = _check_count(num_frames)
    path = moving_face_path(num_frames, face_size, yaw_amplitude, pitch_amplitude,
                            roll_amplitude, shift_amplitude, zoom)
    params = _moving_face_params(seed, frame_size, path)
    _check_inside(np.stack([_face_outline(p) for p in params]), frame_size, frame_size,
                  'moving_face_sequence')
    rng = _noise_rng(seed, 'moving_face')
    frames = np.stack([_with_noise(_render_bgr(p), rng, noise_sigma) for p in params])
    kp = np.stack([p.keypoints for p in params]).astype(np.float32)
    step = np.linalg.norm(np.diff(kp, axis=0), axis=-1) if num_frames > 1 else np.zeros(1)
    meta = _synthetic_meta('moving', seed, frame_size, face_size, noise_sigma, params[0])
    meta.update(path=path, max_step_px=float(step.max()),
                amplitudes=dict(yaw=yaw_amplitude, pitch=pitch_amplitude, roll=roll_amplitude,
                                shift=tuple(shift_amplitude), zoom=zoom),
                varied='pose (yaw sweep, pitch, roll), translation and size, re-rendered each '
                       'frame; appearance fixed; per-frame Gaussian sensor noise')
    return VideoSequence('moving_face', frames, kp, np.zeros((num_frames, NUM_KEYPOINTS), bool),
                         float(fps), meta)


def _rounded_box(x0: float, y0: float, x1: float, y1: float, radius: float) -> np.ndarray:
    """(N, 2) float32 polygon of an axis-aligned box with rounded corners."""
    r = max(0.0, min(radius, 0.5 * (x1 - x0), 0.5 * (y1 - y0)))
    a = np.linspace(0.0, 0.5 * np.pi, 8)
    corners = [((x1 - r, y1 - r), 0.0), ((x0 + r, y1 - r), 0.5 * np.pi),
               ((x0 + r, y0 + r), np.pi), ((x1 - r, y0 + r), 1.5 * np.pi)]
    pts = [np.stack([cx + r * np.cos(a + a0), cy + r * np.sin(a + a0)], 1)
           for (cx, cy), a0 in corners]
    return np.concatenate(pts).astype(np.float32)


def _coverage(poly: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) float32 anti-aliased coverage (0..1) of a polygon (1/16 px vertex precision)."""
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    return mask.astype(np.float32) * np.float32(1 / 255)


def occluded_face_sequence(num_frames: int = 90, seed: int = 0, noise_sigma: float = 2.0,
                           frame_size: int = DEFAULT_FRAME_SIZE,
                           face_size: float = DEFAULT_FACE_SIZE, fps: float = 30.0,
                           side: str = 'left', coverage: float = 0.5,
                           color: Optional[Sequence[float]] = None,
                           timeline: Tuple[float, float, float, float] = (0.15, 0.35, 0.65,
                                                                         0.85),
                           pose: Optional[Tuple[float, float, float]] = None) -> VideoSequence:
    """A still synthetic face with an opaque box sliding over about half of it and away.

    The occluder is an opaque, flat-coloured rounded box (by default hand-coloured: the face's
    skin colour, darker), taller than the face, drawn anti-aliased over the rendered face
    before the sensor noise. It enters from the ``side`` edge of the frame, slides (cosine
    ease) until its inner edge is at ``coverage`` of the landmark box's width, holds, and
    slides back out. The timeline fractions ``(a, b, c, d)`` of T: outside the frame until
    ``a``, moving in until ``b``, holding until ``c``, moving out until ``d``, outside after.
    ``occluded[t, k]`` is True when landmark ``k`` lies inside the box polygon at frame ``t``.

    Args:
        num_frames: Number of frames T.
        seed: Seed of the face and of the noise.
        noise_sigma: Per-frame sensor noise std in grey levels.
        frame_size: Side of the square frames in pixels.
        face_size: Landmark-box side at zero pose in pixels.
        fps: Frame rate.
        side: ``'left'`` or ``'right'``: the image side the occluder comes from (and the half
            of the face it covers).
        coverage: Fraction (0-1) of the landmark box's width covered while holding.
        color: Occluder BGR colour (0-255); None: the face's skin colour times 0.8.
        timeline: ``(a, b, c, d)`` fractions of the sequence, see above.
        pose: Face pose ``(yaw, pitch, roll)`` in degrees; None: frontal-ish, as in
            :func:`still_face_sequence`.

    Returns:
        The :class:`VideoSequence` ``'occluded_face'``: frames (T, S, S, 3) uint8 BGR,
        keypoints (T, 68, 2) float32 (identical rows), occluded (T, 68) bool;
        ``meta['occluder']`` holds the colour and the per-frame box polygons (T, N, 2).
    """
    num_frames = _check_count(num_frames)
    if side not in ('left', 'right'):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f'coverage must be in (0, 1], got {coverage}')
    a, b, c, d = (float(v) for v in timeline)
    if not 0.0 <= a < b <= c < d <= 1.0:
        raise ValueError(f'timeline must be 0 <= a < b <= c < d <= 1, got {timeline}')
    pose = _frontal_pose(seed, frame_size) if pose is None else tuple(map(float, pose))
    placement = FacePlacement(float(face_size), (frame_size / 2.0, frame_size / 2.0))
    params = _face_params(seed, frame_size, pose, placement)
    _check_inside(_face_outline(params), frame_size, frame_size, 'occluded_face_sequence')
    clean = _render_bgr(params).astype(np.float32)
    kp = params.keypoints
    if color is None:
        col = np.clip(np.asarray(params.appearance['skin'], np.float64)[::-1] * 0.8, 0, 255)
    else:
        col = np.asarray(color, np.float64).reshape(-1)
        if col.shape != (3,) or not np.all((col >= 0) & (col <= 255)):
            raise ValueError(f'color must be 3 BGR values in 0..255, got {color!r}')

    lo, hi = kp.min(0), kp.max(0)
    box_w = 0.75 * float(face_size) + coverage * float(hi[0] - lo[0])
    y0, y1 = lo[1] - 0.45 * face_size, hi[1] + 0.45 * face_size
    radius = 0.12 * float(face_size)
    if side == 'left':  # inner edge = right edge of the box
        edge_out, edge_in = -2.0, lo[0] + coverage * (hi[0] - lo[0])
    else:  # inner edge = left edge of the box
        edge_out, edge_in = frame_size + 1.0, hi[0] - coverage * (hi[0] - lo[0])
    u = np.arange(num_frames, dtype=np.float64) / max(num_frames - 1, 1)
    amount = np.where(u < c, _smoothstep((u - a) / (b - a)), 1.0 - _smoothstep((u - c) / (d - c)))
    edges = edge_out + (edge_in - edge_out) * amount

    rng = _noise_rng(seed, 'occluded_face')
    frames, occluded, polys = [], np.zeros((num_frames, NUM_KEYPOINTS), bool), []
    col32 = col.astype(np.float32)
    for t, e in enumerate(edges):
        x0, x1 = (e - box_w, e) if side == 'left' else (e, e + box_w)
        poly = _rounded_box(x0, y0, x1, y1, radius)
        polys.append(poly)
        alpha = _coverage(poly, frame_size, frame_size)[..., None]
        img = clean if not alpha.any() else clean * (1 - alpha) + col32 * alpha
        frames.append(_with_noise(img, rng, noise_sigma))
        occluded[t] = [cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0
                       for x, y in kp]
    meta = _synthetic_meta('occluded', seed, frame_size, face_size, noise_sigma, params)
    meta.update(
        pose=dict(yaw=pose[0], pitch=pose[1], roll=pose[2]),
        occluder=dict(kind='rounded_box', color_bgr=col.tolist(), side=side,
                      coverage=float(coverage), timeline=(a, b, c, d), edge_x=edges,
                      polygons=np.stack(polys)),
        varied='an opaque occluder slides over part of the still face and away; per-frame '
               'Gaussian sensor noise')
    return VideoSequence('occluded_face', np.stack(frames),
                         np.repeat(kp[None].astype(np.float32), num_frames, axis=0), occluded,
                         float(fps), meta)


# --------------------------------------------------------------------------------------------
# Real faces moved by an affine path
# --------------------------------------------------------------------------------------------
def load_300w_face(data_root: str, ann_file: str = DEFAULT_300W_ANN_FILE, index: int = 0,
                   img_prefix: str = 'images/') -> Tuple[np.ndarray, np.ndarray]:
    """Load one face of an MMPose 300W-style annotation file (e.g. the shared 300W subset).

    Args:
        data_root: Dataset root (e.g. ``../shared/data/300w_subset``).
        ann_file: Annotation JSON (COCO-style ``images`` and ``annotations`` with
            ``keypoints`` [x, y, v] x 68), relative to ``data_root`` unless absolute.
        index: Index of the annotation in the file's ``annotations`` list.
        img_prefix: Image folder relative to ``data_root`` (``file_name`` is relative to it).

    Returns:
        ``(image, keypoints)``: (H, W, 3) uint8 BGR and (68, 2) float32 pixel coordinates.

    Raises:
        FileNotFoundError: The annotation file or the image file does not exist.
        ValueError: ``index`` is out of range or the annotation is not a 68-point face.
    """
    ann_path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
    if not osp.isfile(ann_path):
        raise FileNotFoundError(f'load_300w_face: annotation file {ann_path} (ann_file under '
                                f'data_root {data_root!r}) not found')
    with open(ann_path) as f:
        data = json.load(f)
    anns = data.get('annotations', [])
    if not -len(anns) <= index < len(anns):
        raise ValueError(f'load_300w_face: index {index} out of range: {ann_path} has '
                         f'{len(anns)} annotations')
    ann = anns[index]
    images = {im['id']: im for im in data.get('images', [])}
    if ann.get('image_id') not in images:
        raise ValueError(f'load_300w_face: annotation {index} of {ann_path} refers to image id '
                         f'{ann.get("image_id")!r}, which is not in its images')
    img_path = osp.join(data_root, img_prefix, images[ann['image_id']]['file_name'])
    if not osp.isfile(img_path):
        raise FileNotFoundError(f'load_300w_face: image file {img_path} (annotation {index} of '
                                f'{ann_path}) not found')
    image = cv2.imread(img_path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'load_300w_face: image file {img_path} could not be decoded')
    kps = np.asarray(ann.get('keypoints', []), np.float32)
    if kps.size != NUM_KEYPOINTS * 3:
        raise ValueError(f'load_300w_face: annotation {index} of {ann_path} has {kps.size} '
                         f'keypoint values, expected {NUM_KEYPOINTS} x 3')
    return image, kps.reshape(NUM_KEYPOINTS, 3)[:, :2].copy()


def affine_path(num_frames: int, center: Tuple[float, float], face_size: float,
                shift_amplitude: float = 0.15, rotation_amplitude: float = 10.0,
                scale_amplitude: float = 0.1) -> Dict[str, np.ndarray]:
    """The smooth affine path of :func:`affine_path_sequence`.

    With ``u = t / T`` (all terms 0 at ``t = 0``, so frame 0 is the input image):
    ``tx = A_s face_size sin(2 pi u)``, ``ty = A_s face_size sin(4 pi u)``,
    ``angle = A_r sin(3 pi u)`` and ``scale = 1 + A_k sin(5 pi u)``. Frame ``t`` maps an input
    point ``p`` to ``scale R(angle) (p - center) + center + (tx, ty)``, where ``R(angle)`` is
    ``[[cos, -sin], [sin, cos]]`` in image coordinates (y down: positive angles turn
    clockwise on screen).

    Args:
        num_frames: Number of frames T.
        center: Centre (x, y) of the rotation and scaling in pixels (the face's centre).
        face_size: Face size in pixels (scales the translation).
        shift_amplitude: Translation amplitude as a fraction of ``face_size``.
        rotation_amplitude: Rotation amplitude in degrees.
        scale_amplitude: Scale amplitude (scale in ``1 ± A``).

    Returns:
        ``tx``, ``ty`` (pixels), ``angle`` (degrees), ``scale``: (T,) float64 arrays, and
        ``matrices``: (T, 2, 3) float64 forward affine matrices (input -> frame pixels).
    """
    u = np.arange(_check_count(num_frames), dtype=np.float64) / num_frames
    tx = shift_amplitude * face_size * np.sin(2 * np.pi * u)
    ty = shift_amplitude * face_size * np.sin(4 * np.pi * u)
    angle = rotation_amplitude * np.sin(3 * np.pi * u)
    scale = 1.0 + scale_amplitude * np.sin(5 * np.pi * u)
    ca, sa = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    lin = scale[:, None, None] * np.stack([np.stack([ca, -sa], -1), np.stack([sa, ca], -1)], 1)
    c = np.asarray(center, np.float64)
    trans = c + np.stack([tx, ty], -1) - lin @ c
    return dict(tx=tx, ty=ty, angle=angle, scale=scale,
                matrices=np.concatenate([lin, trans[:, :, None]], axis=2))


def affine_path_sequence(image: np.ndarray, keypoints: np.ndarray, num_frames: int = 120,
                         seed: int = 0, noise_sigma: float = 2.0, fps: float = 30.0,
                         shift_amplitude: float = 0.15, rotation_amplitude: float = 10.0,
                         scale_amplitude: float = 0.1, border: str = 'replicate',
                         name: str = 'affine_path') -> VideoSequence:
    """A real face image moved along a known smooth affine path (:func:`affine_path`).

    Frame ``t`` is ``cv2.warpAffine(image, M_t)`` (bilinear, same size as the input) plus
    fresh Gaussian sensor noise, and its truth is ``M_t`` applied to ``keypoints`` (exactly the
    same matrix). The path turns and scales about the landmark box's centre; the face size is
    the larger side of the landmark box.

    Args:
        image: (H, W, 3) uint8 BGR image.
        keypoints: (68, 2) landmarks of the image in pixels.
        num_frames: Number of frames T.
        seed: Seed of the sensor noise.
        noise_sigma: Per-frame sensor noise std in grey levels (0: none).
        fps: Frame rate.
        shift_amplitude: Translation amplitude as a fraction of the face size.
        rotation_amplitude: Rotation amplitude in degrees.
        scale_amplitude: Scale amplitude (scale in ``1 ± A``).
        border: ``'replicate'`` or ``'reflect'`` (``cv2.BORDER_REFLECT_101``).
        name: Sequence name.

    Returns:
        The :class:`VideoSequence`: frames (T, H, W, 3) uint8 BGR, keypoints (T, 68, 2)
        float32, occluded all False; ``meta['path']['matrices']`` holds the (T, 2, 3) matrices.

    Raises:
        ValueError: Bad ``image`` / ``keypoints`` / ``border``, or the landmarks would leave
            the frame.
    """
    num_frames = _check_count(num_frames)
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'affine_path_sequence: image must be an (H, W, 3) uint8 BGR array, '
                         f'got shape {image.shape} dtype {image.dtype}')
    kp = np.asarray(keypoints, np.float64)
    if kp.shape != (NUM_KEYPOINTS, 2) or not np.all(np.isfinite(kp)):
        raise ValueError(f'affine_path_sequence: keypoints must be a finite '
                         f'({NUM_KEYPOINTS}, 2) array, got shape {kp.shape}')
    borders = dict(replicate=cv2.BORDER_REPLICATE, reflect=cv2.BORDER_REFLECT_101)
    if border not in borders:
        raise ValueError(f'affine_path_sequence: border must be one of {sorted(borders)}, '
                         f'got {border!r}')
    h, w = image.shape[:2]
    _check_inside(kp, w, h, 'affine_path_sequence: input keypoints', margin=0.0)
    lo, hi = kp.min(0), kp.max(0)
    face = float((hi - lo).max())
    path = affine_path(num_frames, tuple((lo + hi) / 2), face, shift_amplitude,
                       rotation_amplitude, scale_amplitude)
    mats = path['matrices']
    out_kp = kp[None] @ mats[:, :, :2].transpose(0, 2, 1) + mats[:, None, :, 2]
    _check_inside(out_kp, w, h, 'affine_path_sequence')
    rng = _noise_rng(seed, name)
    frames = np.stack([
        _with_noise(cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=borders[border]), rng, noise_sigma)
        for m in mats
    ])
    meta = dict(kind='affine', source='image', seed=int(seed), noise_sigma=float(noise_sigma),
                face_size=face, center=tuple(float(v) for v in (lo + hi) / 2), border=border,
                amplitudes=dict(shift=shift_amplitude, rotation=rotation_amplitude,
                                scale=scale_amplitude),
                path=path,
                varied='translation, rotation and scale of the whole image along smooth '
                       'sinusoids (warpAffine); per-frame Gaussian sensor noise')
    return VideoSequence(name, frames, out_kp.astype(np.float32),
                         np.zeros((num_frames, NUM_KEYPOINTS), bool), float(fps), meta)


# --------------------------------------------------------------------------------------------
# Output and the standard set
# --------------------------------------------------------------------------------------------
_FOURCC = {'.mp4': 'mp4v', '.avi': 'MJPG'}


def write_video(path: str, frames: np.ndarray, fps: float = 30.0) -> str:
    """Write BGR frames to a video file with OpenCV.

    Args:
        path: Output file, ``.mp4`` (codec mp4v) or ``.avi`` (MJPG); folders are created.
        frames: (T, H, W, 3) uint8 BGR frames.
        fps: Frame rate.

    Returns:
        ``path``.

    Raises:
        ValueError: Unsupported extension or bad frames.
        OSError: OpenCV's video writer cannot open ``path`` or wrote nothing.
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in _FOURCC:
        raise ValueError(f'write_video: {path}: the extension must be one of '
                         f'{sorted(_FOURCC)}, got {ext!r}')
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or \
            len(frames) == 0:
        raise ValueError(f'write_video: frames must be a non-empty (T, H, W, 3) uint8 array, '
                         f'got shape {frames.shape} dtype {frames.dtype}')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*_FOURCC[ext]), float(fps), (w, h))
    if not writer.isOpened():
        raise OSError(f'write_video: OpenCV cannot open a {_FOURCC[ext]} video writer for '
                      f'{path} (codec unavailable in this OpenCV build, or the path is not '
                      'writable)')
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame))
    finally:
        writer.release()
    if not osp.isfile(path) or osp.getsize(path) == 0:
        raise OSError(f'write_video: OpenCV wrote nothing to {path}')
    return path


def standard_sequences(seed: int = 0, data_root: Optional[str] = None,
                       ann_file: str = DEFAULT_300W_ANN_FILE,
                       index: int = 0) -> List[VideoSequence]:
    """The standard benchmark set, with the default lengths and settings.

    Args:
        seed: Seed of the synthetic faces and of all sensor noise.
        data_root: Root of a 300W-style dataset (e.g. ``../shared/data/300w_subset``); when
            given and it exists, the real-face :func:`affine_path_sequence` is added (a warning
            is issued when it is given but missing).
        ann_file: Annotation file of the real face, relative to ``data_root``.
        index: Annotation index of the real face.

    Returns:
        ``[still_face (90 frames), moving_face (120), occluded_face (90)]`` and, with the
        data, ``affine_path (120)`` of face ``index`` (``meta['image']`` names it).
    """
    seqs = [still_face_sequence(seed=seed), moving_face_sequence(seed=seed),
            occluded_face_sequence(seed=seed)]
    if data_root is not None:
        if osp.isdir(data_root):
            image, kp = load_300w_face(data_root, ann_file, index)
            seq = affine_path_sequence(image, kp, seed=seed)
            seq.meta.update(image=dict(data_root=data_root, ann_file=ann_file, index=index))
            seqs.append(seq)
        else:
            warnings.warn(f'standard_sequences: data_root {data_root} does not exist; the '
                          'real-face affine_path sequence is left out', stacklevel=2)
    return seqs
