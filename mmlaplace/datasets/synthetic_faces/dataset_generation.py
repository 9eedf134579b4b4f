"""Dataset generation: samples, MMPose 300W-style annotations, splits and the whole dataset.

Sample ``i`` of split ``s`` with seed ``seed`` uses the generator
``numpy.random.default_rng(SeedSequence([seed, crc32(s), i]))`` only (:func:`sample_rng`), so it
is the same whatever the split size or worker count, and different splits use disjoint seed
streams.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from .face_params import sample_face_params, sample_rng
from .landmarks import NUM_KEYPOINTS
from .render import render_face
from .shape_model import DIFFICULTIES

#: Version of the generator; stored in each split's manifest (a change forces regeneration).
GENERATOR_VERSION = 1

#: Splits of :func:`generate_dataset`: name -> (difficulty, labeled).
DATASET_SPLITS = {
    'train': ('normal', True),
    'test': ('normal', True),
    'test_hard': ('hard', True),
    'unlabeled': ('normal', False),
}

#: A chunk of work: (img_dir, split, seed, difficulty, image_size, start, stop, ext, quality).
_Task = Tuple[str, str, int, str, int, int, int, str, int]
SplitPaths = Dict[str, Optional[str]]


def generate_face(index: int, seed: int = 0, split: str = 'train', difficulty: str = 'normal',
                  image_size: int = 256, return_layers: bool = False) -> Tuple[Any, ...]:
    """Generate sample ``index`` of a split deterministically.

    Args:
        index: Sample index.
        seed: Dataset seed.
        split: Split name (selects the seed stream).
        difficulty: ``'normal'`` or ``'hard'``.
        image_size: Output side in pixels.
        return_layers: Append the structure masks of :func:`render_face` to the result.

    Returns:
        ``(image, keypoints)``: (S, S, 3) uint8 RGB and (68, 2) float64 pixel coordinates; with
        ``return_layers`` a third item, the dict of masks.
    """
    params = sample_face_params(sample_rng(seed, split, index), difficulty, image_size)
    if return_layers:
        image, layers = render_face(params, return_layers=True)
        return image, params.keypoints.copy(), layers
    return render_face(params), params.keypoints.copy()


def ann_file_name(split: str) -> str:
    """Annotation file name of a split, relative to the dataset root."""
    return f'annotations/face_landmarks_synthetic_{split}.json'


def _annotation(index: int, kp: np.ndarray) -> Dict[str, Any]:
    """One MMPose 300W (COCO-style) annotation, same keys and order as the real files."""
    lo, hi = kp.min(0), kp.max(0)
    w, h = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    kps: List[float] = []
    for x, y in kp:
        kps += [round(float(x), 3), round(float(y), 3), 2.0]
    return {
        'image_id': index + 1,
        'id': index + 1,
        'keypoints': kps,
        'num_keypoints': NUM_KEYPOINTS,
        'bbox': [round(float(lo[0]), 3), round(float(lo[1]), 3), round(w, 3), round(h, 3)],
        'iscrowd': 0,
        'area': round(w * h, 3),
        'category_id': 1,
        'center': [round(float(lo[0] + hi[0]) / 2, 3), round(float(lo[1] + hi[1]) / 2, 3)],
        'scale': round(max(w, h) / 200.0, 6),
    }


def _chunk_worker(task: _Task) -> List[Tuple]:
    """Render and save samples ``[start, stop)``; return ``(index, keypoints)`` pairs."""
    img_dir, split, seed, difficulty, image_size, start, stop, ext, quality = task
    out = []
    for i in range(start, stop):
        image, kp = generate_face(i, seed, split, difficulty, image_size)
        path = osp.join(img_dir, f'{i:06d}.{ext}')
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == 'jpg' else \
            [cv2.IMWRITE_PNG_COMPRESSION, 1]
        if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params):
            raise OSError(f'could not write {path}')
        out.append((i, np.round(kp, 3)))
    return out


def _worker_init() -> None:
    """Initialize a worker process: single-threaded OpenCV."""
    cv2.setNumThreads(1)


def _split_paths(out_dir: str, split: str, labeled: bool) -> SplitPaths:
    """Paths of a split's images, annotations (None if unlabeled), file list and manifest."""
    return dict(
        data_root=out_dir,
        img_dir=osp.join(out_dir, 'images', split),
        img_prefix='images/',
        ann_file=osp.join(out_dir, ann_file_name(split)) if labeled else None,
        file_list=osp.join(out_dir, 'filelists', f'{split}.txt'),
        manifest=osp.join(out_dir, 'meta', f'{split}.json'))


