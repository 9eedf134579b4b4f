"""Every config under configs/ loads, builds its model and runs 2 training iterations."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS
from mmpose.testing import get_packed_inputs

import mmlaplace  # noqa: F401  (registers the modules)

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)


def test_configs_found():
    names = {p.name for p in CONFIGS}
    assert 'laplacekl_rcn-w1_1xb32-200e_300w-80x80.py' in names
    assert len(CONFIGS) >= 15


def _packed_batch(cfg: Config, batch_size: int = 2) -> dict:
    w, h = cfg.codec['input_size']
    head = cfg.model.head  # our heads: num_keypoints; MMPose's: num_joints / out_channels
    k = head.get('num_keypoints', head.get('num_joints', head.get('out_channels')))
    heatmap_size = cfg.codec.get('heatmap_size', (w // 4, h // 4))
    return get_packed_inputs(batch_size=batch_size, num_keypoints=k, img_shape=(h, w),
                             input_size=(w, h), heatmap_size=tuple(heatmap_size),
                             with_heatmap=cfg.codec['type'] == 'MSRAHeatmap',
                             with_simcc_label=False)


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_and_trains(config: Path):
    cfg = Config.fromfile(str(config))
    assert cfg.custom_imports['imports'] == ['mmlaplace']
    assert 'init_cfg' not in cfg.model.get('backbone', {}) or \
        cfg.model.backbone.init_cfg is None, 'no pretrained weights can be downloaded here'
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = _packed_batch(cfg)
    if hasattr(cfg.train_cfg, 'type') and 'SemiSupervised' in cfg.train_cfg.get('type', ''):
        data = dict(labeled=data, unlabeled=_packed_batch(cfg))
    before = [p.detach().clone() for p in model.parameters()]
    for _ in range(2):
        log_vars = model.train_step(data, optim_wrapper)
        assert log_vars, 'train_step returned no losses'
        for name, value in log_vars.items():
            assert torch.isfinite(torch.as_tensor(value)).all(), f'{name} is not finite'
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters())]
    assert any(changed), 'no parameter was updated by two training steps'
