"""Read face boxes from a file: JSON or text lines ``file x y w h``.

Boxes are in MMPose's top-down convention: what the config's test pipeline receives as
``bbox`` (for the 300W configs: the box around the face's landmarks), in image pixels, given
as ``x y w h`` (top-left corner, width, height). One image may have several lines / boxes.

Formats:

- text: one face per line, ``file x y w h``; blank lines and lines starting with ``#`` are
  skipped; the file name may contain spaces.
- JSON: ``{"file": [[x, y, w, h], ...], ...}`` or ``[{"file": ..., "bbox": [x, y, w, h]}, ...]``.

Keys are matched against an input's path relative to the input folder, then its base name.
For a video, ``name.mp4#12`` gives the boxes of frame 12, ``name.mp4`` those of every frame.
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from .face_detection import boxes_xywh_to_xyxy


def _check_box(box: Sequence, where: str) -> List[float]:
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        raise ValueError(f'{where}: a box must be 4 numbers x y w h, got {box!r}') from None
    if len(values) != 4:
        raise ValueError(f'{where}: a box must be 4 numbers x y w h, got {box!r}')
    if values[2] <= 0 or values[3] <= 0:
        raise ValueError(f'{where}: box width and height must be positive, got {box!r}')
    return values


def load_box_file(path: str) -> Dict[str, np.ndarray]:
    """Load a box file.

    Args:
        path (str): A ``.json`` file or a text file (any other extension).

    Returns:
        dict[str, np.ndarray]: File key -> boxes (N, 4) ``x1, y1, x2, y2`` float32.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A malformed entry; the message names the file and the line / key.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'box file {path} not found')
    boxes: Dict[str, List[List[float]]] = defaultdict(list)
    if path.lower().endswith('.json'):
        with open(path, encoding='utf-8') as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'box file {path}: not valid JSON ({e})') from None
        if isinstance(data, dict):
            for key, items in data.items():
                if not isinstance(items, list):
                    raise ValueError(f'box file {path}: "{key}" must map to a list of boxes')
                if items and not isinstance(items[0], (list, tuple)):
                    items = [items]  # a single box
                boxes[key] += [_check_box(b, f'box file {path}, "{key}"') for b in items]
        elif isinstance(data, list):
            for i, item in enumerate(data):
                if not isinstance(item, dict) or 'file' not in item or 'bbox' not in item:
                    raise ValueError(f'box file {path}: entry {i} must be an object with '
                                     '"file" and "bbox" (x, y, w, h)')
                boxes[item['file']].append(_check_box(item['bbox'],
                                                      f'box file {path}, entry {i}'))
        else:
            raise ValueError(f'box file {path}: expected a JSON object or list, got '
                             f'{type(data).__name__}')
    else:
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                parts = line.rsplit(maxsplit=4)
                if len(parts) != 5:
                    raise ValueError(f'box file {path}, line {lineno}: expected "file x y w h", '
                                     f'got {line!r}')
                boxes[parts[0]].append(_check_box(parts[1:], f'box file {path}, line {lineno}'))
    return {key: boxes_xywh_to_xyxy(value) for key, value in boxes.items()}


def lookup_boxes(boxes: Dict[str, np.ndarray], relpath: str,
                 frame: Optional[int] = None) -> np.ndarray:
    """Boxes of one input (or one video frame); (0, 4) when the file lists none.

    Args:
        boxes (dict[str, np.ndarray]): From :func:`load_box_file`.
        relpath (str): The input's path relative to the input folder.
        frame (int, optional): Video frame index.
    """
    names = [relpath, osp.basename(relpath)]
    keys = ([f'{n}#{frame}' for n in names] if frame is not None else []) + names
    for key in keys:
        if key in boxes:
            return boxes[key]
    return np.zeros((0, 4), np.float32)
