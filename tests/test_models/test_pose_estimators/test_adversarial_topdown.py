"""Tests of AdversarialTopdownPoseEstimator (Algorithm 1 of Robinson et al., ICCV 2019)."""
import copy
import os
import socket
from typing import Dict, List

import numpy as np
import pytest
import torch
import torch.distributed as dist
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

import mmlaplace.engine.optimizers  # noqa: F401  (registers GANOptimWrapperConstructor)
import mmlaplace.models  # noqa: F401
import mmlaplace.models.discriminators  # noqa: F401
from mmlaplace.engine.optimizers import GANOptimWrapperConstructor
from mmlaplace.models.pose_estimators import AdversarialTopdownPoseEstimator

K, SIZE = 5, 32


pytestmark = pytest.mark.usefixtures('one_thread')


def build_tiny(estimator: type, **kwargs):
    """``estimator`` on RCN (1/16 width, no dropout) + SoftArgmaxHead + LaplaceKL, seeded and
    initialized: deterministic on the CPU (shared by the semi-supervised estimators' tests)."""
    cfg = dict(
        backbone=dict(type='RCN', num_keypoints=K, width=1 / 16, dropout=0.0),
        head=dict(type='SoftArgmaxHead', in_channels=K, num_keypoints=K, final_layer=None,
                  loss=dict(type='LaplaceKLLoss'),
                  decoder=dict(type='RegressionLabel', input_size=(SIZE, SIZE))),
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[128.0] * 3,
                               std=[64.0] * 3))
    cfg.update(kwargs)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = estimator(**cfg)
    model.init_weights()
    return model


def build_model(**kwargs) -> AdversarialTopdownPoseEstimator:
    """The tiny model + a small D."""
    disc = dict(type='HeatmapPatchDiscriminator', in_channels=K + 3, base_channels=8)
    return build_tiny(AdversarialTopdownPoseEstimator, **{'discriminator': disc, **kwargs})


