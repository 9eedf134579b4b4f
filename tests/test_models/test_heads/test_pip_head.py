"""PIPHead: shapes, gradients of every parameter, training reduces the loss, flip test, errors."""
import numpy as np
import pytest
import torch
from mmpose.testing import get_packed_inputs

import mmlaplace  # noqa: F401
from mmlaplace.models import PIPHead

K = 5
NEIGHBORS = [[1, 2], [0, 2], [1, 3], [2, 4], [3, 2]]


def _head(neighbors=NEIGHBORS, in_channels=8, **kwargs):
    decoder = dict(type='PIPLabel', input_size=(64, 64), heatmap_size=(4, 4),
                   neighbor_indices=neighbors)
    return PIPHead(in_channels=in_channels, num_keypoints=K, decoder=decoder, **kwargs)


def _samples(batch_size=2):
    packed = get_packed_inputs(batch_size=batch_size, num_keypoints=K, img_shape=(64, 64),
                               input_size=(64, 64), with_heatmap=False, with_simcc_label=False)
    samples = packed['data_samples']
    for s in samples:
        s.set_metainfo(dict(flip_indices=[4, 3, 2, 1, 0], input_size=(64, 64)))
    return samples


@pytest.mark.parametrize('neighbors', [NEIGHBORS, None])
def test_every_parameter_gets_a_finite_gradient(neighbors):
    torch.manual_seed(0)
    head = _head(neighbors)
    losses = head.loss((torch.randn(2, 8, 4, 4),), _samples())
    assert set(losses) == {'loss_score', 'loss_offset', 'loss_neighbor', 'acc_pose'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_training_fits_a_batch():
    torch.manual_seed(0)
    head = _head(in_channels=32)  # a 1x1 conv: enough features per cell to fit two faces
    feats = (torch.randn(2, 32, 4, 4),)
    samples = _samples()
    opt = torch.optim.Adam(head.parameters(), lr=0.05)
    first = None
    for _ in range(100):
        losses = head.loss(feats, samples)
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first
    preds = head.predict(feats, samples)
    truth = np.stack([s.gt_instance_labels.keypoint_labels[0].numpy() * 64 for s in samples])
    got = np.stack([p.keypoints[0] for p in preds])
    assert np.abs(got - truth).mean() < 2.0  # input pixels of a 64 x 64 crop


def test_predict_outputs_and_flip_test():
    torch.manual_seed(0)
    head = _head()
    feats, feats_f = (torch.randn(2, 8, 4, 4),), (torch.randn(2, 8, 4, 4),)
    samples = _samples()
    plain = head.predict(feats, samples)
    assert plain[0].keypoints.shape == (1, K, 2)
    assert plain[0].keypoint_scales.shape == (1, K, 2) and (plain[0].keypoint_scales > 0).all()
    assert plain[0].keypoint_scores.shape == (1, K)
    flipped = head.predict([feats, feats_f], samples, test_cfg=dict(flip_test=True))
    kf = head.predict(feats_f, samples)[0].keypoints[0][[4, 3, 2, 1, 0]]
    kf[:, 0] = 63 - kf[:, 0]
    np.testing.assert_allclose(flipped[0].keypoints[0], (plain[0].keypoints[0] + kf) / 2,
                               rtol=1e-5, atol=1e-4)


def test_errors_name_the_config_key():
    head = _head()
    with pytest.raises(ValueError, match='model.head.decoder.heatmap_size'):
        head((torch.randn(1, 8, 8, 8),))
    with pytest.raises(TypeError, match='PIPLabel'):
        PIPHead(in_channels=8, num_keypoints=K,
                decoder=dict(type='RegressionLabel', input_size=(64, 64)))
    with pytest.raises(ValueError, match='neighbor_indices has 5 rows'):
        PIPHead(in_channels=8, num_keypoints=6, decoder=dict(
            type='PIPLabel', input_size=(64, 64), heatmap_size=(4, 4),
            neighbor_indices=NEIGHBORS))
    with pytest.raises(ValueError, match='keypoint_labels have shape'):
        _head(None).loss((torch.randn(2, 8, 4, 4),), [
            s for s in get_packed_inputs(batch_size=2, num_keypoints=K + 1, img_shape=(64, 64),
                                         input_size=(64, 64), with_heatmap=False,
                                         with_simcc_label=False)['data_samples']])
