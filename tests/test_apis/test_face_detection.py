"""Face detection: box calibration, the Haar detector on real faces, clear errors."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmlaplace.apis.face_detection import (
    CallableFaceDetector,
    FaceBoxTransform,
    HaarFaceDetector,
    build_face_detector,
    whole_image_box,
)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    inter = np.prod(np.clip(hi - lo, 0, None))
    return float(inter / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter))


def test_box_transform_shifts_and_squares():
    t = FaceBoxTransform(shift=(0.1, 0.2), scale=0.5)
    out = t(np.array([[0, 0, 100, 80]]))
    # centre (50 + 10, 40 + 16), side 0.5 * 100
    np.testing.assert_allclose(out, [[35, 31, 85, 81]], atol=1e-5)


def test_box_transform_fit_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    truth = FaceBoxTransform(shift=(0.03, 0.17), scale=0.8)
    landmarks = rng.uniform(0, 1, (20, 68, 2)) * rng.uniform(50, 200, (20, 1, 2)) \
        + rng.uniform(0, 300, (20, 1, 2))
    lo, hi = landmarks.min(1), landmarks.max(1)
    side = (hi - lo).max(1, keepdims=True) / truth.scale  # square detector boxes
    center = (lo + hi) / 2 - np.asarray(truth.shift) * side
    det = np.concatenate([center - side / 2, center + side / 2], 1)
    fitted = FaceBoxTransform.fit(det, landmarks)
    np.testing.assert_allclose(fitted.shift, truth.shift, atol=1e-6)
    assert fitted.scale == pytest.approx(truth.scale, abs=1e-6)
    with pytest.raises(ValueError, match='as many'):
        FaceBoxTransform.fit(det[:3], landmarks)


def test_haar_finds_real_faces_and_calibrated_box_matches_landmarks(face_samples_300w: Path):
    ann = json.loads((face_samples_300w / 'test_300w.json').read_text())
    files = {im['id']: im['file_name'] for im in ann['images']}
    detector = HaarFaceDetector(max_faces=1)
    raw_ious, ious = [], []
    for a in ann['annotations']:
        image = cv2.imread(str(face_samples_300w / files[a['image_id']]))
        points = np.asarray(a['keypoints'], np.float32).reshape(-1, 3)[:, :2]
        lo, hi = points.min(0), points.max(0)
        side = (hi - lo).max()
        gt = np.concatenate([(lo + hi) / 2 - side / 2, (lo + hi) / 2 + side / 2])
        boxes, scores = detector(image)
        assert boxes.shape == (1, 4) and scores.shape == (1, )
        raw, _ = detector.detect(image)
        raw_ious.append(max(iou(r, gt) for r in raw))
        ious.append(iou(boxes[0], gt))
    # the calibrated box overlaps the square landmark box well, better than the raw box
    assert min(ious) > 0.6, ious
    assert np.mean(ious) > np.mean(raw_ious), (ious, raw_ious)


def test_missing_cascade_names_the_option(monkeypatch, tmp_path):
    monkeypatch.setattr(cv2.data, 'haarcascades', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='detector'):
        HaarFaceDetector()
    with pytest.raises(FileNotFoundError, match='detector'):
        build_face_detector(str(tmp_path / 'missing.xml'))
    with pytest.raises(FileNotFoundError, match='detector'):
        build_face_detector(str(tmp_path / 'yunet.onnx'))
    bad = tmp_path / 'bad.xml'
    bad.write_text('<opencv_storage></opencv_storage>')
    with pytest.raises(ValueError, match='not a valid OpenCV cascade'):
        build_face_detector(str(bad))


def test_build_face_detector_specs():
    assert build_face_detector(None) is None
    assert isinstance(build_face_detector('haar'), HaarFaceDetector)
    with pytest.raises(ValueError, match="'haar'"):
        build_face_detector('retinaface')
    with pytest.raises(TypeError, match='detector must be'):
        build_face_detector(3)


def test_callable_detector_keeps_the_largest_faces_first():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 30, 30], [5, 5, 25, 25]], np.float32)
    detector = build_face_detector(lambda image: boxes, max_faces=2)
    assert isinstance(detector, CallableFaceDetector)
    out, scores = detector(np.zeros((40, 40, 3), np.uint8))
    np.testing.assert_array_equal(out, boxes[[1, 2]])  # identity transform, by area
    assert scores.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match='BGR image'):
        detector(np.zeros((40, 40), np.uint8))


def test_whole_image_box():
    np.testing.assert_allclose(whole_image_box(256, 256, 2.0), [[64, 64, 192, 192]])
    np.testing.assert_allclose(whole_image_box(80, 100, 1.0), [[0, 0, 100, 80]])
    with pytest.raises(ValueError, match='crop_scale'):
        whole_image_box(10, 10, 0)
