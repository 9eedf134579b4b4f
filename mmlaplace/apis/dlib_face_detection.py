"""dlib's face detectors: HOG + linear SVM and the MMOD CNN (optional, imported lazily).

* :class:`DlibHogFaceDetector`: ``dlib.get_frontal_face_detector()`` (five HOG filters,
  frontal and turned faces, CPU, weights inside dlib). Needs ``pip install dlib-bin`` (a
  prebuilt ~4 MB wheel; ``dlib`` built from source works too).
* :class:`DlibMmodFaceDetector`: ``dlib.cnn_face_detection_model_v1`` with
  ``mmod_human_face_detector.dat`` from ``face_recognition_models`` (a ~100 MB source
  distribution). Accurate, but seconds per image on a CPU with the ``dlib-bin`` wheel (built
  without BLAS).

Both see faces from about 80 x 80 pixels up; smaller images are upscaled first
(``min_side``; each ``upsample`` step doubles the image inside dlib, finding faces of ~40 px).
Their box transforms were fitted on 300W training faces (see the constants).
"""
import importlib.util
import os.path as osp
import warnings
from typing import Optional, Tuple

import numpy as np

from .face_detection import FaceBoxTransform, FaceDetector, upscale_small_image

#: dlib HOG box -> landmark box. Fitted (medians, :meth:`FaceBoxTransform.fit`) by
#: ``tools/benchmark_detectors.py`` on the 300W *training* faces of the 300W subset (the 1921
#: of 2012 whose detection matches the face; never the LFPW test set): the HOG box is a
#: square on the inner face (brows to lips), about as large as the 68-point box but higher.
DLIB_HOG_BOX_TRANSFORM = FaceBoxTransform(shift=(0.004, 0.111), scale=1.016)
#: dlib MMOD box -> landmark box, fitted like :data:`DLIB_HOG_BOX_TRANSFORM` on the 101
#: training faces the slow MMOD detector was run on (every 20th face): a smaller, higher
#: box than the landmark box, a little to the left.
DLIB_MMOD_BOX_TRANSFORM = FaceBoxTransform(shift=(0.065, 0.128), scale=1.113)
MMOD_MODEL = 'mmod_human_face_detector.dat'


def import_dlib(who: str):
    """Import dlib or raise an ``ImportError`` that says how to install it.

    Args:
        who (str): The class that needs it (for the message).

    Returns:
        module: ``dlib``.
    """
    try:
        import dlib
    except ImportError as e:
        raise ImportError(f'{who} needs the dlib package, which is not installed ({e}): '
                          'pip install dlib-bin  (a prebuilt wheel; or pip install -r '
                          'requirements/benchmark.txt)') from None
    return dlib


def mmod_model_location() -> str:
    """Path of ``mmod_human_face_detector.dat`` from the ``face_recognition_models`` package.

    Found without importing the package when possible (its ``__init__`` imports the
    deprecated ``pkg_resources``).

    Returns:
        str: The model file.

    Raises:
        ImportError: ``face_recognition_models`` is not installed (with the install command).
    """
    spec = importlib.util.find_spec('face_recognition_models')
    if spec is None:
        raise ImportError('DlibMmodFaceDetector needs the face_recognition_models package (the '
                          'MMOD weights), which is not installed: pip install '
                          'face_recognition_models  (~100 MB; or pass model=PATH to '
                          f'{MMOD_MODEL})')
    for folder in spec.submodule_search_locations or []:
        path = osp.join(folder, 'models', MMOD_MODEL)
        if osp.isfile(path):
            return path
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API')
        import face_recognition_models
    return face_recognition_models.cnn_face_detector_model_location()


