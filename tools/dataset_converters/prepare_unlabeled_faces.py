"""Crop a folder of unlabeled faces the paper's way, from a 5-point landmark file.

Example (CelebA's aligned images and their landmark list)::

    python tools/dataset_converters/prepare_unlabeled_faces.py \
        data/celeba/img_align_celeba data/celeba/list_landmarks_align_celeba.txt \
        --out-dir data/unlabeled_celeba --size 128

The landmark file has one ``file x1 y1 ... x5 y5`` line per face (MTCNN output, or CelebA's
format with its count and header lines). Each crop is the smallest rectangle around the 5
points squared to side ``2 * max(h, w)`` (same centre), zero-padded, resized to
``--size``; ``five_point_crops.txt`` in the output records each crop. Train with
``dict(type='UnlabeledFaceDataset', data_root='data/unlabeled_celeba')``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.five_point_crops import prepare_unlabeled_faces  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Square 5-point face crops (Robinson et al. 2019) of an image folder')
    parser.add_argument('image_dir', help='folder the landmark file paths are relative to')
    parser.add_argument('landmark_file', help='"file x1 y1 ... x5 y5" lines (CelebA / MTCNN)')
    parser.add_argument('--out-dir', required=True, help='output folder of the crops')
    parser.add_argument('--size', type=int, default=128, help='crop side in pixels')
    parser.add_argument('--ext', default=None,
                        help='output extension, e.g. .png (default: keep the source\'s)')
    parser.add_argument('--limit', type=int, default=None, help='only the first N faces')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    try:
        report = prepare_unlabeled_faces(args.image_dir, args.landmark_file, args.out_dir,
                                         size=args.size, ext=args.ext, limit=args.limit)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'{report["num_faces"]} crops ({report["padded"]} zero-padded) in '
          f'{report["out_dir"]}; crop boxes in {report["manifest"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
