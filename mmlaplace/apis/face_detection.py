"""Offline face detectors that return landmark boxes.

OpenCV's Haar cascade (bundled with ``opencv-python``, the no-extra-install fallback) and
YuNet (a local ``.onnx`` file) live here; dlib's HOG and MMOD detectors in
:mod:`mmlaplace.apis.dlib_face_detection` and MTCNN in
:mod:`mmlaplace.apis.mtcnn_face_detection` (optional packages, imported lazily).
:func:`build_face_detector` builds any of them by name; ``'auto'`` picks the best installed
one (``tools/benchmark_detectors.py``, ``docs/results/detectors/``).

The models are trained top-down on the *landmark box* of each face (300W / MMPose: the tight
box around the 68 points; the test pipeline's ``GetBBoxCenterScale`` pads it by 1.25 and
``TopdownAffine`` makes it square). A detector's face box is shifted and rescaled to that
box by a :class:`FaceBoxTransform`, calibrated on 300W faces whose landmarks are known
(:meth:`FaceBoxTransform.fit`).
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import MMLogger

HAAR_CASCADE = 'haarcascade_frontalface_default.xml'
#: Detector names :func:`build_face_detector` knows (besides file paths).
DETECTOR_NAMES = ('auto', 'haar', 'dlib-hog', 'dlib-mmod', 'mtcnn')
#: What ``'auto'`` tries, best first (measured by ``tools/benchmark_detectors.py``; see
#: ``docs/results/detectors/detectors.md``): dlib's HOG finds every LFPW-test face (Haar 97.8%)
#: with 4x fewer false positives at 1/6 of Haar's time and comes with the default install;
#: MTCNN finds still more of the hard faces (99.8% vs 95.9% of all 2,236) but costs 8x HOG's
#: time, so it is chosen by name; Haar is the no-extra-install fallback.
AUTO_DETECTORS = ('dlib-hog', 'mtcnn', 'haar')
#: How to install the optional detectors.
DETECTOR_INSTALL = {
    'dlib-hog': 'pip install dlib-bin',
    'dlib-mmod': 'pip install dlib-bin face_recognition_models',
    'mtcnn': 'pip install --no-deps facenet-pytorch && pip install requests',
}


@dataclass
class FaceBoxTransform:
    """Map detector face boxes to square landmark boxes.

    ``center = det_center + shift * (det_w, det_h)`` and
    ``side = scale * max(det_w, det_h)``.

    The defaults were fitted (medians) with :meth:`fit` on 200 faces of the 300W training
    subset with OpenCV's ``haarcascade_frontalface_default.xml``: the Haar box is a little
    larger than the landmark box and sits higher (it covers the forehead, not the chin).

    Args:
        shift (tuple[float, float]): Centre shift as a fraction of the detector box (w, h).
        scale (float): Landmark-box side over the detector box side.
    """

    shift: Tuple[float, float] = (0.0, 0.15)
    scale: float = 0.87

    def __call__(self, boxes: np.ndarray) -> np.ndarray:
        """Transform boxes.

        Args:
            boxes (np.ndarray): Detector boxes (N, 4) ``x1, y1, x2, y2``.

        Returns:
            np.ndarray: Square landmark boxes (N, 4) ``x1, y1, x2, y2``, float32.
        """
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        wh = boxes[:, 2:] - boxes[:, :2]
        center = (boxes[:, :2] + boxes[:, 2:]) / 2 + np.asarray(self.shift, np.float32) * wh
        half = 0.5 * self.scale * wh.max(axis=1, keepdims=True)
        return np.concatenate([center - half, center + half], axis=1).astype(np.float32)

    @classmethod
    def fit(cls, det_boxes: np.ndarray, landmarks: np.ndarray) -> 'FaceBoxTransform':
        """Fit the transform (medians) from detections of faces with known landmarks.

        Args:
            det_boxes (np.ndarray): One detector box per face (N, 4) ``x1, y1, x2, y2``.
            landmarks (np.ndarray): The faces' true landmarks (N, K, 2).

        Returns:
            FaceBoxTransform: The fitted transform.
        """
        det_boxes = np.asarray(det_boxes, np.float64).reshape(-1, 4)
        landmarks = np.asarray(landmarks, np.float64)
        if len(det_boxes) == 0 or len(det_boxes) != len(landmarks):
            raise ValueError('FaceBoxTransform.fit: need as many detector boxes as landmark '
                             f'sets (> 0), got {len(det_boxes)} and {len(landmarks)}')
        lo, hi = landmarks.min(axis=1), landmarks.max(axis=1)
        wh = det_boxes[:, 2:] - det_boxes[:, :2]
        shift = ((lo + hi) / 2 - (det_boxes[:, :2] + det_boxes[:, 2:]) / 2) / wh
        scale = (hi - lo).max(axis=1) / wh.max(axis=1)
        return cls(shift=tuple(float(s) for s in np.median(shift, axis=0)),
                   scale=float(np.median(scale)))


class FaceDetector:
    """Base class: ``detector(image)`` -> landmark boxes (N, 4) and scores (N,).

    Subclasses implement :meth:`detect` (raw detector boxes); the base class maps them to
    landmark boxes with ``box_transform`` and keeps the ``max_faces`` largest.

    Args:
        box_transform (FaceBoxTransform, optional): Detector box -> landmark box.
            Defaults to the Haar calibration.
        max_faces (int, optional): Keep at most this many faces, largest first.
    """

    def __init__(self, box_transform: Optional[FaceBoxTransform] = None,
                 max_faces: Optional[int] = None):
        self.box_transform = box_transform or FaceBoxTransform()
        if max_faces is not None and max_faces < 1:
            raise ValueError(f'{type(self).__name__}: max_faces must be >= 1, got {max_faces}')
        self.max_faces = max_faces

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw detector boxes (N, 4) ``x1, y1, x2, y2`` and scores (N,) of a BGR image."""
        raise NotImplementedError

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Landmark boxes (N, 4) ``x1, y1, x2, y2`` and scores (N,), largest face first.

        Args:
            image (np.ndarray): BGR image (H, W, 3), uint8 (as ``cv2.imread`` gives).
        """
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'{type(self).__name__}: expected a BGR image (H, W, 3), got '
                             f'{getattr(image, "shape", type(image))}')
        boxes, scores = self.detect(image)
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(scores, np.float32).reshape(-1)
        order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]),
                           kind='stable')[:self.max_faces]
        return self.box_transform(boxes[order]), scores[order]


class HaarFaceDetector(FaceDetector):
    """OpenCV's Viola-Jones frontal face detector (a Haar cascade, CPU, no download).

    Args:
        cascade (str, optional): Path to a cascade ``.xml``. Defaults to
            ``haarcascade_frontalface_default.xml`` from ``cv2.data.haarcascades`` (bundled
            with ``opencv-python<5``).
        scale_factor (float): ``detectMultiScale`` pyramid step. Defaults to 1.1.
        min_neighbors (int): ``detectMultiScale`` minNeighbors. Defaults to 5.
        min_size (float): Smallest face side as a fraction of the image's shorter side.
            Defaults to 0.05.
        equalize (bool): Equalize the grey image's histogram first. Defaults to True.
        **kwargs: :class:`FaceDetector` arguments.
    """

    def __init__(self, cascade: Optional[str] = None, scale_factor: float = 1.1,
                 min_neighbors: int = 5, min_size: float = 0.05, equalize: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        if cascade is None:
            folder = getattr(getattr(cv2, 'data', None), 'haarcascades', '') or ''
            cascade = osp.join(folder, HAAR_CASCADE)
            if not osp.isfile(cascade):
                raise FileNotFoundError(
                    f'HaarFaceDetector: {HAAR_CASCADE} is not in cv2.data.haarcascades '
                    f'({folder or "missing"}; opencv-python {cv2.__version__} does not bundle '
                    'the cascades, 4.x does). Pass a cascade .xml or a YuNet .onnx file as the '
                    '`detector` option (tools/infer.py --detector PATH), give boxes with '
                    '--boxes, or use --whole-image')
        elif not osp.isfile(cascade):
            raise FileNotFoundError(f'HaarFaceDetector: cascade file {cascade} (the `detector` '
                                    'option) not found')
        self.cascade_file = cascade
        try:
            self.cascade = cv2.CascadeClassifier(cascade)
        except (cv2.error, SystemError) as e:
            raise ValueError(f'HaarFaceDetector: {cascade} (the `detector` option) is not a '
                             f'valid OpenCV cascade file ({str(e).strip()[:200]})') from None
        if self.cascade.empty():
            raise ValueError(f'HaarFaceDetector: {cascade} (the `detector` option) is not a '
                             'valid OpenCV cascade file')
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.equalize = equalize

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if self.equalize:
            gray = cv2.equalizeHist(gray)
        side = max(1, int(self.min_size * min(gray.shape)))
        rects = self.cascade.detectMultiScale(gray, scaleFactor=self.scale_factor,
                                              minNeighbors=self.min_neighbors,
                                              minSize=(side, side))
        rects = np.asarray(rects, np.float32).reshape(-1, 4)
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        return boxes, np.ones(len(boxes), np.float32)


class YuNetFaceDetector(FaceDetector):
    """OpenCV's YuNet CNN face detector (``cv2.FaceDetectorYN``) from a local ``.onnx`` file.

    The box transform defaults to the Haar calibration; fit one for YuNet with
    :meth:`FaceBoxTransform.fit` for best results.

    Args:
        model (str): Path to a YuNet ``.onnx`` file (e.g.
            ``face_detection_yunet_2023mar.onnx`` from the OpenCV model zoo).
        score_threshold (float): Minimum face score. Defaults to 0.6.
        nms_threshold (float): NMS IoU threshold. Defaults to 0.3.
        **kwargs: :class:`FaceDetector` arguments.
    """

    def __init__(self, model: str, score_threshold: float = 0.6, nms_threshold: float = 0.3,
                 **kwargs):
        super().__init__(**kwargs)
        if not osp.isfile(model):
            raise FileNotFoundError(f'YuNetFaceDetector: model file {model} (the `detector` '
                                    'option) not found')
        if not hasattr(cv2, 'FaceDetectorYN'):
            raise RuntimeError(f'YuNetFaceDetector: opencv-python {cv2.__version__} has no '
                               'cv2.FaceDetectorYN (needs >= 4.5.4)')
        self.net = cv2.FaceDetectorYN.create(model, '', (320, 320), score_threshold,
                                             nms_threshold)

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        self.net.setInputSize((w, h))
        _, faces = self.net.detect(image)
        faces = np.zeros((0, 15), np.float32) if faces is None else np.asarray(faces)
        boxes = np.concatenate([faces[:, :2], faces[:, :2] + faces[:, 2:4]], axis=1)
        return boxes, faces[:, -1]


class CallableFaceDetector(FaceDetector):
    """Wrap a function ``image -> boxes (N, 4) x1, y1, x2, y2`` (already landmark boxes)."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], **kwargs):
        super().__init__(box_transform=FaceBoxTransform(shift=(0.0, 0.0), scale=1.0),
                         **kwargs)
        self.fn = fn

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        boxes = np.asarray(self.fn(image), np.float32).reshape(-1, 4)
        return boxes, np.ones(len(boxes), np.float32)


