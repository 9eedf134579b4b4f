"""LandmarkUncertaintyVisualizationHook: images through the vis backends, clear errors."""
import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.visualization import Visualizer
from mmpose.registry import HOOKS
from PIL import Image

from mmlaplace.engine.hooks import LandmarkUncertaintyVisualizationHook

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

_names = itertools.count()


def fake_runner(tmp_path: Path, output_heatmaps=True, iteration=7):
    vis = Visualizer.get_instance(f'test_landmark_vis_{next(_names)}', save_dir=str(tmp_path),
                                  vis_backends=[dict(type='LocalVisBackend')])
    model = torch.nn.Linear(1, 1)
    model.test_cfg = dict(output_heatmaps=output_heatmaps)
    return SimpleNamespace(visualizer=vis, model=model, iter=iteration, work_dir=str(tmp_path),
                           timestamp='20250101_000000')


def batch(make_sample, n, **kwargs):
    points = np.random.default_rng(0).uniform(2, 18, (4, 2)).astype(np.float32)
    inputs = [torch.randint(0, 255, (3, 20, 20), dtype=torch.uint8) for _ in range(n)]
    return dict(inputs=inputs), [make_sample(points, **kwargs) for _ in range(n)]


def saved(tmp_path: Path):
    return sorted(p.name for p in (tmp_path / 'vis_data' / 'vis_image').glob('*.png'))


def test_registered_and_checks_arguments():
    hook = HOOKS.build(dict(type='LandmarkUncertaintyVisualizationHook', enable=True))
    assert isinstance(hook, LandmarkUncertaintyVisualizationHook) and hook.interval == 50
    with pytest.raises(ValueError, match='interval'):
        LandmarkUncertaintyVisualizationHook(interval=0)
    with pytest.raises(ValueError, match='scale_factor'):
        LandmarkUncertaintyVisualizationHook(scale_factor=-1)


def test_test_images_every_interval_through_local_backend(tmp_path: Path, make_sample):
    runner = fake_runner(tmp_path)
    hook = LandmarkUncertaintyVisualizationHook(enable=True, interval=2, dpi=30)
    hook.before_test_epoch(runner)
    for i in range(2):  # faces 0..2 drawn, 1 and 3 skipped
        data, outputs = batch(make_sample, 2)
        hook.after_test_iter(runner, i, data, outputs)
    assert saved(tmp_path) == ['test_heatmaps_0.png', 'test_heatmaps_2.png',
                               'test_uncertainty_0.png', 'test_uncertainty_2.png']
    image = np.asarray(Image.open(tmp_path / 'vis_data' / 'vis_image' / 'test_heatmaps_0.png'))
    assert image.ndim == 3 and min(image.shape[:2]) > 40 and image.std() > 10


def test_val_images_per_face_at_the_training_iteration(tmp_path: Path, make_sample):
    runner = fake_runner(tmp_path, iteration=30)
    hook = LandmarkUncertaintyVisualizationHook(enable=True, interval=3, dpi=30)
    hook.before_val_epoch(runner)
    data, outputs = batch(make_sample, 4, scales=False, gt=False)  # no ellipses, no ground truth: fine
    hook.after_val_iter(runner, 0, data, outputs)
    assert saved(tmp_path) == ['val_heatmaps_0_30.png', 'val_heatmaps_3_30.png',
                               'val_uncertainty_0_30.png', 'val_uncertainty_3_30.png']


def test_out_dir_writes_named_files(tmp_path: Path, make_sample):
    runner = fake_runner(tmp_path)
    hook = LandmarkUncertaintyVisualizationHook(enable=True, interval=1, out_dir='vis', dpi=30)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, *batch(make_sample, 1))
    out = tmp_path / '20250101_000000' / 'vis'
    assert sorted(p.name for p in out.iterdir()) == ['face_0_heatmaps.png',
                                                     'face_0_uncertainty.png']
    assert saved(tmp_path) == []


def test_missing_heatmaps_is_a_clear_error(tmp_path: Path, make_sample):
    hook = LandmarkUncertaintyVisualizationHook(enable=True, interval=1, dpi=30)
    with pytest.raises(ValueError, match=r'model\.test_cfg\.output_heatmaps=True'):
        hook.before_test_epoch(fake_runner(tmp_path, output_heatmaps=False))
    with pytest.raises(ValueError, match='output_heatmaps'):  # before training starts
        hook.before_run(fake_runner(tmp_path, output_heatmaps=False))
    runner = fake_runner(tmp_path)
    hook.before_val_epoch(runner)
    with pytest.raises(ValueError, match='output_heatmaps'):
        hook.after_val_iter(runner, 0, *batch(make_sample, 1, heatmaps=False))


def test_disabled_hook_does_nothing(tmp_path: Path, make_sample):
    runner = fake_runner(tmp_path, output_heatmaps=False)
    hook = LandmarkUncertaintyVisualizationHook(enable=False, interval=1)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, *batch(make_sample, 1, heatmaps=False))
    assert saved(tmp_path) == []


def test_runner_test_with_the_hook_as_default_visualization(tmp_path: Path, repo_root: Path,
                                                           face_samples_300w: Path, one_thread):
    """A real Runner: tiny random RCN on MMPose's two 300W samples, the hook from the config."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(repo_root / 'configs/laplacekl/laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py')
    data = dict(data_root=str(face_samples_300w) + '/', ann_file='test_300w.json',
                data_prefix=dict(img=''))
    cfg.merge_from_dict({
        'work_dir': str(tmp_path), 'test_dataloader.batch_size': 2,
        'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
        'test_dataloader.dataset': data, 'test_evaluator': [dict(type='NME',
                                                                 norm_mode='keypoint_distance')],
        'visualizer.name': f'test_landmark_vis_runner_{next(_names)}',
        'default_hooks.visualization': dict(type='LandmarkUncertaintyVisualizationHook',
                                            enable=True, interval=1, dpi=30)})
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = cfg.param_scheduler = None
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert np.isfinite(metrics['NME'])
    images = sorted(p.name for p in Path(runner.log_dir).rglob('vis_image/*.png'))
    assert images == ['test_heatmaps_0.png', 'test_heatmaps_1.png', 'test_uncertainty_0.png',
                      'test_uncertainty_1.png']
