"""Finite values and gradients at the extremes, in float32 and under CPU autocast.

Complements ``tests/test_models``: there the losses are checked on +-1e4 logits, one-hot maps
(LaplaceKL), zero weights and half inputs; here every loss on one-hot and uniform maps, the
head end to end (``loss`` and ``predict``) and the discriminator with its adversarial terms,
each also under bf16 / fp16 autocast (``--amp`` on the CPU autocasts to bf16).
"""
import math

import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlaplace.models.discriminators import HeatmapPatchDiscriminator
from mmlaplace.models.heads import SoftArgmaxHead
from mmlaplace.models.losses import GaussianKLLoss, LaplaceKLLoss, SoftArgmaxLoss
from mmlaplace.models.pose_estimators import AdversarialTopdownPoseEstimator
from mmlaplace.models.utils import normalize_heatmaps

# slow: runs training (make test-fast skips)
pytestmark = [pytest.mark.usefixtures('one_thread'), pytest.mark.slow]

LOSSES = (LaplaceKLLoss, GaussianKLLoss, SoftArgmaxLoss)
K, H, W = 3, 8, 10


def _cpu_autocast_supports(dtype: torch.dtype) -> bool:
    try:
        with torch.autocast('cpu', dtype=dtype):
            torch.ones(2, 2) @ torch.ones(2, 2)
        return True
    except (RuntimeError, ValueError):
        return False


AUTOCAST = [None] + [d for d in (torch.bfloat16, torch.float16) if _cpu_autocast_supports(d)]
AUTOCAST_IDS = [str(d).replace('torch.', '') if d else 'fp32' for d in AUTOCAST]


def autocast(dtype):
    return torch.autocast('cpu', dtype=dtype, enabled=dtype is not None)


def extreme_logits(batch: int = 4, h: int = H, w: int = W) -> torch.Tensor:
    """Per sample: +-1e4 random signs, one-hot (+1e4 at one pixel), all -1e4, all 0."""
    logits = torch.randn(batch, K, h, w, generator=torch.Generator().manual_seed(0)).sign()
    logits = logits * 1e4
    logits[1] = -1e4
    logits[1, :, 2, 3] = 1e4
    logits[2] = -1e4
    logits[3] = 0.0
    return logits


def samples(batch: int, weights: torch.Tensor) -> list:
    out = []
    for i in range(batch):
        sample = PoseDataSample(metainfo=dict(input_size=(W * 2, H * 2)))
        sample.gt_instance_labels = InstanceData(
            keypoint_labels=torch.rand(1, K, 2, generator=torch.Generator().manual_seed(i)),
            keypoint_weights=weights[i:i + 1])
        out.append(sample)
    return out


@pytest.mark.parametrize('loss_type', LOSSES)
@pytest.mark.parametrize('maps', ['one_hot', 'uniform', 'one_hot_at_corner'])
def test_losses_on_one_hot_and_uniform_maps_have_finite_gradients(loss_type, maps):
    logits = torch.zeros(2, K, H, W)
    if maps != 'uniform':
        row, col = (0, 0) if maps == 'one_hot_at_corner' else (3, 4)
        logits[:, :, row, col] = 1e4
    logits.requires_grad_(True)
    target = torch.tensor([[[4.0, 3.0]] * K, [[0.0, H - 1.0]] * K])
    loss = loss_type()(normalize_heatmaps(logits), target)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


