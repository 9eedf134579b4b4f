"""Landmarks with uncertainty on arbitrary images: detect faces, batch them through a model."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpose.apis import init_model

from ..structures.crop_geometry import crop_frame, crop_scales_to_image
from ..utils.model_zoo import resolve_model
from .face_detection import DetectorSpec, build_face_detector, whole_image_box

ImageLike = Union[str, os.PathLike, np.ndarray]
Face = Dict[str, object]


def load_bgr_image(image: ImageLike) -> np.ndarray:
    """A BGR uint8 image (H, W, 3) from a path or an array (grey / BGRA are converted)."""
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        array = cv2.imread(path, cv2.IMREAD_COLOR)
        if array is None:
            raise FileNotFoundError(f'cannot read image {path} (missing or not an image)')
        return array
    if not isinstance(image, np.ndarray):
        raise TypeError(f'image must be a path or a numpy array, got {type(image).__name__}')
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3) BGR, got shape {image.shape}')
    return image


class FaceLandmarker:
    """Predict landmarks, per-landmark Laplace scales and scores for every face in images.

    Faces come from an offline detector (default ``'auto'``: dlib's HOG), from boxes the
    caller gives, or, with ``detector=None``, from the whole image taken as one face crop of
    ``crop_scale`` x the face's landmark box. Each face's box goes through the config's test
    pipeline (``GetBBoxCenterScale`` + ``TopdownAffine``), faces of all images are batched
    through the model (``batch_size`` at a time) and the predictions are mapped back to image
    pixels, the scales too: ``b_img = b_input * input_scale / input_size`` per axis
    (:func:`mmlaplace.structures.crop_scales_to_image`).

    Works with any MMPose top-down config and checkpoint; ``keypoint_scales`` are None when
    the head does not predict them (e.g. a plain heatmap head).

    Args:
        config (str | Config): Model config, or a model zoo name (``'rcn-w1-8'``,
            ``'rcn-w1-4'``: config and shipped weights; see ``docs/model_zoo.md``).
        checkpoint (str, optional): Checkpoint file. None keeps the initial weights (of a
            config) or loads the zoo weights (of a zoo name).
        device (str): Torch device. Defaults to ``'cpu'``.
        detector: ``'auto'`` (dlib's HOG, else MTCNN, else Haar: the best installed),
            ``'haar'``, ``'dlib-hog'``, ``'dlib-mmod'``, ``'mtcnn'``, a cascade ``.xml`` /
            YuNet ``.onnx`` path, a :class:`FaceDetector`, a callable ``image -> boxes
            (N, 4)`` or None (whole image). See :func:`build_face_detector`. Defaults to
            ``'auto'``.
        batch_size (int): Faces per forward pass. Defaults to 32.
        crop_scale (float): Whole-image mode: image side over landmark-box side. Defaults to
            2.0 (how the 300W subset crops were cut).
        cfg_options (dict, optional): Config overrides.
        return_heatmaps (bool): Also return each face's heatmaps (K, h, w) in the input
            crop's frame. Defaults to False.

    Example:
        >>> landmarker = FaceLandmarker('rcn-w1-8')  # doctest: +SKIP
        >>> landmarker = FaceLandmarker('configs/laplacekl/'
        ...                             'laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py',
        ...                             'epoch_8.pth')  # doctest: +SKIP
        >>> faces = landmarker('face.jpg')  # doctest: +SKIP
        >>> faces[0]['keypoints'].shape, faces[0]['keypoint_scales'].shape  # doctest: +SKIP
        ((68, 2), (68, 2))
    """

    def __init__(self, config: Union[str, Config], checkpoint: Optional[str] = None,
                 device: str = 'cpu', detector: DetectorSpec = 'auto', batch_size: int = 32,
                 crop_scale: float = 2.0, cfg_options: Optional[dict] = None,
                 return_heatmaps: bool = False):
        import mmlaplace  # noqa: F401  (registers modules and the checkpoint loader)
        if batch_size < 1:
            raise ValueError(f'FaceLandmarker: batch_size must be >= 1, got {batch_size}')
        if isinstance(config, (str, os.PathLike)) and not osp.isfile(config):
            if os.fspath(config).endswith('.py'):
                raise FileNotFoundError(f'FaceLandmarker: config file {config} not found')
            config, checkpoint = resolve_model(os.fspath(config), checkpoint)
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'FaceLandmarker: checkpoint file {checkpoint} not found')
        self.model = init_model(config, checkpoint, device=device, cfg_options=cfg_options)
        cfg = self.model.cfg
        init_default_scope(cfg.get('default_scope', 'mmpose'))
        try:
            self.pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        except AttributeError:
            raise KeyError('FaceLandmarker: the config has no test_dataloader.dataset.pipeline '
                           '(needed to crop faces)') from None
        self.model.test_cfg = dict(self.model.test_cfg or {}, output_heatmaps=return_heatmaps)
        self.return_heatmaps = return_heatmaps
        self.detector = build_face_detector(detector)
        self.batch_size = batch_size
        self.crop_scale = crop_scale
        self.logger = MMLogger.get_current_instance()

    @property
    def num_keypoints(self) -> int:
        """Number of landmarks K."""
        return int(self.model.dataset_meta['num_keypoints'])

    def find_faces(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Landmark boxes (N, 4) ``x1, y1, x2, y2`` and box scores (N,) of a BGR image."""
        if self.detector is None:
            return whole_image_box(*image.shape[:2], self.crop_scale), np.ones(1, np.float32)
        return self.detector(image)

    def __call__(self, image: ImageLike, bboxes: Optional[np.ndarray] = None) -> List[Face]:
        """Faces of one image (see :meth:`predict`)."""
        return self.predict([image], None if bboxes is None else [bboxes])[0]

    @torch.no_grad()
    def predict(self, images: Sequence[ImageLike],
                bboxes: Optional[Sequence[Optional[np.ndarray]]] = None) -> List[List[Face]]:
        """Faces of several images, batched through the model.

        Args:
            images (Sequence): Image paths or BGR arrays (H, W, 3).
            bboxes (Sequence, optional): Per image, landmark boxes (N, 4) ``x1, y1, x2, y2``
                in image pixels, or None to find the faces with :meth:`find_faces`.

        Returns:
            list[list[dict]]: per image, per face: ``bbox`` (4,) ``x1, y1, x2, y2``,
            ``bbox_score`` float, ``keypoints`` (K, 2), ``keypoint_scales`` (K, 2) per-axis
            Laplace scales (or None), ``keypoint_scores`` (K,), ``score`` (mean keypoint
            score), all in image pixels; with ``return_heatmaps`` also ``heatmaps`` (K, h, w).
        """
        if bboxes is not None and len(bboxes) != len(images):
            raise ValueError(f'FaceLandmarker.predict: got {len(images)} images but '
                             f'{len(bboxes)} box arrays')
        items = []  # (image index, pipeline output, box score)
        for i, image in enumerate(images):
            array = load_bgr_image(image)
            given = None if bboxes is None else bboxes[i]
            if given is None:
                boxes, scores = self.find_faces(array)
            else:
                boxes = np.asarray(given, np.float32).reshape(-1, 4)
                scores = np.ones(len(boxes), np.float32)
            for box, score in zip(boxes, scores):
                info = dict(img=array, bbox=box[None].astype(np.float32),
                            bbox_score=np.array([score], np.float32))
                if isinstance(image, (str, os.PathLike)):
                    info['img_path'] = os.fspath(image)
                info.update(self.model.dataset_meta)
                items.append((i, self.pipeline(info), float(score)))

        results: List[List[Face]] = [[] for _ in images]
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            samples = self.model.test_step(pseudo_collate([data for _, data, _ in chunk]))
            for (i, _, score), sample in zip(chunk, samples):
                results[i].append(self._face_from_sample(sample, score))
        return results

    def _face_from_sample(self, sample, bbox_score: float) -> Face:
        # keypoints: the head decodes them (its codec) to the crop, MMPose's top-down
        # estimator maps them to the image; the scales are lengths: crop_scales_to_image
        pred = sample.pred_instances
        scales = pred.get('keypoint_scales', None)
        if scales is not None:
            frame = crop_frame(sample)
            scales = crop_scales_to_image(np.asarray(scales, np.float32)[0], frame.scale,
                                          frame.input_size)
        face = dict(
            bbox=np.asarray(pred.bboxes, np.float32).reshape(4),
            bbox_score=bbox_score,
            keypoints=np.asarray(pred.keypoints, np.float32)[0, :, :2],
            keypoint_scales=scales,
            keypoint_scores=np.asarray(pred.keypoint_scores, np.float32)[0],
        )
        face['score'] = float(face['keypoint_scores'].mean())
        if self.return_heatmaps and 'pred_fields' in sample:
            face['heatmaps'] = sample.pred_fields.heatmaps.cpu().numpy()
        return face


def face_to_json(face: Face, decimals: int = 2) -> Dict[str, object]:
    """A face dict with lists instead of arrays (no heatmaps), rounded for a JSON file.

    Tracked faces (:class:`~mmlaplace.apis.FaceTracker`) keep their ``track_id``,
    ``raw_keypoints``, ``keypoint_variances``, ``uncertain`` and ``detected`` fields.
    """
    out: Dict[str, object] = {}
    for key in ('track_id', 'bbox', 'bbox_score', 'keypoints', 'keypoint_scales',
                'keypoint_scores', 'score', 'raw_keypoints', 'keypoint_variances', 'uncertain',
                'detected'):
        if key not in face and key in _TRACK_KEYS:
            continue
        value = face.get(key)
        if isinstance(value, np.ndarray):
            if value.dtype == bool:
                value = value.tolist()
            else:
                value = np.round(value.astype(np.float64), 4 if key == 'keypoint_scores'
                                 else decimals).tolist()
        elif isinstance(value, (bool, np.bool_)):
            value = bool(value)
        elif isinstance(value, (float, np.floating)):
            value = round(float(value), 4)
        elif isinstance(value, np.integer):
            value = int(value)
        out[key] = value
    return out


_TRACK_KEYS = ('track_id', 'raw_keypoints', 'keypoint_variances', 'uncertain', 'detected')
