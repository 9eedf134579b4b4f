"""MMPose's own 300W HRNet config through our thin tools: train 2 iterations, test, resume.

Runs on MMPose's real 300W sample annotations (../shared/data/mmpose_face_samples/300w), with
the config inherited through ``_base_ = 'mmpose::...'``.
"""
import json
import math
from pathlib import Path

import pytest
from mmengine.runner.checkpoint import _load_checkpoint

import mmlaplace  # noqa: F401  (weights-only loading of MMEngine checkpoints)

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

CONFIG = """
_base_ = ['mmpose::face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py']
custom_imports = dict(imports=['mmlaplace'], allow_failed_imports=False)
model = dict(backbone=dict(init_cfg=None))  # no pretrained weights offline
data_root = '{root}/'
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
randomness = dict(seed=0)
_data = dict(data_root=data_root, ann_file='test_300w.json', data_prefix=dict(img=''))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False, dataset=_data)
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=_data)
test_dataloader = val_dataloader
"""


def test_train_test_resume(tmp_path: Path, face_samples_300w: Path, tool):
    config = tmp_path / 'hrnet_300w_samples.py'
    config.write_text(CONFIG.format(root=face_samples_300w))
    work = tmp_path / 'work'

    # 1. two iterations (two images, batch 1, one epoch) and a checkpoint
    proc = tool('train.py', [str(config), '--work-dir', str(work)])
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file(), proc.stdout[-2000:]
    assert 'NME' in proc.stdout + proc.stderr

    # 2. evaluation of that checkpoint reports NME (load_from with weights-only torch.load)
    out = tmp_path / 'metrics.json'
    tool('test.py', [str(config), str(ckpt), '--work-dir', str(work), '--out', str(out)])
    metrics = json.loads(out.read_text())
    print(f"NME after 2 iterations on MMPose's 300W samples: {metrics['NME']:.4f}")
    assert math.isfinite(metrics['NME']) and metrics['NME'] > 0

    # 3. --resume continues from the checkpoint (epoch 1 -> 2), not from scratch
    proc = tool('train.py', [str(config), '--work-dir', str(work), '--resume', str(ckpt),
                             '--cfg-options', 'train_cfg.max_epochs=2'])
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log.lower() or 'resumed epoch 1' in log.lower() or \
        'Resumed' in log, log[-3000:]
    state = _load_checkpoint(str(work / 'epoch_2.pth'), map_location='cpu')
    assert state['meta']['epoch'] == 2 and state['meta']['iter'] == 4
    assert set(state) >= {'state_dict', 'optimizer', 'message_hub', 'meta'}
