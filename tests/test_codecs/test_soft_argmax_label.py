"""SoftArgmaxLabel: RegressionLabel's encode / decode plus the decoding of soft-argmax moments."""
import math

import numpy as np
import pytest
import torch
from mmpose.codecs import RegressionLabel
from mmpose.registry import KEYPOINT_CODECS

import mmlaplace  # noqa: F401  (registers the codec)
from mmlaplace.codecs import SoftArgmaxLabel
from mmlaplace.models.utils import heatmap_moments


def test_registered_and_regression_label_encode_decode_unchanged():
    codec = KEYPOINT_CODECS.build(dict(type='SoftArgmaxLabel', input_size=(80, 60)))
    assert isinstance(codec, SoftArgmaxLabel) and isinstance(codec, RegressionLabel)
    assert codec.score_scale == 4.0 and codec.eps == 1e-6
    ref = RegressionLabel(input_size=(80, 60))
    keypoints = np.random.default_rng(0).uniform(-5, 85, (2, 7, 2))
    visible = np.ones((2, 7), np.float32)
    ours, theirs = codec.encode(keypoints, visible), ref.encode(keypoints, visible)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
    for a, b in zip(codec.decode(ours['keypoint_labels']), ref.decode(theirs['keypoint_labels'])):
        np.testing.assert_array_equal(a, b)


def test_one_hot_heatmap_decodes_to_its_pixel_on_a_non_square_map():
    """Closed form: pixel (row i, column j) of a (W, H) = (6, 4) map -> (j, i) * stride."""
    heatmaps = torch.zeros(1, 2, 4, 6, dtype=torch.float64)
    heatmaps[0, 0, 1, 3] = 1.0  # row 1, column 3
    heatmaps[0, 1, 3, 0] = 1.0  # row 3, column 0
    mean, b, _ = heatmap_moments(heatmaps)
    codec = SoftArgmaxLabel(input_size=(24, 8))  # stride (4, 2)
    keypoints, scales, scores = codec.decode_moments(mean, b, (6, 4))
    assert keypoints.dtype == scales.dtype == scores.dtype == torch.float64
    torch.testing.assert_close(keypoints, torch.tensor([[[12.0, 2.0], [0.0, 6.0]]],
                                                       dtype=torch.float64))
    # zero spread: the eps floor (heatmap pixels) times the stride; score exp(-eps / 4) ~ 1
    torch.testing.assert_close(scales[0, 0], torch.tensor([4e-6, 2e-6], dtype=torch.float64))
    torch.testing.assert_close(scores, torch.full((1, 2), math.exp(-1e-6 / 4.0),
                                                  dtype=torch.float64))
    # the normalized labels of those keypoints are the moments over the heatmap size
    labels = codec.encode(keypoints[0].numpy()[None])['keypoint_labels']
    np.testing.assert_allclose(labels[0], (mean[0] / mean.new_tensor([6, 4])).numpy(),
                               atol=1e-7)


def test_uniform_heatmap_and_the_score_formula():
    heatmaps = torch.full((1, 1, 4, 6), 1 / 24, dtype=torch.float64)
    mean, b, _ = heatmap_moments(heatmaps)
    codec = SoftArgmaxLabel(input_size=(12, 12), score_scale=2.5)  # stride (2, 3)
    keypoints, scales, scores = codec.decode_moments(mean, b, (6, 4))
    # uniform on 0..5 and 0..3: means 2.5 and 1.5, mean absolute deviations 1.5 and 1.0
    torch.testing.assert_close(keypoints[0, 0], torch.tensor([5.0, 4.5], dtype=torch.float64))
    torch.testing.assert_close(scales[0, 0], torch.tensor([3.0, 3.0], dtype=torch.float64))
    # the score uses the scale in heatmap pixels, not in input pixels
    assert float(scores) == pytest.approx(math.exp(-(1.5 + 1.0) / 2 / 2.5), rel=1e-12)


