"""MTCNN face detector (P-, R-, O-net cascade) from ``facenet-pytorch`` (optional, lazy).

The weights ship inside the ``facenet-pytorch`` wheel (~2 MB). Its metadata pins old
versions (``torch<2.3``, ``numpy<2``, ``Pillow<10.3``) that would downgrade the project's
stack, so install it without its dependencies; it runs with torch 2.14 / numpy 2 (checked),
and its package ``__init__`` imports ``requests``::

    pip install --no-deps facenet-pytorch && pip install requests
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from .face_detection import FaceBoxTransform, FaceDetector, upscale_small_image

#: MTCNN box -> landmark box. Fitted (medians, :meth:`FaceBoxTransform.fit`) by
#: ``tools/benchmark_detectors.py`` on the 300W *training* faces of the 300W subset (the 2008
#: of 2012 whose detection matches the face; never the LFPW test set): the MTCNN box covers
#: the forehead, so it is larger and higher than the 68-point box.
MTCNN_BOX_TRANSFORM = FaceBoxTransform(shift=(0.006, 0.128), scale=0.800)
MTCNN_INSTALL = 'pip install --no-deps facenet-pytorch && pip install requests'


def import_mtcnn():
    """Import ``facenet_pytorch.MTCNN`` or raise an ``ImportError`` with the install command.

    Returns:
        type: The ``MTCNN`` class.
    """
    try:
        from facenet_pytorch import MTCNN
    except ImportError as e:
        raise ImportError(f'MtcnnFaceDetector needs the facenet-pytorch package, which is not '
                          f'installed or does not import ({e}): {MTCNN_INSTALL}  (--no-deps: '
                          'its pins torch<2.3 / numpy<2 would downgrade the stack)') from None
    return MTCNN


class MtcnnFaceDetector(FaceDetector):
    """MTCNN (Zhang et al. 2016) from ``facenet-pytorch``, on the CPU by default.

    Args:
        min_face_size (int): Smallest face side to search for, in pixels (sets the image
            pyramid). Defaults to 20 (facenet-pytorch's).
        thresholds (Sequence[float]): P-, R- and O-net face probability thresholds.
            Defaults to (0.6, 0.7, 0.7).
        factor (float): Image pyramid scale step. Defaults to 0.709.
        min_side (int, optional): Upscale images whose shorter side is below this first;
            None (the default) keeps every image as is.
        device (str): Torch device. Defaults to ``'cpu'``.
        **kwargs: :class:`FaceDetector` arguments; ``box_transform`` defaults to
            :data:`MTCNN_BOX_TRANSFORM`.
    """

    def __init__(self, min_face_size: int = 20,
                 thresholds: Sequence[float] = (0.6, 0.7, 0.7), factor: float = 0.709,
                 min_side: Optional[int] = None, device: str = 'cpu', **kwargs):
        kwargs.setdefault('box_transform', MTCNN_BOX_TRANSFORM)
        super().__init__(**kwargs)
        mtcnn = import_mtcnn()
        self.min_side = min_side
        self.mtcnn = mtcnn(min_face_size=min_face_size, thresholds=list(thresholds),
                           factor=factor, keep_all=True, device=device)
        self.mtcnn.eval()

    def detect(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw MTCNN boxes (N, 4) ``x1, y1, x2, y2`` and face probabilities (N,)."""
        image, factor = upscale_small_image(image, self.min_side)
        rgb = np.ascontiguousarray(image[..., ::-1])
        boxes, probs = self.mtcnn.detect(rgb)
        if boxes is None:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4) / np.float32(factor)
        return boxes, np.asarray(probs, np.float32).reshape(-1)
