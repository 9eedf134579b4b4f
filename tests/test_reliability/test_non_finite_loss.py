"""A NaN / Inf loss stops training with an error naming the iteration, term and landmarks,
before any update, and the last good checkpoint stays intact."""
import math
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS
from reliability_helpers import run_training, tiny_config

from mmlaplace.engine.hooks import NonFiniteLossError
from mmlaplace.utils.checkpoint import load_local_checkpoint

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)


@HOOKS.register_module(force=True)
class _CorruptAtIterationHook(Hook):
    """At iteration ``at`` (1-based): a huge target, NaN logits or a NaN discriminator."""

    priority = 'LOW'

    def __init__(self, at: int, kind: str, landmark: int = 5) -> None:
        self.at, self.kind, self.landmark = at, kind, landmark

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 != self.at:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self.kind == 'target':  # finite but so far off that the Gaussian KL overflows
            labels = data_batch['data_samples'][0].gt_instance_labels.keypoint_labels
            labels[0, self.landmark] = 1e30
        elif self.kind == 'logits':
            def nan_channel(module, args, output):  # RCN returns a tuple of (B, K, H, W)
                last = output[-1].clone()
                last[:, self.landmark] = math.nan
                return (*output[:-1], last)
            model.backbone.register_forward_hook(nan_channel)
        else:
            with torch.no_grad():
                next(model.discriminator.parameters()).fill_(math.nan)


def train_until_error(tiny_faces: Path, tmp_path: Path, kind: str, loss: str = 'LaplaceKLLoss',
                      adversarial: bool = False) -> NonFiniteLossError:
    work_dir = tmp_path / 'work'
    config = tiny_config(tmp_path / 'cfg.py', tiny_faces, work_dir, adversarial, max_epochs=1,
                         validate=False, extra=f"""
model.update(head=dict(loss=dict(type='{loss}')))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=1))
custom_hooks = [dict(type='_CorruptAtIterationHook', at=3, kind='{kind}')]
""")
    with pytest.raises(NonFiniteLossError) as info:
        run_training(config, f'nan_{kind}')
    # the last good checkpoint is there and intact; nothing was saved after it
    assert (work_dir / 'last_checkpoint').read_text().endswith('iter_2.pth')
    assert not (work_dir / 'iter_3.pth').exists()
    state = load_local_checkpoint(str(work_dir / 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    message = str(info.value)
    assert 'iteration 3 (epoch 1, batch 2)' in message
    assert 'iter_2.pth' in message and 'No parameter was updated' in message
    return info.value


def test_overflowing_loss_names_iteration_term_and_landmark(tiny_faces, tmp_path):
    message = str(train_until_error(tiny_faces, tmp_path, 'target', loss='GaussianKLLoss'))
    assert 'the optim_wrapper loss is inf' in message
    assert "Non-finite loss terms on this batch: ['loss_kpt']" in message
    assert 'Offending landmarks: [5]' in message
    assert 'Images of the batch: [' in message and '.jpg' in message


def test_nan_heatmaps_name_iteration_loss_and_landmark(tiny_faces, tmp_path):
    error = train_until_error(tiny_faces, tmp_path, 'logits')
    message = str(error)
    assert 'LaplaceKLLoss: heatmaps contain NaN/Inf values at landmarks [5]' in message
    assert 'Offending landmarks: [5]' in message
    assert isinstance(error.__cause__, ValueError)


def test_adversarial_discriminator_nan_names_the_optimizer(tiny_faces, tmp_path):
    message = str(train_until_error(tiny_faces, tmp_path, 'discriminator', adversarial=True))
    assert 'the discriminator loss is nan' in message
    assert "Non-finite loss terms on this batch: none" in message
