"""Tests of SelfTrainingTopdownPoseEstimator (STC, PIPNet Sec. 3.3)."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from test_adversarial_topdown import (  # same folder (rootdir sys.path)
    K,
    build_tiny,
    make_batch,
    make_data,
)

import mmlaplace.models  # noqa: F401
from mmlaplace.models.pose_estimators import SelfTrainingTopdownPoseEstimator

pytestmark = pytest.mark.usefixtures('one_thread')

NO_WARP = dict(rotate=0.0, scale=(1.0, 1.0), shift=0.0)


def build_model(**kwargs) -> SelfTrainingTopdownPoseEstimator:
    schedule = dict(start_iter=2, round_iters=3, target_scales=(4.0, 1.0))
    return build_tiny(SelfTrainingTopdownPoseEstimator, **{'self_training': schedule, **kwargs})


@pytest.fixture
def at_iter():
    hub = MessageHub.get_current_instance()

    def set_iter(i: int) -> None:
        hub.update_info('iter', i)

    yield set_iter
    hub.update_info('iter', 0)


def _sgd(model, lr=0.0):
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=lr))


def test_labeled_only_before_start_iter(at_iter):
    model = build_model()
    at_iter(1)
    log = model.train_step(make_data(), _sgd(model))
    assert 'stc_loss' not in log and int(model.teacher_round) == -1
    assert float(log['loss']) == pytest.approx(float(log['sup_loss_kpt']))


def test_train_step_gives_every_student_parameter_a_finite_gradient(at_iter):
    model = build_model()
    at_iter(2)
    grads = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
                p.register_hook(lambda g, n=n: grads.__setitem__(n, g.clone()))
    log = model.train_step(make_data(), _sgd(model))
    assert {'loss', 'sup_loss_kpt', 'stc_loss', 'stc_target_scale', 'stc_kept',
            'stc_distance'} <= set(log)
    assert all(torch.isfinite(v).all() for v in log.values())
    student = {n for n, p in model.named_parameters() if not n.startswith('teacher.')}
    assert set(grads) == student  # the teacher is frozen, every student weight learns
    assert all(torch.isfinite(g).all() for g in grads.values())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert float(log['loss']) == pytest.approx(
        float(log['sup_loss_kpt']) + float(log['stc_loss']), rel=1e-5)


def test_rounds_refresh_the_teacher_and_follow_the_curriculum(at_iter):
    model = build_model()
    model.train()
    assert not model.teacher.training  # the teacher keeps its BN statistics fixed
    optim = _sgd(model, lr=0.05)
    scales, rounds = [], []
    for it in range(2, 9):  # rounds 0 (2-4), 1 (5-7), 2 (8)
        at_iter(it)
        log = model.train_step(make_data(), optim)
        scales.append(float(log['stc_target_scale']))
        rounds.append(int(model.teacher_round))
    assert rounds == [0, 0, 0, 1, 1, 1, 2]
    assert scales == [4.0, 4.0, 4.0, 1.0, 1.0, 1.0, 1.0]
    # within a round the student moves on, the teacher does not
    student = dict(model.backbone.named_parameters())
    teacher = dict(model.teacher['backbone'].named_parameters())
    assert any(not torch.equal(student[k], teacher[k]) for k in student)
    model.refresh_teacher(3)
    assert all(torch.equal(student[k], teacher[k]) for k in student)


def test_teacher_and_round_survive_a_state_dict_round_trip(at_iter):
    model = build_model()
    at_iter(2)
    model.train_step(make_data(), _sgd(model, lr=0.05))
    at_iter(3)
    model.train_step(make_data(), _sgd(model, lr=0.05))
    state = model.state_dict()
    assert 'teacher_round' in state and any(k.startswith('teacher.') for k in state)
    fresh = build_model()
    fresh.load_state_dict(state)
    assert int(fresh.teacher_round) == 0
    for (k, a), (_, b) in zip(model.teacher.state_dict().items(),
                              fresh.teacher.state_dict().items()):
        torch.testing.assert_close(a, b, msg=k)
    # the resumed run continues round 0 with the same teacher (no refresh at iter 4)
    before = {k: v.clone() for k, v in fresh.teacher.state_dict().items()}
    at_iter(4)
    fresh.train_step(make_data(), _sgd(fresh, lr=0.05))
    for k, v in fresh.teacher.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)


def test_a_teacher_equal_to_the_student_without_warp_gives_the_pseudo_label_loss(at_iter):
    """No warp, teacher == student: the target is the student's own mean, the KL is the
    closed form of Lap(mu, b) against Lap(mu, b0): log(b0 / b) + b / b0 - 1 per axis."""
    model = build_model(transform=NO_WARP, self_training=dict(
        start_iter=0, round_iters=10, target_scales=(2.0,), loss_weight=1.0))
    model.eval()  # same BN behaviour for the teacher and the student
    at_iter(0)
    data = model.data_preprocessor(make_data()['unlabeled'], True)
    terms = model.unlabeled_terms(None, data['inputs'])
    _, b, _ = model.head.forward_moments(model.extract_feat(data['inputs']))
    b = b.double().clamp_min(1e-6)
    expected = (torch.log(2.0 / b) + b / 2.0 - 1).sum(-1)
    weight = terms['stc_kept'] * expected.numel()
    assert float(weight) == pytest.approx(expected.numel())  # keep_ratio 1: all inside
    assert float(terms['stc_loss']) == pytest.approx(float(expected.mean()), rel=1e-4)
    assert float(terms['stc_distance']) == pytest.approx(0.0, abs=1e-3)


def test_selection_keeps_the_most_confident_fraction(at_iter):
    model = build_model(transform=NO_WARP, self_training=dict(
        start_iter=0, round_iters=10, keep_ratio=0.5))
    at_iter(0)
    data = model.data_preprocessor(make_data()['unlabeled'], True)
    terms = model.unlabeled_terms(None, data['inputs'])
    assert 0.45 <= float(terms['stc_kept']) <= 0.55


@pytest.mark.parametrize('cfg, match', [
    (dict(start_iter=-1), 'start_iter'),
    (dict(round_iters=0), 'round_iters'),
    (dict(target_scales=()), 'target_scales'),
    (dict(target_scales=(2.0, -1.0)), 'target_scales'),
    (dict(keep_ratio=0.0), 'keep_ratio'),
    (dict(loss_weight=-1.0), 'loss_weight'),
    (dict(rounds=3), r"unknown keys \['rounds'\]"),
])
def test_bad_schedules_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        build_model(self_training=cfg)


def test_bad_transform_head_and_data_are_named():
    with pytest.raises(ValueError, match=r"transform: unknown keys \['shear'\]"):
        build_model(transform=dict(shear=3))
    with pytest.raises(TypeError, match='forward_moments'):
        build_model(head=dict(type='RegressionHead', in_channels=K, num_joints=K,
                              loss=dict(type='SmoothL1Loss')))
    model = build_model()
    with pytest.raises(TypeError, match=r'dict\(labeled=batch, unlabeled=batch\)'):
        model.train_step(make_batch(2, seed=1), _sgd(model))
