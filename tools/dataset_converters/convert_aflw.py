"""Convert AFLW (19 landmarks) to MMPose's AFLWDataset JSON files.

Examples::

    # the paper's / MMPose's protocol: Zhu et al.'s AFLW-Full split (20000 / 4386)
    python tools/dataset_converters/convert_aflw.py --mat data/aflw/AFLWinfo_release.mat \
        --image-dir data/aflw/images/flickr --out-dir data/aflw/annotations

    # the official aflw.sqlite (21 points minus the earlobes), a seeded random split
    python tools/dataset_converters/convert_aflw.py --sqlite aflw/data/aflw.sqlite \
        --image-dir aflw/data/flickr --out-dir data/aflw/annotations

Writes ``face_landmarks_aflw_{train,test}.json`` (and ``..._test_frontal.json`` from the
.mat); use them with ``data_root='data/aflw/'``, ``data_prefix=dict(img='images/')`` (the
default ``--file-prefix flickr/`` matches MMPose's ``images/flickr/{0,2,3}/`` layout).
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.aflw import NUM_TRAIN_AFLW, convert_aflw  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='AFLW -> MMPose AFLWDataset JSON files')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--mat', help="Zhu et al.'s AFLWinfo_release.mat (AFLW-Full split)")
    source.add_argument('--sqlite', help="AFLW's aflw.sqlite (random split, see --seed)")
    parser.add_argument('--image-dir', required=True,
                        help="AFLW's data/flickr folder (holds 0/, 2/, 3/)")
    parser.add_argument('--out-dir', required=True, help='folder of the JSON files')
    parser.add_argument('--file-prefix', default='flickr/',
                        help='prefix of every file_name (default: flickr/)')
    parser.add_argument('--num-train', type=int, default=NUM_TRAIN_AFLW,
                        help='faces in the training split (default: 20000)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the --sqlite split')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    # the library's warnings are printed below, with the summary
    quiet = logging.getLogger('mmlaplace.dataset_converters')
    quiet.setLevel(logging.ERROR)
    try:
        report = convert_aflw(args.out_dir, args.image_dir, mat_file=args.mat,
                              sqlite_file=args.sqlite, file_prefix=args.file_prefix,
                              num_train=args.num_train, seed=args.seed,
                              logger=quiet)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for name, count in report['splits'].items():
        print(f'  {name:<13} {count:>6}  {report["files"][name]}')
    if report.get('skipped'):
        print(f'  skipped {report["skipped"]} faces without a FaceRect or any of the 19 points')
    for msg in report.get('warnings', []):
        print(f'warning: {msg}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
