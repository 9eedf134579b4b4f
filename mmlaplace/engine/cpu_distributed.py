"""Distributed training on CPU-only machines (gloo), for ``tools/train.py --launcher``."""
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log


def setup_cpu_distributed(cfg: Config, launcher: str) -> Config:
    """Prepare a CPU-only distributed run: gloo process group, DDP without ``device_ids``.

    MMEngine's ``init_dist`` always calls ``torch.cuda.set_device``, which fails without a GPU
    driver, and its DDP wrappers pass ``device_ids=[LOCAL_RANK]``, which torch refuses for CPU
    modules. Without CUDA, this initializes the default process group itself with the gloo
    backend from torchrun's environment (MMEngine then skips ``init_dist``) and sets
    ``model_wrapper_cfg.device_ids=None`` unless the config sets it. With CUDA it does nothing.

    Args:
        cfg (Config): The config, modified in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        Config: The same config.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return cfg
    if launcher != 'pytorch':
        raise ValueError(f'CPU-only distributed training supports --launcher pytorch (torchrun, '
                         f'tools/dist_train.sh), got --launcher {launcher}')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.env_cfg = cfg.get('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg', None) or dict(type='MMDistributedDataParallel')
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    print_log(f'no CUDA: distributed training on CPU with gloo, rank {dist.get_rank()} of '
              f'{dist.get_world_size()}', logger='current')
    return cfg
