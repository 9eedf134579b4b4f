"""Shared fixtures: repository paths, the shared real-face samples, running the tools."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared next to the repository (or MMLAPLACE_SHARED): real samples, never copied in the repo
SHARED = Path(os.environ.get('MMLAPLACE_SHARED', REPO_ROOT.parent / 'shared'))

torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope='session')
def face_samples_300w() -> Path:
    """MMPose's own 300W test samples (two images and their real annotation file)."""
    path = SHARED / 'data' / 'mmpose_face_samples' / '300w'
    if not (path / 'test_300w.json').is_file():
        pytest.skip(f'shared data not found at {path} (set MMLAPLACE_SHARED to the shared/ '
                    'folder that holds data/mmpose_face_samples)')
    return path


def run_tool(script: str, args: List[str], cwd: Path = REPO_ROOT,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``tools/<script>`` with this interpreter; fail with its output on error."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable, osp.join(REPO_ROOT, 'tools', script), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'tools/{script} {" ".join(args)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def load_tool_module(script: str):
    """Import ``tools/<script>`` as a module (its ``main(argv)`` then runs in-process, which
    saves the ~15-30 s a subprocess spends importing torch and MMPose)."""
    path = REPO_ROOT / 'tools' / script
    spec = importlib.util.spec_from_file_location(f'_tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def load_tool():
    """``load_tool(script)`` imports ``tools/<script>`` as a module."""
    return load_tool_module


@pytest.fixture(scope='session')
def tool():
    """``tool(script, args)`` runs ``tools/<script>`` and returns the finished process."""
    return run_tool


@pytest.fixture
def one_thread():
    """Tiny tensors: one thread is much faster than two competing ones on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
