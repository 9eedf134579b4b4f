"""SIGKILL a training run mid-epoch, ``--resume`` it: same weights as an uninterrupted run.

Both the supervised LaplaceKL config and the adversarial LaplaceKL+D config, at tiny scale
(RCN 1/16, 8 synthetic faces, batch 2: 4 iterations per epoch, 2 epochs), with iteration
checkpoints every 3 iterations. The run is killed after iteration 7 (epoch 2, batch 3), so the
last checkpoint is ``iter_6.pth`` (mid-epoch 2) and iteration 7 is trained again.
"""
import signal
from pathlib import Path

import pytest
import torch
from reliability_helpers import run_subprocess, run_training, tiny_config

from mmlaplace.utils.checkpoint import load_local_checkpoint

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

KILL_PROBE = '''
import os
import signal

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class KillAtIterationHook(Hook):
    """SIGKILL this process after iteration ``at`` (after the checkpoint hook)."""

    priority = 'LOWEST'

    def __init__(self, at):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
'''

CHECKPOINTS = """
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=3))
"""


def load(path: Path) -> dict:
    return load_local_checkpoint(str(path), map_location='cpu')


def assert_same_training_state(a: dict, b: dict) -> None:
    assert a['meta']['iter'] == b['meta']['iter'] and a['meta']['epoch'] == b['meta']['epoch']
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    optims = a['optimizer'] if 'state' not in a['optimizer'] else {'': a['optimizer']}
    others = b['optimizer'] if 'state' not in b['optimizer'] else {'': b['optimizer']}
    for name, optim in optims.items():
        for i, state in optim['state'].items():
            for k, v in state.items():
                assert torch.equal(v, others[name]['state'][i][k]), (name, i, k)


@pytest.mark.parametrize('adversarial', [False, True], ids=['supervised', 'adversarial'])
def test_sigkill_mid_epoch_then_resume_equals_uninterrupted(tiny_faces, tmp_path, adversarial):
    full_dir, killed_dir = tmp_path / 'full', tmp_path / 'killed'
    full_cfg = tiny_config(tmp_path / 'full.py', tiny_faces, full_dir, adversarial,
                           validate=False, extra=CHECKPOINTS)
    runner = run_training(full_cfg, 'full')
    assert runner.iter == 8 and len(runner.train_dataloader) == 4

    # killed after iteration 7 by SIGKILL, in a separate process through tools/train.py
    (tmp_path / 'py').mkdir()
    (tmp_path / 'py' / 'kill_probe.py').write_text(KILL_PROBE)
    kill_cfg = tiny_config(tmp_path / 'killed.py', tiny_faces, killed_dir, adversarial,
                           validate=False, extra=CHECKPOINTS + """
custom_imports = dict(imports=['mmlaplace', 'kill_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='KillAtIterationHook', at=7)]
""")
    proc = run_subprocess(['tools/train.py', str(kill_cfg)], tmp_path / 'py', check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert (killed_dir / 'iter_6.pth').is_file() and not (killed_dir / 'iter_8.pth').exists()
    assert (killed_dir / 'last_checkpoint').read_text().endswith('iter_6.pth')
    assert not list(killed_dir.glob('.*.tmp'))  # no temporary checkpoint left behind

    # a temp file as left by a write killed in progress is cleaned up on restart
    leftover = killed_dir / '.iter_9.pth.x1y2z3.tmp'
    leftover.write_bytes(b'half a checkpoint')

    # restart with --resume (latest checkpoint of the work dir), without the kill hook
    resume_cfg = tiny_config(tmp_path / 'resume.py', tiny_faces, killed_dir, adversarial,
                             validate=False, extra=CHECKPOINTS)
    resumed = run_training(resume_cfg, 'resumed', resume=True)
    assert resumed.iter == 8 and resumed.epoch == 2
    assert not leftover.exists()

    final_full, final_resumed = load(full_dir / 'iter_8.pth'), load(killed_dir / 'iter_8.pth')
    assert_same_training_state(final_full, final_resumed)
    # the check has teeth: training changed the weights between iterations 6 and 8
    mid = load(full_dir / 'iter_6.pth')['state_dict']
    assert any(not torch.equal(v, final_full['state_dict'][k]) for k, v in mid.items())