def make_batch(n: int, seed: int, weights=None) -> Dict[str, list]:
    """A packed MMPose batch: uint8 images (3, SIZE, SIZE) and PoseDataSamples."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(n):
        inputs.append(torch.randint(0, 256, (3, SIZE, SIZE), generator=g, dtype=torch.uint8))
        sample = PoseDataSample(metainfo=dict(
            input_size=(SIZE, SIZE), input_center=np.full(2, SIZE / 2),
            input_scale=np.full(2, float(SIZE)), flip_indices=list(range(K))))
        labels = InstanceData()
        labels.keypoint_labels = 0.2 + 0.6 * torch.rand(1, K, 2, generator=g)
        labels.keypoint_weights = torch.ones(1, K) if weights is None else weights[i:i + 1]
        sample.gt_instance_labels = labels
        gt = InstanceData()
        gt.bboxes = np.array([[0.0, 0.0, SIZE, SIZE]])
        gt.bbox_scores = np.ones(1)
        sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def make_data(**kw) -> dict:
    return dict(labeled=make_batch(2, seed=1, **kw), unlabeled=make_batch(3, seed=2))


def build_optim(model, g_lr: float = 1e-3) -> OptimWrapperDict:
    return GANOptimWrapperConstructor(dict(
        generator=dict(optimizer=dict(type='Adam', lr=g_lr, weight_decay=1e-5)),
        discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))))(model)


def g_params(model) -> Dict[str, torch.Tensor]:
    return {n: p for n, p in model.named_parameters() if not n.startswith('discriminator.')}


def d_params(model) -> Dict[str, torch.Tensor]:
    return dict(model.discriminator.named_parameters())


def snapshot(params: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in params.items()}


def changed(before: Dict[str, torch.Tensor], params: Dict[str, torch.Tensor]) -> List[str]:
    return [n for n, p in params.items() if not torch.equal(before[n], p)]


def test_train_step_updates_both_networks_and_logs():
    model = build_model()
    optim = build_optim(model)
    g0, d0 = snapshot(g_params(model)), snapshot(d_params(model))
    log_vars = model.train_step(make_data(), optim)
    assert set(changed(g0, g_params(model))) == set(g0)
    assert set(changed(d0, d_params(model))) == set(d0)
    assert {'loss', 'sup_loss_kpt', 'sup_acc_pose', 'adv_loss', 'disc_loss_real',
            'disc_loss_fake', 'disc_acc'} <= set(log_vars)
    assert all(torch.isfinite(v).all() and not v.requires_grad for v in log_vars.values())
    expected = log_vars['sup_loss_kpt'] + model.adv_weight * log_vars['adv_loss']
    assert torch.allclose(log_vars['loss'], expected)


def test_d_step_gives_no_g_gradient_and_g_step_leaves_d_alone():
    """Spies on both optimizer wrappers: what has a gradient when each one steps."""
    model = build_model()
    optim = build_optim(model)
    events = []

    def spy(name, wrapper):
        update = wrapper.update_params

        def update_params(loss, **kwargs):
            event = dict(
                name=name,
                g_grads=[n for n, p in g_params(model).items()
                         if p.grad is not None and p.grad.abs().sum() > 0],
                d_requires_grad=[p.requires_grad for p in model.discriminator.parameters()],
                g_before=snapshot(g_params(model)),
                d_before=snapshot(d_params(model)))
            # the loss graph: which parameters does it reach?
            trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            grads = torch.autograd.grad(loss, [p for _, p in trainable], retain_graph=True,
                                        allow_unused=True)
            event['reached'] = {n for (n, _), g in zip(trainable, grads) if g is not None}
            update(loss, **kwargs)
            event['d_grads'] = [p.grad for p in model.discriminator.parameters()]
            event['g_changed'] = changed(event['g_before'], g_params(model))
            event['d_changed'] = changed(event['d_before'], d_params(model))
            events.append(event)

        wrapper.update_params = update_params

    spy('discriminator', optim['discriminator'])
    spy('generator', optim['generator'])
    model.train_step(make_data(), optim)
    model.train_step(make_data(), optim)  # second step: grads of the first must not leak

    assert [e['name'] for e in events] == ['discriminator', 'generator'] * 2
    for d_event, g_event in zip(events[0::2], events[1::2]):
        # D step: the D loss reaches D only; G is unchanged, and G has no gradient
        assert d_event['reached'] == {f'discriminator.{n}' for n in d_params(model)}
        assert d_event['g_grads'] == [] and d_event['g_changed'] == []
        assert set(d_event['d_changed']) == set(d_params(model))
        # G step: D frozen (no grad, unchanged), the G loss reaches every G parameter
        assert not any(g_event['d_requires_grad'])
        assert g_event['reached'] == set(g_params(model))
        assert all(g is None or not g.any() for g in g_event['d_grads'])
        assert g_event['d_changed'] == [] and set(g_event['g_changed']) == set(g_params(model))
    assert all(p.requires_grad for p in model.discriminator.parameters())  # restored


def test_d_and_g_steps_judge_the_same_fakes_from_one_generator_forward():
    """With dropout on, G(d^u) is computed once: D's step and G's step see the same maps."""
    model = build_model(backbone=dict(type='RCN', num_keypoints=K, width=1 / 16, dropout=0.5),
                        adv_weight=1.0)
    optim = build_optim(model)
    seen, generated = [], []
    disc_forward, generate = model.discriminator.forward, model.generate_heatmaps
    model.discriminator.forward = lambda h, x: seen.append(h.detach().clone()) or \
        disc_forward(h, x)
    model.generate_heatmaps = lambda x: generated.append(x.shape[0]) or generate(x)
    model.train_step(make_data(), optim)
    assert generated == [3]  # one forward, on the 3 unlabeled images
    real, fake_d, fake_g = seen  # D step: real, fake; G step: fake
    assert fake_d.shape == fake_g.shape == (3, K, SIZE, SIZE)
    assert torch.equal(fake_d, fake_g)
    assert not torch.equal(real[:1], fake_d[:1])


def test_disc_steps_updates_d_several_times_per_iteration():
    model = build_model(disc_steps=2)
    optim = build_optim(model)
    calls = []
    for name in ('generator', 'discriminator'):
        update = optim[name].update_params
        optim[name].update_params = \
            lambda loss, _n=name, _u=update, **kw: calls.append(_n) or _u(loss, **kw)
    model.train_step(make_data(), optim)
    assert calls == ['discriminator', 'discriminator', 'generator']


def test_train_step_with_amp_optim_wrappers(monkeypatch):
    """``--amp`` (AmpOptimWrapper for both networks); on the CPU MMEngine autocasts to bf16."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
    monkeypatch.setattr(amp, 'is_cuda_available', lambda: True)  # it refuses the CPU
    model = build_model()
    optim = GANOptimWrapperConstructor(dict(
        generator=dict(type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
        discriminator=dict(type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))(model)
    g0, d0 = snapshot(g_params(model)), snapshot(d_params(model))
    log_vars = model.train_step(make_data(), optim)
    assert all(torch.isfinite(v) for v in log_vars.values())
    assert set(changed(g0, g_params(model))) == set(g0)
    assert set(changed(d0, d_params(model))) == set(d0)


def test_adv_weight_zero_is_exactly_the_supervised_update():
    adversarial = build_model(adv_weight=0.0)
    supervised = copy.deepcopy(adversarial)
    data = make_data()
    adversarial.train_step(copy.deepcopy(data), build_optim(adversarial))
    plain = OptimWrapper(torch.optim.Adam(g_params(supervised).values(), lr=1e-3,
                                          weight_decay=1e-5))
    BaseModel.train_step(supervised, copy.deepcopy(data['labeled']), plain)
    for name, p in g_params(adversarial).items():
        assert torch.equal(p, g_params(supervised)[name]), name


def test_minimax_and_non_saturating_differ_only_in_g_gradients():
    results = {}
    for kind in ('minimax', 'non_saturating'):
        model = build_model(adv_loss_type=kind, adv_weight=1.0)
        optim = build_optim(model)
        grads = {}
        update = optim['generator'].update_params

        def update_params(loss, _update=update, _grads=grads, _model=model, **kwargs):
            params = g_params(_model)
            values = torch.autograd.grad(loss, list(params.values()), retain_graph=True)
            _grads.update(zip(params, values))
            _update(loss, **kwargs)

        optim['generator'].update_params = update_params
        torch.manual_seed(123)
        model.train_step(make_data(), optim)
        results[kind] = (grads, snapshot(d_params(model)))
    (g_mm, d_mm), (g_ns, d_ns) = results['minimax'], results['non_saturating']
    assert changed(d_mm, d_ns) == []  # the same D step
    assert any(not torch.allclose(g_mm[n], g_ns[n]) for n in g_mm)


def test_generator_adversarial_terms():
    model = build_model()
    logits = torch.tensor([[-2.0, 0.0, 3.0]])
    p = torch.sigmoid(logits)
    assert torch.allclose(model.generator_adv_loss(logits), torch.log1p(-p).mean())
    model.adv_loss_type = 'non_saturating'
    assert torch.allclose(model.generator_adv_loss(logits), -torch.log(p).mean())
    losses = model.discriminator_losses(torch.tensor([1.0, -1.0]), torch.tensor([-1.0, -2.0]))
    assert losses['disc_acc'] == pytest.approx(0.75)


def test_real_heatmaps_sum_to_one_and_sit_on_the_labels():
    model = build_model()
    batch = model.data_preprocessor(make_batch(2, seed=3), True)
    real = model.real_heatmaps(batch['inputs'], batch['data_samples'], (SIZE, SIZE))
    assert real.shape == (2, K, SIZE, SIZE) and not real.requires_grad
    assert torch.allclose(real.sum(dim=(-2, -1)), torch.ones(2, K), atol=1e-5)
    labels = torch.cat([d.gt_instance_labels.keypoint_labels for d in batch['data_samples']])
    peak = real.flatten(-2).argmax(-1)
    peak_xy = torch.stack([peak % SIZE, peak // SIZE], dim=-1).float()
    assert (peak_xy - labels * SIZE).abs().max() <= 0.5 + 1e-4


@pytest.mark.parametrize('mode', ['prediction', 'uniform'])
def test_real_heatmaps_of_invisible_landmarks(mode):
    model = build_model(real_heatmap=dict(invisible=mode))
    weights = torch.ones(2, K)
    weights[0, 1] = weights[1, 3] = 0
    batch = model.data_preprocessor(make_batch(2, seed=4, weights=weights), True)
    real = model.real_heatmaps(batch['inputs'], batch['data_samples'], (SIZE, SIZE))
    assert torch.allclose(real.sum(dim=(-2, -1)), torch.ones(2, K), atol=1e-5)
    if mode == 'prediction':
        with torch.no_grad():
            fill = model.generate_heatmaps(batch['inputs'])
    else:
        fill = torch.full_like(real, 1 / SIZE**2)
    assert torch.allclose(real[0, 1], fill[0, 1]) and torch.allclose(real[1, 3], fill[1, 3])
    visible = weights > 0
    assert not torch.allclose(real[visible], fill[visible])


def test_supervised_loss_predict_and_val_step_still_work():
    model = build_model()
    batch = model.data_preprocessor(make_batch(2, seed=5), True)
    losses = model(batch['inputs'], batch['data_samples'], mode='loss')
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    preds = model.val_step(make_batch(2, seed=5))
    assert preds[0].pred_instances.keypoints.shape == (1, K, 2)


def test_bad_inputs_are_rejected():
    model = build_model()
    with pytest.raises(TypeError, match='dict\\(labeled=batch, unlabeled=batch\\)'):
        model.train_step(make_batch(2, seed=1), build_optim(model))
    plain = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match='GANOptimWrapperConstructor'):
        model.train_step(make_data(), plain)
    for bad in (dict(adv_loss_type='wgan'), dict(real_heatmap=dict(invisible='zero')),
                dict(real_heatmap=dict(kind='cauchy')), dict(disc_steps=0)):
        with pytest.raises(ValueError):
            build_model(**bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_train_step_under_separate_ddp_goes_through_the_wrappers():
    """World size 1 (gloo): every child with parameters is its own DDP; the head's loss must
    run through its DDP's forward (so gradients are all-reduced), prediction still works."""
    from mmengine.model import MMSeparateDistributedDataParallel
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        # a head with parameters (1x1 conv), so that it gets wrapped too
        model = build_model(head=dict(
            type='SoftArgmaxHead', in_channels=K, num_keypoints=K,
            final_layer=dict(kernel_size=1), loss=dict(type='LaplaceKLLoss'),
            decoder=dict(type='RegressionLabel', input_size=(SIZE, SIZE))))
        wrapped = MMSeparateDistributedDataParallel(model, broadcast_buffers=False,
                                                    find_unused_parameters=True)
        inner = wrapped.module
        assert type(inner.head).__name__ == 'MMDistributedDataParallel'
        optim = build_optim(wrapped)
        calls = []
        forward = inner.head.forward
        inner.head.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)
        g0 = snapshot(g_params(inner))
        wrapped.train_step(make_data(), optim)
        assert len(calls) == 2  # the fakes (once, for D and G) and the supervised loss
        assert set(changed(g0, g_params(inner))) == set(g0)
        preds = wrapped.val_step(make_batch(1, seed=6))
        assert preds[0].pred_instances.keypoints.shape == (1, K, 2)
    finally:
        dist.destroy_process_group()


def test_one_sided_label_smoothing_targets_real_pairs_only():
    logits = torch.tensor([0.5, -1.0, 2.0])
    smooth = AdversarialTopdownPoseEstimator.discriminator_losses(logits, -logits, 0.9)
    sig = torch.sigmoid(logits)
    expected = -(0.9 * torch.log(sig) + 0.1 * torch.log1p(-sig)).mean()
    assert float(smooth['disc_loss_real']) == pytest.approx(float(expected), rel=1e-5)
    plain = AdversarialTopdownPoseEstimator.discriminator_losses(logits, -logits)
    assert float(smooth['disc_loss_fake']) == pytest.approx(float(plain['disc_loss_fake']))
    model = build_model(real_label=0.9)
    assert model.real_label == 0.9


def test_instance_noise_anneals_with_the_runner_iteration():
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    model = build_model(noise_anneal_iters=10)
    optim = build_optim(model)
    try:
        stds = []
        for it in (0, 5, 10, 20):
            hub.update_info('iter', it)
            log = model.train_step(make_data(), optim)
            stds.append(float(log['disc_noise_std']))
            assert model.discriminator.noise_std == pytest.approx(stds[-1])
    finally:
        hub.update_info('iter', 0)
    assert stds == pytest.approx([0.2, 0.1, 0.0, 0.0])


def test_adv_grad_norm_is_the_weighted_gradient_on_the_fake_heatmaps():
    model = build_model(adv_weight=0.5, adv_loss_type='non_saturating')
    log = model.train_step(make_data(), build_optim(model))
    assert float(log['adv_grad_norm']) > 0 and torch.isfinite(log['adv_grad_norm'])
    doubled = build_model(adv_weight=1.0, adv_loss_type='non_saturating')
    log2 = doubled.train_step(make_data(), build_optim(doubled))
    # the same D step (same seed, same init), so the weighted gradient doubles exactly
    assert float(log2['adv_grad_norm']) == pytest.approx(2 * float(log['adv_grad_norm']),
                                                         rel=1e-3)


@pytest.mark.parametrize('bad, match', [
    (dict(real_label=0.0), 'real_label'), (dict(real_label=1.5), 'real_label'),
    (dict(noise_anneal_iters=-1), 'noise_anneal_iters')])
def test_bad_stabilizers_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        build_model(**bad)


def test_num_real_limits_the_real_pairs_of_the_d_step(monkeypatch):
    model = build_model(num_real=1)
    seen = []
    original = model.real_heatmaps
    monkeypatch.setattr(model, 'real_heatmaps', lambda inputs, samples, size: seen.append(
        (inputs.shape[0], len(samples))) or original(inputs, samples, size))
    model.train_step(make_data(), build_optim(model))
    assert seen == [(1, 1)]
    with pytest.raises(ValueError, match='num_real'):
        build_model(num_real=0)
