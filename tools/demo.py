"""The main job: synthetic faces -> train RCN + LaplaceKL -> NME on two test splits -> pictures.

    python tools/demo.py --work-dir work_dirs/demo          # what `make demo` runs

Steps (each visible in the log):
1. generate the built-in synthetic 68-point faces into ``--data-root`` if they are absent;
2. train the synthetic LaplaceKL config through ``tools/train.py`` (skipped if the work dir
   already holds the final checkpoint);
3. evaluate NME (MMPose's ``NME``, inter-ocular) on the ``test`` and ``test_hard`` splits
   through ``tools/test.py``;
4. draw heatmaps over test faces and predictions with their uncertainty (``*.png``), and write
   ``metrics.json`` with the numbers.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List

from mmengine.logging import MMLogger

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-4_1xb32-200e_synthetic-80x80.py'
SPLITS = ('test', 'test_hard')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/synthetic_faces')
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-train', type=int, default=1500)
    parser.add_argument('--num-test', type=int, default=200)
    parser.add_argument('--num-test-hard', type=int, default=100)
    parser.add_argument('--num-unlabeled', type=int, default=200)
    parser.add_argument('--num-pictures', type=int, default=6)
    parser.add_argument('--workers', type=int, default=2, help='data loading / generation')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def run(logger: MMLogger, script: str, args: List[str]) -> None:
    """Run ``tools/<script>``, streaming its log; raise if it fails."""
    cmd = [sys.executable, osp.join(REPO, 'tools', script), *args]
    logger.info('$ ' + ' '.join(cmd))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    rc = subprocess.call(cmd, env=env)
    if rc != 0:
        raise SystemExit(f'demo: tools/{script} failed with exit code {rc}')


def data_options(data_root: str, split: str) -> List[str]:
    root = data_root.rstrip('/') + '/'
    ann = f'annotations/face_landmarks_synthetic_{split}.json'
    return [f'{loader}.dataset.{key}={value}'
            for loader in ('val_dataloader', 'test_dataloader')
            for key, value in (('data_root', root), ('ann_file', ann))]


def main() -> None:
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    logger = MMLogger.get_instance('mmlaplace_demo', log_file=osp.join(args.work_dir, 'demo.log'))
    t0 = time.time()

    # 1. data
    from mmlaplace.datasets import generate_dataset
    logger.info(f'[1/4] synthetic faces in {args.data_root} (generated if absent)')
    generate_dataset(args.data_root, seed=args.seed, num_train=args.num_train,
                     num_test=args.num_test, num_test_hard=args.num_test_hard,
                     num_unlabeled=args.num_unlabeled, num_workers=args.workers)

    # 2. train (skipped when this work dir already holds the final checkpoint)
    root = args.data_root.rstrip('/') + '/'
    workers = [f'{loader}.num_workers={args.workers}' for loader in
               ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if args.workers == 0:
        workers += [f'{loader}.persistent_workers=False' for loader in
                    ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    common = workers + [f'randomness.seed={args.seed}']
    ckpt = osp.join(args.work_dir, f'epoch_{args.epochs}.pth')
    if osp.isfile(ckpt):
        logger.info(f'[2/4] {ckpt} exists: training skipped (delete it to train again)')
    else:
        logger.info(f'[2/4] training {args.config} for {args.epochs} epochs')
        run(logger, 'train.py', [
            args.config, '--work-dir', args.work_dir, '--cfg-options',
            f'train_cfg.max_epochs={args.epochs}',
            f'train_cfg.val_interval={args.epochs}',  # validate once, at the end
            f'train_dataloader.batch_size={args.batch_size}',
            f'train_dataloader.dataset.data_root={root}',
            f'default_hooks.checkpoint.interval={args.epochs}', *data_options(root, 'test'),
            *common])
    if not osp.isfile(ckpt):
        raise SystemExit(f'demo: training finished but {ckpt} is missing')

    # 3. evaluate
    metrics = {}
    for split in SPLITS:
        logger.info(f'[3/4] evaluating NME on the {split} split')
        out = osp.join(args.work_dir, f'metrics_{split}.json')
        run(logger, 'test.py', [args.config, ckpt, '--work-dir', args.work_dir, '--out', out,
                                '--cfg-options', *data_options(root, split), *common])
        with open(out) as f:
            metrics[split] = json.load(f)

    # 4. pictures
    logger.info('[4/4] drawing heatmaps and predictions with uncertainty')
    pictures = draw_pictures(args, ckpt, root)
    summary = dict(config=args.config, checkpoint=ckpt, epochs=args.epochs,
                   nme={split: metrics[split]['NME'] for split in SPLITS},
                   metrics=metrics, pictures=pictures, seconds=round(time.time() - t0, 1))
    with open(osp.join(args.work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    logger.info('NME (inter-ocular, %): ' + ', '.join(
        f'{split} {100 * metrics[split]["NME"]:.2f}' for split in SPLITS))
    logger.info(f'pictures: {", ".join(pictures)}; metrics: '
                f'{osp.join(args.work_dir, "metrics.json")}; total {summary["seconds"]} s')


def draw_pictures(args: argparse.Namespace, ckpt: str, root: str) -> List[str]:
    """Draw the Fig. 1/3 and Fig. 5 style figures for the first test faces of each split."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.apis import init_model
    from mmpose.registry import DATASETS

    from mmlaplace.apis import predict_crops
    from mmlaplace.visualization import save_face_grid

    cfg = Config.fromfile(args.config)
    init_default_scope('mmpose')
    model = init_model(cfg, ckpt, device='cpu')
    files = []
    for split in SPLITS:
        ds_cfg = cfg.test_dataloader.dataset.copy()
        ds_cfg.update(data_root=root, ann_file=f'annotations/face_landmarks_synthetic_{split}.json')
        dataset = DATASETS.build(ds_cfg)
        n = min(args.num_pictures, len(dataset))
        results = predict_crops(model, dataset, list(range(n)))
        out = osp.join(args.work_dir, f'faces_{split}.png')
        save_face_grid(out, [r['image'] for r in results], [r['heatmaps'] for r in results],
                       [r['pred'] for r in results], [r['scales'] for r in results],
                       [r['gt'] for r in results],
                       title=f'{osp.basename(args.config)}: {split} split, ellipses = 1 b')
        files.append(out)
    return files


if __name__ == '__main__':
    main()