def _is_complete(out_dir: str, split: str, paths: SplitPaths, meta: Dict[str, Any],
                 names: Sequence[str], labeled: bool) -> bool:
    """Whether a complete split with the same parameters exists (then it is kept).

    Raises:
        FileExistsError: A complete split with different parameters exists.
    """
    manifest = str(paths['manifest'])
    if not osp.isfile(manifest):
        return False
    with open(manifest) as f:
        old = json.load(f)
    complete = all(osp.isfile(osp.join(out_dir, 'images', n)) for n in names) and (
        not labeled or osp.isfile(str(paths['ann_file'])))
    if old.get('params') == meta and complete:
        return True
    if old.get('params') != meta and complete:
        raise FileExistsError(
            f'split {split!r} in {out_dir} was generated with {old.get("params")}, not '
            f'{meta}; pass overwrite=True to regenerate it')
    return False


def _reset_split(out_dir: str, paths: SplitPaths) -> None:
    """Remove a split's manifest and images and create its folders."""
    manifest, img_dir = str(paths['manifest']), str(paths['img_dir'])
    if osp.isfile(manifest):
        os.remove(manifest)
    if osp.isdir(img_dir):
        shutil.rmtree(img_dir)
    os.makedirs(img_dir)
    for sub in ('annotations', 'filelists', 'meta'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)


def _render_tasks(tasks: List[_Task], num_workers: int,
                  mp_start_method: Optional[str]) -> List[Tuple]:
    """Run the chunks (in worker processes if several); ``(index, keypoints)`` by index."""
    results: List[Tuple] = []
    if num_workers > 1 and len(tasks) > 1:
        # spawn, not fork: OpenCV's and OpenMP's thread pools are not fork-safe (a forked
        # worker deadlocks once the parent has used cv2's parallel_for, e.g. cv2.resize)
        method = mp_start_method or 'spawn'
        ctx = mp.get_context(method)
        with ctx.Pool(num_workers, initializer=_worker_init) as pool:
            for part in pool.imap_unordered(_chunk_worker, tasks):
                results.extend(part)
    else:
        for task in tasks:
            results.extend(_chunk_worker(task))
    results.sort(key=lambda r: r[0])
    return results


def _write_annotations(ann_file: str, names: Sequence[str], results: List[Tuple],
                       image_size: int) -> None:
    """Write the MMPose 300W-style annotation JSON of a labeled split."""
    data = {
        'categories': [{'supercategory': 'person', 'id': 1, 'name': 'face', 'keypoints': [],
                        'skeleton': []}],
        'images': [{'id': i + 1, 'file_name': names[i], 'height': int(image_size),
                    'width': int(image_size)} for i, _ in results],
        'annotations': [_annotation(i, kp) for i, kp in results],
    }
    with open(ann_file, 'w') as f:
        json.dump(data, f)


