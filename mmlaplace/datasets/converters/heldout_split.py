"""A seeded, component-stratified held-out split of a COCO-style face annotation file.

Settings of a recipe (schedule, augmentation, epochs) are chosen on faces of the training set
that the model does not train on, never on the test set. This module cuts such a slice.
"""
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

from mmlaplace.utils.atomic_io import atomic_write


def _component(file_name: str) -> str:
    """The source component of a face, e.g. ``'helen/trainset'`` or ``'afw'``."""
    parts = file_name.replace('\\', '/').split('/')
    return '/'.join(parts[:-1]) or '.'


def load_annotation_file(ann_file: str) -> dict:
    """The JSON of a COCO-style annotation file; errors name the file."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    with open(ann_file) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{ann_file} is not valid JSON: {err}') from err


def split_heldout(data: dict, num_heldout: int, seed: int = 0) -> Tuple[dict, dict]:
    """Split a COCO-style annotation dict into a fit part and a held-out part.

    Faces are drawn per source component (the folder of ``file_name``) in proportion to its
    size, so the held-out slice has the training set's mix of AFW / HELEN / LFPW faces. All
    faces of one image go to the same side.

    Args:
        data (dict): ``images``, ``annotations`` (and optionally ``categories``).
        num_heldout (int): number of images in the held-out part, ``0 < n < len(images)``.
        seed (int): seed of the draw.

    Returns:
        tuple[dict, dict]: ``(fit, heldout)`` annotation dicts with the input's other keys.

    Example:
        >>> data = dict(categories=[], images=[dict(id=i, file_name=f'a/{i}.jpg')
        ...     for i in range(10)], annotations=[dict(id=i, image_id=i) for i in range(10)])
        >>> fit, held = split_heldout(data, 3)
        >>> len(fit['images']), len(held['images'])
        (7, 3)
    """
    for key in ('images', 'annotations'):
        if key not in data:
            raise KeyError(f'annotation data has no "{key}" list')
    images = data['images']
    if not 0 < num_heldout < len(images):
        raise ValueError(f'num_heldout must be in (0, {len(images)}), got {num_heldout}')
    groups: Dict[str, List[int]] = defaultdict(list)
    for idx, img in enumerate(images):
        groups[_component(img['file_name'])].append(idx)
    rng = np.random.default_rng(seed)
    names = sorted(groups)
    # largest-remainder apportionment of num_heldout over the components
    quota = np.array([len(groups[n]) for n in names]) * num_heldout / len(images)
    counts = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - counts), kind='stable')[:num_heldout - counts.sum()]:
        counts[i] += 1
    held_idx = set()
    for name, count in zip(names, counts):
        members = groups[name]
        held_idx.update(members[i] for i in rng.permutation(len(members))[:count])
    held_ids = {images[i]['id'] for i in held_idx}

    def part(keep_held: bool) -> dict:
        out = dict(data)
        out['images'] = [im for im in images if (im['id'] in held_ids) == keep_held]
        out['annotations'] = [a for a in data['annotations']
                              if (a['image_id'] in held_ids) == keep_held]
        return out

    return part(False), part(True)


def write_heldout_split(ann_file: str, out_dir: str, num_heldout: int,
                        seed: int = 0) -> Tuple[str, str]:
    """Write ``{stem}_fit.json`` and ``{stem}_heldout.json`` of ``ann_file`` to ``out_dir``.

    Args:
        ann_file (str): COCO-style face annotation file.
        out_dir (str): output folder (created).
        num_heldout (int): images in the held-out part.
        seed (int): seed of the draw.

    Returns:
        tuple[str, str]: paths of the fit and held-out files.
    """
    fit, held = split_heldout(load_annotation_file(ann_file), num_heldout, seed)
    os.makedirs(out_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(ann_file))[0]
    paths = []
    for suffix, part in (('fit', fit), ('heldout', held)):
        path = osp.join(out_dir, f'{stem}_{suffix}.json')
        atomic_write(json.dumps(part), path)
        paths.append(path)
    return paths[0], paths[1]
