"""Atomic file writes and the ``atomic_local`` MMEngine file backend for checkpoints.

A plain ``open(path, 'wb').write(data)`` leaves a truncated file under the final name when the
process dies mid-write (SIGKILL, out of memory, a full disk): the next ``--resume`` then fails
on exactly the checkpoint it needs. :func:`atomic_write` writes to a temporary file in the same
folder, flushes and ``fsync``-s it, then ``os.replace``-s it onto the final name (atomic on
POSIX and Windows within one file system) and ``fsync``-s the folder, so the final name always
holds either the previous complete file or the new complete file.

:class:`AtomicLocalBackend` is MMEngine's :class:`~mmengine.fileio.LocalBackend` with atomic
``put`` / ``put_text``; it is registered as ``'atomic_local'`` so that any MMEngine writer that
takes ``backend_args`` uses it, e.g. ``CheckpointHook(backend_args=dict(backend='atomic_local'))``
(MMEngine's ``Runner.save_checkpoint`` -> ``save_checkpoint`` -> ``backend.put``).
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['atomic_write', 'AtomicLocalBackend']


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(data: Union[bytes, str], filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``filepath`` atomically (temp file + fsync + ``os.replace``).

    Args:
        data (bytes | str): The content; ``str`` is encoded with ``encoding``.
        filepath (str | Path): The final path; missing parent folders are created.
        encoding (str): Encoding of ``str`` data. Defaults to ``'utf-8'``.

    Raises:
        OSError: when writing fails; the final path is then left as it was and the
            temporary file is removed.

    Example:
        >>> import tempfile, os.path as osp
        >>> path = osp.join(tempfile.mkdtemp(), 'a.txt')
        >>> atomic_write('hello', path)
        >>> open(path).read()
        'hello'
    """
    filepath = osp.abspath(os.fspath(filepath))
    folder = osp.dirname(filepath)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic (see :func:`atomic_write`).

    Example:
        >>> from mmengine.fileio import get_file_backend
        >>> backend = get_file_backend(backend_args=dict(backend='atomic_local'))
        >>> type(backend).__name__
        'AtomicLocalBackend'
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically."""
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write(obj, filepath, encoding=encoding)


register_backend('atomic_local', AtomicLocalBackend, force=True)
