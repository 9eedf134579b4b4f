"""Cut a seeded held-out slice off a face annotation file (for choosing recipe settings).

Example (the 300W subset: 1,812 faces to fit, 200 held out)::

    python tools/dataset_converters/split_heldout.py \
        ../shared/data/300w_subset/annotations/face_landmarks_300w_train.json \
        --out-dir data/300w_split --num-heldout 200

writes ``face_landmarks_300w_train_fit.json`` and ``face_landmarks_300w_train_heldout.json``
(same ``file_name`` paths, so ``data_root`` stays the original image folder's root).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.heldout_split import write_heldout_split  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description='Seeded held-out split of an annotation file')
    parser.add_argument('ann_file', help='COCO-style face annotation file')
    parser.add_argument('--out-dir', required=True, help='folder of the two output files')
    parser.add_argument('--num-heldout', type=int, default=200, help='held-out images')
    parser.add_argument('--seed', type=int, default=0, help='seed of the draw')
    args = parser.parse_args()
    try:
        fit, held = write_heldout_split(args.ann_file, args.out_dir, args.num_heldout, args.seed)
    except (OSError, ValueError, KeyError) as err:
        sys.stderr.write(f'error: {err}\n')
        return 1
    sys.stdout.write(f'{fit}\n{held}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
