import json

import matplotlib.image as mpimg
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmpose.evaluation.metrics import NME
from mmpose.registry import METRICS

import mmlaplace  # noqa: F401
from mmlaplace.evaluation import FaceAlignmentMetric
from mmlaplace.evaluation.functional import ced_auc, failure_rate

K = 68
PATHS = ['data/300w/images/lfpw/testset/image_0001.png',
         'data/300w/images/helen/testset/296814969_3.jpg',
         'data/300w/images/ibug/image_003_1.jpg',
         'data/300w/images/ibug/image_004_1.jpg',
         'data/300w/images/afw/1051618982_1.jpg']


def make_samples(n=len(PATHS), seed=0, invisible=True):
    """Data samples as the pose estimator hands them to the metrics (``to_dict()``)."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        size = rng.uniform(60, 300)  # face size in image pixels
        gt = rng.uniform(0, size, (1, K, 2)) + rng.uniform(0, 500, 2)
        # outer eye corners half a face apart, as on real faces
        gt[0, 45] = gt[0, 36] + 0.5 * size * np.array([np.cos(i), np.sin(i)])
        pred = gt + rng.normal(0, 0.05 * size * rng.uniform(0.2, 2), (1, K, 2))
        visible = np.ones((1, K), np.float32)
        if invisible and i % 2:
            visible[0, rng.choice(K, 5, replace=False)] = 0
        visible[0, [36, 45]] = 1
        samples.append(dict(
            img_path=PATHS[i % len(PATHS)], img_id=i, input_size=(80, 80),
            input_scale=np.array([1.25 * size] * 2, np.float32),
            input_center=gt[0].mean(0),
            gt_instances=dict(keypoints=gt, keypoints_visible=visible,
                              box_size=np.array([size], np.float32)),
            pred_instances=dict(keypoints=pred.astype(np.float32),
                                keypoint_scales=rng.uniform(0.5, 2, (1, K, 2)),
                                keypoint_scores=np.ones((1, K), np.float32))))
    return samples


def run(metric, samples, batch=2):
    metric.dataset_meta = dict(dataset_name='300w')
    for start in range(0, len(samples), batch):
        metric.process([], samples[start:start + batch])
    return metric.compute_metrics(metric.results)


@pytest.mark.parametrize('mode,mmpose_cfg', [
    ('inter_ocular', dict(norm_mode='keypoint_distance')),
    ('box_size', dict(norm_mode='use_norm_item', norm_item='box_size')),
])
def test_nme_agrees_with_mmpose(mode, mmpose_cfg):
    samples = make_samples(12)
    ours = run(FaceAlignmentMetric(norm_mode=mode), samples)
    theirs = run(NME(**mmpose_cfg), samples)
    assert ours['NME'] == pytest.approx(theirs['NME'], rel=1e-6)
    assert 0.01 < ours['NME'] < 1


def test_subsets_failure_rate_and_auc():
    samples = make_samples(10, seed=1)
    subsets = dict(common=['lfpw/testset', 'helen/testset'], challenge='ibug', indoor='indoor_')
    metrics = run(FaceAlignmentMetric(subsets=subsets, thresholds=(0.08, 0.1)), samples)
    assert not any(k.startswith('indoor/') for k in metrics), 'empty subset reported'
    expected = {'NME', 'FR@8', 'AUC@8', 'FR@10', 'AUC@10', 'scale_error_spearman'}
    assert expected <= set(metrics)
    assert {f'common/{k}' for k in expected} | {f'challenge/{k}' for k in expected} <= \
        set(metrics)
    # a subset's numbers are those of a metric run on its faces only
    challenge = [s for s in samples if 'ibug' in s['img_path']]
    alone = run(FaceAlignmentMetric(), challenge)
    for key in expected:
        assert metrics[f'challenge/{key}'] == pytest.approx(alone[key])
    # failure rate and AUC are over the per-face NMEs
    per_face = []
    for s in samples:
        gt = s['gt_instances']['keypoints'][0]
        err = np.linalg.norm(s['pred_instances']['keypoints'][0] - gt, axis=-1)
        vis = s['gt_instances']['keypoints_visible'][0] > 0
        per_face.append(err[vis].mean() / np.linalg.norm(gt[36] - gt[45]))
    for thr, name in ((0.08, '8'), (0.1, '10')):
        assert metrics[f'FR@{name}'] == pytest.approx(failure_rate(np.array(per_face), thr))
        assert metrics[f'AUC@{name}'] == pytest.approx(ced_auc(np.array(per_face), thr))


def test_calibration_uses_image_pixels_and_the_normalization():
    """Scales in crop pixels that equal the errors (in image pixels) rank perfectly."""
    samples = make_samples(6, seed=2, invisible=False)
    for s in samples:
        err = np.linalg.norm(s['pred_instances']['keypoints'][0] -
                             s['gt_instances']['keypoints'][0], axis=-1)
        crop_per_image = 80 / s['input_scale'][0]
        s['pred_instances']['keypoint_scales'] = np.repeat(err * crop_per_image, 2)[None]
        s['pred_instances']['keypoint_scales'] = \
            s['pred_instances']['keypoint_scales'].reshape(1, K, 2)
    metrics = run(FaceAlignmentMetric(), samples)
    assert metrics['scale_error_spearman'] == pytest.approx(1.0)
    # uninformative scales: no correlation
    rng = np.random.default_rng(0)
    for s in samples:
        s['pred_instances']['keypoint_scales'] = rng.uniform(1, 2, (1, K, 2))
    assert abs(run(FaceAlignmentMetric(), samples)['scale_error_spearman']) < 0.15
    # no scales predicted (an MMPose head): no calibration key
    for s in samples:
        del s['pred_instances']['keypoint_scales']
    assert 'scale_error_spearman' not in run(FaceAlignmentMetric(), samples)


def test_bad_normalization_names_the_image():
    samples = make_samples(3)
    samples[2]['gt_instances']['keypoints'][0, 45] = samples[2]['gt_instances']['keypoints'][0, 36]
    with pytest.raises(ValueError, match='ibug/image_003_1.jpg'):
        run(FaceAlignmentMetric(), samples)
    samples = make_samples(2)
    samples[1]['gt_instances']['box_size'] = np.array([np.nan])
    with pytest.raises(ValueError, match='helen/testset/296814969_3.jpg.*positive and finite'):
        run(FaceAlignmentMetric(norm_mode='box_size'), samples)
    del samples[1]['gt_instances']['box_size']
    with pytest.raises(KeyError, match='PackFaceInputs'):
        run(FaceAlignmentMetric(norm_mode='box_size'), samples)


def test_bad_arguments():
    with pytest.raises(ValueError, match='norm_mode'):
        FaceAlignmentMetric(norm_mode='bbox')
    with pytest.raises(ValueError, match='keypoint_indices'):
        FaceAlignmentMetric(keypoint_indices=[36])
    with pytest.raises(ValueError, match="subsets\\['common'\\]"):
        FaceAlignmentMetric(subsets=dict(common=[]))
    with pytest.raises(ValueError, match='full'):
        FaceAlignmentMetric(subsets=dict(full='lfpw'))
    metric = FaceAlignmentMetric()
    metric.dataset_meta = dict(dataset_name='aflw')
    with pytest.raises(ValueError, match='keypoint_indices'):
        metric.process([], make_samples(1))


def test_outfile_writes_per_sample_json_and_ced_png(tmp_path):
    prefix = str(tmp_path / 'out' / 'm')
    samples = make_samples(5)
    metrics = run(FaceAlignmentMetric(subsets=dict(challenge='ibug'), outfile_prefix=prefix),
                  samples)
    dump = json.loads((tmp_path / 'out' / 'm_per_sample.json').read_text())
    assert dump['num_faces'] == {'full': 5, 'challenge': 2}
    assert len(dump['samples']) == 5 and len(dump['per_landmark_nme']) == K
    assert [s['subsets'] for s in dump['samples']][:3] == [[], [], ['challenge']]
    assert dump['metrics']['NME'] == pytest.approx(metrics['NME'])
    image = mpimg.imread(str(tmp_path / 'out' / 'm_ced.png'))
    assert image.ndim == 3 and image.shape[0] > 100 and image.std() > 0


def test_builds_from_registry_next_to_heatmap_spread():
    init_default_scope('mmpose')
    evaluator = Evaluator([dict(type='FaceAlignmentMetric'), dict(type='HeatmapSpread')])
    assert isinstance(evaluator.metrics[0], FaceAlignmentMetric)
    assert isinstance(METRICS.build(dict(type='FaceAlignmentMetric', norm_mode='box_size')),
                      FaceAlignmentMetric)
