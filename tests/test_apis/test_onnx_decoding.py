"""SoftArgmaxDecoder (the exported decoding) equals heatmap_moments(normalize_heatmaps(.))."""
import pytest
import torch

from mmlaplace.apis.onnx_decoding import SoftArgmaxDecoder
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