def generate_split(out_dir: str, split: str, num_images: int, seed: int = 0,
                   difficulty: str = 'normal', image_size: int = 256, labeled: bool = True,
                   num_workers: int = 2, overwrite: bool = False, ext: str = 'jpg',
                   jpeg_quality: int = 95,
                   mp_start_method: Optional[str] = None) -> Dict[str, Optional[str]]:
    """Generate one split: ``images/<split>/000000.jpg`` ... and, if labeled, its annotations.

    The annotation file ``annotations/face_landmarks_synthetic_<split>.json`` has exactly the
    structure of the real MMPose 300W files (categories / images / annotations with
    ``keypoints`` [x, y, 2] x 68, ``bbox`` = landmark box, ``center``, ``scale`` =
    max(w, h) / 200), so ``Face300WDataset(ann_file=..., data_root=out_dir,
    data_prefix=dict(img='images/'))`` reads it. ``filelists/<split>.txt`` lists the image
    paths relative to ``images/``; ``meta/<split>.json`` (written last) records the generation
    parameters and marks the split complete.

    Args:
        out_dir: Dataset root.
        split: Split name (also the seed stream, see :func:`sample_rng`).
        num_images: Number of images.
        seed: Dataset seed.
        difficulty: ``'normal'`` or ``'hard'``.
        image_size: Image side in pixels.
        labeled: Write the annotation JSON.
        num_workers: Worker processes (0 or 1: in this process).
        overwrite: Regenerate even if a complete split with the same parameters exists.
        ext: ``'jpg'`` or ``'png'``.
        jpeg_quality: JPEG quality.
        mp_start_method: Multiprocessing start method (default ``'spawn'``: ``'fork'`` can
            deadlock once the parent process has used OpenCV's or OpenMP's thread pools).

    Returns:
        Paths of the split: ``data_root``, ``img_dir``, ``img_prefix``, ``ann_file`` (None when
        unlabeled), ``file_list``, ``manifest``.

    Raises:
        FileExistsError: A complete split with different parameters exists and not overwrite.
    """
    if ext not in ('jpg', 'png'):
        raise ValueError(f'ext must be jpg or png, got {ext!r}')
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}')
    out_dir = osp.abspath(out_dir)
    paths = _split_paths(out_dir, split, labeled)
    meta = dict(generator_version=GENERATOR_VERSION, split=split, num_images=int(num_images),
                seed=int(seed), difficulty=difficulty, image_size=int(image_size),
                labeled=bool(labeled), ext=ext, jpeg_quality=int(jpeg_quality))
    names = [f'{split}/{i:06d}.{ext}' for i in range(num_images)]
    if not overwrite and _is_complete(out_dir, split, paths, meta, names, labeled):
        print_log(f'synthetic faces: split {split!r} already complete in {out_dir}, skipped',
                  logger='current')
        return paths
    _reset_split(out_dir, paths)

    t0 = time.perf_counter()
    chunk = max(1, min(64, -(-num_images // max(1, 4 * max(num_workers, 1)))))
    tasks = [(str(paths['img_dir']), split, int(seed), difficulty, int(image_size), s,
              min(s + chunk, num_images), ext, int(jpeg_quality))
             for s in range(0, num_images, chunk)]
    results = _render_tasks(tasks, num_workers, mp_start_method)
    if labeled:
        _write_annotations(str(paths['ann_file']), names, results, image_size)
    with open(str(paths['file_list']), 'w') as f:
        f.write(''.join(n + '\n' for n in names))
    with open(str(paths['manifest']), 'w') as f:
        json.dump(dict(params=meta, seconds=round(time.perf_counter() - t0, 3)), f, indent=1)
    print_log(f'synthetic faces: wrote {num_images} {difficulty} images of split {split!r} to '
              f'{paths["img_dir"]} in {time.perf_counter() - t0:.1f}s', logger='current')
    return paths


def generate_dataset(out_dir: str, seed: int = 0, num_train: int = 2000, num_test: int = 300,
                     num_test_hard: int = 150, num_unlabeled: int = 1000, image_size: int = 256,
                     num_workers: int = 2,
                     overwrite: bool = False) -> Dict[str, Dict[str, Optional[str]]]:
    """Generate the train / test / test_hard / unlabeled synthetic face splits.

    Each split uses its own seed stream (derived from its name), so the splits are disjoint
    and each sample does not depend on the split sizes. Complete splits generated with the
    same parameters are skipped (idempotent) unless ``overwrite``.

    Args:
        out_dir: Dataset root (e.g. ``data/synthetic_faces``).
        seed: Dataset seed.
        num_train: Labeled training images (normal difficulty).
        num_test: Labeled test images (normal difficulty).
        num_test_hard: Labeled hard test images (stronger pose, occlusion, blur, noise).
        num_unlabeled: Unlabeled images (normal difficulty, images and a file list only).
        image_size: Image side in pixels.
        num_workers: Worker processes.
        overwrite: Regenerate existing splits.

    Returns:
        Split name -> paths (see :func:`generate_split`); splits with 0 images are omitted.
    """
    counts = dict(train=num_train, test=num_test, test_hard=num_test_hard,
                  unlabeled=num_unlabeled)
    out: Dict[str, Dict[str, Optional[str]]] = {}
    for split, (difficulty, labeled) in DATASET_SPLITS.items():
        if counts[split] <= 0:
            continue
        out[split] = generate_split(out_dir, split, counts[split], seed=seed,
                                    difficulty=difficulty, image_size=image_size,
                                    labeled=labeled, num_workers=num_workers,
                                    overwrite=overwrite)
    return out
