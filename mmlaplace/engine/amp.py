"""Turning on automatic mixed precision in a config, for ``tools/train.py --amp``."""
from mmengine.config import Config
from mmengine.logging import print_log


def enable_amp(cfg: Config) -> Config:
    """Switch every optimizer wrapper of ``cfg`` to MMEngine's ``AmpOptimWrapper``.

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
    for key, wrapper in wrappers.items():
        if wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log(f'AMP is already enabled in {key}', logger='current')
            continue
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')
    return cfg