@pytest.mark.parametrize('dtype', AUTOCAST, ids=AUTOCAST_IDS)
@pytest.mark.parametrize('loss', ['LaplaceKLLoss', 'GaussianKLLoss', 'SoftArgmaxLoss'])
@pytest.mark.parametrize('zero_weights', [False, True], ids=['weighted', 'zero_weights'])
def test_head_loss_and_predict_at_extreme_logits(dtype, loss, zero_weights):
    head = SoftArgmaxHead(in_channels=4, num_keypoints=K, loss=dict(type=loss),
                          decoder=dict(type='RegressionLabel', input_size=(W * 2, H * 2)))
    feats = torch.randn(4, 4, H, W, requires_grad=True)
    # a 1x1 conv whose output is extreme_logits(): weights 0, bias 0, plus the logits
    with torch.no_grad():
        head.map_layers.weight.zero_()
        head.map_layers.bias.zero_()
    shift = extreme_logits()
    head.map_layers.register_forward_hook(lambda m, a, out: out + shift.to(out.dtype))
    weights = torch.zeros(4, K) if zero_weights else torch.ones(4, K)
    with autocast(dtype):
        losses = head.loss((feats,), samples(4, weights))
    assert torch.isfinite(losses['loss_kpt'])
    if zero_weights:
        assert losses['loss_kpt'].item() == 0.0
    losses['loss_kpt'].backward()
    assert torch.isfinite(feats.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters())
    with torch.no_grad(), autocast(dtype):
        preds, maps = head.predict((feats,), samples(4, weights),
                                   dict(output_heatmaps=True))
    for pred, hm in zip(preds, maps):
        for key in ('keypoints', 'keypoint_scores', 'keypoint_scales'):
            assert torch.isfinite(torch.as_tensor(pred[key])).all(), key
        assert torch.isfinite(hm.heatmaps).all()
        assert torch.allclose(hm.heatmaps.float().sum((-2, -1)), torch.ones(K), atol=1e-3)


@pytest.mark.parametrize('dtype', AUTOCAST, ids=AUTOCAST_IDS)
def test_discriminator_and_adversarial_terms_are_finite_with_finite_gradients(dtype):
    disc = HeatmapPatchDiscriminator(in_channels=K + 3, base_channels=8)
    disc.init_weights()
    heatmaps = normalize_heatmaps(extreme_logits(h=32, w=32)).requires_grad_(True)
    images = torch.tensor([1e3, -1e3, 0.0, 5.0]).view(4, 1, 1, 1).expand(4, 3, 32, 32)
    with autocast(dtype):
        logits = disc(heatmaps, images)
    assert torch.isfinite(logits).all()
    terms = AdversarialTopdownPoseEstimator.discriminator_losses(logits, logits.detach())
    (terms['disc_loss_real'] + terms['disc_loss_fake']).backward(retain_graph=True)
    assert all(torch.isfinite(p.grad).all() for p in disc.parameters())
    assert torch.isfinite(heatmaps.grad).all()


@pytest.mark.parametrize('kind', ['minimax', 'non_saturating'])
def test_adversarial_losses_stay_finite_when_d_saturates(kind):
    """D's logits at +-1e4 (a perfectly confident D): BCE-with-logits terms stay finite."""
    logits = torch.tensor([[-1e4, 1e4], [0.0, 3e4]]).view(1, 1, 2, 2).requires_grad_(True)
    model = AdversarialTopdownPoseEstimator.__new__(AdversarialTopdownPoseEstimator)
    model.adv_loss_type = kind
    g_loss = AdversarialTopdownPoseEstimator.generator_adv_loss(model, logits)
    d_terms = AdversarialTopdownPoseEstimator.discriminator_losses(logits, -logits)
    total = g_loss + d_terms['disc_loss_real'] + d_terms['disc_loss_fake']
    total.backward()
    assert torch.isfinite(total) and math.isfinite(g_loss.item())
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize('adversarial', [False, True], ids=['supervised', 'adversarial'])
def test_amp_training_stays_finite(tiny_faces, tmp_path, adversarial, monkeypatch):
    """``tools/train.py --amp`` on this CPU-only machine (CPUAutocastOptimWrapper: bf16
    autocast), one epoch, with the NonFiniteLossHook of the configs watching every update."""
    from reliability_helpers import tiny_config

    import mmlaplace.engine.amp as amp_module
    monkeypatch.setattr(amp_module, 'has_accelerator', lambda: False)
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmlaplace.engine import enable_amp
    cfg = Config.fromfile(str(tiny_config(tmp_path / 'amp.py', tiny_faces, tmp_path / 'w',
                                          adversarial, max_epochs=1, validate=False)))
    enable_amp(cfg)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    wrappers = runner.optim_wrapper
    wrappers = wrappers.values() if hasattr(wrappers, 'values') else [wrappers]
    assert all(type(w).__name__ == 'CPUAutocastOptimWrapper' for w in wrappers)
    assert runner.iter == 4
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())