def upscale_small_image(image: np.ndarray,
                        min_side: Optional[int]) -> Tuple[np.ndarray, float]:
    """Upscale an image whose shorter side is below ``min_side`` (bilinear).

    Detectors with a fixed smallest face (dlib's 80 x 80 windows) miss the faces of small
    images such as 89 x 109 CelebA thumbnails; upscaling them first finds those faces.

    Args:
        image (np.ndarray): Image (H, W, C).
        min_side (int, optional): Smallest shorter side; None or 0 keeps every image as is.

    Returns:
        tuple: The (possibly upscaled) image (H', W', C) and the factor ``H' / H``; divide
        boxes found in it by the factor to get back to ``image`` pixels.
    """
    short = min(image.shape[:2])
    if not min_side or short >= min_side:
        return image, 1.0
    factor = float(min_side) / short
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), factor


DetectorSpec = Union[None, str, os.PathLike, FaceDetector, Callable[[np.ndarray], np.ndarray]]


def _build_named_detector(name: str, **kwargs) -> FaceDetector:
    """Build one of :data:`DETECTOR_NAMES` except ``'auto'`` (lazy optional imports)."""
    if name == 'haar':
        return HaarFaceDetector(**kwargs)
    if name == 'dlib-hog':
        from .dlib_face_detection import DlibHogFaceDetector
        return DlibHogFaceDetector(**kwargs)
    if name == 'dlib-mmod':
        from .dlib_face_detection import DlibMmodFaceDetector
        return DlibMmodFaceDetector(**kwargs)
    if name == 'mtcnn':
        from .mtcnn_face_detection import MtcnnFaceDetector
        return MtcnnFaceDetector(**kwargs)
    raise ValueError(f'unknown detector name {name!r}')


