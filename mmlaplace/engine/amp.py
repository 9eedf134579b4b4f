"""Turning on automatic mixed precision in a config, for ``tools/train.py --amp``."""
from mmengine.config import Config
from mmengine.logging import print_log


def has_accelerator() -> bool:
    """Whether MMEngine's ``AmpOptimWrapper`` can be built here (GPU / NPU / MLU / MUSA)."""
    from mmengine.device import (
        is_cuda_available,
        is_mlu_available,
        is_musa_available,
        is_npu_available,
    )
    return is_cuda_available() or is_npu_available() or is_mlu_available() or \
        is_musa_available()


def enable_amp(cfg: Config) -> Config:
    """Switch every optimizer wrapper of ``cfg`` to mixed precision.

    With an accelerator: MMEngine's ``AmpOptimWrapper`` (autocast + dynamic loss scaling). On
    CPU-only machines, where ``AmpOptimWrapper`` refuses to be built:
    :class:`CPUAutocastOptimWrapper` (bfloat16 autocast, no loss scaling needed).

    Handles a single wrapper (``optim_wrapper.type``) and the per-network wrappers of
    multi-optimizer configs (``optim_wrapper.generator``, ``optim_wrapper.discriminator``,
    ...). On the CPU, MMEngine autocasts to bfloat16; the mmlaplace losses compute in float32
    regardless.

    Args:
        cfg (Config): the config to modify in place.

    Returns:
        Config: the same config.
    """
    optim = cfg.optim_wrapper
    if 'type' in optim or 'optimizer' in optim:
        wrappers = {'optim_wrapper': optim}
    else:
        wrappers = {f'optim_wrapper.{k}': v for k, v in optim.items()
                    if isinstance(v, dict) and 'optimizer' in v}
    accelerated = has_accelerator()
    for key, wrapper in wrappers.items():
        if wrapper.get('type', 'OptimWrapper') in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
            print_log(f'AMP is already enabled in {key}', logger='current')
            continue
        if accelerated:
            wrapper['type'] = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
        else:
            wrapper['type'] = 'CPUAutocastOptimWrapper'
            wrapper.setdefault('dtype', 'bfloat16')
            print_log(f'{key}: no GPU, --amp autocasts to bfloat16 on the CPU '
                      '(CPUAutocastOptimWrapper)', logger='current')
    return cfg