class _DlibFaceDetector(FaceDetector):
    """Common part: BGR -> RGB, small images upscaled, ``dlib.rectangle`` -> boxes."""

    def __init__(self, upsample: int = 0, min_side: Optional[int] = 160, **kwargs):
        super().__init__(**kwargs)
        if upsample < 0:
            raise ValueError(f'{type(self).__name__}: upsample must be >= 0, got {upsample}')
        self.upsample = int(upsample)
        self.min_side = min_side
        self.dlib = import_dlib(type(self).__name__)

    def _rgb(self, image: np.ndarray) -> Tuple[np.ndarray, float]:
        image, factor = upscale_small_image(image, self.min_side)
        return np.ascontiguousarray(image[..., ::-1]), factor

    @staticmethod
    def _boxes(rects, factor: float) -> np.ndarray:
        boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rects],
                         np.float32).reshape(-1, 4)
        return boxes / np.float32(factor)


class DlibHogFaceDetector(_DlibFaceDetector):
    """dlib's HOG + linear SVM face detector (``dlib.get_frontal_face_detector``).

    Args:
        upsample (int): dlib's ``upsample_num_times`` (each doubles the image, finds faces
            half as large, about 4x slower). Defaults to 0.
        threshold (float): ``adjust_threshold`` of the SVM score; lower finds more faces
            and more false ones. Defaults to 0.0 (dlib's own).
        min_side (int, optional): Upscale images whose shorter side is below this first
            (89 x 109 CelebA faces: 97% found at 160, 4% without); None keeps every image as is.
            Defaults to 160.
        **kwargs: :class:`FaceDetector` arguments; ``box_transform`` defaults to
            :data:`DLIB_HOG_BOX_TRANSFORM`.
    """

    def __init__(self, upsample: int = 0, threshold: float = 0.0,
                 min_side: Optional[int] = 160, **kwargs):
        kwargs.setdefault('box_transform', DLIB_HOG_BOX_TRANSFORM)
        super().__init__(upsample=upsample, min_side=min_side, **kwargs)
        self.threshold = float(threshold)
        self.detector = self.dlib.get_frontal_face_detector()

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw HOG boxes (N, 4) ``x1, y1, x2, y2`` and SVM scores (N,) of a BGR image."""
        rgb, factor = self._rgb(image)
        rects, scores, _ = self.detector.run(rgb, self.upsample, self.threshold)
        return self._boxes(rects, factor), np.asarray(scores, np.float32).reshape(-1)


class DlibMmodFaceDetector(_DlibFaceDetector):
    """dlib's MMOD CNN face detector (``dlib.cnn_face_detection_model_v1``).

    Args:
        model (str, optional): Path to ``mmod_human_face_detector.dat``. Defaults to the
            file of the ``face_recognition_models`` package.
        upsample (int): dlib's ``upsample_num_times``. Defaults to 0.
        threshold (float): Keep detections with a confidence above this. Defaults to 0.0.
        min_side (int, optional): Upscale smaller images first (see
            :class:`DlibHogFaceDetector`). Defaults to 160.
        **kwargs: :class:`FaceDetector` arguments; ``box_transform`` defaults to
            :data:`DLIB_MMOD_BOX_TRANSFORM`.
    """

    def __init__(self, model: Optional[str] = None, upsample: int = 0, threshold: float = 0.0,
                 min_side: Optional[int] = 160, **kwargs):
        kwargs.setdefault('box_transform', DLIB_MMOD_BOX_TRANSFORM)
        super().__init__(upsample=upsample, min_side=min_side, **kwargs)
        if model is None:
            model = mmod_model_location()
        elif not osp.isfile(model):
            raise FileNotFoundError(f'DlibMmodFaceDetector: model file {model} not found')
        self.model_file = model
        self.threshold = float(threshold)
        self.detector = self.dlib.cnn_face_detection_model_v1(model)

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw MMOD boxes (N, 4) ``x1, y1, x2, y2`` and confidences (N,) of a BGR image."""
        rgb, factor = self._rgb(image)
        found = [d for d in self.detector(rgb, self.upsample) if d.confidence > self.threshold]
        scores = np.array([d.confidence for d in found], np.float32)
        return self._boxes([d.rect for d in found], factor), scores
