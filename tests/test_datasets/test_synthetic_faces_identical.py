"""Synthetic faces are byte-identical for a seed: regression hashes of rendered faces and files.

The constants below were recorded with the single-module renderer (before it was split into the
``mmlaplace.datasets.synthetic_faces`` package); any change to sampling or rendering changes
them. They depend on the numerical libraries too (NumPy's generators, OpenCV's rasterizer and
codecs): after an intended change, or a NumPy / OpenCV upgrade that changes the output, print
the new values with ``python tests/test_datasets/test_synthetic_faces_identical.py``.
"""
import hashlib
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

from mmlaplace.datasets.synthetic_faces import generate_dataset, generate_face, generate_split

#: (split, difficulty, image_size, indices, with layers) of the rendered groups. Indices 0-23
#: of each split cover every hair style, occluder kind (hand, rect, ellipse, bar, hat; mask and
#: dark / clear glasses in hard mode), beard, make-up, gray, hidden ears, open mouths, no teeth.
FACE_GROUPS: List[Tuple[str, str, int, range, bool]] = [
    ('train', 'normal', 128, range(24), True),
    ('test', 'normal', 128, range(24), True),
    ('test_hard', 'hard', 128, range(24), True),
    ('unlabeled', 'normal', 128, range(24), True),
    ('train', 'hard', 96, range(8), False),
    ('train', 'normal', 256, range(4), False),
]

EXPECTED_FACES: Dict[str, Dict[str, str]] = {
    'train/normal/128': dict(
        images='e588e6ac614bec769cae1705cf1d1467883a64aa0258ed8faf259c8774cca483',
        keypoints='5ddf6d0fd9adf1ab30cd370437de860fe0db7744c6600c39a8d2a4e76a845df9',
        layers='d323079b1c360ed0ec5b04275d5bd02b6639fc3bec21e156cefb27e8e6c33c3a',
    ),
    'test/normal/128': dict(
        images='7f5b35fcc54cbec683c6663fd0bfce8635cedcc0126dc7d422980cb5cd93c775',
        keypoints='e1cd387e26bc1c4cf779a4230ee669948738ea4616dbfc7c108a9a0a242ccd39',
        layers='a6854214726680477a0ed1ebafe59558948c8509280d35119898c0c22f7b82fb',
    ),
    'test_hard/hard/128': dict(
        images='d37eb344773f6ad64fe2bec24bd6406024d1de0cde70219536098706297afb14',
        keypoints='437a947d3bef5e47e93bfbc91d5535d4f278e5f1702252c6bfa0eaa860bd7f43',
        layers='30fb070dfd8816da65701a7de8a38ce4262b9b834080f7417057ca0b7ce7b73c',
    ),
    'unlabeled/normal/128': dict(
        images='9992eb9d4d2b31a7f54b55e34346dcf21f947b0159177d5ea3eac8ce4ae47890',
        keypoints='0fad16b96abdd3a498a846b07c71c2524d44052b12ace4fffa772dd32753ef4f',
        layers='6a4565ec1fadc3fbf938a329368ce6b2007144e81258677a523c04a32dc0666c',
    ),
    'train/hard/96': dict(
        images='3a0e460f4590b1a3d066539737e8d57db40d418d597258ba7dc2b0edab38a453',
        keypoints='f796fc58a15b5d33cac7caa6fafc274ae353673387a578a8790cba4e7ab9f35e',
    ),
    'train/normal/256': dict(
        images='0944e666b473139f1173e9e77c48d6f267c6c6e53b5514bef41392169a0492af',
        keypoints='b33d588f3ec445993be54cf6125964593978ac055a01a2411a915e0d928ed747',
    ),
}

EXPECTED_FILES: Dict[str, str] = {
    'dataset': '6f42800dd238e3d00a6074429e72e5dfabc2538299e32f71f7207608c146b409',
    'split_jpg': '2e1e40668cc898fd133d06474968091d6d36a397c23517873ad9e049a3bafc45',
    'split_png_hard': '91baded9bf98a611e3be9616f46171a03627375cadaecaf6bef93ba4f54a4552',
}


def _group_name(split: str, difficulty: str, size: int) -> str:
    return f'{split}/{difficulty}/{size}'


