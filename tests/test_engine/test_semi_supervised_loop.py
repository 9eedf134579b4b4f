"""Tests of SemiSupervisedEpochBasedTrainLoop and of adversarial training with the Runner.

The Runner tests train the adversarial RCN config (1/16 width, tiny D) on a handful of random
80 x 80 JPEGs written here, in MMPose's 300W annotation format.
"""
import json
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmpose.registry import DATASETS
from torch.utils.data import Dataset

import mmlaplace  # noqa: F401  (registers the package's modules)
import mmlaplace.datasets.unlabeled_face_dataset  # noqa: F401
import mmlaplace.engine.optimizers  # noqa: F401
import mmlaplace.engine.runner  # noqa: F401
import mmlaplace.models.discriminators  # noqa: F401
import mmlaplace.models.pose_estimators  # noqa: F401
from mmlaplace.utils.checkpoint import load_local_checkpoint

ADV_CONFIG = 'configs/adversarial/laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py'
# imported explicitly by the subprocess too (harmless once ``mmlaplace`` imports them itself)
MODULES = repr('mmlaplace')  # importing mmlaplace registers every module


# slow: runs training (make test-fast skips)
pytestmark = [pytest.mark.usefixtures('one_thread'), pytest.mark.slow]


# ----------------------------------------------------------------------------- toy loop tests
@DATASETS.register_module(force=True)
class _IntDataset(Dataset):
    """Items ``offset .. offset + n - 1``."""

    def __init__(self, n: int, offset: int = 0) -> None:
        self.items = list(range(offset, offset + n))
        self.metainfo = dict()

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> int:
        return self.items[i]


class _RecordingModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.records: List[Dict] = []

    def forward(self, *args, **kwargs):  # not used
        raise NotImplementedError

    def train_step(self, data, optim_wrapper):
        self.records.append(dict(labeled=list(data['labeled']),
                                 unlabeled=list(data['unlabeled']),
                                 rand=torch.rand(1).item()))
        return dict(loss=torch.zeros(()))


SEED = 7


def toy_runner(tmp_path: Path, name: str, max_epochs: int = 3, workers: int = 0,
               **loop_kw) -> Runner:
    loader = dict(batch_size=2, num_workers=0, collate_fn=dict(type='pseudo_collate'),
                  sampler=dict(type='DefaultSampler', shuffle=True))
    unlabeled = dict(loader, num_workers=workers, persistent_workers=workers > 0)
    return Runner(
        model=_RecordingModel(),
        work_dir=str(tmp_path / name),
        experiment_name=f'toy_{name}',
        train_dataloader=dict(loader, dataset=dict(type='_IntDataset', n=6)),
        train_cfg=dict(
            type='SemiSupervisedEpochBasedTrainLoop', max_epochs=max_epochs,
            unlabeled_dataloader=dict(unlabeled, drop_last=True,
                                      dataset=dict(type='_IntDataset', n=5, offset=100)),
            **loop_kw),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmpose',
        randomness=dict(seed=SEED))


def expected_unlabeled(t: int) -> List[int]:
    """Batch ``t % 2`` of pass ``t // 2`` of DefaultSampler(seed + 1) over 5 items, bs 2."""
    cycle, pos = divmod(t, 2)
    perm = torch.randperm(5, generator=torch.Generator().manual_seed(SEED + 1 + cycle))
    return [100 + int(i) for i in perm[2 * pos:2 * pos + 2]]


@pytest.mark.parametrize('workers', [0, 1])  # 1: a persistent worker, reset mid-pass
def test_loop_pairs_batches_and_cycles_the_unlabeled_stream(tmp_path, workers):
    runner = toy_runner(tmp_path, 'full', workers=workers)
    runner.train()
    records = runner.model.records
    assert len(records) == 9  # 3 epochs x 3 labeled batches (epoch length = labeled loader)
    assert runner.train_loop.unlabeled_batches_per_pass == 2
    for t, record in enumerate(records):
        assert record['unlabeled'] == expected_unlabeled(t), t
        assert all(0 <= i < 6 for i in record['labeled'])
    passes = [tuple(records[2 * c]['unlabeled'] + records[2 * c + 1]['unlabeled'])
              for c in range(4)]
    assert len(set(passes)) > 1  # re-shuffled on every pass
    assert all(len(set(p)) == 4 for p in passes)  # no repeat inside a pass


