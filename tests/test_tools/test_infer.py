"""tools/infer.py: images with the Haar detector, a video with a box file, whole images.

The tool's ``main(argv)`` runs in-process (a subprocess spends ~30 s importing on a busy
2-core machine); the argument parsing is the one the command line uses.
"""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint
from mmpose.apis import init_model

import mmlaplace  # noqa: F401

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py'


@pytest.fixture(scope='module')
def checkpoint(repo_root, tmp_path_factory) -> str:
    """A random tiny RCN checkpoint (structure only: the tests check plumbing)."""
    torch.manual_seed(0)
    model = init_model(str(repo_root / CONFIG), None, device='cpu')
    path = tmp_path_factory.mktemp('ckpt') / 'rcn.pth'
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=model.dataset_meta)), str(path))
    return str(path)


@pytest.fixture(scope='module')
def infer(load_tool):
    return load_tool('infer.py')


def _check_faces(faces, min_faces=1):
    assert len(faces) >= min_faces
    for face in faces:
        assert np.asarray(face['keypoints']).shape == (68, 2)
        assert np.asarray(face['keypoint_scales']).shape == (68, 2)
        assert (np.asarray(face['keypoint_scales']) > 0).all()
        assert len(face['bbox']) == 4 and len(face['keypoint_scores']) == 68


def test_images_with_haar_detector(infer, repo_root, checkpoint, face_samples_300w, tmp_path,
                                   capsys, one_thread):
    out = tmp_path / 'out'
    infer.main([str(repo_root / CONFIG), checkpoint, str(face_samples_300w), '--out-dir',
                str(out), '--batch-size', '2', '--detector', 'haar'])
    assert '2 images' in capsys.readouterr().out
    data = json.loads((out / 'predictions.json').read_text())
    assert data['faces_from'] == 'haar' and data['num_images'] == 2
    for result in data['results']:
        _check_faces(result['faces'])
        image = cv2.imread(str(face_samples_300w / result['file']))
        drawn = cv2.imread(str(out / 'vis' / result['file']))
        assert drawn.shape == image.shape == (result['height'], result['width'], 3)
        assert (drawn != image).any()


def test_default_detector_is_auto(infer, repo_root, checkpoint, face_samples_300w, tmp_path,
                                  one_thread):
    out = tmp_path / 'out'
    infer.main([str(repo_root / CONFIG), checkpoint, str(face_samples_300w), '--out-dir',
                str(out), '--no-vis'])
    data = json.loads((out / 'predictions.json').read_text())
    assert data['faces_from'] == 'auto'
    for result in data['results']:  # dlib's HOG (a runtime requirement) finds both faces
        _check_faces(result['faces'])


def test_video_with_box_file(infer, repo_root, checkpoint, tmp_path, one_thread):
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 10, (96, 80))
    rng = np.random.default_rng(0)
    for _ in range(5):
        writer.write(rng.integers(0, 256, (80, 96, 3), np.uint8))
    writer.release()
    boxes = tmp_path / 'boxes.txt'
    boxes.write_text('clip.avi 10 10 40 40\nclip.avi#2 5 5 30 30\nclip.avi#2 50 30 40 40\n')
    out = tmp_path / 'out'
    infer.main([str(repo_root / CONFIG), checkpoint, str(video), '--out-dir', str(out),
                '--boxes', str(boxes), '--batch-size', '2'])
    data = json.loads((out / 'predictions.json').read_text())
    assert [r['frame'] for r in data['results']] == [0, 1, 2, 3, 4]
    assert [len(r['faces']) for r in data['results']] == [1, 1, 2, 1, 1]
    for result in data['results']:
        _check_faces(result['faces'])
    np.testing.assert_allclose(data['results'][0]['faces'][0]['bbox'], [10, 10, 50, 50])
    cap = cv2.VideoCapture(str(out / 'clip_landmarks.avi'))
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 5 and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 96
    cap.release()


def test_whole_image_and_errors(infer, repo_root, checkpoint, tmp_path, one_thread):
    image = tmp_path / 'crop.png'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8))
    out = tmp_path / 'out'
    infer.main([str(repo_root / CONFIG), checkpoint, str(image), '--out-dir', str(out),
                '--whole-image', '--crop-scale', '1.25', '--no-vis'])
    data = json.loads((out / 'predictions.json').read_text())
    _check_faces(data['results'][0]['faces'])
    np.testing.assert_allclose(data['results'][0]['faces'][0]['bbox'],
                               [6.4, 6.4, 57.6, 57.6], atol=0.01)
    assert not (out / 'vis').exists()
    with pytest.raises(SystemExit, match='not found'):
        infer.main([str(repo_root / CONFIG), checkpoint, str(tmp_path / 'none.jpg')])
    (tmp_path / 'notes.txt').write_text('x')
    with pytest.raises(SystemExit, match='neither an image'):
        infer.main([str(repo_root / CONFIG), checkpoint, str(tmp_path / 'notes.txt')])


def _moving_face_video(path, num_frames=6, step=2):
    """A generated face (RGB -> BGR) shifted right by ``step`` px per frame; its truth."""
    from mmlaplace.datasets.synthetic_faces import generate_face
    image, keypoints = generate_face(0, seed=0, split='video_test')
    image = np.ascontiguousarray(image[..., ::-1])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (image.shape[1], image.shape[0]))
    truths = []
    for t in range(num_frames):
        matrix = np.float32([[1, 0, step * t], [0, 1, 0]])
        writer.write(cv2.warpAffine(image, matrix, image.shape[1::-1],
                                    borderMode=cv2.BORDER_REPLICATE))
        truths.append(keypoints + [step * t, 0])
    writer.release()
    return np.array(truths)


