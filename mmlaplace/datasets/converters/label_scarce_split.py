"""The label-scarce protocol: seeded labeled subsets of a face training set, the rest unlabeled.

Semi-supervised face alignment is judged with few labels (Honari et al., CVPR 2018; PIPNet,
IJCV 2021): a fraction of the training faces keeps its landmarks, the other training images
lose them and join an unlabeled pool. This module cuts such a protocol from a COCO-style
annotation file, reproducibly:

1. a held-out slice (:func:`~mmlaplace.datasets.converters.heldout_split.split_heldout`,
   component-stratified, seed ``heldout_seed``) that neither labeled nor unlabeled training
   uses: it chooses the training budget;
2. per seed, one permutation of the remaining ("fit") images; the labeled set of fraction
   ``f`` is its first ``round(f * N)`` images, ``N`` = all images of the file (so 10 % of the
   2,012 300W faces is 201 faces). The subsets of one seed are nested (5 % in 10 % in 25 %);
3. the unlabeled part of each subset: the other fit images as an
   :class:`~mmlaplace.datasets.UnlabeledFaceDataset` box file (``path x y w h``, the
   annotation's face box, no landmarks).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmlaplace.utils.atomic_io import atomic_write

from .heldout_split import load_annotation_file, split_heldout

__all__ = ['fraction_tag', 'labeled_count', 'split_label_scarce', 'write_label_scarce_split']


def fraction_tag(fraction: float) -> str:
    """File-name tag of a labeled fraction: ``0.1 -> 'f10'``, ``0.025 -> 'f2.5'``."""
    pct = float(fraction) * 100
    return f'f{pct:g}'


def _check_fraction(fraction: float) -> float:
    try:
        value = float(fraction)
    except (TypeError, ValueError):
        raise ValueError(f'fraction must be a number in (0, 1], got {fraction!r}') from None
    if not 0 < value <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction!r}')
    return value


def labeled_count(fraction: float, num_images: int) -> int:
    """``round(fraction * num_images)``, at least 1; ``fraction`` must lie in (0, 1]."""
    return max(1, int(round(_check_fraction(fraction) * num_images)))


def _part(data: dict, image_ids: set) -> dict:
    out = dict(data)
    out['images'] = [im for im in data['images'] if im['id'] in image_ids]
    out['annotations'] = [a for a in data['annotations'] if a['image_id'] in image_ids]
    return out


def _box_lines(data: dict) -> List[str]:
    """``file_name x y w h`` per annotation (the UnlabeledFaceDataset box format)."""
    files = {im['id']: im['file_name'] for im in data['images']}
    lines = []
    for ann in data['annotations']:
        name = files[ann['image_id']]
        if any(c.isspace() or c == '#' for c in name):
            raise ValueError(f'image file_name {name!r} has a space or "#": the unlabeled '
                             'box file cannot hold it')
        bbox = ann.get('bbox')
        if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4):
            raise ValueError(f'annotation {ann.get("id")} of {name} has no 4-number "bbox"')
        x, y, w, h = (float(v) for v in bbox)
        if not (np.isfinite([x, y, w, h]).all() and w > 0 and h > 0):
            raise ValueError(f'annotation {ann.get("id")} of {name}: bbox {bbox} is not a '
                             'finite box of positive size')
        lines.append(f'{name} {x:.2f} {y:.2f} {w:.2f} {h:.2f}')
    return lines


def split_label_scarce(data: dict, fractions: Sequence[float], seeds: Sequence[int],
                       num_heldout: int = 200,
                       heldout_seed: int = 0) -> Tuple[dict, Dict[Tuple[float, int],
                                                                  Tuple[dict, dict]]]:
    """Cut the held-out slice and the labeled / unlabeled parts of every (fraction, seed).

    Args:
        data (dict): COCO-style annotations (``images``, ``annotations``).
        fractions (Sequence[float]): Labeled fractions in (0, 1], of all images of ``data``.
        seeds (Sequence[int]): Seeds of the labeled draws.
        num_heldout (int): Images of the held-out slice. Defaults to 200.
        heldout_seed (int): Seed of the held-out slice. Defaults to 0.

    Returns:
        tuple: ``heldout`` (dict) and ``{(fraction, seed): (labeled, unlabeled)}``, all
        annotation dicts with the input's other keys; the three parts of one key are disjoint
        and cover the images.

    Raises:
        ValueError: A fraction outside (0, 1], no seed, or more labeled images than the fit
            part holds.

    Example:
        >>> data = dict(categories=[], images=[dict(id=i, file_name=f'a/{i}.jpg')
        ...     for i in range(100)], annotations=[dict(id=i, image_id=i,
        ...     bbox=[0, 0, 10, 10]) for i in range(100)])
        >>> held, parts = split_label_scarce(data, [0.1], [0], num_heldout=20)
        >>> lab, unl = parts[(0.1, 0)]
        >>> len(held['images']), len(lab['images']), len(unl['images'])
        (20, 10, 70)
    """
    fractions = [_check_fraction(f) for f in fractions]
    if not fractions:
        raise ValueError('no labeled fraction given')
    if not seeds:
        raise ValueError('no seed given')
    fit, held = split_heldout(data, num_heldout, heldout_seed)
    fit_ids = [im['id'] for im in fit['images']]
    total = len(data['images'])
    parts = {}
    for seed in seeds:
        order = [fit_ids[i] for i in np.random.default_rng(int(seed)).permutation(len(fit_ids))]
        for fraction in fractions:
            n = labeled_count(fraction, total)
            if n > len(order):
                raise ValueError(
                    f'fraction {fraction:g} asks for {n} labeled images but only {len(order)} '
                    f'are left after the {num_heldout} held-out ones')
            labeled = set(order[:n])
            parts[(fraction, int(seed))] = (_part(fit, labeled),
                                            _part(fit, set(order[n:])))
    return held, parts


def write_label_scarce_split(ann_file: str, out_dir: str, fractions: Sequence[float],
                             seeds: Sequence[int], num_heldout: int = 200,
                             heldout_seed: int = 0, img_dir: Optional[str] = None) -> List[str]:
    """Write the protocol's files to ``out_dir``; returns their paths.

    Files: ``heldout.json``; per fraction ``f`` and seed ``s``
    ``{tag}_s{s}_labeled.json`` (COCO, for the labeled loader) and
    ``{tag}_s{s}_unlabeled_boxes.txt`` (for :class:`UnlabeledFaceDataset`) and
    ``{tag}_s{s}_labeled_boxes.txt`` (the labeled faces as an unlabeled stream: the d_l = d_u
    control of the adversarial method), ``tag`` from
    :func:`fraction_tag`; ``protocol.json`` (source file, counts, seeds); and ``images``, a
    symbolic link to the image folder, so that the folder is a ``data_root`` of its own
    (``data_prefix=dict(img='images/')``, the ``file_name`` paths unchanged).

    Args:
        ann_file, fractions, seeds, num_heldout, heldout_seed: As :func:`split_label_scarce`.
        out_dir (str): Output folder (created).
        img_dir (str, optional): The images of ``ann_file``. Defaults to MMPose's layout,
            ``<folder of ann_file>/../images``.
    """
    data = load_annotation_file(ann_file)
    img_dir = img_dir or osp.join(osp.dirname(osp.abspath(ann_file)), '..', 'images')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image folder not found: {img_dir} (pass img_dir / --img-dir)')
    held, parts = split_label_scarce(data, fractions, seeds, num_heldout, heldout_seed)
    os.makedirs(out_dir, exist_ok=True)
    link = osp.join(out_dir, 'images')
    target = osp.realpath(img_dir)
    if osp.lexists(link):
        if osp.realpath(link) != target:
            raise FileExistsError(f'{link} exists and is not a link to {target}')
    else:
        os.symlink(target, link)
    paths = [osp.join(out_dir, 'heldout.json')]
    atomic_write(json.dumps(held), paths[0])
    summary = dict(source=osp.abspath(ann_file), num_images=len(data['images']),
                   num_heldout=len(held['images']), heldout_seed=heldout_seed, subsets=[])
    for (fraction, seed), (labeled, unlabeled) in sorted(parts.items()):
        stem = osp.join(out_dir, f'{fraction_tag(fraction)}_s{seed}')
        atomic_write(json.dumps(labeled), stem + '_labeled.json')
        atomic_write('\n'.join(_box_lines(unlabeled)) + '\n', stem + '_unlabeled_boxes.txt')
        atomic_write('\n'.join(_box_lines(labeled)) + '\n', stem + '_labeled_boxes.txt')
        paths += [stem + '_labeled.json', stem + '_unlabeled_boxes.txt',
                  stem + '_labeled_boxes.txt']
        summary['subsets'].append(dict(fraction=fraction, seed=seed,
                                       num_labeled=len(labeled['images']),
                                       num_unlabeled=len(unlabeled['images'])))
    atomic_write(json.dumps(summary, indent=1), osp.join(out_dir, 'protocol.json'))
    paths.append(osp.join(out_dir, 'protocol.json'))
    return paths
