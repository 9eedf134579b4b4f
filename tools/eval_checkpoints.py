r"""Evaluate every ``epoch_*.pth`` of a work dir on one or more test sets: NME-vs-epoch curves.

    python tools/eval_checkpoints.py CONFIG WORK_DIR \
        --set lfpw=../shared/data/300w_subset/:annotations/face_landmarks_300w_valid_lfpw.json \
        --set heldout=../shared/data/300w_subset/:data/300w_split/..._heldout.json \
        --out docs/results/curves_rcn-w1-8.json

For each ``--set NAME=DATA_ROOT:ANN_FILE`` the config's test loader and evaluator run on every
checkpoint (one Runner, weights reloaded in place). Writes the JSON (per set, per epoch: the
test evaluator's metrics) and ``<out>.png`` (NME per epoch, one line per set). Curves are for
reading how training went; the number a model reports is its last checkpoint's, never the
best epoch on a test set.
"""
import argparse
import json
import logging
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmlaplace  # noqa: E402,F401  (registers modules, silences known warnings)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('work_dir', help='folder with epoch_*.pth')
    parser.add_argument('--set', action='append', required=True, metavar='NAME=ROOT:ANN',
                        help='a test set: name, data_root and annotation file')
    parser.add_argument('--out', required=True, help='output JSON (and <out>.png)')
    parser.add_argument('--every', type=int, default=1, help='every N-th checkpoint (+ last)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def checkpoints(work_dir: str) -> Dict[int, str]:
    """``{epoch: path}`` of the ``epoch_N.pth`` files of a work dir."""
    found = {}
    for name in os.listdir(work_dir):
        match = re.fullmatch(r'epoch_(\d+)\.pth', name)
        if match:
            found[int(match.group(1))] = osp.join(work_dir, name)
    if not found:
        raise SystemExit(f'eval_checkpoints: no epoch_*.pth in {work_dir}')
    return dict(sorted(found.items()))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    ckpts = checkpoints(args.work_dir)
    epochs = list(ckpts)
    keep = set(epochs[::args.every]) | {epochs[-1]}
    curves: Dict[str, Dict[int, dict]] = {}
    for spec in args.set:
        name, _, rest = spec.partition('=')
        root, _, ann = rest.partition(':')
        if not (name and root and ann):
            raise SystemExit(f'eval_checkpoints: --set {spec!r} is not NAME=DATA_ROOT:ANN_FILE')
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        cfg.test_dataloader.dataset.data_root = root
        cfg.test_dataloader.dataset.ann_file = ann
        cfg.work_dir = osp.join(args.work_dir, 'eval_checkpoints', name)
        cfg.log_level = 'WARNING'
        runner = Runner.from_cfg(cfg)
        curves[name] = {}
        for epoch in epochs:
            if epoch not in keep:
                continue
            runner.load_checkpoint(ckpts[epoch], map_location='cpu')
            metrics = runner.test()
            curves[name][epoch] = {k: float(v) for k, v in metrics.items()
                                   if isinstance(v, (int, float))}
            nme = 100 * curves[name][epoch]['NME']
            MMLogger.get_current_instance().log(logging.WARNING,
                                                f'{name} epoch {epoch}: NME {nme:.3f}%')
    report = dict(config=args.config, work_dir=args.work_dir, sets=args.set, curves=curves)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=1)
    from mmlaplace.visualization import plot_nme_curves
    plot_nme_curves(curves, osp.splitext(args.out)[0] + '.png', osp.basename(args.config))
    return report


if __name__ == '__main__':
    main()
