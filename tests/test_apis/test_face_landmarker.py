"""FaceLandmarker: faces from boxes / the whole image / a detector, batching, image pixels."""
import json

import cv2
import numpy as np
import pytest
from mmpose.apis import inference_topdown

from mmlaplace.apis import FaceLandmarker, face_to_json


@pytest.fixture(scope='module')
def landmarker(tiny_config, tiny_checkpoint):
    return FaceLandmarker(tiny_config, tiny_checkpoint, detector=None, batch_size=4)


def test_whole_image_face_fields_and_json(landmarker, face_image, one_thread):
    faces = landmarker(face_image)
    assert len(faces) == 1
    face = faces[0]
    assert face['keypoints'].shape == (68, 2) and face['keypoint_scales'].shape == (68, 2)
    assert face['keypoint_scores'].shape == (68, )
    assert (face['keypoint_scales'] > 0).all()
    assert 0 < face['score'] <= 1
    # whole image as a 2x crop of the landmark box: the central half of 100 x 120
    np.testing.assert_allclose(face['bbox'], [25, 30, 75, 90])
    # the same box given explicitly gives the same face
    same = landmarker(face_image, np.array([[25, 30, 75, 90]], np.float32))[0]
    np.testing.assert_allclose(same['keypoints'], face['keypoints'], atol=1e-4)
    data = json.loads(json.dumps(face_to_json(face)))
    assert len(data['keypoints']) == 68 and len(data['keypoint_scales'][0]) == 2


def test_matches_mmpose_inference_topdown_in_image_pixels(landmarker, face_image, one_thread):
    boxes = np.array([[10, 5, 60, 70], [40, 50, 95, 115]], np.float32)
    faces = landmarker(face_image, boxes)
    samples = inference_topdown(landmarker.model, face_image, boxes)
    for face, sample in zip(faces, samples):
        meta = sample.metainfo
        np.testing.assert_allclose(face['keypoints'], sample.pred_instances.keypoints[0],
                                   atol=1e-4)
        # per-axis scales: input-crop pixels -> image pixels
        to_image = np.asarray(meta['input_scale']) / np.asarray(meta['input_size'])
        np.testing.assert_allclose(face['keypoint_scales'],
                                   sample.pred_instances.keypoint_scales[0] * to_image,
                                   rtol=1e-5)
        np.testing.assert_allclose(face['bbox'], sample.pred_instances.bboxes[0])


def test_scales_follow_the_image_size(landmarker, face_image, one_thread):
    big = cv2.resize(face_image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    small_face = landmarker(face_image)[0]
    big_face = landmarker(big)[0]
    ratio = big_face['keypoint_scales'].mean() / small_face['keypoint_scales'].mean()
    assert ratio == pytest.approx(2.0, rel=0.05)
    assert np.abs(big_face['keypoints'] / 2 - small_face['keypoints']).mean() < 1.5


def test_batching_across_images_does_not_change_results(tiny_config, tiny_checkpoint,
                                                        face_image, one_thread):
    images = [face_image, face_image[::-1].copy(), face_image[:, ::-1].copy()]
    boxes = [None, np.array([[0, 0, 50, 60], [30, 30, 90, 110]], np.float32), None]
    one = FaceLandmarker(tiny_config, tiny_checkpoint, detector=None, batch_size=1)
    many = FaceLandmarker(tiny_config, tiny_checkpoint, detector=None, batch_size=8)
    a, b = one.predict(images, boxes), many.predict(images, boxes)
    assert [len(x) for x in a] == [1, 2, 1] == [len(x) for x in b]
    for faces_a, faces_b in zip(a, b):
        for fa, fb in zip(faces_a, faces_b):
            np.testing.assert_allclose(fa['keypoints'], fb['keypoints'], atol=1e-3)
            np.testing.assert_allclose(fa['keypoint_scales'], fb['keypoint_scales'], atol=1e-3)
    assert not np.allclose(a[1][0]['keypoints'], a[1][1]['keypoints'])


def test_detector_on_real_faces(tiny_config, tiny_checkpoint, face_samples_300w, one_thread):
    landmarker = FaceLandmarker(tiny_config, tiny_checkpoint, detector='haar',
                                return_heatmaps=True)
    image = str(face_samples_300w / 'indoor_029.png')
    faces = landmarker(image)
    assert len(faces) >= 1
    x1, y1, x2, y2 = faces[0]['bbox']
    assert 200 < (x1 + x2) / 2 < 750 and 250 < (y1 + y2) / 2 < 750  # the face, not a corner
    assert faces[0]['heatmaps'].shape == (68, 80, 80)
    assert (faces[0]['keypoints'][:, 0] > x1 - (x2 - x1)).all()


def test_clear_errors(tiny_config, tiny_checkpoint, tmp_path, landmarker):
    with pytest.raises(FileNotFoundError, match='config file'):
        FaceLandmarker(str(tmp_path / 'none.py'), tiny_checkpoint)
    with pytest.raises(FileNotFoundError, match='checkpoint file'):
        FaceLandmarker(tiny_config, str(tmp_path / 'none.pth'))
    with pytest.raises(ValueError, match='batch_size'):
        FaceLandmarker(tiny_config, tiny_checkpoint, batch_size=0)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        landmarker(str(tmp_path / 'missing.jpg'))
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        landmarker(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError, match='2 images but 1 box'):
        landmarker.predict([np.zeros((8, 8, 3), np.uint8)] * 2, [None])


def test_pip_head_model_matches_inference_topdown(repo_root, face_image, one_thread):
    """A PIPHead config works as is: image-pixel landmarks and vote-spread scales."""
    config = str(repo_root / 'configs' / 'pipnet' /
                 'pipnet_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py')
    landmarker = FaceLandmarker(config, None, detector=None)
    boxes = np.array([[10, 5, 60, 70]], np.float32)
    face = landmarker(face_image, boxes)[0]
    assert face['keypoints'].shape == face['keypoint_scales'].shape == (68, 2)
    assert (face['keypoint_scales'] > 0).all() and np.isfinite(face['keypoints']).all()
    ref = inference_topdown(landmarker.model, face_image, boxes, bbox_format='xyxy')[0]
    np.testing.assert_allclose(face['keypoints'], ref.pred_instances.keypoints[0], atol=1e-3)