def test_restarting_at_an_epoch_boundary_reproduces_the_stream_and_randomness(tmp_path):
    full = toy_runner(tmp_path, 'full')
    full.train()
    resumed = toy_runner(tmp_path, 'resumed')
    loop = resumed.train_loop
    loop._epoch, loop._iter = 2, 6  # what --resume restores from an epoch-2 checkpoint
    resumed.train()
    assert resumed.model.records == full.model.records[6:]
    # and a pass can start anywhere: global iteration 5 is batch 1 of pass 2
    stream = loop.unlabeled_batches(5)
    assert list(next(stream)) == expected_unlabeled(5)
    assert list(next(stream)) == expected_unlabeled(6)
    stream.close()


def test_without_reseeding_the_randomness_differs_after_a_restart(tmp_path):
    full = toy_runner(tmp_path, 'full', reseed_every_epoch=False)
    full.train()
    resumed = toy_runner(tmp_path, 'resumed', reseed_every_epoch=False)
    resumed.train_loop._epoch, resumed.train_loop._iter = 2, 6
    resumed.train()
    assert [r['unlabeled'] for r in resumed.model.records] == \
        [r['unlabeled'] for r in full.model.records[6:]]
    assert [r['rand'] for r in resumed.model.records] != \
        [r['rand'] for r in full.model.records[6:]]


def test_an_unlabeled_set_smaller_than_a_batch_is_an_error(tmp_path):
    runner = toy_runner(tmp_path, 'small')
    runner._train_loop['unlabeled_dataloader']['batch_size'] = 8
    with pytest.raises(ValueError, match='gives no batch'):
        runner.train_loop  # noqa: B018  (building the loop raises)