def _update(h: Any, array: np.ndarray) -> None:
    """Hash an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(array)
    h.update(f'{array.dtype.str}{array.shape}'.encode())
    h.update(array.tobytes())


def face_hashes() -> Dict[str, Dict[str, str]]:
    """Group name -> sha256 of the images, keypoints and (where rendered) structure layers."""
    out: Dict[str, Dict[str, str]] = {}
    for split, difficulty, size, indices, with_layers in FACE_GROUPS:
        h_img, h_kp, h_layers = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
        for i in indices:
            res = generate_face(i, seed=0, split=split, difficulty=difficulty, image_size=size,
                                return_layers=with_layers)
            _update(h_img, res[0])
            _update(h_kp, res[1])
            if with_layers:
                for name in sorted(res[2]):
                    h_layers.update(name.encode())
                    _update(h_layers, res[2][name])
        group = dict(images=h_img.hexdigest(), keypoints=h_kp.hexdigest())
        if with_layers:
            group['layers'] = h_layers.hexdigest()
        out[_group_name(split, difficulty, size)] = group
    return out


def _tree_hashes(root: str) -> Dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (manifests without the timing)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, root).replace(os.sep, '/')
            with open(path, 'rb') as f:
                data = f.read()
            if rel.startswith('meta/'):
                meta = json.loads(data)
                meta.pop('seconds')
                data = json.dumps(meta, sort_keys=True).encode()
            out[rel] = hashlib.sha256(data).hexdigest()
    return out


def _digest(tree: Dict[str, str]) -> str:
    return hashlib.sha256(''.join(f'{k}:{v}\n' for k, v in sorted(tree.items())).encode()
                          ).hexdigest()


def file_hashes() -> Tuple[Dict[str, str], Dict[str, Dict[str, str]]]:
    """Digests of a tiny dataset and of jpg / png splits, written by one worker.

    Returns:
        Case name -> digest of its files, and case name -> per-file hashes (for messages).
    """
    trees = {}
    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(osp.join(tmp, 'dataset'), seed=0, num_train=2, num_test=1,
                         num_test_hard=2, num_unlabeled=1, image_size=64, num_workers=1)
        trees['dataset'] = _tree_hashes(osp.join(tmp, 'dataset'))
        generate_split(osp.join(tmp, 'jpg'), 'train', 3, seed=5, image_size=80, num_workers=1,
                       jpeg_quality=80)
        trees['split_jpg'] = _tree_hashes(osp.join(tmp, 'jpg'))
        generate_split(osp.join(tmp, 'png'), 'test_hard', 2, seed=1, difficulty='hard',
                       image_size=72, num_workers=1, ext='png')
        trees['split_png_hard'] = _tree_hashes(osp.join(tmp, 'png'))
    return {k: _digest(v) for k, v in trees.items()}, trees


#: Top-level names of the former single module ``synthetic_faces.py``, all still importable.
LEGACY_NAMES = [
    'BRIDGE', 'Color', 'DATASET_SPLITS', 'DIFFICULTIES', 'FLIP_INDICES', 'FaceParams',
    'GENERATOR_VERSION', 'INNER_LIP', 'JAW', 'L_BROW', 'L_EYE', 'MEAN_SHAPE_3D', 'MOUTH',
    'NOSE_BASE', 'NUM_KEYPOINTS', 'OUTER_LIP', 'Points', 'R_BROW', 'R_EYE', 'Roi', '_CIRCLES',
    '_DEPTH_CM', '_GRIDS', '_HAIR_COLORS', '_HAIR_P', '_HERMITE', '_IRIS_COLORS', '_IRIS_P',
    '_JAW_FRONT_DEPTH', '_MEAN_XY', '_NOISE_BANKS', '_Painter', '_SKIN_TONES', '_annotation',
    '_background', '_catmull_rom', '_chunk_worker', '_contour_points', '_deform_shape',
    '_draw_occluder', '_ellipse_pts', '_eye_tilt', '_gray3', '_grid', '_hermite_basis',
    '_lid_curves', '_offset_curve', '_random_color', '_rotation', '_sample_colors',
    '_sample_occluders', '_sample_pose', '_scaled', '_shade_field', '_smooth_noise',
    '_split_paths', '_surface_z', '_tint', '_truncated_normal', '_upsample', '_white_noise',
    '_worker_init', 'ann_file_name', 'generate_dataset', 'generate_face', 'generate_split',
    'render_face', 'sample_face_params', 'sample_rng'
]


def test_legacy_names_importable():
    import mmlaplace.datasets.synthetic_faces as sf
    missing = [n for n in LEGACY_NAMES if not hasattr(sf, n)]
    assert not missing
    assert set(sf.__all__) <= set(dir(sf))
    with pytest.raises(AttributeError):
        sf._no_such_name  # noqa: B018


def test_rendered_faces_identical():
    got = face_hashes()
    assert got == EXPECTED_FACES, {k: v for k, v in got.items() if EXPECTED_FACES.get(k) != v}


def test_generated_files_identical():
    got, trees = file_hashes()
    assert got == EXPECTED_FILES, {k: trees[k] for k in got if EXPECTED_FILES.get(k) != got[k]}


if __name__ == '__main__':  # print the constants
    json.dump(dict(EXPECTED_FACES=face_hashes(), EXPECTED_FILES=file_hashes()[0]), sys.stdout,
              indent=4)
    print()
