"""Loading MMEngine checkpoints with ``torch.load(weights_only=True)``.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``: it only rebuilds tensors,
containers and primitive types, and refuses any other pickled global. MMEngine 0.10.x calls
``torch.load`` without the argument, and its checkpoints hold a few more objects than tensors:
the message hub's :class:`~mmengine.logging.HistoryBuffer` objects (whose state refers to its
statistics methods as ``getattr(HistoryBuffer, 'mean')``), and numpy arrays, dtypes and
scalars (in the logged scalars and in ``meta['dataset_meta']``). ``load_from``, ``--resume``
and ``mmpose.apis.init_model`` would fail with ``UnpicklingError: ... Unsupported global``.

What is trusted, and where: :func:`register_checkpoint_loader` replaces MMEngine's loader for
local files (MMEngine's public ``CheckpointLoader.register_scheme`` extension point) with
:func:`load_local_checkpoint`, which keeps the weights-only unpickler on and allow-lists,
only for the duration of that one call, exactly :data:`MMENGINE_CHECKPOINT_GLOBALS`:
``HistoryBuffer``, ``getattr`` (MMEngine pickles the buffer's statistics methods through it),
``numpy.ndarray`` with its reconstructor, numpy dtypes and scalars, and ``bytes`` /
``_codecs.encode`` (how numpy arrays pickle their raw data). The weights-only unpickler
only *calls* allow-listed functions, so a checkpoint cannot run arbitrary code through this
path, and any other global is still refused. Nothing is allow-listed process-wide: a plain
``torch.load`` elsewhere keeps torch's defaults. We never pass ``weights_only=False`` and never
set ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``.

A truncated or corrupt file raises a :class:`RuntimeError` naming it.
"""
import os.path as osp
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader


def _numpy_globals() -> List[object]:
    """The numpy objects that pickled arrays, dtypes and scalars reference."""
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    objs: List[object] = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        objs += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return objs


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor globals an MMEngine checkpoint may reference (see the module doc)."""
    import _codecs

    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, getattr, bytes, _codecs.encode, *_numpy_globals()]


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, torch.device]] = None) -> dict:
    """Load a local MMEngine checkpoint with the weights-only unpickler.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device, optional): As in :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: when the file does not exist.
        RuntimeError: when the file is truncated, corrupt or not a checkpoint.

    Example:
        >>> import tempfile, torch
        >>> path = tempfile.mktemp(suffix='.pth')
        >>> torch.save({'state_dict': {'w': torch.ones(1)}}, path)
        >>> load_local_checkpoint(path)['state_dict']['w']
        tensor([1.])
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError) as err:
        raise RuntimeError(f'cannot read checkpoint {filename} ({osp.getsize(filename)} bytes): '
                           f'it is truncated, corrupt or not a PyTorch checkpoint ({err})'
                           ) from err


def register_checkpoint_loader() -> None:
    """Make MMEngine load local checkpoints through :func:`load_local_checkpoint`.

    Idempotent. Remote schemes (``http://``, ``s3://`` ...) keep MMEngine's loaders.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
