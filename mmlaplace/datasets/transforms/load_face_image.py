"""Image loading that names the file on failure and converts grayscale / RGBA / 16-bit images."""
import logging
import os.path as osp
from typing import Optional, Set

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadFaceImage(BaseTransform):
    """Load ``results['img_path']`` as an 8-bit BGR image, with clear errors.

    A drop-in replacement of MMPose's ``LoadImage`` for face crops:

    - a missing file raises :class:`FileNotFoundError` naming the file and the sample
      (``img_id``);
    - an unreadable / corrupt / empty file raises :class:`OSError` naming them;
    - grayscale, gray + alpha, RGBA and 16-bit images are converted to 8-bit BGR (alpha
      dropped) and a warning names the file (once per file).

    Required keys: ``img_path`` (and ``img_id`` for the messages). Added keys: ``img``
    ``(H, W, 3)`` uint8 (float32 with ``to_float32``), ``img_shape``, ``ori_shape``.
    A sample that already holds ``img`` is passed through.

    Args:
        to_float32 (bool): Return a float32 image. Defaults to False.
        backend_args (dict, optional): MMEngine file backend arguments. Defaults to None.
    """

    def __init__(self, to_float32: bool = False, backend_args: Optional[dict] = None) -> None:
        self.to_float32 = to_float32
        self.backend_args = backend_args
        self._warned: Set[str] = set()

    def _where(self, results: dict) -> str:
        return f'{results.get("img_path")} (sample img_id={results.get("img_id", "?")})'

    def _to_bgr8(self, img: np.ndarray, results: dict) -> np.ndarray:
        converted = []
        if img.dtype != np.uint8:
            converted.append(f'{img.dtype} -> uint8')
            scale = 255.0 / 65535.0 if img.dtype == np.uint16 else 255.0 / max(
                float(np.nanmax(img)), 1.0)
            img = np.clip(np.nan_to_num(img.astype(np.float32)) * scale, 0, 255).astype(np.uint8)
        channels = 1 if img.ndim == 2 else img.shape[2]
        if channels != 3:
            names = {1: 'grayscale', 2: 'grayscale + alpha', 4: 'BGRA'}
            if channels not in names:
                raise OSError(f'LoadFaceImage: {self._where(results)} has {channels} channels; '
                              'expected 1, 2, 3 or 4')
            converted.append(f'{names[channels]} -> BGR')
            if channels == 2:
                img = img[..., 0]
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR if img.ndim == 2 else cv2.COLOR_BGRA2BGR)
        path = str(results.get('img_path'))
        if converted and path not in self._warned:
            self._warned.add(path)
            print_log(f'LoadFaceImage: converted {self._where(results)}: {", ".join(converted)}',
                      logger='current', level=logging.WARNING)
        return img

    def transform(self, results: dict) -> dict:
        """Load the image (see the class docstring)."""
        if results.get('img') is None:
            path = results.get('img_path')
            if path is None:
                raise KeyError('LoadFaceImage: the sample has neither "img" nor "img_path"')
            if self.backend_args is None and not osp.isfile(path):
                raise FileNotFoundError(f'LoadFaceImage: image {self._where(results)} not found; '
                                        'check data_root / data_prefix.img and the annotation '
                                        'file')
            try:
                img_bytes = fileio.get(path, backend_args=self.backend_args)
                img = mmcv.imfrombytes(img_bytes, flag='unchanged', backend='cv2')
            except Exception as err:  # noqa: BLE001 (re-raised naming the file)
                raise OSError(f'LoadFaceImage: cannot read image {self._where(results)}: '
                              f'{err}') from err
            if img is None or img.size == 0:
                raise OSError(f'LoadFaceImage: cannot decode image {self._where(results)}: the '
                              'file is empty, truncated or not an image')
            img = self._to_bgr8(img, results)
        else:
            img = results['img']
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(to_float32={self.to_float32})'