def build_auto_face_detector(**kwargs) -> FaceDetector:
    """The best installed detector of :data:`AUTO_DETECTORS`, Haar as the fallback.

    A detector whose optional package is missing (``ImportError``) is skipped with a logged
    note (MMEngine's ``MMLogger``) that says how to install it.

    Args:
        **kwargs: :class:`FaceDetector` arguments (``max_faces``, ``box_transform``).

    Returns:
        FaceDetector: The detector.
    """
    logger = MMLogger.get_current_instance()
    for name in AUTO_DETECTORS[:-1]:
        try:
            return _build_named_detector(name, **kwargs)
        except ImportError as e:
            logger.info(f"detector 'auto': {name} is not available ({e}); trying the next")
    name = AUTO_DETECTORS[-1]
    better = '; '.join(f'{n}: {DETECTOR_INSTALL[n]}' for n in AUTO_DETECTORS[:-1])
    logger.warning(f"detector 'auto': falling back to {name} (OpenCV's Haar cascade, which "
                   f'misses more faces); install a better detector ({better})')
    return _build_named_detector(name, **kwargs)


def build_face_detector(detector: DetectorSpec = 'haar',
                        **kwargs) -> Optional[FaceDetector]:
    """Build a face detector from a short spec.

    Args:
        detector: A name: ``'haar'`` (OpenCV's bundled frontal-face cascade, no extra
            install), ``'dlib-hog'`` (dlib's HOG + linear SVM; ``pip install dlib-bin``),
            ``'dlib-mmod'`` (dlib's MMOD CNN; ``pip install dlib-bin face_recognition_models``,
            slow on a CPU), ``'mtcnn'`` (``pip install --no-deps facenet-pytorch`` and
            ``pip install requests``) or ``'auto'`` (the best of these that is installed,
            see :data:`AUTO_DETECTORS`, Haar as the fallback); a path to a cascade ``.xml``
            or a YuNet ``.onnx`` file; a :class:`FaceDetector`; a callable
            ``image -> landmark boxes (N, 4)``; or None (no detector: the caller gives boxes
            or uses the whole image).
        **kwargs: Passed to the detector class (e.g. ``max_faces``, ``box_transform``).

    Returns:
        FaceDetector | None: The detector.

    Raises:
        ImportError: A named detector's optional package is missing (the message says how to
            install it).
    """
    if detector is None or isinstance(detector, FaceDetector):
        return detector
    if isinstance(detector, (str, os.PathLike)):
        spec = os.fspath(detector)
        name = spec.lower()
        if name == 'auto':
            return build_auto_face_detector(**kwargs)
        if name in DETECTOR_NAMES:
            return _build_named_detector(name, **kwargs)
        if name.endswith('.xml'):
            return HaarFaceDetector(cascade=spec, **kwargs)
        if name.endswith('.onnx'):
            return YuNetFaceDetector(model=spec, **kwargs)
        raise ValueError("detector must be 'haar', 'dlib-hog', 'dlib-mmod', 'mtcnn', 'auto', "
                         f'a cascade .xml or a YuNet .onnx file, got {spec!r}')
    if callable(detector):
        return CallableFaceDetector(detector, **kwargs)
    raise TypeError(f'detector must be a str, a path, a FaceDetector or a callable, got '
                    f'{type(detector).__name__}')


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) of boxes (N, 4) and (M, 4) ``x1, y1, x2, y2``."""
    a = np.asarray(a, np.float64).reshape(-1, 1, 4)
    b = np.asarray(b, np.float64).reshape(1, -1, 4)
    wh = np.clip(np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0,
                 None)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-12)


def whole_image_box(height: int, width: int, crop_scale: float = 2.0) -> np.ndarray:
    """The landmark box of a face crop that is ``crop_scale`` x its landmark box, centred.

    ``crop_scale=2`` is how the 300W subset's 256 x 256 crops were cut; ``1.25`` makes the
    whole image the model's input (``GetBBoxCenterScale`` pads the box by 1.25).

    Args:
        height (int): Image height.
        width (int): Image width.
        crop_scale (float): Crop side over the landmark box side. Defaults to 2.0.

    Returns:
        np.ndarray: (1, 4) ``x1, y1, x2, y2``.
    """
    if crop_scale <= 0:
        raise ValueError(f'crop_scale must be positive, got {crop_scale}')
    cx, cy = width / 2, height / 2
    hw, hh = width / (2 * crop_scale), height / (2 * crop_scale)
    return np.array([[cx - hw, cy - hh, cx + hw, cy + hh]], np.float32)


def boxes_xywh_to_xyxy(boxes: Sequence[Sequence[float]]) -> np.ndarray:
    """(N, 4) ``x, y, w, h`` -> (N, 4) ``x1, y1, x2, y2`` float32."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
