"""Fixtures of the API tests: a tiny RCN (1/16 width) 300W model with a saved checkpoint."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint
from mmpose.apis import init_model

import mmlaplace  # noqa: F401

TINY_CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py'


def make_tiny_checkpoint(config: str, path: Path, seed: int = 0) -> Path:
    """Random RCN weights whose heatmaps depend on the image (last conv re-initialized)."""
    torch.manual_seed(seed)
    model = init_model(config, None, device='cpu')
    last = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    torch.nn.init.normal_(last.weight, std=0.3)
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=model.dataset_meta)), str(path))
    return path


@pytest.fixture(scope='session')
def tiny_config(repo_root: Path) -> str:
    return str(repo_root / TINY_CONFIG)


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_config: str, tmp_path_factory) -> str:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return str(make_tiny_checkpoint(tiny_config,
                                        tmp_path_factory.mktemp('tiny') / 'rcn_w1-16.pth'))
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def face_image() -> np.ndarray:
    """A 120 x 100 BGR test pattern (smooth blobs, so crops of it differ by region)."""
    y, x = np.mgrid[0:120, 0:100].astype(np.float32)
    channels = [np.sin(x / 7.0 + c) * np.cos(y / 11.0 - c) for c in range(3)]
    return ((np.stack(channels, -1) + 1) * 127.5).astype(np.uint8)
