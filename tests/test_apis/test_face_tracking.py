"""FaceTracker on a generated world of moving faces: stable ids, loss, re-detection, errors.

A stub landmarker stands in for the model: it knows where each face of the current frame
is, answers a crop that covers a face with that face's landmarks (plus noise, small scales)
and a crop without a face with a large scale, as a trained model does.
"""
import numpy as np
import pytest

from mmlaplace.apis.face_detection import box_iou
from mmlaplace.apis.face_tracking import FaceTracker, landmark_box

SHAPE = (240, 320, 3)
# a face: 68 points on a 60 px "face" around its centre
TEMPLATE = np.random.default_rng(0).uniform(-30, 30, (68, 2))


class StubLandmarker:

    def __init__(self, world):
        self.world = world  # frame index -> list of face centres (x, y)
        self.frame = 0
        self.detect_calls = 0
        self.rng = np.random.default_rng(1)

    def faces_now(self):
        return [TEMPLATE + np.asarray(c, np.float64) for c in self.world(self.frame)]

    def find_faces(self, image):
        self.detect_calls += 1
        boxes = [landmark_box(f) for f in self.faces_now()]
        return np.array(boxes, np.float32).reshape(-1, 4), np.ones(len(boxes), np.float32)

    def predict(self, images, bboxes):
        faces = []
        truths = self.faces_now()
        for box in bboxes[0]:
            ious = [box_iou(box, landmark_box(t))[0, 0] for t in truths]
            if ious and max(ious) > 0.2:
                points = truths[int(np.argmax(ious))] + self.rng.normal(0, 1, (68, 2))
                scales = np.full((68, 2), 1.0)
            else:  # no face in the crop: a blurry guess with large scales
                centre = (box[:2] + box[2:]) / 2
                points = TEMPLATE + centre
                scales = np.full((68, 2), 15.0)
            faces.append(dict(bbox=box, bbox_score=1.0, keypoints=points.astype(np.float32),
                              keypoint_scales=scales.astype(np.float32),
                              keypoint_scores=np.ones(68, np.float32), score=1.0))
        return [faces]


def run(tracker, stub, num_frames):
    frames = []
    for t in range(num_frames):
        stub.frame = t
        frames.append(tracker.update(np.zeros(SHAPE, np.uint8)))
    return frames


def test_two_faces_keep_their_ids_and_are_detected_once():
    stub = StubLandmarker(lambda t: [(80 + 2 * t, 100), (240 - t, 130 + 0.5 * t)])
    tracker = FaceTracker(stub, landmark_filter='kalman')
    frames = run(tracker, stub, 30)
    assert stub.detect_calls == 1
    for t, faces in enumerate(frames):
        assert sorted(f['track_id'] for f in faces) == [0, 1]
        by_id = {f['track_id']: f for f in faces}
        truth = TEMPLATE + np.array([80 + 2 * t, 100])
        assert np.abs(by_id[0]['raw_keypoints'] - truth).mean() < 3
        assert by_id[0]['detected'] == (t == 0)
        assert by_id[0]['keypoint_variances'].shape == (68, 2)
        assert not by_id[0]['uncertain'].any()
    # the Kalman filter smooths: its estimate beats the raw 1 px noise at the end
    late = [f for f in frames[-1] if f['track_id'] == 0][0]
    truth = TEMPLATE + np.array([80 + 2 * 29, 100])
    assert (np.abs(late['keypoints'] - truth).mean() <
            np.abs(late['raw_keypoints'] - truth).mean())


def test_a_face_that_leaves_is_lost_and_comes_back_with_a_new_id():
    # face present on frames 0-9 and 15-24, gone (the crop sees background) on 10-14
    stub = StubLandmarker(lambda t: [] if 10 <= t < 15 else [(160, 120)])
    tracker = FaceTracker(stub, landmark_filter='one-euro')
    frames = run(tracker, stub, 25)
    assert [len(f) for f in frames[:10]] == [1] * 10
    assert [len(f) for f in frames[10:15]] == [0] * 5  # lost by its large scales
    assert all(f[0]['track_id'] == 0 for f in frames[:10])
    assert all(f[0]['track_id'] == 1 for f in frames[15:])  # re-detected: a new id
    assert frames[15][0]['detected'] and not frames[16][0]['detected']
    assert stub.detect_calls == 1 + 5  # first frame + every frame without a track


def test_a_face_leaving_the_image_is_lost():
    stub = StubLandmarker(lambda t: [(200 + 20 * t, 120)])
    frames = run(FaceTracker(stub), stub, 12)
    assert len(frames[0]) == 1
    assert not frames[-1]  # centre past the right border


def test_detect_interval_picks_up_a_new_face():
    stub = StubLandmarker(lambda t: [(80, 100)] + ([(240, 120)] if t >= 3 else []))
    tracker = FaceTracker(stub, detect_interval=5)
    frames = run(tracker, stub, 8)
    assert [len(f) for f in frames] == [1, 1, 1, 1, 1, 2, 2, 2]
    assert {f['track_id'] for f in frames[-1]} == {0, 1}
    assert stub.detect_calls == 2  # frames 0 and 5; the tracked face is not duplicated


def test_uncertain_flags_follow_the_scales():
    stub = StubLandmarker(lambda t: [(160, 120)])
    original = stub.predict

    def predict(images, bboxes):
        faces = original(images, bboxes)
        faces[0][0]['keypoint_scales'][:5] = 4.0  # 4 / ~60 px box > 0.03
        return faces

    stub.predict = predict
    face = run(FaceTracker(stub), stub, 2)[-1][0]
    assert face['uncertain'][:5].all() and not face['uncertain'][5:].any()


def test_bad_frames_and_options():
    stub = StubLandmarker(lambda t: [(160, 120)])
    tracker = FaceTracker(stub)
    tracker.update(np.zeros(SHAPE, np.uint8))
    with pytest.raises(ValueError, match=r'frame 1 is 160x120, the sequence is 320x240'):
        tracker.update(np.zeros((120, 160, 3), np.uint8))
    with pytest.raises(ValueError, match=r'frame 1 must be a BGR image'):
        tracker.update(np.zeros((240, 320), np.uint8))
    tracker.reset()
    assert tracker.update(np.zeros((120, 160, 3), np.uint8))[0]['track_id'] == 1
    with pytest.raises(ValueError, match='unknown landmark filter'):
        FaceTracker(stub, landmark_filter='median')
    with pytest.raises(ValueError, match='detect_interval'):
        FaceTracker(stub, detect_interval=-1)
    with pytest.raises(ValueError, match='no finite landmark'):
        landmark_box(np.full((68, 2), np.nan))
