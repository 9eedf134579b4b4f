"""Mixed precision on CPU-only machines: bf16 autocast in an MMEngine optimizer wrapper."""
from contextlib import contextmanager
from typing import Iterator, Union

import torch
from mmengine.optim import OptimWrapper
from mmpose.registry import OPTIM_WRAPPERS
from torch import nn


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose ``optim_context`` runs the forward under CPU autocast.

    MMEngine's ``AmpOptimWrapper`` refuses to be built without a GPU / NPU / MLU / MUSA device,
    so ``tools/train.py --amp`` uses this wrapper on CPU-only machines. bfloat16 has float32's
    exponent range, so no loss scaling is needed; the mmlaplace losses compute in float32
    regardless of autocast.

    Args:
        dtype (str | torch.dtype): Autocast dtype, ``'bfloat16'`` (default) or ``'float16'``.
        **kwargs: :class:`OptimWrapper` arguments (``optimizer``, ``clip_grad``, ...).

    Example:
        >>> model = nn.Linear(2, 1)
        >>> wrapper = CPUAutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), 0.1))
        >>> with wrapper.optim_context(model):
        ...     y = model(torch.ones(1, 2))
        >>> y.dtype
        torch.bfloat16
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if dtype not in ('bfloat16', 'float16'):
                raise ValueError(f'CPUAutocastOptimWrapper: dtype must be "bfloat16" or '
                                 f'"float16", got {dtype!r} (optim_wrapper.dtype)')
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """MMEngine's context (gradient accumulation) plus ``torch.autocast('cpu')``."""
        with super().optim_context(model), torch.autocast(device_type='cpu',
                                                          dtype=self.cast_dtype):
            yield
