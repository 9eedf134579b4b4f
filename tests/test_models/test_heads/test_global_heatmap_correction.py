"""GHCU (Liu et al., CVPR 2019, Table 1): shapes, gradients, ONNX parity, bad input."""
import numpy as np
import pytest
import torch
from torch import nn

from mmlaplace.models.heads import GlobalHeatmapCorrectionUnit, ghcu_correct
from mmlaplace.models.utils import normalize_heatmaps

pytestmark = pytest.mark.usefixtures('one_thread')


def test_table_1_layers_and_output_shape():
    ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=68, heatmap_size=(256, 256))
    convs = [m for m in ghcu.convs if isinstance(m, nn.Conv2d)]
    assert [(c.kernel_size[0], c.out_channels, c.stride[0]) for c in convs] == [
        (5, 64, 2), (3, 64, 2), (3, 32, 2), (3, 32, 2), (3, 16, 2), (3, 16, 2)]
    fc = [m for m in ghcu.fc if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in fc] == [(16 * 4 * 4, 256), (256, 136)]
    small = GlobalHeatmapCorrectionUnit(num_keypoints=5, heatmap_size=(80, 64))
    assert small(torch.rand(3, 5, 64, 80)).shape == (3, 5, 2)


def test_every_parameter_gets_a_finite_gradient():
    ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=5, heatmap_size=(32, 32))
    ghcu.init_weights()
    maps = normalize_heatmaps(torch.randn(2, 5, 32, 32))
    (ghcu(maps) - 0.3).square().mean().backward()
    for name, p in ghcu.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_it_learns_a_shape_constraint_on_a_toy_problem():
    """Two landmarks always 0.2 apart in x; the second one's map is noise: the GHCU puts it
    next to the first (what a per-landmark soft-argmax cannot)."""
    torch.manual_seed(0)
    ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=2, heatmap_size=(16, 16),
                                       convs=((3, 8), (3, 8)), fc_channels=32)
    opt = torch.optim.Adam(ghcu.parameters(), lr=3e-3)

    def batch(n):
        x = torch.rand(n) * 0.5 + 0.1
        maps = torch.rand(n, 2, 16, 16) * 0.1
        idx = (x * 16).long()
        maps[torch.arange(n), 0, 8, idx] = 5.0
        target = torch.stack([torch.stack([x, torch.full_like(x, 0.5)], -1),
                              torch.stack([x + 0.2, torch.full_like(x, 0.5)], -1)], 1)
        return maps.flatten(2).softmax(-1).view(n, 2, 16, 16), target

    for _ in range(300):
        maps, target = batch(32)
        loss = (ghcu(maps) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    maps, target = batch(64)
    with torch.no_grad():
        err = (ghcu(maps)[:, 1, 0] - target[:, 1, 0]).abs().mean()
    assert err < 0.05  # the noise map alone says nothing: mean error 0.25 at random


def test_onnx_export_matches_torch(tmp_path):
    import warnings

    import onnxruntime as ort
    ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=5, heatmap_size=(32, 24)).eval()
    maps = normalize_heatmaps(torch.randn(2, 5, 24, 32))
    path = str(tmp_path / 'ghcu.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(ghcu, (maps,), path, dynamo=False, opset_version=17,
                          input_names=['heatmaps'], output_names=['coords'],
                          dynamic_axes=dict(heatmaps={0: 'batch'}, coords={0: 'batch'}))
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    (got,) = session.run(None, dict(heatmaps=maps.numpy()))
    np.testing.assert_allclose(got, ghcu(maps).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_uncertain_points_only_are_corrected():
    coords, corrected = torch.zeros(1, 3, 2), torch.ones(1, 3, 2)
    scales = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [1.0, 5.0]]])
    out = ghcu_correct(coords, corrected, scales, max_scale=2.0)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([0.0, 1.0, 1.0]))
    torch.testing.assert_close(ghcu_correct(coords, corrected, scales), corrected)


def test_bad_configs_and_inputs_are_named():
    with pytest.raises(ValueError, match='num_keypoints'):
        GlobalHeatmapCorrectionUnit(num_keypoints=0, heatmap_size=(8, 8))
    with pytest.raises(ValueError, match='heatmap_size'):
        GlobalHeatmapCorrectionUnit(num_keypoints=2, heatmap_size=(8,))
    with pytest.raises(ValueError, match='heatmap_scale'):
        GlobalHeatmapCorrectionUnit(num_keypoints=2, heatmap_size=(8, 8), heatmap_scale='max')
    ghcu = GlobalHeatmapCorrectionUnit(num_keypoints=2, heatmap_size=(16, 16))
    with pytest.raises(ValueError, match=r'expected heatmaps \(B, 2, 16, 16\)'):
        ghcu(torch.rand(1, 3, 16, 16))
