"""Track faces through a video: detect once, then crop each frame from the last landmarks.

:class:`FaceTracker` runs the face detector on the first frame, when no face is tracked, on
the frame after a track was lost and every ``detect_interval`` frames (to pick up new
faces); in between, each track's next crop is the landmark box of its previous raw
prediction, which is what the model was trained on (the detector's box goes through
:class:`~mmlaplace.apis.FaceBoxTransform` to the same landmark box). Every track has a
stable integer id and its own temporal filter (:mod:`mmlaplace.apis.landmark_filters`). A
track is lost when its mean predicted Laplace scale, relative to its box side, passes
``lost_scale`` (the model no longer sees a face) or when its box leaves the image; a face
that leaves and re-enters gets a new id.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from ..structures.landmark_boxes import landmark_box
from .face_detection import box_iou
from .face_landmarker import Face, FaceLandmarker
from .landmark_filters import FilterSpec, LandmarkFilter, build_landmark_filter

__all__ = ['FaceTrack', 'FaceTracker', 'landmark_box']


@dataclass
class FaceTrack:
    """One tracked face.

    Attributes:
        track_id (int): Stable id, unique within the tracker's life.
        filter (LandmarkFilter): Its temporal filter.
        box (np.ndarray): Landmark box (4,) to crop the next frame from.
        age (int): Frames since the track started.
        face (dict): The last output face (see :meth:`FaceTracker.update`).
    """

    track_id: int
    filter: LandmarkFilter
    box: np.ndarray
    age: int = 0
    face: Dict[str, object] = field(default_factory=dict)


class FaceTracker:
    """Detect-then-track face landmarks on a frame sequence, with temporal filtering.

    Args:
        landmarker (FaceLandmarker): The model and the detector (``landmarker.find_faces``;
            with ``detector=None`` the whole frame is one face, as for face crops).
        landmark_filter: A filter name (``'none'``, ``'one-euro'``, ``'kalman'``,
            ``'kalman-affine'``), a dict ``dict(type=..., **kwargs)`` or None; each track gets
            a fresh one. Defaults to ``'kalman-affine'`` (the lowest jitter and occlusion
            error of ``tools/benchmark_video.py``).
        detect_interval (int): Also run the detector every this many frames to pick up new
            faces (0: only when nothing is tracked). Defaults to 0.
        lost_scale (float): A track is lost when its mean predicted scale over its box side
            passes this. Defaults to 0.08.
        uncertain_scale (float): A landmark is flagged ``uncertain`` when its larger
            per-axis scale over the box side passes this. Defaults to 0.03.
        max_faces (int, optional): Track at most this many faces.
        match_iou (float): A detection with at least this IoU with a track is that track,
            not a new face. Defaults to 0.3.

    Example:
        >>> tracker = FaceTracker(FaceLandmarker('rcn-w1-4'))  # doctest: +SKIP
        >>> for frame in frames:  # doctest: +SKIP
        ...     for face in tracker.update(frame):
        ...         face['track_id'], face['keypoints'], face['keypoint_variances']
    """

    def __init__(self, landmarker: FaceLandmarker,
                 landmark_filter: FilterSpec = 'kalman-affine',
                 detect_interval: int = 0, lost_scale: float = 0.08,
                 uncertain_scale: float = 0.03, max_faces: Optional[int] = None,
                 match_iou: float = 0.3):
        if detect_interval < 0:
            raise ValueError(f'FaceTracker: detect_interval must be >= 0, got {detect_interval}')
        if not lost_scale > 0 or not uncertain_scale > 0:
            raise ValueError('FaceTracker: lost_scale and uncertain_scale must be > 0, got '
                             f'{lost_scale} and {uncertain_scale}')
        if max_faces is not None and max_faces < 1:
            raise ValueError(f'FaceTracker: max_faces must be >= 1, got {max_faces}')
        build_landmark_filter(landmark_filter)  # fail now on a bad spec, not at frame 1
        self.landmarker = landmarker
        self.filter_spec = landmark_filter
        self.detect_interval = detect_interval
        self.lost_scale = lost_scale
        self.uncertain_scale = uncertain_scale
        self.max_faces = max_faces
        self.match_iou = match_iou
        self._next_id = 0
        self.reset()

    def reset(self) -> None:
        """Drop every track (ids keep counting up)."""
        self.tracks: List[FaceTrack] = []
        self.frame_index = -1
        self.frame_shape: Optional[tuple] = None
        self.detections = 0  # detector calls, for the benchmark
        self._lost = False  # a track was lost: detect on the next frame

    def _new_filter(self) -> LandmarkFilter:
        spec = self.filter_spec
        return build_landmark_filter(dict(spec) if isinstance(spec, dict) else spec)

    def _detect(self, frame: np.ndarray) -> List[np.ndarray]:
        self.detections += 1
        boxes, _ = self.landmarker.find_faces(frame)
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if self.tracks and len(boxes):
            iou = box_iou(boxes, np.stack([t.box for t in self.tracks]))
            boxes = boxes[iou.max(axis=1) < self.match_iou]
        room = None if self.max_faces is None else self.max_faces - len(self.tracks)
        return list(boxes[:room])

    def update(self, frame: np.ndarray) -> List[Face]:
        """Track the faces of the next frame.

        Args:
            frame (np.ndarray): BGR image (H, W, 3); every frame of a sequence has the same
                size (:meth:`reset` before a new sequence).

        Returns:
            list[dict]: per tracked face the :class:`FaceLandmarker` fields (``keypoints``
            are the *filtered* landmarks) plus ``track_id`` int, ``raw_keypoints`` (K, 2)
            (the model's, unfiltered), ``keypoint_variances`` (K, 2) (the filter's variance,
            pixels^2), ``uncertain`` (K,) bool and ``detected`` (True on the frame its crop
            came from the detector).
        """
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f'FaceTracker.update: frame {self.frame_index + 1} must be a BGR '
                             f'image (H, W, 3), got shape {frame.shape}')
        if self.frame_shape is not None and frame.shape != self.frame_shape:
            raise ValueError(f'FaceTracker.update: frame {self.frame_index + 1} is '
                             f'{frame.shape[1]}x{frame.shape[0]}, the sequence is '
                             f'{self.frame_shape[1]}x{self.frame_shape[0]} (reset() before '
                             'a new sequence)')
        self.frame_shape = frame.shape
        self.frame_index += 1
        detect = not self.tracks or self._lost or (
            self.detect_interval > 0 and self.frame_index % self.detect_interval == 0)
        new_boxes = self._detect(frame) if detect else []
        tracks = list(self.tracks)
        for box in new_boxes:
            tracks.append(FaceTrack(self._next_id, self._new_filter(), box))
            self._next_id += 1
        if not tracks:
            self.tracks, self._lost = [], False
            return []
        faces = self.landmarker.predict([frame], [np.stack([t.box for t in tracks])])[0]
        kept, out = [], []
        for track, face in zip(tracks, faces):
            relative = self._relative_scales(track, face)
            if not self._keep(face, relative, frame.shape):
                continue
            kept.append(track)
            out.append(self._filtered(track, face, relative, detected=track.age == 0))
        self._lost = len(kept) < len(tracks)
        self.tracks = kept
        return out

    def _relative_scales(self, track: FaceTrack, face: Face) -> Optional[np.ndarray]:
        scales = face.get('keypoint_scales')
        if scales is None:
            return None
        side = float(max(track.box[2] - track.box[0], track.box[3] - track.box[1], 1e-6))
        return np.asarray(scales, np.float64) / side

    def _keep(self, face: Face, relative: Optional[np.ndarray], shape: tuple) -> bool:
        if relative is not None and not np.isfinite(relative).all():
            return False
        if relative is not None and relative.mean() > self.lost_scale:
            return False
        points = np.asarray(face['keypoints'], np.float64)
        if not np.isfinite(points).all():
            return False
        box = landmark_box(points)
        h, w = shape[:2]
        center = (box[:2] + box[2:]) / 2
        return bool(0 <= center[0] < w and 0 <= center[1] < h and box[2] > 0 and box[3] > 0
                    and box[0] < w and box[1] < h)

    def _filtered(self, track: FaceTrack, face: Face, relative: Optional[np.ndarray],
                  detected: bool) -> Face:
        raw = np.asarray(face['keypoints'], np.float64)
        scales = face.get('keypoint_scales')
        out = track.filter.update(raw, scales)
        track.box = landmark_box(raw)
        track.age += 1
        result = dict(face)
        result.update(
            track_id=track.track_id,
            keypoints=out.points.astype(np.float32),
            raw_keypoints=raw.astype(np.float32),
            keypoint_variances=out.variances.astype(np.float32),
            uncertain=(np.zeros(len(raw), bool) if relative is None else
                       relative.max(axis=1) > self.uncertain_scale),
            detected=detected)
        track.face = result
        return result
