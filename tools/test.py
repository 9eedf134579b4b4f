"""Evaluate a trained pose model with MMEngine's Runner (thin, MMPose-style entry point).

Example:
    python tools/test.py CONFIG CHECKPOINT --work-dir work_dirs/eval \
        --out work_dirs/eval/metrics.json
    python tools/test.py rcn-w1-8 --cfg-options test_dataloader.dataset.data_root=...  # zoo

With ``--out m.json`` every :class:`FaceAlignmentMetric` of the test evaluator also writes
``m_per_sample.json`` (per-face NMEs) and ``m_ced.png`` (cumulative error distribution).
"""
import argparse
import json
import math
import os
import os.path as osp
from typing import Any

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    parser.add_argument('config', help='test config file path, or a model zoo name '
                        '(e.g. rcn-w1-8: its config and weights)')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (default: the zoo weights of a zoo name)')
    parser.add_argument('--work-dir', help='the dir to save evaluation results')
    parser.add_argument(
        '--out', help='write the metrics to this JSON file (FaceAlignmentMetric also writes '
        '<out>_per_sample.json and <out>_ced.png next to it)')
    parser.add_argument(
        '--dump', help='dump the predictions to this pickle file for offline evaluation')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. test_dataloader.dataset.ann_file=...')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line arguments into the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        assert args.dump.endswith(('.pkl', '.pickle')), 'the dump file must be a pkl file'
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(cfg.test_evaluator, dict) \
            else list(cfg.test_evaluator)
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.dump))
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.out is not None:
        set_outfile_prefix(cfg, osp.splitext(args.out)[0])
    return cfg


def set_outfile_prefix(cfg: Config, prefix: str) -> None:
    """Let each ``FaceAlignmentMetric`` of ``cfg.test_evaluator`` write its files at ``prefix``.

    A second such metric gets ``prefix_1``, and so on, so that no file is overwritten.
    """
    evaluators = cfg.get('test_evaluator', None)
    if isinstance(evaluators, dict) and 'metrics' in evaluators:  # dict(type='Evaluator', ...)
        evaluators = evaluators['metrics']
    evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators or [])
    found = 0
    for metric in evaluators:
        kind = metric.get('type', '')
        name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
        if name.split('.')[-1] == 'FaceAlignmentMetric':
            metric['outfile_prefix'] = prefix if found == 0 else f'{prefix}_{found}'
            found += 1


def to_json(value: Any) -> Any:
    """Metric value -> JSON value (non-finite numbers become null, arrays lists)."""
    if hasattr(value, 'tolist') and getattr(value, 'ndim', 0) > 0:
        return [to_json(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, bool) or not hasattr(value, '__float__'):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def main() -> None:
    args = parse_args()
    from mmlaplace.utils.model_zoo import resolve_model
    try:
        args.config, args.checkpoint = resolve_model(args.config, args.checkpoint)
    except (KeyError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'test.py: {err}') from None
    if args.checkpoint is None:
        raise SystemExit('test.py: give a checkpoint file (or a model zoo name as config)')
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    import mmlaplace  # noqa: F401
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out is not None:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump({k: to_json(v) for k, v in metrics.items()}, f, indent=2)


if __name__ == '__main__':
    main()
