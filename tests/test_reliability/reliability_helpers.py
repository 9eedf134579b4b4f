"""Helpers of the reliability tests: tiny synthetic configs and training runs (imported by the
tests as a module; conftest.py only holds fixtures, as several conftest modules exist).
"""
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERVISED = 'configs/laplacekl/laplacekl_rcn-w1-4_1xb32-200e_synthetic-80x80.py'
ADVERSARIAL = 'configs/adversarial/laplacekl-d_rcn-w1-4_1xb32-200e_synthetic-80x80.py'


def tiny_config(path: Path, data: Path, work_dir: Path, adversarial: bool = False,
                max_epochs: int = 2, batch_size: int = 2, validate: bool = True,
                extra: str = '') -> Path:
    """A child of the synthetic LaplaceKL (+D) config: RCN 1/16, batch 2, no workers."""
    base = REPO_ROOT / (ADVERSARIAL if adversarial else SUPERVISED)
    loader = f'batch_size={batch_size}, num_workers=0, persistent_workers=False'
    text = f"""
_base_ = ['{base}']
data_root = '{data}/'
model = dict(backbone=dict(width=1 / 16))
train_dataloader = dict({loader}, dataset=dict(data_root=data_root))
val_dataloader = dict({loader}, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best=None, max_keep_ckpts=-1))
randomness = dict(seed=0, deterministic=True)
work_dir = '{work_dir}'
train_cfg = dict(max_epochs={max_epochs}, val_interval={max_epochs})
"""
    if adversarial:
        text += f"""
model.update(discriminator=dict(base_channels=8))
train_cfg.update(unlabeled_dataloader=dict({loader}, dataset=dict(data_root=data_root)))
"""
    if not validate:
        text += 'val_cfg = None\nval_dataloader = None\nval_evaluator = None\n'
    path.write_text(text + extra)
    return path


def run_training(config: Path, name: str, resume: bool = False,
                 options: Optional[dict] = None) -> Runner:
    """Train ``config`` in this process (one torch thread, as the subprocesses)."""
    cfg = Config.fromfile(str(config))
    cfg.experiment_name = name
    cfg.resume = resume
    if options:
        cfg.merge_from_dict(options)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    return runner


def run_subprocess(args: List[str], extra_pythonpath: Optional[Path] = None,
                   timeout: int = 300, check: bool = True,
                   env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run ``python args...`` from the repository with one thread per process."""
    path = [str(REPO_ROOT)] + ([str(extra_pythonpath)] if extra_pythonpath else [])
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), OMP_NUM_THREADS='1',
                    PATH=f'{os.path.dirname(sys.executable)}{os.pathsep}'
                    f'{os.environ.get("PATH", "")}', **(env or {}))
    proc = subprocess.run(args if args[0] == 'bash' else [sys.executable, *args],
                          cwd=REPO_ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc
