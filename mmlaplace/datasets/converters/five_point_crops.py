"""Unlabeled face folders: the paper's square crops from 5-point landmarks.

Input: a folder of face images and a 5-point landmark file (eyes, nose, mouth corners), e.g.
MTCNN's output or CelebA's ``list_landmarks_align_celeba.txt`` / ``list_landmarks_celeba.txt``::

    202599                                                   <- optional: number of faces
    lefteye_x lefteye_y righteye_x ... rightmouth_x rightmouth_y   <- optional: a header
    000001.jpg 69 109 106 113 77 142 73 152 108 154
    sub/b.png 12.5 30 40 31 25 45 15 55 38 56           # comments and blank lines ignored

Output: one crop per line, saved under ``out_dir`` with the same relative path: the paper's
face region (:func:`~mmlaplace.datasets.unlabeled_face_dataset.five_point_crop`: the smallest
rectangle around the 5 points, squared to side ``2 * max(h, w)``, same centre) on the pixel
grid, zero-padded where it leaves the image, resized to ``size x size``; plus
``five_point_crops.txt`` (``file cx cy side``, the crop in source pixels). The folder is then
an :class:`~mmlaplace.datasets.UnlabeledFaceDataset` without ``ann_file`` (whole images).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.logging import MMLogger

from ..unlabeled_face_dataset import five_point_crop

MANIFEST = 'five_point_crops.txt'


def read_five_point_file(path: str) -> List[Tuple[str, np.ndarray, int]]:
    """Parse a 5-point landmark file (see the module docstring).

    Returns:
        list: ``(relative image path, (5, 2) points, line number)`` in file order.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A malformed line (names file and line), a repeated image, no face, or a
            face count line that disagrees with the faces listed.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'landmark file {path} not found')
    entries: List[Tuple[str, np.ndarray, int]] = []
    declared: Optional[Tuple[int, int]] = None
    seen: Dict[str, int] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            where = f'{path}, line {lineno}'
            tokens = line.split()
            if not entries and declared is None and len(tokens) == 1 and tokens[0].isdigit():
                declared = (int(tokens[0]), lineno)  # CelebA: number of faces
                continue
            if not entries and len(tokens) == 10 and not _is_number(tokens[0]):
                continue  # CelebA: column names
            if len(tokens) != 11:
                raise ValueError(f'{where}: expected "file x1 y1 ... x5 y5" (11 fields), got '
                                 f'{len(tokens)}: {line!r}')
            try:
                values = np.array([float(t) for t in tokens[1:]], dtype=np.float64)
            except ValueError:
                raise ValueError(f'{where}: non-numeric coordinate in {line!r}') from None
            if not np.isfinite(values).all():
                raise ValueError(f'{where}: non-finite coordinate in {line!r}')
            points = values.reshape(5, 2)
            if five_point_crop(points)[1] <= 0:
                raise ValueError(f'{where}: the 5 points coincide: {line!r}')
            if tokens[0] in seen:
                raise ValueError(f'{where}: image {tokens[0]} already listed on line '
                                 f'{seen[tokens[0]]}')
            seen[tokens[0]] = lineno
            entries.append((tokens[0], points, lineno))
    if not entries:
        raise ValueError(f'landmark file {path} lists no face')
    if declared is not None and declared[0] != len(entries):
        raise ValueError(f'{path}, line {declared[1]}: says {declared[0]} faces but the file '
                         f'lists {len(entries)}')
    return entries


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def crop_square(image: np.ndarray, centre: np.ndarray, side: float, size: int) -> np.ndarray:
    """Crop the square of ``side`` about ``centre`` (zero-padded) and resize it.

    The square is snapped to the pixel grid: ``round(side)`` pixels starting at
    ``round(centre - side / 2)``. Downscaling uses area averaging, upscaling bilinear.

    Args:
        image (np.ndarray): (H, W) or (H, W, C) image.
        centre (np.ndarray): (2,) ``(x, y)`` pixels.
        side (float): Side in pixels (> 0).
        size (int): Output side.

    Returns:
        np.ndarray: (size, size[, C]) image of ``image``'s dtype.
    """
    n = max(1, int(round(side)))
    x0 = int(round(float(centre[0]) - side / 2))
    y0 = int(round(float(centre[1]) - side / 2))
    h, w = image.shape[:2]
    out = np.zeros((n, n) + image.shape[2:], dtype=image.dtype)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + n, w), min(y0 + n, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    interp = cv2.INTER_AREA if n > size else cv2.INTER_LINEAR
    return cv2.resize(out, (size, size), interpolation=interp)


def prepare_unlabeled_faces(image_dir: str,
                            landmark_file: str,
                            out_dir: str,
                            size: int = 128,
                            ext: Optional[str] = None,
                            jpeg_quality: int = 95,
                            limit: Optional[int] = None) -> Dict:
    """Write the paper's square 5-point crops of a folder of faces.

    Args:
        image_dir (str): Folder the landmark file's paths are relative to.
        landmark_file (str): 5-point landmark file (see the module docstring).
        out_dir (str): Output folder (created); crops keep their relative paths.
        size (int): Side of the saved crops in pixels. Defaults to 128.
        ext (str, optional): Output extension (e.g. ``'.png'``); None keeps the source's.
        jpeg_quality (int): JPEG quality of ``.jpg`` outputs. Defaults to 95.
        limit (int, optional): Only the first ``limit`` faces of the file.

    Returns:
        dict: ``num_faces``, ``out_dir``, ``manifest`` (path of ``five_point_crops.txt``) and
        ``padded`` (crops that reach outside their image).

    Raises:
        FileNotFoundError: The image folder, the landmark file or a listed image is missing
            (names the landmark file and line).
        ValueError: A malformed landmark file, ``size`` < 1 or a bad ``ext``.
        OSError: An image cannot be decoded or a crop cannot be written.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f'size must be a positive int, got {size!r}')
    if ext is not None and ext.lower() not in ('.jpg', '.jpeg', '.png', '.bmp', '.webp'):
        raise ValueError(f'ext must be one of .jpg .jpeg .png .bmp .webp, got {ext!r}')
    if not osp.isdir(image_dir):
        raise FileNotFoundError(f'image folder {image_dir} does not exist')
    entries = read_five_point_file(landmark_file)
    if limit is not None:
        entries = entries[:limit]
    for rel, _, lineno in entries:  # check every image before writing anything
        if osp.isabs(rel) or '..' in rel.replace('\\', '/').split('/'):
            raise ValueError(f'{landmark_file}, line {lineno}: image paths must be relative to '
                             f'the image folder and stay inside it, got {rel}')
        if not osp.isfile(osp.join(image_dir, rel)):
            raise FileNotFoundError(f'{landmark_file}, line {lineno}: image '
                                    f'{osp.join(image_dir, rel)} not found')
    os.makedirs(out_dir, exist_ok=True)
    logger = MMLogger.get_current_instance()
    params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    manifest = osp.join(out_dir, MANIFEST)
    padded = 0
    with open(manifest, 'w', encoding='utf-8') as f:
        f.write('# file cx cy side: the square crop in source-image pixels (five_point_crop)\n')
        for i, (rel, points, lineno) in enumerate(entries):
            src = osp.join(image_dir, rel)
            image = cv2.imread(src, cv2.IMREAD_COLOR)
            if image is None:
                raise OSError(f'{landmark_file}, line {lineno}: cannot decode image {src}')
            centre, side = five_point_crop(points)
            lo = centre - side / 2
            h, w = image.shape[:2]
            padded += int(lo.min() < 0 or lo[0] + side > w or lo[1] + side > h)
            name = rel if ext is None else osp.splitext(rel)[0] + ext
            dst = osp.join(out_dir, name)
            os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
            if not cv2.imwrite(dst, crop_square(image, centre, side, size), params):
                raise OSError(f'cannot write {dst}')
            f.write(f'{name} {centre[0]:.3f} {centre[1]:.3f} {side:.3f}\n')
            if (i + 1) % 1000 == 0:
                logger.info(f'prepare_unlabeled_faces: {i + 1}/{len(entries)} crops')
    logger.info(f'prepare_unlabeled_faces: {len(entries)} crops of {size} x {size} in '
                f'{out_dir} ({padded} zero-padded)')
    return dict(num_faces=len(entries), out_dir=out_dir, manifest=manifest, padded=padded)