def test_batch_and_single_sample_shapes():
    torch.manual_seed(0)
    codec = SoftArgmaxLabel(input_size=(64, 48))
    mean, b = torch.rand(3, 5, 2) * 16, torch.rand(3, 5, 2) + 0.1
    keypoints, scales, scores = codec.decode_moments(mean, b, (16, 12))
    assert keypoints.shape == scales.shape == (3, 5, 2) and scores.shape == (3, 5)
    torch.testing.assert_close(keypoints, mean * torch.tensor([4.0, 4.0]))
    torch.testing.assert_close(scores, torch.exp(-b.mean(-1) / 4.0))
    one = codec.decode_moments(mean[1], b[1], (16, 12))
    assert one[0].shape == one[1].shape == (5, 2) and one[2].shape == (5, )
    for single, batched in zip(one, (keypoints[1], scales[1], scores[1])):
        torch.testing.assert_close(single, batched)
    # a stride of 1 leaves the means as they are
    same, _, _ = SoftArgmaxLabel(input_size=(16, 12)).decode_moments(mean, b, (16, 12))
    torch.testing.assert_close(same, mean)


def test_bad_shapes_and_arguments_name_the_argument():
    codec = SoftArgmaxLabel(input_size=(8, 8))
    ok = torch.zeros(1, 3, 2)
    with pytest.raises(ValueError, match='`mean` must be a tensor of shape'):
        codec.decode_moments(torch.zeros(1, 3, 3), torch.zeros(1, 3, 3), (4, 4))
    with pytest.raises(ValueError, match='`mean`'):
        codec.decode_moments(torch.zeros(2, 1, 3, 2), torch.zeros(2, 1, 3, 2), (4, 4))
    with pytest.raises(ValueError, match='`mean`'):
        codec.decode_moments(np.zeros((1, 3, 2)), ok, (4, 4))
    with pytest.raises(ValueError, match='`scale` must be a tensor of the shape of `mean`'):
        codec.decode_moments(ok, torch.zeros(1, 4, 2), (4, 4))
    with pytest.raises(ValueError, match='`heatmap_size`'):
        codec.decode_moments(ok, ok, (4, 0))
    with pytest.raises(ValueError, match='`heatmap_size`'):
        codec.decode_moments(ok, ok, (4, ))
    with pytest.raises(ValueError, match='`input_size`'):
        SoftArgmaxLabel(input_size=(8, ))
    with pytest.raises(ValueError, match='`score_scale`'):
        SoftArgmaxLabel(input_size=(8, 8), score_scale=0)
    with pytest.raises(ValueError, match='`eps`'):
        SoftArgmaxLabel(input_size=(8, 8), eps=-1.0)


def test_decode_moments_exports_to_onnx_without_shape_nodes(tmp_path):
    """Pure torch ops: the exported graph is arithmetic on constants (no Shape / Gather)."""
    import warnings

    import onnx
    import onnxruntime as ort

    codec = SoftArgmaxLabel(input_size=(64, 32))

    class Decode(torch.nn.Module):
        def forward(self, mean, scale):
            return codec.decode_moments(mean, scale, (16, 16))

    mean, b = torch.rand(2, 5, 2) * 16, torch.rand(2, 5, 2)
    path = str(tmp_path / 'decode.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # TorchScript exporter deprecation
        torch.onnx.export(Decode(), (mean, b), path, dynamo=False, opset_version=17,
                          input_names=['mean', 'scale'],
                          output_names=['keypoints', 'scales', 'scores'],
                          dynamic_axes={n: {0: 'batch'} for n in ('mean', 'scale', 'keypoints',
                                                                  'scales', 'scores')})
    ops = [node.op_type for node in onnx.load(path).graph.node]
    assert not {'Shape', 'Gather'} & set(ops), ops
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = dict(mean=(mean * 0.5).numpy(), scale=(b * 2)[:1].repeat(2, 1, 1).numpy())
    for got, want in zip(session.run(None, feed),
                         codec.decode_moments(*map(torch.from_numpy, feed.values()), (16, 16))):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6, atol=1e-6)
