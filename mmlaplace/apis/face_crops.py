"""Model-input face crops (B, 3, H, W) from a config's dataset or a folder of face images.

Both go through the config's *test* pipeline (``LoadImage``, ``GetBBoxCenterScale``,
``TopdownAffine``, ``PackPoseInputs``), so the crops are exactly what the PyTorch model
sees at test time: BGR uint8, before the data preprocessor's normalization. Used to
calibrate int8 quantization and to evaluate exported models.
"""
import copy
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.dataset import BaseDataset, Compose
from mmengine.registry import init_default_scope

from .face_detection import whole_image_box

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def build_crop_dataset(cfg: Config, split: str = 'test', data_root: Optional[str] = None,
                       ann_file: Optional[str] = None) -> BaseDataset:
    """The ``train`` or ``test`` dataset of a config, in test mode with the test pipeline.

    Args:
        cfg (Config): Model config.
        split (str): ``'train'`` or ``'test'``: whose dataset (annotation file) to read.
        data_root (str, optional): Overrides ``<split>_dataloader.dataset.data_root``.
        ann_file (str, optional): Overrides ``<split>_dataloader.dataset.ann_file``.
    """
    from mmpose.registry import DATASETS

    import mmlaplace  # noqa: F401  (registers datasets and transforms)
    if split not in ('train', 'test'):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    key = f'{split}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise KeyError(f'the config has no {key}.dataset')
    dataset_cfg = copy.deepcopy(cfg[key]['dataset'])
    dataset_cfg.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    dataset_cfg.test_mode = True
    if data_root is not None:
        dataset_cfg.data_root = data_root
    if ann_file is not None:
        dataset_cfg.ann_file = ann_file
    root = dataset_cfg.get('data_root', '')
    ann = osp.join(root, dataset_cfg.get('ann_file', ''))
    if not osp.isfile(ann):
        raise FileNotFoundError(f'annotation file {ann} not found (config key {key}.dataset.'
                                'data_root / ann_file; override them with data_root=, '
                                'ann_file=)')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    return DATASETS.build(dataset_cfg)


def iter_crop_batches(dataset: BaseDataset, indices: Optional[Sequence[int]] = None,
                      batch_size: int = 32) -> Iterator[Tuple[np.ndarray, list]]:
    """Yield ``(crops (B, 3, H, W) uint8 BGR, data samples)`` batches of a dataset."""
    indices = range(len(dataset)) if indices is None else indices
    indices = list(indices)
    for start in range(0, len(indices), batch_size):
        items = [dataset[i] for i in indices[start:start + batch_size]]
        crops = np.stack([item['inputs'].numpy() for item in items])
        yield crops, [item['data_samples'] for item in items]


def folder_crops(cfg: Config, folder: str, num: Optional[int] = None,
                 crop_scale: float = 2.0) -> np.ndarray:
    """Crops (N, 3, H, W) uint8 BGR of face images in a folder (each image = one face).

    Each image is taken as a face crop ``crop_scale`` x its landmark box (as
    ``tools/infer.py --whole-image``), e.g. the 300W subset's crops with 2.0.

    Args:
        cfg (Config): Model config (its test pipeline and dataset metainfo).
        folder (str): Folder searched recursively for images.
        num (int, optional): Use the first ``num`` images (sorted by path).
        crop_scale (float): Image side over landmark-box side. Defaults to 2.0.
    """
    import mmlaplace  # noqa: F401
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder {folder} not found')
    files = sorted(osp.join(d, f) for d, _, names in os.walk(folder) for f in names
                   if f.lower().endswith(IMAGE_EXTS))[:num]
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_EXTS)}) under {folder}')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    crops: List[np.ndarray] = []
    for path in files:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f'cannot read image {path}')
        data = pipeline(dict(img=image, img_path=path,
                             bbox=whole_image_box(*image.shape[:2], crop_scale),
                             bbox_score=np.ones(1, np.float32)))
        crops.append(data['inputs'].numpy())
    return np.stack(crops)
