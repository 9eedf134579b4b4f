"""Tests of GANOptimWrapperConstructor (generator = everything but the discriminator)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpose.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

import mmlaplace.engine.optimizers  # noqa: F401  (registers the constructor)
from mmlaplace.engine import enable_amp
from mmlaplace.engine.optimizers import GANOptimWrapperConstructor

CFG = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5)),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))


pytestmark = pytest.mark.usefixtures('one_thread')


class ToyGAN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 3)
        self.head = nn.Sequential(nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))
        self.discriminator = nn.Sequential(nn.Conv2d(5, 1, 4), nn.BatchNorm2d(1))
        self.scale = nn.Parameter(torch.ones(1))  # a direct parameter belongs to G


def param_ids(wrapper) -> set:
    return {id(p) for group in wrapper.optimizer.param_groups for p in group['params']}


def test_generator_owns_everything_but_the_discriminator():
    model = ToyGAN()
    optim = GANOptimWrapperConstructor(CFG)(model)
    assert isinstance(optim, OptimWrapperDict) and set(optim.keys()) == {'generator',
                                                                         'discriminator'}
    d_ids = {id(p) for p in model.discriminator.parameters()}
    g_ids = {id(p) for p in model.parameters()} - d_ids
    assert param_ids(optim['generator']) == g_ids
    assert param_ids(optim['discriminator']) == d_ids
    g_group = optim['generator'].optimizer.param_groups[0]
    d_group = optim['discriminator'].optimizer.param_groups[0]
    assert isinstance(optim['generator'].optimizer, torch.optim.Adam)
    assert (g_group['lr'], g_group['weight_decay']) == (1e-3, 1e-5)
    assert (d_group['lr'], d_group['betas']) == (1e-4, (0.5, 0.999))
    # the model is not modified (no module re-registered)
    assert [n for n, _ in model.named_children()] == ['backbone', 'head', 'discriminator']


def test_registered_and_built_through_mmengine_in_the_mmpose_scope():
    assert OPTIM_WRAPPER_CONSTRUCTORS.get('GANOptimWrapperConstructor') is \
        GANOptimWrapperConstructor
    with DefaultScope.overwrite_default_scope('mmpose'):
        optim = build_optim_wrapper(ToyGAN(), dict(constructor='GANOptimWrapperConstructor',
                                                   **CFG))
    assert isinstance(optim, OptimWrapperDict)


def test_paramwise_cfg_per_wrapper_uses_model_names():
    cfg = dict(
        generator=dict(CFG['generator'],
                       paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
        discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-3)))
    model = ToyGAN()
    optim = GANOptimWrapperConstructor(cfg, paramwise_cfg=dict(norm_decay_mult=0.0))(model)
    groups = optim['generator'].optimizer.param_groups
    backbone = {id(p) for p in model.backbone.parameters()}
    for group in groups:
        if id(group['params'][0]) in backbone:
            assert group['lr'] == pytest.approx(1e-4)
        else:
            assert group['lr'] == pytest.approx(1e-3)
    # the top-level paramwise_cfg is the default of the wrapper without its own
    d_groups = optim['discriminator'].optimizer.param_groups
    norm = {id(p) for p in model.discriminator[1].parameters()}
    assert all(g['weight_decay'] == 0 for g in d_groups if id(g['params'][0]) in norm)


def test_state_dict_round_trip():
    model = ToyGAN()
    optim = GANOptimWrapperConstructor(CFG)(model)
    loss = model.backbone(torch.randn(1, 3, 5, 5)).sum() + model.scale.sum()
    optim['generator'].update_params(loss)
    state = optim.state_dict()
    assert set(state) == {'generator', 'discriminator'}
    other = GANOptimWrapperConstructor(CFG)(ToyGAN())
    other.load_state_dict(state)
    assert other['generator'].optimizer.state_dict()['state'].keys() == \
        optim['generator'].optimizer.state_dict()['state'].keys()


def test_amp_switches_both_wrappers(repo_root, monkeypatch):
    """``--amp``: AmpOptimWrapper with an accelerator, bf16 CPU autocast without one."""
    import mmlaplace.engine.amp as amp_module
    path = str(repo_root / 'configs/adversarial/laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py')
    monkeypatch.setattr(amp_module, 'has_accelerator', lambda: True)
    cfg = enable_amp(Config.fromfile(path))
    assert cfg.optim_wrapper.generator.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'

    monkeypatch.setattr(amp_module, 'has_accelerator', lambda: False)
    cfg = enable_amp(Config.fromfile(path))
    assert cfg.optim_wrapper.generator.type == 'CPUAutocastOptimWrapper'
    with DefaultScope.overwrite_default_scope('mmpose'):
        optim = build_optim_wrapper(ToyGAN(), cfg.optim_wrapper.to_dict())
    for name in ('generator', 'discriminator'):
        assert type(optim[name]).__name__ == 'CPUAutocastOptimWrapper'
        with optim[name].optim_context(ToyGAN()):
            assert torch.get_autocast_dtype('cpu') == torch.bfloat16
            assert torch.is_autocast_enabled('cpu')
    assert not torch.is_autocast_enabled('cpu')
    with pytest.raises(ValueError, match='optim_wrapper.dtype'), \
            DefaultScope.overwrite_default_scope('mmpose'):
        build_optim_wrapper(ToyGAN(), dict(type='CPUAutocastOptimWrapper', dtype='int8',
                                           optimizer=dict(type='SGD', lr=0.1)))


def test_errors():
    with pytest.raises(ValueError, match='exactly the keys'):
        GANOptimWrapperConstructor(dict(generator=CFG['generator']))
    with pytest.raises(ValueError, match='optimizer'):
        GANOptimWrapperConstructor(dict(generator=dict(), discriminator=CFG['discriminator']))
    with pytest.raises(AttributeError, match='discriminator'):
        GANOptimWrapperConstructor(CFG)(nn.Linear(2, 2))
