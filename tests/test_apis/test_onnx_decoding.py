"""SoftArgmaxDecoder (the exported decoding) equals heatmap_moments(normalize_heatmaps(.))
decoded by the codec, SoftArgmaxLabel.decode_moments (as SoftArgmaxHead.predict)."""
import numpy as np
import pytest
import torch

from mmlaplace.apis.onnx_decoding import SoftArgmaxDecoder
from mmlaplace.codecs import SoftArgmaxLabel
from mmlaplace.models.utils.heatmap_stats import heatmap_moments, normalize_heatmaps


@pytest.mark.parametrize('beta', [1.0, 2.5])
@pytest.mark.parametrize('size', [(16, 16), (12, 20)])
def test_equals_heatmap_moments_times_stride(beta, size):
    width, height = size
    torch.manual_seed(0)
    logits = torch.randn(3, 5, height, width, dtype=torch.float64) * 4
    coords, scales = SoftArgmaxDecoder((width, height), (4 * width, 2 * height), beta)(logits)
    mu, b, _ = heatmap_moments(normalize_heatmaps(logits, beta))
    stride = torch.tensor([4.0, 2.0], dtype=torch.float64)
    assert coords.dtype == torch.float32 and coords.shape == scales.shape == (3, 5, 2)
    torch.testing.assert_close(coords.double(), mu * stride, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(scales.double(), b * stride, rtol=1e-5, atol=1e-5)


def test_channels_last_logits_give_the_same_numbers():
    torch.manual_seed(1)
    logits = torch.randn(2, 7, 10, 12) * 3
    decoder = SoftArgmaxDecoder((12, 10), (24, 20))
    for a, b in zip(decoder(logits), decoder(logits.contiguous(memory_format=torch.channels_last))):
        torch.testing.assert_close(a, b)


def test_closed_form_one_hot_and_uniform():
    logits = torch.full((1, 2, 4, 6), -1e4)
    logits[0, 0, 1, 3] = 0.0  # row 1, column 3: one-hot
    logits[0, 1] = 0.0  # uniform
    coords, scales = SoftArgmaxDecoder((6, 4), (12, 8))(logits)
    torch.testing.assert_close(coords[0, 0], torch.tensor([6.0, 2.0]))
    torch.testing.assert_close(scales[0, 0], torch.tensor([2e-6, 2e-6]))  # eps x stride
    # uniform on 0..5 and 0..3: means 2.5 and 1.5, mean absolute deviations 1.5 and 1.0
    torch.testing.assert_close(coords[0, 1], torch.tensor([5.0, 3.0]))
    torch.testing.assert_close(scales[0, 1], torch.tensor([3.0, 2.0]))


def test_wrong_heatmap_size_is_an_error():
    with pytest.raises(ValueError, match=r'expected \(B, K, 4, 6\) logits'):
        SoftArgmaxDecoder((6, 4), (12, 8))(torch.zeros(1, 2, 6, 4))


@pytest.mark.parametrize('size,input_size', [((16, 16), (16, 16)), ((12, 20), (48, 40))])
def test_decoding_is_the_codec_on_the_same_moments(size, input_size):
    """The exported decoding = SoftArgmaxLabel.decode_moments of the head's moments."""
    width, height = size
    torch.manual_seed(2)
    logits = torch.randn(2, 5, height, width, dtype=torch.float64) * 3
    codec = SoftArgmaxLabel(input_size=input_size, score_scale=3.0)
    decoder = SoftArgmaxDecoder(size, input_size, codec=codec)
    assert decoder.codec is codec
    mean, b = decoder.moments(logits)
    ref_mean, ref_b, _ = heatmap_moments(normalize_heatmaps(logits))  # float64
    torch.testing.assert_close(mean.double(), ref_mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(b.double(), ref_b, rtol=1e-5, atol=1e-5)
    coords, scales = decoder(logits)
    ref_coords, ref_scales, _ = codec.decode_moments(ref_mean, ref_b, size)
    torch.testing.assert_close(coords.double(), ref_coords, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(scales.double(), ref_scales, rtol=1e-5, atol=1e-5)
    # and exactly the codec on the decoder's own moments
    same = codec.decode_moments(mean, b, size)
    torch.testing.assert_close(coords, same[0], rtol=0, atol=0)
    torch.testing.assert_close(scales, same[1], rtol=0, atol=0)


def test_decoding_equals_soft_argmax_head_predict():
    """Same logits: the ONNX decoding gives SoftArgmaxHead.predict's keypoints and scales."""
    from mmpose.structures import PoseDataSample

    from mmlaplace.models import SoftArgmaxHead
    torch.manual_seed(3)
    head = SoftArgmaxHead(in_channels=5, num_keypoints=5, final_layer=None,
                          decoder=dict(type='SoftArgmaxLabel', input_size=(48, 40)))
    logits = torch.randn(2, 5, 20, 12) * 3
    samples = [PoseDataSample(metainfo=dict(input_size=(48, 40))) for _ in range(2)]
    preds = head.predict((logits, ), samples)
    coords, scales = SoftArgmaxDecoder((12, 20), (48, 40))(logits)
    for i, pred in enumerate(preds):
        np.testing.assert_allclose(pred.keypoints[0], coords[i].numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(pred.keypoint_scales[0], scales[i].numpy(), rtol=1e-5,
                                   atol=1e-5)
        # the score from the exported scales: stride back to heatmap pixels, then the codec
        b = scales[i] / torch.tensor([4.0, 2.0])
        np.testing.assert_allclose(pred.keypoint_scores[0],
                                   torch.exp(-b.mean(-1) / head.score_scale).numpy(),
                                   rtol=1e-5)


def test_codec_input_size_must_match():
    with pytest.raises(ValueError, match="codec's input_size"):
        SoftArgmaxDecoder((6, 4), (12, 8), codec=SoftArgmaxLabel(input_size=(6, 4)))
