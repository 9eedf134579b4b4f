"""Tests of EquivarianceTopdownPoseEstimator (ELT, Honari et al., CVPR 2018)."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from test_adversarial_topdown import (  # same folder (rootdir sys.path)
    K,
    build_tiny,
    make_batch,
    make_data,
)

import mmlaplace.models  # noqa: F401
from mmlaplace.models.pose_estimators import EquivarianceTopdownPoseEstimator

pytestmark = pytest.mark.usefixtures('one_thread')


def build_model(**kwargs) -> EquivarianceTopdownPoseEstimator:
    return build_tiny(EquivarianceTopdownPoseEstimator, **kwargs)


@pytest.mark.parametrize('kind', ['distance', 'laplace_kl'])
def test_train_step_gives_every_parameter_a_finite_gradient_and_logs(kind):
    model = build_model(equivariance_loss=dict(type='EquivarianceLoss', kind=kind,
                                               loss_weight=1.0), elt_labeled=1)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    grads = {}
    for n, p in model.named_parameters():
        p.register_hook(lambda g, n=n: grads.__setitem__(n, g.clone()))
    log = model.train_step(make_data(), optim)
    assert {'loss', 'sup_loss_kpt', 'elt_loss', 'elt_distance'} <= set(log)
    assert all(torch.isfinite(v).all() for v in log.values())
    params = [n for n, p in model.named_parameters() if p.requires_grad]
    assert set(grads) == set(params)
    assert all(torch.isfinite(g).all() for g in grads.values())
    assert float(log['loss']) == pytest.approx(
        float(log['sup_loss_kpt']) + float(log['elt_loss']), rel=1e-5)


def test_the_term_uses_the_unlabeled_and_elt_labeled_images(monkeypatch):
    model = build_model(elt_labeled=1)
    seen = []
    original = model.equivariance_terms
    monkeypatch.setattr(model, 'equivariance_terms',
                        lambda images: seen.append(images.shape[0]) or original(images))
    model.train_step(make_data(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    assert seen == [1 + 3]


def test_weight_zero_is_exactly_the_supervised_update():
    data = make_data()
    elt = build_model(equivariance_loss=dict(type='EquivarianceLoss', loss_weight=0.0))
    sup = build_model(equivariance_loss=dict(type='EquivarianceLoss', loss_weight=0.0))
    torch.manual_seed(1)
    elt.train_step(data, OptimWrapper(torch.optim.SGD(elt.parameters(), lr=0.1)))
    feats = sup.extract_feat(sup.data_preprocessor(data['labeled'], True)['inputs'])
    loss = sup.head.loss(feats, sup.data_preprocessor(data['labeled'], True)['data_samples'])
    opt = torch.optim.SGD(sup.parameters(), lr=0.1)
    loss['loss_kpt'].backward()
    opt.step()
    for a, b in zip(elt.parameters(), sup.parameters()):
        torch.testing.assert_close(a, b)


def test_warmup_ramps_the_weight(monkeypatch):
    from mmengine.logging import MessageHub
    model = build_model(warmup_iters=4,
                        equivariance_loss=dict(type='EquivarianceLoss', loss_weight=1.0))
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    torch.manual_seed(3)
    log = model.train_step(make_data(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    assert float(log['loss']) == pytest.approx(
        float(log['sup_loss_kpt']) + 0.25 * float(log['elt_loss']), rel=1e-5)
    hub.update_info('iter', 10)
    log = model.train_step(make_data(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    assert float(log['loss']) == pytest.approx(
        float(log['sup_loss_kpt']) + float(log['elt_loss']), rel=1e-5)
    hub.update_info('iter', 0)


def test_bad_configs_and_data_are_named():
    with pytest.raises(ValueError, match=r"transform: unknown keys \['shear'\]"):
        build_model(transform=dict(shear=3))
    with pytest.raises(ValueError, match='scale must be'):
        build_model(transform=dict(scale=(1.1, 0.9)))
    with pytest.raises(ValueError, match='elt_labeled'):
        build_model(elt_labeled=-1)
    with pytest.raises(ValueError, match='kind must be one of'):
        build_model(equivariance_loss=dict(type='EquivarianceLoss', kind='l3'))
    with pytest.raises(TypeError, match='forward_moments'):
        build_model(head=dict(type='RegressionHead', in_channels=K, num_joints=K,
                              loss=dict(type='SmoothL1Loss')))
    model = build_model()
    with pytest.raises(TypeError, match=r'dict\(labeled=batch, unlabeled=batch\)'):
        model.train_step(make_batch(2, seed=1), OptimWrapper(torch.optim.SGD(
            model.parameters(), lr=0.1)))
