"""Write the PIPNet neighbour indices of a face annotation file as a config file.

Each landmark's ``C`` nearest landmarks in the training mean shape (PIPNet, Jin et al.,
IJCV 2021, Sec. 3.2), e.g. for the 300W configs::

    python tools/dataset_converters/pip_neighbors.py \
        ../shared/data/300w_subset/annotations/face_landmarks_300w_train.json \
        --num-neighbors 10 --out configs/_base_/models/pip_neighbors_300w.py

The file defines ``pip_neighbor_indices`` (K x C), which PIPLabel configs take with
``neighbor_indices={{_base_.pip_neighbor_indices}}``.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.mean_shape import (  # noqa: E402
    mean_shape,
    nearest_neighbors,
    write_neighbors_config,
)


def main() -> int:
    parser = argparse.ArgumentParser(description='PIPNet neighbour indices of a face dataset')
    parser.add_argument('ann_file', help='COCO-style face annotation file (training faces)')
    parser.add_argument('--num-neighbors', type=int, default=10, help='C (10 in the paper)')
    parser.add_argument('--out', required=True, help='config file (.py) to write')
    args = parser.parse_args()
    try:
        with open(args.ann_file) as f:
            data = json.load(f)
        shape, num_faces = mean_shape(data)
        indices = nearest_neighbors(shape, args.num_neighbors)
        write_neighbors_config(args.out, indices, osp.basename(args.ann_file), num_faces)
    except (OSError, ValueError, KeyError) as err:
        sys.stderr.write(f'error: {args.ann_file}: {err}\n')
        return 1
    voted = set(indices.reshape(-1).tolist())
    sys.stdout.write(f'{args.out}: {indices.shape[0]} landmarks x {indices.shape[1]} '
                     f'neighbours from {num_faces} faces; {len(shape) - len(voted)} landmarks '
                     'are nobody\'s neighbour\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
