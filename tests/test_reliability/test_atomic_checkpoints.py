"""Checkpoints are written atomically: never a half-written file under the final name."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.fileio import get_file_backend

from mmlaplace.engine.hooks import AtomicCheckpointHook
from mmlaplace.utils.atomic_io import AtomicLocalBackend, atomic_write
from mmlaplace.utils.checkpoint import load_local_checkpoint

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

ATOMIC_IO = Path(__file__).resolve().parents[2] / 'mmlaplace' / 'utils' / 'atomic_io.py'

# Writes a new 16 MB "checkpoint" over an old one and SIGKILLs itself in the middle: after
# half of the bytes (``half``) or after all bytes and the fsync but before the rename
# (``before_replace``). ``atomic_io.py`` is loaded by path so that no mmpose import is needed.
WRITER = '''
import importlib.util, io, os, signal, sys, torch
spec = importlib.util.spec_from_file_location('atomic_io', sys.argv[1])
atomic_io = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic_io)
path, mode, kill_point = sys.argv[2:5]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


class HalfThenDie:
    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[:len(data) // 2])
        self.f.flush()
        die()

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.f.close()


buf = io.BytesIO()
torch.save({'step': 1, 'w': torch.ones(4_000_000)}, buf)
if kill_point == 'half':
    fdopen = os.fdopen
    os.fdopen = lambda fd, *a: HalfThenDie(fdopen(fd, *a))
else:
    atomic_io.os.replace = lambda *a: die()
if mode == 'atomic':
    atomic_io.atomic_write(buf.getvalue(), path)
else:  # what MMEngine's LocalBackend.put does
    with open(path, 'wb') as f:
        (HalfThenDie(f) if kill_point == 'half' else f).write(buf.getvalue())
    die()
'''


def test_atomic_write_replaces_whole_files_and_cleans_up_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'sub' / 'ckpt.pth'
    atomic_write(b'old', path)
    assert path.read_bytes() == b'old'

    def broken_fsync(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    with pytest.raises(OSError, match='disk full'):
        atomic_write(b'new and longer', path)
    assert path.read_bytes() == b'old'  # the previous file is intact
    assert sorted(p.name for p in path.parent.iterdir()) == ['ckpt.pth']  # no temp file left


def test_checkpoint_hook_uses_the_atomic_backend():
    backend = get_file_backend(backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    hook = AtomicCheckpointHook(interval=1)
    assert hook.backend_args == dict(backend='atomic_local')
    assert AtomicCheckpointHook(interval=1, backend_args=dict(backend='local')).backend_args == \
        dict(backend='local')


@pytest.mark.parametrize('mode,kill_point', [('atomic', 'half'), ('atomic', 'before_replace'),
                                             ('plain', 'half')])
def test_sigkill_during_a_checkpoint_write(tmp_path, mode, kill_point):
    """A process killed while writing leaves the old complete checkpoint under the final name
    with atomic writes; a plain ``open(..., 'wb')`` write (MMEngine's LocalBackend) leaves a
    truncated file, which the loader reports naming the file."""
    path = tmp_path / 'latest.pth'
    torch.save({'step': 0, 'w': torch.zeros(4_000_000)}, path)
    script = tmp_path / 'writer.py'
    script.write_text(WRITER)
    proc = subprocess.run([sys.executable, str(script), str(ATOMIC_IO), str(path), mode,
                           kill_point], env=dict(os.environ, OMP_NUM_THREADS='1'),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    if mode == 'atomic':
        state = load_local_checkpoint(str(path))
        assert state['step'] == 0 and torch.equal(state['w'], torch.zeros(4_000_000))
        # only a hidden temporary file may be left; AtomicCheckpointHook removes it later
        assert [p.name for p in tmp_path.iterdir() if p.name not in ('latest.pth', 'writer.py')
                ] == [p.name for p in tmp_path.glob('.latest.pth.*.tmp')]
    else:
        with pytest.raises(RuntimeError, match=f'cannot read checkpoint {path}'):
            load_local_checkpoint(str(path))
