"""Generate the built-in synthetic face dataset (iBUG 68 landmarks, MMPose 300W format).

Example::

    python tools/generate_synthetic_faces.py --out-dir data/synthetic_faces --workers 2

writes ``images/{train,test,test_hard,unlabeled}/*.jpg``, ``annotations/
face_landmarks_synthetic_{train,test,test_hard}.json``, ``filelists/<split>.txt`` and
``meta/<split>.json``. Complete splits with the same parameters are skipped (``--overwrite``
regenerates). Use the annotation files like the real 300W ones: ``data_root=<out-dir>``,
``ann_file='annotations/face_landmarks_synthetic_train.json'``, ``data_prefix=dict(img='images/')``.
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.datasets.synthetic_faces import generate_dataset  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate synthetic faces with exact iBUG '
                                     '68-point landmarks (train / test / test_hard / unlabeled)')
    parser.add_argument('--out-dir', default='data/synthetic_faces', help='dataset root')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed')
    parser.add_argument('--num-train', type=int, default=2000, help='labeled training images')
    parser.add_argument('--num-test', type=int, default=300, help='labeled test images')
    parser.add_argument('--num-test-hard', type=int, default=150,
                        help='labeled hard test images (pose, occlusion, blur, noise)')
    parser.add_argument('--num-unlabeled', type=int, default=1000, help='unlabeled images')
    parser.add_argument('--image-size', type=int, default=256, help='image side in pixels')
    parser.add_argument('--workers', type=int, default=2, help='worker processes')
    parser.add_argument('--overwrite', action='store_true', help='regenerate existing splits')
    return parser.parse_args()


def _dir_size(path: str) -> int:
    return sum(osp.getsize(osp.join(path, f)) for f in os.listdir(path))


def main() -> None:
    args = parse_args()
    t0 = time.perf_counter()
    paths = generate_dataset(
        args.out_dir, seed=args.seed, num_train=args.num_train, num_test=args.num_test,
        num_test_hard=args.num_test_hard, num_unlabeled=args.num_unlabeled,
        image_size=args.image_size, num_workers=args.workers, overwrite=args.overwrite)
    seconds = time.perf_counter() - t0
    total = 0
    print(f'synthetic faces in {osp.abspath(args.out_dir)}:')
    for split, p in paths.items():
        n = len(os.listdir(p['img_dir']))
        total += n
        print(f'  {split:<10} {n:>6} images  {_dir_size(p["img_dir"]) / 2**20:7.1f} MiB  '
              f'ann_file: {p["ann_file"] or "-"}')
    rate = f' ({seconds / total * 1000:.1f} ms/image)' if total else ''
    print(f'total {total} images in {seconds:.1f} s{rate} with {args.workers} worker(s)')


if __name__ == '__main__':
    main()
