"""Write the label-scarce protocol: seeded labeled subsets, their unlabeled rest, a held-out slice.

Example (the 300W subset: 200 held-out faces; 5 / 10 / 25 % of the 2,012 faces labeled, seeds
0-2; the other 1,812 - n fit images become unlabeled boxes)::

    python tools/dataset_converters/label_scarce_split.py \
        ../shared/data/300w_subset/annotations/face_landmarks_300w_train.json \
        --out-dir data/300w_label_scarce --fractions 0.05 0.1 0.25 --seeds 0 1 2

writes ``heldout.json``, ``f10_s0_labeled.json``, ``f10_s0_unlabeled_boxes.txt``, ... and
``protocol.json`` and an ``images`` link to the image folder (see
:mod:`mmlaplace.datasets.converters.label_scarce_split`).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.label_scarce_split import write_label_scarce_split  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description='Label-scarce protocol of a face annotation file')
    parser.add_argument('ann_file', help='COCO-style face annotation file (the training set)')
    parser.add_argument('--out-dir', required=True, help='folder of the protocol files')
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.05, 0.1, 0.25],
                        help='labeled fractions in (0, 1] of all faces of the file')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds of the labeled draws')
    parser.add_argument('--num-heldout', type=int, default=200, help='held-out images')
    parser.add_argument('--heldout-seed', type=int, default=0, help='seed of the held-out slice')
    parser.add_argument('--img-dir', help='image folder of ann_file (default: ../images)')
    args = parser.parse_args()
    try:
        paths = write_label_scarce_split(args.ann_file, args.out_dir, args.fractions,
                                         args.seeds, args.num_heldout, args.heldout_seed,
                                         args.img_dir)
    except (OSError, ValueError, KeyError) as err:
        sys.stderr.write(f'error: {err}\n')
        return 1
    sys.stdout.write('\n'.join(paths) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
