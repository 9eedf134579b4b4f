"""dlib HOG / MMOD and MTCNN face detectors, 'auto', install messages, the benchmark tool."""
import builtins
import importlib.util
import json
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from mmlaplace.apis import dlib_face_detection, face_detection, mtcnn_face_detection
from mmlaplace.apis.face_detection import (
    AUTO_DETECTORS,
    FaceBoxTransform,
    HaarFaceDetector,
    build_face_detector,
    upscale_small_image,
)
from mmlaplace.datasets.synthetic_faces import generate_face

HAS_DLIB = importlib.util.find_spec('dlib') is not None
HAS_MMOD = HAS_DLIB and importlib.util.find_spec('face_recognition_models') is not None
HAS_MTCNN = importlib.util.find_spec('facenet_pytorch') is not None
SHARED = Path(os.environ.get('MMLAPLACE_SHARED', Path(__file__).resolve().parents[3] / 'shared'))
DATA_300W = SHARED / 'data' / '300w_subset'
CELEBA = SHARED / 'data' / 'unlabeled_celeba'
needs_dlib = pytest.mark.skipif(not HAS_DLIB, reason='dlib not installed (pip install dlib-bin)')


def iou(a: np.ndarray, b: np.ndarray) -> float:
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    inter = np.prod(np.clip(hi - lo, 0, None))
    return float(inter / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter))


@pytest.fixture(scope='module')
def synthetic_face():
    """A generated 256 x 256 face (BGR) and its square landmark box (4,)."""
    image, points = generate_face(0, split='test')
    lo, hi = points.min(0), points.max(0)
    half = (hi - lo).max() / 2
    box = np.concatenate([(lo + hi) / 2 - half, (lo + hi) / 2 + half])
    return np.ascontiguousarray(image[..., ::-1]), box


