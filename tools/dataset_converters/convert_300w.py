"""Convert the public 300W archive (images + .pts) to MMPose's Face300WDataset JSON files.

Example::

    python tools/dataset_converters/convert_300w.py data/300w/images \
        --out-dir data/300w/annotations

``data/300w/images`` holds the unpacked iBUG downloads: ``afw/``, ``helen/{trainset,testset}/``,
``lfpw/{trainset,testset}/``, ``ibug/`` and ``300W/{01_Indoor,02_Outdoor}/``. Writes
``face_landmarks_300w_{train,valid_common,valid_challenge,valid,test}.json`` (3148 / 554 / 135
/ 689 / 600 faces); use them with ``data_root='data/300w/'``,
``ann_file='annotations/face_landmarks_300w_train.json'``, ``data_prefix=dict(img='images/')``.
Splits whose folders are missing are skipped with a warning (``--strict``: an error).
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmlaplace.datasets.converters.face300w import SPLITS_300W, convert_300w  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='300W archive (.pts + images) -> MMPose Face300WDataset JSON files')
    parser.add_argument('archive_root', help='folder holding afw/, helen/, lfpw/, ibug/, 300W/')
    parser.add_argument('--out-dir', required=True, help='folder of the JSON files')
    parser.add_argument('--splits', nargs='+', choices=list(SPLITS_300W), default=None,
                        help='splits to write (default: all)')
    parser.add_argument('--strict', action='store_true',
                        help='fail on a missing subset folder or an unofficial face count')
    parser.add_argument('--zero-based-pts', action='store_true',
                        help='the .pts coordinates are already 0-based (default: subtract 1, '
                        'as MMPose\'s released annotations)')
    parser.add_argument('--visibility', type=int, choices=(1, 2), default=1,
                        help='v of the keypoints (MMPose\'s files: 1)')
    parser.add_argument('--file-prefix', default='',
                        help='prefix of every file_name (default: none)')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    # the library's warnings are printed below, with the summary
    quiet = logging.getLogger('mmlaplace.dataset_converters')
    quiet.setLevel(logging.ERROR)
    try:
        report = convert_300w(args.archive_root, args.out_dir, splits=args.splits,
                              strict=args.strict, one_based=not args.zero_based_pts,
                              visibility=args.visibility, file_prefix=args.file_prefix,
                              logger=quiet)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print('subsets:')
    for name, count in report['subsets'].items():
        print(f'  {name:<16} {"missing" if count is None else count:>7}')
    print('splits:')
    for name, count in report['splits'].items():
        where = report['files'].get(name, 'skipped')
        print(f'  {name:<16} {"-" if count is None else count:>7}  {where}')
    for msg in report['warnings']:
        print(f'warning: {msg}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
