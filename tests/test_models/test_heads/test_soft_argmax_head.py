"""SoftArgmaxHead: shapes, agreement with MMPose's IntegralRegressionHead, flip test, loss."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.models.heads import IntegralRegressionHead
from mmpose.registry import MODELS
from mmpose.testing import get_packed_inputs

import mmlaplace  # noqa: F401
from mmlaplace.models import SoftArgmaxHead

K = 17
CODEC = dict(type='RegressionLabel', input_size=(64, 64))


def _samples(batch_size=2, num_keypoints=K, input_size=(64, 64)):
    packed = get_packed_inputs(batch_size=batch_size, num_keypoints=num_keypoints,
                               img_shape=input_size[::-1], input_size=input_size,
                               with_heatmap=False, with_simcc_label=False)
    samples = packed['data_samples']
    for s in samples:
        s.set_metainfo(dict(flip_indices=list(range(num_keypoints))[::-1],
                            input_size=input_size))
    return samples


def test_forward_shapes_and_normalization():
    head = SoftArgmaxHead(in_channels=8, num_keypoints=K, decoder=CODEC)
    coords, scales, heatmaps = head.forward_moments((torch.randn(2, 8, 16, 12),))
    assert coords.shape == (2, K, 2) and scales.shape == (2, K, 2)
    assert heatmaps.shape == (2, K, 16, 12)
    torch.testing.assert_close(heatmaps.sum((-1, -2)), torch.ones(2, K))
    assert (coords >= 0).all() and (coords < 1).all() and (scales > 0).all()


def test_heatmap_size_resizes_logits():
    head = SoftArgmaxHead(in_channels=8, num_keypoints=K, heatmap_size=(32, 24))
    _, heatmaps = head((torch.randn(1, 8, 12, 16),))
    assert heatmaps.shape == (1, K, 24, 32)


@pytest.mark.parametrize('beta', [1.0, 3.0])
def test_coordinates_agree_with_integral_regression_head(beta):
    torch.manual_seed(0)
    ours = SoftArgmaxHead(in_channels=8, num_keypoints=K, beta=beta)
    theirs = IntegralRegressionHead(in_channels=8, in_featuremap_size=(12, 16), num_joints=K,
                                    beta=beta, deconv_out_channels=None)
    theirs.final_layer.load_state_dict(ours.map_layers.state_dict())
    feats = (torch.randn(3, 8, 16, 12),)
    c1, h1 = ours(feats)
    c2, h2 = theirs(feats)
    torch.testing.assert_close(c1, c2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h1, h2, atol=1e-6, rtol=1e-5)


def test_predict_outputs_keypoints_scores_scales_and_heatmaps():
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None, decoder=CODEC)
    samples = _samples()
    preds, fields = head.predict((torch.randn(2, K, 64, 64),), samples,
                                 test_cfg=dict(output_heatmaps=True))
    assert len(preds) == 2 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == (1, K, 2)
    assert preds[0].keypoint_scales.shape == (1, K, 2)
    scores = preds[0].keypoint_scores
    assert scores.shape == (1, K) and (scores >= 0).all() and (scores <= 1).all()
    assert fields[0].heatmaps.shape == (K, 64, 64)
    # a sharper heatmap gets a smaller scale and a higher score
    logits = torch.zeros(1, K, 64, 64)
    logits[0, 0, 30, 30] = 50.0
    pred = head.predict((logits,), samples[:1])[0]
    assert pred.keypoint_scales[0, 0].max() < 0.01 < pred.keypoint_scales[0, 1].min()
    assert pred.keypoint_scores[0, 0] > 0.99 > pred.keypoint_scores[0, 1]
    np.testing.assert_allclose(pred.keypoints[0, 0], [30.0, 30.0], atol=1e-3)


def test_flip_test_of_symmetric_input_is_consistent():
    """Flip test as MMPose: coords of a mirrored copy are flipped back and averaged."""
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None, decoder=CODEC)
    samples = _samples(batch_size=1)
    logits = torch.randn(1, K, 64, 64)
    flipped = logits.flip(-1)[:, list(range(K))[::-1]]
    plain = head.predict((logits,), samples)[0]
    flip = head.predict([(logits,), (flipped,)], samples,
                        test_cfg=dict(flip_test=True, shift_coords=False))[0]
    # the flipped copy's landmarks are the mirrored originals: their flip-back is (W - 1 - x)
    # in heatmap pixels vs MMPose's (1 - u) * W; the difference is the known one-pixel shift
    np.testing.assert_allclose(flip.keypoints[0, :, 1], plain.keypoints[0, :, 1], atol=1e-4)
    # without shift_coords, MMPose's flip-back (1 - u) lands half a pixel right on average
    np.testing.assert_allclose(flip.keypoints[0, :, 0], plain.keypoints[0, :, 0] + 0.5,
                               atol=1e-3)
    np.testing.assert_allclose(flip.keypoint_scales, plain.keypoint_scales, atol=1e-4)


def test_loss_with_our_loss_and_with_an_mmpose_loss():
    samples = _samples()
    feats = (torch.randn(2, 8, 16, 16, requires_grad=True),)
    for loss in (dict(type='LaplaceKLLoss'), dict(type='SoftArgmaxLoss'),
                 dict(type='GaussianKLLoss'), dict(type='SmoothL1Loss', use_target_weight=True)):
        head = SoftArgmaxHead(in_channels=8, num_keypoints=K, loss=loss)
        losses = head.loss(feats, samples)
        assert set(losses) == {'loss_kpt', 'acc_pose'}
        assert torch.isfinite(losses['loss_kpt'])
        losses['loss_kpt'].backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all()
                   for p in head.parameters())


def test_wrong_keypoint_count_names_the_problem():
    head = SoftArgmaxHead(in_channels=8, num_keypoints=K + 1)
    with pytest.raises(ValueError, match='keypoint_labels have shape'):
        head.loss((torch.randn(2, 8, 16, 16),), _samples())


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_keypoints'):
        SoftArgmaxHead(in_channels=8, num_keypoints=K, final_layer=None)
    with pytest.raises(ValueError, match='beta'):
        SoftArgmaxHead(in_channels=8, num_keypoints=K, beta=0)


def test_every_parameter_gets_a_gradient_through_deconvs():
    head = MODELS.build(dict(type='SoftArgmaxHead', in_channels=16, num_keypoints=K,
                             deconv_out_channels=(8, 8), deconv_kernel_sizes=(4, 4)))
    coords, heatmaps = head((torch.randn(2, 16, 4, 4),))
    assert heatmaps.shape == (2, K, 16, 16)
    (coords.sum() + heatmaps.pow(2).sum()).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize('decoder', [
    dict(type='RegressionLabel', input_size=(64, 64)),
    dict(type='IntegralRegressionLabel', input_size=(64, 64), heatmap_size=(16, 16), sigma=2.0),
    dict(type='SoftArgmaxLabel', input_size=(64, 64)),
])
def test_old_decoders_are_wrapped_into_the_codec(decoder):
    from mmlaplace.codecs import SoftArgmaxLabel
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None, decoder=decoder,
                          score_scale=2.0)
    assert isinstance(head.decoder, SoftArgmaxLabel)
    assert head.decoder.input_size == (64, 64) and head.decoder.score_scale == 2.0
    torch.manual_seed(0)
    logits = torch.randn(2, K, 16, 16) * 3
    preds = head.predict((logits, ), _samples())
    coords, b, _ = head.forward_moments((logits, ))
    for i, pred in enumerate(preds):  # input pixels: x = u * 64; b * stride 4; exp(-b / 2)
        np.testing.assert_allclose(pred.keypoints[0], coords[i].numpy() * 64, rtol=1e-6,
                                   atol=1e-5)
        np.testing.assert_allclose(pred.keypoint_scales[0], b[i].numpy() * 4, rtol=1e-6)
        np.testing.assert_allclose(pred.keypoint_scores[0],
                                   np.exp(-b[i].numpy().mean(-1) / 2.0), rtol=1e-6)


def test_score_scale_rule_the_codec_config_wins():
    codec = dict(type='SoftArgmaxLabel', input_size=(64, 64), score_scale=8.0)
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None, decoder=codec,
                          score_scale=2.0)
    assert head.score_scale == head.decoder.score_scale == 8.0
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None,
                          decoder=dict(type='SoftArgmaxLabel', input_size=(64, 64)))
    assert head.score_scale == head.decoder.score_scale == 4.0


def test_other_codecs_and_no_decoder_are_errors():
    with pytest.raises(TypeError, match='SoftArgmaxLabel'):
        SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None,
                       decoder=dict(type='SimCCLabel', input_size=(64, 64)))
    head = SoftArgmaxHead(in_channels=K, num_keypoints=K, final_layer=None)
    with pytest.raises(RuntimeError, match='decoder has not been set'):
        head.predict((torch.randn(1, K, 16, 16), ), _samples(batch_size=1))