def block_imports(monkeypatch, *names: str) -> None:
    """Make ``import NAME`` (and its submodules) fail as if the package were missing."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split('.')[0] in names:
            raise ImportError(f'No module named {name!r}')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', fake_import)


@pytest.mark.parametrize('name', [
    pytest.param('dlib-hog', marks=needs_dlib),
    pytest.param('mtcnn', marks=pytest.mark.skipif(not HAS_MTCNN,
                                                   reason='facenet-pytorch not installed')),
])
def test_detector_finds_the_face_with_its_fitted_box(name, synthetic_face):
    image, box = synthetic_face
    detector = build_face_detector(name, max_faces=1)
    boxes, scores = detector(image)
    assert boxes.shape == (1, 4) and scores.shape == (1, ) and scores[0] > 0
    raw, _ = detector.detect(image)
    assert iou(boxes[0], box) > 0.6
    # the fitted transform brings the box closer to the landmark box than the raw one
    assert iou(boxes[0], box) > max(iou(r, box) for r in raw)


@pytest.mark.skipif(not HAS_MMOD, reason='dlib / face_recognition_models not installed')
def test_mmod_finds_a_small_face():
    image, points = generate_face(1, split='test', image_size=128)  # upscaled to 160 first
    lo, hi = points.min(0), points.max(0)
    half = (hi - lo).max() / 2
    box = np.concatenate([(lo + hi) / 2 - half, (lo + hi) / 2 + half])
    boxes, _ = build_face_detector('dlib-mmod', max_faces=1)(
        np.ascontiguousarray(image[..., ::-1]))
    assert boxes.shape == (1, 4) and iou(boxes[0], box) > 0.5


@needs_dlib
def test_small_images_are_upscaled_and_boxes_mapped_back(synthetic_face):
    image, box = synthetic_face
    small = np.ascontiguousarray(image[::2, ::2])  # 128 x 128: face below HOG's 80 px window
    with_upscale = build_face_detector('dlib-hog', max_faces=1)
    assert with_upscale.min_side == 160
    boxes, _ = with_upscale(small)
    assert len(boxes) == 1 and iou(boxes[0], box / 2) > 0.6
    up, factor = upscale_small_image(small, 160)
    assert up.shape == (160, 160, 3) and factor == pytest.approx(1.25)
    assert upscale_small_image(small, None)[0] is small


def test_fitted_box_transform_constants_are_applied(monkeypatch):
    for name, cls, constant in [
            ('dlib-hog', dlib_face_detection.DlibHogFaceDetector,
             dlib_face_detection.DLIB_HOG_BOX_TRANSFORM),
            ('mtcnn', mtcnn_face_detection.MtcnnFaceDetector,
             mtcnn_face_detection.MTCNN_BOX_TRANSFORM),
            ('dlib-mmod', dlib_face_detection.DlibMmodFaceDetector,
             dlib_face_detection.DLIB_MMOD_BOX_TRANSFORM)]:
        assert constant != FaceBoxTransform(), name  # fitted, not the Haar default
        assert constant.scale != 1.0 and 0.5 < constant.scale < 1.5, name
        raw = np.array([[10, 20, 110, 120]], np.float32)
        detector = cls.__new__(cls)  # no weights needed: only the mapping is checked
        face_detection.FaceDetector.__init__(detector, box_transform=constant)
        monkeypatch.setattr(detector, 'detect', lambda image, raw=raw: (raw, np.ones(1)))
        boxes, _ = detector(np.zeros((8, 8, 3), np.uint8))
        np.testing.assert_allclose(boxes, constant(raw))
    if HAS_DLIB:
        assert build_face_detector('dlib-hog').box_transform is constant_of('dlib-hog')
        custom = FaceBoxTransform(shift=(0.0, 0.0), scale=1.0)
        assert build_face_detector('dlib-hog', box_transform=custom).box_transform is custom


def constant_of(name: str) -> FaceBoxTransform:
    return {'dlib-hog': dlib_face_detection.DLIB_HOG_BOX_TRANSFORM}[name]


def test_missing_packages_name_the_install_command(monkeypatch):
    block_imports(monkeypatch, 'dlib', 'facenet_pytorch')
    with pytest.raises(ImportError, match='pip install dlib-bin'):
        build_face_detector('dlib-hog')
    with pytest.raises(ImportError, match='pip install dlib-bin'):
        build_face_detector('dlib-mmod')
    with pytest.raises(ImportError, match='pip install --no-deps facenet-pytorch'):
        build_face_detector('mtcnn')


@needs_dlib
def test_missing_mmod_weights_name_the_install_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None
                        if name == 'face_recognition_models' else real_find_spec(name, *a))
    with pytest.raises(ImportError, match='pip install face_recognition_models'):
        build_face_detector('dlib-mmod')


def test_auto_picks_the_best_installed_detector(synthetic_face):
    image, box = synthetic_face
    detector = build_face_detector('auto', max_faces=1)
    expected = {'mtcnn': HAS_MTCNN, 'dlib-hog': HAS_DLIB, 'haar': True}
    first = next(name for name in AUTO_DETECTORS if expected[name])
    names = {'mtcnn': 'MtcnnFaceDetector', 'dlib-hog': 'DlibHogFaceDetector',
             'haar': 'HaarFaceDetector'}
    assert type(detector).__name__ == names[first]
    boxes, _ = detector(image)
    assert len(boxes) == 1 and iou(boxes[0], box) > 0.6


def test_auto_falls_back_to_haar_with_a_logged_note(monkeypatch):
    block_imports(monkeypatch, 'dlib', 'facenet_pytorch')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        detector = build_face_detector('auto')
    finally:
        logger.removeHandler(handler)
    assert isinstance(detector, HaarFaceDetector)
    messages = [r.getMessage() for r in records]
    assert any('falling back to haar' in m and 'pip install' in m for m in messages), messages


def test_unknown_name_lists_the_detectors():
    with pytest.raises(ValueError, match="'dlib-hog', 'dlib-mmod', 'mtcnn', 'auto'"):
        build_face_detector('retinaface')


@needs_dlib
@pytest.mark.skipif(not (DATA_300W / 'annotations').is_dir() or not CELEBA.is_dir(),
                    reason='shared 300W subset / CelebA faces not found')
def test_benchmark_detectors_tool(load_tool, tmp_path: Path):
    threads, cv_threads = torch.get_num_threads(), cv2.getNumThreads()
    try:
        payload = load_tool('benchmark_detectors.py').main([
            '--data-root', str(DATA_300W), '--celeba', str(CELEBA), '--num-celeba', '4',
            '--max-300w', '12', '--detectors', 'haar', 'dlib-hog:upsample=0',
            '--every', 'haar=2', '--out-dir', str(tmp_path), '--save-raw',
            str(tmp_path / 'raw.npz')])
        again = load_tool('benchmark_detectors.py').main([
            '--data-root', str(DATA_300W), '--celeba', str(CELEBA), '--num-celeba', '4',
            '--max-300w', '12', '--detectors', 'dlib-hog:upsample=0', '--out-dir',
            str(tmp_path / 'again'), '--load-raw', str(tmp_path / 'raw.npz')])
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv_threads)
    hog = payload['results']['dlib-hog:upsample=0']
    assert hog['fitted_all']['n'] == 12 and payload['results']['haar']['fitted_all']['n'] == 6
    assert hog['fitted_all']['rate'] > 0.5 and hog['celeba']['n'] == 4
    assert hog['cpu_ms_300w'] > 0 and hog['fitted_lfpw']['n'] + hog['fitted_train']['n'] == 12
    assert again['results']['dlib-hog:upsample=0']['fitted_all'] == hog['fitted_all']
    written = json.loads((tmp_path / 'detectors.json').read_text())
    assert set(written['results']) == {'haar', 'dlib-hog:upsample=0'}
    assert '| dlib-hog:upsample=0 |' in (tmp_path / 'detectors.md').read_text()