# -------------------------------------------------------------------- Runner training tests
def write_tiny_faces(root: Path, num_labeled: int = 4, num_unlabeled: int = 6) -> Path:
    """Random 80 x 80 JPEGs: labeled ones with a 300W-format JSON, and an unlabeled folder."""
    rng = np.random.default_rng(0)
    (root / 'images').mkdir(parents=True)
    (root / 'unlabeled' / 'sub').mkdir(parents=True)
    (root / 'annotations').mkdir()
    images, annotations = [], []
    for i in range(num_labeled):
        name = f'face_{i}.jpg'
        cv2.imwrite(str(root / 'images' / name), rng.integers(0, 256, (80, 80, 3), np.uint8))
        kpts = rng.uniform(20, 60, (68, 2))
        lo, hi = kpts.min(0), kpts.max(0)
        images.append(dict(id=i + 1, file_name=name, height=80, width=80))
        annotations.append(dict(
            image_id=i + 1, id=i + 1, num_keypoints=68, iscrowd=0, category_id=1,
            keypoints=np.concatenate([kpts, np.full((68, 1), 2.0)], 1).ravel().tolist(),
            bbox=[*lo.tolist(), *(hi - lo).tolist()], area=float(np.prod(hi - lo)),
            center=((lo + hi) / 2).tolist(), scale=float((hi - lo).max() / 200)))
    categories = [dict(supercategory='person', id=1, name='face', keypoints=[], skeleton=[])]
    with open(root / 'annotations' / 'train.json', 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    for i in range(num_unlabeled):
        folder = root / 'unlabeled' / ('sub' if i % 2 else '')
        cv2.imwrite(str(folder / f'u_{i}.png'), rng.integers(0, 256, (96, 72, 3), np.uint8))
    return root


def tiny_config(repo_root: Path, data: Path, work_dir: Path, max_epochs: int,
                extra: str = '', head: str = '') -> Path:
    """A child of the adversarial RCN config: tiny widths, batch 2, no workers."""
    data_cfg = f"""
    data_root='{data}/', ann_file='annotations/train.json', data_prefix=dict(img='images/')"""
    loader = 'batch_size=2, num_workers=0, persistent_workers=False'
    text = f"""
_base_ = ['{repo_root / ADV_CONFIG}']
model = dict(backbone=dict(width=1 / 16), discriminator=dict(base_channels=8), {head})
train_dataloader = dict({loader}, dataset=dict({data_cfg}))
val_dataloader = dict({loader}, dataset=dict({data_cfg}))
test_dataloader = val_dataloader
train_cfg = dict(
    max_epochs={max_epochs}, val_interval=2,
    unlabeled_dataloader=dict(
        {loader}, dataset=dict(data_root='{data}/', data_prefix=dict(img='unlabeled/'),
                               num_unlabeled=None)))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
randomness = dict(seed=0, deterministic=True)
work_dir = '{work_dir}'
{extra}
"""
    path = work_dir.parent / f'{work_dir.name}_config.py'
    path.write_text(text)
    return path


@pytest.fixture
def deterministic_mode():
    yield
    torch.use_deterministic_algorithms(False)


def train(config: Path, name: str, resume: bool = False) -> Runner:
    cfg = Config.fromfile(str(config))
    cfg.experiment_name = name
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def load(path: Path) -> dict:
    return load_local_checkpoint(str(path), map_location='cpu')


def test_runner_training_and_resume_equal_an_uninterrupted_run(repo_root, tmp_path,
                                                               deterministic_mode):
    """2 epochs of 1 iteration; then resume from the epoch-1 checkpoint in a new work dir."""
    data = write_tiny_faces(tmp_path / 'data', num_labeled=2, num_unlabeled=5)
    full_dir, resumed_dir = tmp_path / 'full', tmp_path / 'resumed'
    runner = train(tiny_config(repo_root, data, full_dir, 2), 'adv_full')
    assert type(runner.train_loop).__name__ == 'SemiSupervisedEpochBasedTrainLoop'
    # 2 unlabeled batches per pass: the epoch boundary (iteration 1) is mid-pass
    assert runner.train_loop.unlabeled_batches_per_pass == 2 and runner.iter == 2
    resumed = train(tiny_config(repo_root, data, resumed_dir, 2, extra=f"""
load_from = '{full_dir / 'epoch_1.pth'}'
"""), 'adv_resumed', resume=True)
    assert resumed.iter == 2

    first, full = load(full_dir / 'epoch_1.pth'), load(full_dir / 'epoch_2.pth')
    split = load(resumed_dir / 'epoch_2.pth')
    assert not (resumed_dir / 'epoch_1.pth').exists()  # epoch 1 was not trained again
    assert split['meta']['epoch'] == 2 and split['meta']['iter'] == 2
    for part in ('backbone.', 'discriminator.'):  # both G and D were trained in epoch 2
        assert any(not torch.equal(v, full['state_dict'][k])
                   for k, v in first['state_dict'].items() if k.startswith(part)), part
    assert full['state_dict'].keys() == split['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(value, split['state_dict'][key]), key
    assert set(full['optimizer']) == {'generator', 'discriminator'}
    for name in ('generator', 'discriminator'):
        a, b = full['optimizer'][name]['state'], split['optimizer'][name]['state']
        assert a.keys() == b.keys()
        for i in a:
            for k in ('exp_avg', 'exp_avg_sq'):
                assert torch.equal(a[i][k], b[i][k]), (name, i, k)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


PROBE = '''
import os.path as osp
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DumpParamsHook(Hook):
    """Each rank saves its parameters (not buffers: BatchNorm stats are per rank)."""

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = {n: p.detach().cpu() for n, p in model.named_parameters()}
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}.pth'))
'''

def test_two_process_gloo_training_through_dist_train(repo_root, tmp_path):
    data = write_tiny_faces(tmp_path / 'data', num_labeled=4, num_unlabeled=4)
    (tmp_path / 'py').mkdir()
    (tmp_path / 'py' / 'dist_probe.py').write_text(PROBE)
    work_dir = tmp_path / 'dist'
    extra = f"""
custom_imports = dict(imports=[{MODULES}, 'dist_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='DumpParamsHook')]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0, deterministic=False)
"""
    # a head with parameters: its own DDP, its loss must run through the DDP forward
    head = 'head=dict(final_layer=dict(_delete_=True, kernel_size=1))'
    config = tiny_config(repo_root, data, work_dir, 1, extra, head)
    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               PATH=f'{osp.dirname(sys.executable)}{os.pathsep}{os.environ.get("PATH", "")}',
               PYTHONPATH=f'{tmp_path / "py"}{os.pathsep}{repo_root}')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--cfg-options',
         'env_cfg.dist_cfg.backend=gloo'],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-6000:]
    assert (work_dir / 'epoch_1.pth').is_file()
    ranks = [torch.load(work_dir / f'rank{r}.pth') for r in (0, 1)]
    assert any('head' in k and 'module' in k for k in ranks[0])  # the head was DDP-wrapped
    for key, value in ranks[0].items():  # different data per rank, same weights: synced
        assert torch.equal(value, ranks[1][key]), key