@pytest.mark.parametrize('filter_name', ['kalman-affine', 'one-euro', 'none'])
def test_video_is_tracked_and_filtered(infer, tmp_path, one_thread, filter_name):
    video = tmp_path / 'face.avi'
    truths = _moving_face_video(video)
    out = tmp_path / 'out'
    infer.main(['rcn-w1-8', str(video), '--out-dir', str(out), '--whole-image',
                '--filter', filter_name] + (['--no-vis'] if filter_name == 'none' else []))
    data = json.loads((out / 'predictions.json').read_text())
    assert data['complete'] and data['filter'] == filter_name
    assert [r['frame'] for r in data['results']] == list(range(6))
    for result, truth in zip(data['results'], truths):
        (face,) = result['faces']
        assert face['track_id'] == 0
        assert np.asarray(face['keypoint_variances']).shape == (68, 2)
        assert len(face['uncertain']) == 68
        # the shipped model on a generated face: near the truth, tracked frame to frame
        iod = np.linalg.norm(truth[36] - truth[45])
        assert np.linalg.norm(np.asarray(face['raw_keypoints']) - truth, axis=1).mean() < 0.2 * iod
    assert data['results'][0]['faces'][0]['detected']
    assert not data['results'][1]['faces'][0]['detected']
    if filter_name == 'none':
        first = data['results'][-1]['faces'][0]
        np.testing.assert_allclose(first['keypoints'], first['raw_keypoints'], atol=0.01)
        assert not (out / 'face_landmarks.avi').exists()
    else:
        cap = cv2.VideoCapture(str(out / 'face_landmarks.avi'))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
        cap.release()


class _FakeCapture:
    """A capture whose frame 3 has another size (a stream that changes resolution)."""

    def __init__(self, *args):
        self.index = 0

    def isOpened(self):  # noqa: N802 (OpenCV's name)
        return True

    def get(self, prop):
        return {cv2.CAP_PROP_FRAME_COUNT: 5, cv2.CAP_PROP_FPS: 10}.get(prop, 0)

    def read(self):
        self.index += 1
        size = (96, 96) if self.index == 4 else (128, 128)
        return True, np.full(size + (3,), 100, np.uint8)

    def release(self):
        pass


def test_video_errors_name_the_input_and_flush_outputs(infer, tmp_path, one_thread,
                                                       monkeypatch):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video at all' * 100)
    with pytest.raises(SystemExit, match=r'(cannot open video|no frame could be read).*'
                       'broken.mp4|broken.mp4.*no frame'):
        infer.main(['rcn-w1-8', str(broken), '--out-dir', str(tmp_path / 'b'),
                    '--whole-image'])
    with pytest.raises(SystemExit, match='cannot open camera 7'):
        infer.main(['rcn-w1-8', '--camera', '7', '--out-dir', str(tmp_path / 'c')])
    # a frame of another size mid-stream: the frames before it are written, valid
    good = tmp_path / 'good.avi'
    _moving_face_video(good, num_frames=1)
    monkeypatch.setattr(infer.cv2, 'VideoCapture', _FakeCapture)
    out = tmp_path / 'out'
    with pytest.raises(SystemExit, match=r'good.avi: frame 3 is 96x96, the video 128x128.*'
                       r'the 3 frames before it'):
        infer.main(['rcn-w1-8', str(good), '--out-dir', str(out), '--whole-image'])
    data = json.loads((out / 'predictions.json').read_text())
    assert not data['complete'] and 'frame 3' in data['error']
    assert [r['frame'] for r in data['results']] == [0, 1, 2]
    monkeypatch.undo()
    cap = cv2.VideoCapture(str(out / 'good_landmarks.avi'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()


def test_pip_head_model_on_images_and_video(infer, repo_root, face_samples_300w, tmp_path,
                                            one_thread):
    """A PIPHead config + checkpoint works as any model: images, and a tracked video."""
    config = repo_root / 'configs' / 'pipnet' / \
        'pipnet_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py'
    torch.manual_seed(0)
    model = init_model(str(config), None, device='cpu')
    ckpt = tmp_path / 'pip.pth'
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=model.dataset_meta)), str(ckpt))
    out = tmp_path / 'out'
    infer.main([str(config), str(ckpt), str(face_samples_300w), '--out-dir', str(out),
                '--no-vis', '--detector', 'dlib-hog'])
    for result in json.loads((out / 'predictions.json').read_text())['results']:
        _check_faces(result['faces'])
    image = cv2.imread(str(face_samples_300w / result['file']))
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             image.shape[1::-1])
    for _ in range(3):
        writer.write(image)
    writer.release()
    # random weights: a large vote spread, so no track is dropped for its uncertainty
    infer.main([str(config), str(ckpt), str(video), '--out-dir', str(tmp_path / 'v'),
                '--whole-image', '--lost-scale', '100'])
    data = json.loads((tmp_path / 'v' / 'predictions.json').read_text())
    assert data['complete'] and [r['frame'] for r in data['results']] == [0, 1, 2]
    for result in data['results']:
        _check_faces(result['faces'])
