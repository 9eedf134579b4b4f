"""Same seed, deterministic mode: identical metrics; 2 CPU processes (gloo) through
``tools/dist_train.sh``: metrics within a tolerance of one process with the same total batch.

What is and is not bit-identical on the CPU (README "Reproducibility"): with
``randomness=dict(seed=..., deterministic=True)``, the same number of threads and
``num_workers=0``, two runs give identical weights and metrics (checked here). A different
thread count or machine changes float reductions (last bits); data workers draw augmentations
from per-worker seeds; and 2 processes with batch B/2 each are *not* bit-identical to one
process with batch B: BatchNorm sees per-process batch statistics (no SyncBN on the CPU),
dropout masks are drawn per process, and the gradient all-reduce sums in another order.
"""
import json
import os
import re
import shutil
import socket
import warnings
from pathlib import Path

import pytest
import torch
from reliability_helpers import run_subprocess, run_training, tiny_config

from mmlaplace.utils.checkpoint import load_local_checkpoint

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

#: |NME(2 processes) - NME(1 process)| after 2 iterations; measured 0.0002 (supervised) and
#: 0.00005 (adversarial) at NME ~0.62
NME_TOLERANCE = 0.005


def runner_nme(runner) -> float:
    """The last validation NME of an in-process run (its message hub)."""
    return float(runner.message_hub.get_scalar('val/NME').current())


def final_nme(work_dir: Path) -> float:
    """The last validation NME a training process logged in ``work_dir/<time>/vis_data/``
    (in-process runs share MMEngine's visualizer instance: use :func:`runner_nme`)."""
    files = sorted(work_dir.rglob('scalars.json'), key=lambda p: p.stat().st_mtime)
    assert files, f'no scalars.json under {work_dir}: {sorted(work_dir.rglob("*"))}'
    values = [json.loads(line) for line in files[-1].read_text().splitlines()]
    return [v['NME'] for v in values if 'NME' in v][-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_runs_with_the_same_seed_are_identical(tiny_faces, tmp_path):
    """Supervised here; the adversarial run is covered bit for bit by the kill-and-resume
    test (an uninterrupted and a killed + resumed run end with identical weights)."""
    nmes, weights = [], []
    for run, seed in (('a', 0), ('b', 0), ('c', 1)):
        work_dir = tmp_path / run
        config = tiny_config(tmp_path / f'{run}.py', tiny_faces, work_dir, max_epochs=1,
                             batch_size=4, extra=f'randomness = dict(seed={seed}, deterministic=True)\n')
        nmes.append(runner_nme(run_training(config, f'det_{run}')))
        weights.append(load_local_checkpoint(str(work_dir / 'epoch_1.pth'))['state_dict'])
    assert nmes[0] == nmes[1]
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), key
    # and the seed matters: another seed gives another model
    assert any(not torch.equal(v, weights[2][k]) for k, v in weights[0].items())


@pytest.mark.parametrize('adversarial', [False, True], ids=['supervised', 'adversarial'])
def test_two_cpu_processes_match_one_process_with_the_same_total_batch(tiny_faces, tmp_path,
                                                                       adversarial):
    single_dir, dist_dir = tmp_path / 'single', tmp_path / 'dist'
    single = tiny_config(tmp_path / 'single.py', tiny_faces, single_dir, adversarial,
                         max_epochs=1, batch_size=4)
    nme_single = runner_nme(run_training(single, 'single'))
    dist = tiny_config(tmp_path / 'dist.py', tiny_faces, dist_dir, adversarial, max_epochs=1,
                       batch_size=2, extra="env_cfg = dict(dist_cfg=dict(backend='gloo'))\n")
    # A rank aborted natively once in CI (SIGABRT, "terminate called without an active
    # exception", right after the first DDP step, while a benchmark loaded the 2 cores; 15
    # reruns passed, idle and loaded). Our code cannot cause that (a Python error exits with 1,
    # not -6), so only such a run is retried, once, on a fresh port and work dir.
    for attempt in range(2):
        proc = run_subprocess(['bash', 'tools/dist_train.sh', str(dist), '2'],
                              env=dict(PORT=str(_free_port())), timeout=400, check=False)
        log = proc.stdout + proc.stderr
        if proc.returncode == 0 or attempt or not re.search(r'exitcode\s*:\s*-6\b', log):
            break
        warnings.warn('a rank aborted with SIGABRT (native); retrying the 2-process run once',
                      stacklevel=1)
        shutil.rmtree(dist_dir, ignore_errors=True)
    assert proc.returncode == 0, f'dist_train.sh failed ({proc.returncode}):\n{log[-8000:]}'
    assert 'distributed training on CPU with gloo, rank 0 of 2' in log
    nme_dist = final_nme(dist_dir)
    print(f'{"adversarial" if adversarial else "supervised"}: NME 1 process (batch 4) '
          f'{nme_single:.5f}, 2 processes (2 x 2) {nme_dist:.5f}, '
          f'difference {abs(nme_single - nme_dist):.5f}')
    assert abs(nme_single - nme_dist) < NME_TOLERANCE
    a = load_local_checkpoint(str(single_dir / 'epoch_1.pth'))
    b = load_local_checkpoint(str(dist_dir / 'epoch_1.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == 2  # 8 images / total batch 4
    assert os.environ.get('WORLD_SIZE') is None  # nothing leaked into this process
