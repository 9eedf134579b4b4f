"""The shipped model zoo: every metafile entry's weights match their sha256, every model loads
by name from the checkout and predicts finite landmarks; the tools take zoo names."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import yaml

from mmlaplace.apis import FaceLandmarker
from mmlaplace.datasets.synthetic_faces import generate_face
from mmlaplace.utils.model_zoo import DEFAULT_MODEL, file_sha256, load_model_index, repo_root

ZOO = load_model_index()


def test_zoo_has_the_cpu_models_and_the_default():
    assert {'rcn-w1-8', 'rcn-w1-4'} <= set(ZOO)
    assert DEFAULT_MODEL in ZOO


@pytest.mark.parametrize('alias', sorted(ZOO))
def test_metafile_entry_matches_its_files(alias):
    model = ZOO[alias]
    assert osp.isfile(model.config), model.config
    assert file_sha256(model.weights) == model.sha256, f'{model.weights} changed'
    assert osp.basename(model.weights).startswith(model.name + '-' + model.sha256[:8])
    metrics = model.results[0]['Metrics']
    keys = ['NME', 'FR@10', 'AUC@10', 'Scale-error Spearman']
    if 'SoftArgmaxHead' in model.metadata['Architecture']:  # heads with test-time heatmaps
        keys.append('Heatmap spread (px)')
    for key in keys:
        assert key in metrics, f'{alias}: metafile lacks {key}'
    assert model.metadata['Epochs'] > 0 and model.metadata['Training Data']


def test_every_metafile_is_in_the_model_index():
    root = repo_root()
    with open(osp.join(root, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    for rel in imports:
        assert osp.isfile(osp.join(root, rel)), rel


@pytest.fixture(scope='module')
def face_crop():
    """A generated 256 x 256 face (BGR) cut like the 300W subset crops, and its landmarks."""
    image, keypoints = generate_face(3, seed=0, split='test')
    return np.ascontiguousarray(image[..., ::-1]), keypoints


@pytest.mark.parametrize('alias', sorted(ZOO))
def test_zoo_model_predicts_finite_landmarks_by_name(alias, face_crop, one_thread):
    image, keypoints = face_crop
    landmarker = FaceLandmarker(alias, detector=None)
    box = np.concatenate([keypoints.min(0), keypoints.max(0)])[None]  # the landmark box
    faces = landmarker(image, bboxes=box)
    assert len(faces) == 1
    face = faces[0]
    assert face['keypoints'].shape == (68, 2) and np.isfinite(face['keypoints']).all()
    assert (face['keypoint_scales'] > 0).all() and np.isfinite(face['keypoint_scales']).all()
    # a trained model finds the face: mean error well under the inter-ocular distance
    iod = np.linalg.norm(keypoints[36] - keypoints[45])
    assert np.linalg.norm(face['keypoints'] - keypoints, axis=1).mean() < 0.5 * iod


def test_unknown_name_lists_the_zoo():
    with pytest.raises(KeyError, match='rcn-w1-8'):
        FaceLandmarker('rcn-w9', detector=None)


def test_infer_tool_default_and_named_model(load_tool, face_crop, tmp_path, capsys, one_thread):
    infer = load_tool('infer.py')
    cv2.imwrite(str(tmp_path / 'face.png'), face_crop[0])
    infer.main([str(tmp_path / 'face.png'), '--whole-image', '--out-dir', str(tmp_path / 'a'),
                '--no-vis'])
    data = json.loads((tmp_path / 'a' / 'predictions.json').read_text())
    assert data['config'] == ZOO[DEFAULT_MODEL].config
    assert len(data['results'][0]['faces']) == 1
    with pytest.raises(SystemExit, match='unknown model "nope".*rcn-w1-8'):
        infer.main(['nope', str(tmp_path / 'face.png'), '--whole-image'])
