"""Run the paper's experiments at a CPU-feasible scale, several seeds each, and report
mean +- std (JSON, plots, markdown).

Experiments (Robinson et al., ICCV 2019; ../shared/METHOD.md):

- ``losses``: SoftArgmax vs GaussianKL vs LaplaceKL at RCN widths 1/8 and 1/4 (Tables 2-3).
- ``beta``: the softmax temperature beta of the heatmaps, LaplaceKL (Fig. 4, left).
- ``b0``: the target Laplace scale b0 of LaplaceKL (Fig. 4, right).
- ``widths``: NME and heatmap spread per RCN width 1/16 .. 1, LaplaceKL (Table 3).
- ``unlabeled``: LaplaceKL+D with 0 / 2.5K / 5K / 10K unlabeled faces and the d_l = d_u
  control (Tables 2-3).

Each run is ``tools/train.py`` then ``tools/test.py --out`` (subprocesses, MMPose configs of
this repository with ``--cfg-options``); runs whose metrics exist are skipped, so the script
resumes where it stopped. Labeled data: ``--data-root`` (default the shared 300W subset:
2,012 training faces, 224 LFPW test faces); unlabeled: ``--unlabeled-root`` (default the
shared 10,000 CelebA faces). Settings are chosen on the training data only; the LFPW test set
is only evaluated, never used for selection. Runs that train the same model (e.g. ``beta=1``,
``b0=1`` and the widths' ``w1/8`` are the LaplaceKL w1/8 run of the losses) are trained once
and reported in each experiment; runs execute in the order of ``--experiments``, one variant's
seeds after the other.

Examples::

    python tools/reproduce.py --experiments losses --seeds 0 1 2 --epochs 4
    python tools/reproduce.py --experiments widths beta b0 unlabeled --epochs 2 --jobs 2
    python tools/reproduce.py --report-only     # re-aggregate the finished runs

Outputs under ``--out-dir`` (default ``work_dirs/reproduce``): one folder per run with its
``metrics.json``; ``results.json`` (every run and the mean / std per variant); one PNG per
experiment and ``results.md`` (tables with how each number was obtained); ``--docs-dir``
receives copies of ``results.md`` as ``reproduce.md``, ``results.json`` as ``reproduce.json``
and the PNGs.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = os.environ.get('MMLAPLACE_SHARED', osp.join(REPO, '..', 'shared'))
LKL = 'configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py'
SAM = 'configs/softargmax/softargmax_rcn-w1-8_1xb32-200e_300w-80x80.py'
GKL = 'configs/gaussiankl/gaussiankl_rcn-w1_1xb32-200e_300w-80x80.py'
ADV = 'configs/adversarial/laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py'
DSAME = 'configs/adversarial/laplacekl-dsame_rcn-w1-4_1xb32-200e_300w-80x80.py'
WIDTHS = {'1/16': 1 / 16, '1/8': 1 / 8, '1/4': 1 / 4, '1/2': 1 / 2, '1': 1.0}
UNLABELED_SIZES = (2500, 5000, 10000)
EXPERIMENTS = ['losses', 'beta', 'b0', 'widths', 'unlabeled']
METRICS = ('NME', 'heatmap_spread', 'FR@10', 'AUC@10', 'scale_error_spearman')


@dataclass
class Run:
    """One training + test run."""

    experiment: str
    variant: str
    config: str
    seed: int
    options: Dict[str, object] = field(default_factory=dict)
    x: Optional[float] = None  # the swept value, for plots

    @property
    def name(self) -> str:
        return f'{self.experiment}/{self.variant.replace("/", "-")}/seed{self.seed}'


def plan(experiments: List[str], seeds: List[int], widths: List[str],
         unlabeled_sizes: Sequence[int] = UNLABELED_SIZES) -> List[Run]:
    """Every run of the requested experiments (``unlabeled_sizes``: the LaplaceKL+D pools)."""
    runs: List[Run] = []
    for seed in seeds:
        if 'losses' in experiments:
            for w in widths:
                for loss, cfg in (('SoftArgmax', SAM), ('GaussianKL', GKL), ('LaplaceKL', LKL)):
                    runs.append(Run('losses', f'{loss} w{w}', cfg, seed,
                                    {'model.backbone.width': WIDTHS[w]}, WIDTHS[w]))
        if 'beta' in experiments:
            for beta in (0.5, 1.0, 2.0, 4.0):
                runs.append(Run('beta', f'beta={beta:g}', LKL, seed,
                                {'model.head.beta': beta}, beta))
        if 'b0' in experiments:
            for b0 in (0.5, 1.0, 2.0, 4.0):
                runs.append(Run('b0', f'b0={b0:g}', LKL, seed,
                                {'model.head.loss.target_scale': b0}, b0))
        if 'widths' in experiments:
            for w, value in WIDTHS.items():
                runs.append(Run('widths', f'LaplaceKL w{w}', LKL, seed,
                                {'model.backbone.width': value}, value))
        if 'unlabeled' in experiments:
            runs.append(Run('unlabeled', 'LaplaceKL (0 unlabeled)', LKL, seed, {}, 0))
            for n in unlabeled_sizes:
                opts = {'model.backbone.width': 0.125, 'unlabeled': True,
                        'train_cfg.unlabeled_dataloader.dataset.num_unlabeled': n}
                runs.append(Run('unlabeled', f'LaplaceKL+D({n / 1000:g}K)', ADV, seed, opts, n))
            runs.append(Run('unlabeled', 'LaplaceKL+D(d_l = d_u)', DSAME, seed,
                            {'model.backbone.width': 0.125, 'dsame': True}, None))
    return runs


# settings equal to the configs' defaults: a run that only sets these is the reference run
DEFAULTS = {'model.head.beta': 1.0, 'model.head.loss.target_scale': 1.0}
DEFAULT_WIDTH = {LKL: 0.125, SAM: 0.125, ADV: 0.25, DSAME: 0.25}


def signature(run: Run) -> str:
    """What a run trains (config, seed, effective settings), independent of its name."""
    opts = {k: v for k, v in run.options.items() if DEFAULTS.get(k, object()) != v}
    opts.setdefault('model.backbone.width', DEFAULT_WIDTH.get(run.config))
    return json.dumps([run.config, run.seed, sorted(opts.items())], default=str)


def canonical(runs: List[Run], seeds: List[int], widths: List[str]) -> Dict[str, Run]:
    """Map each run's name to the run that trains the same model (first in the full plan).

    E.g. ``beta=1``, ``b0=1``, ``LaplaceKL w1/8`` of the widths and the 0-unlabeled run of the
    same seed are one model: it is trained once and reported in every experiment.
    """
    first: Dict[str, Run] = {}
    all_runs = plan(EXPERIMENTS, seeds, sorted(set(widths) | {'1/8'}, key=list(WIDTHS).index))
    for run in all_runs + runs:
        first.setdefault(signature(run), run)
    return {run.name: first[signature(run)] for run in runs}


def cfg_options(run: Run, args: argparse.Namespace, ann_train: str) -> List[str]:
    """``--cfg-options`` of a run: data, budget, seed and the run's own settings."""
    opts = {
        'train_dataloader.dataset.data_root': args.data_root,
        'train_dataloader.dataset.ann_file': ann_train,
        'train_dataloader.dataset.data_prefix.img': args.data_prefix,
        'val_dataloader.dataset.data_prefix.img': args.data_prefix,
        'test_dataloader.dataset.data_prefix.img': args.data_prefix,
        'train_dataloader.batch_size': args.batch_size,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.dataset.data_root': args.data_root,
        'val_dataloader.dataset.ann_file': args.test_ann,
        'test_dataloader.dataset.data_root': args.data_root,
        'test_dataloader.dataset.ann_file': args.test_ann,
        'train_cfg.max_epochs': args.epochs,
        'train_cfg.val_interval': 10 ** 6,  # no validation during training: no selection
        'default_hooks.checkpoint.interval': args.epochs,
        'default_hooks.checkpoint.save_best': None,
        'randomness.seed': run.seed,
    }
    extra = dict(run.options)
    if extra.pop('unlabeled', False):
        opts['train_cfg.unlabeled_dataloader.dataset.data_root'] = args.unlabeled_root
        opts['train_cfg.unlabeled_dataloader.dataset.data_prefix.img'] = ''
        opts['train_cfg.unlabeled_dataloader.batch_size'] = args.batch_size
        opts['train_cfg.unlabeled_dataloader.num_workers'] = 0
        opts['train_cfg.unlabeled_dataloader.persistent_workers'] = False
    if extra.pop('dsame', False):
        opts['train_cfg.unlabeled_dataloader.dataset.data_root'] = args.data_root
        opts['train_cfg.unlabeled_dataloader.dataset.ann_file'] = ann_train
        opts['train_cfg.unlabeled_dataloader.dataset.data_prefix.img'] = args.data_prefix
        opts['train_cfg.unlabeled_dataloader.batch_size'] = args.batch_size
        opts['train_cfg.unlabeled_dataloader.num_workers'] = 0
        opts['train_cfg.unlabeled_dataloader.persistent_workers'] = False
    opts.update(extra)
    return [f'{k}={v}' for k, v in opts.items()]


def subset_annotations(args: argparse.Namespace) -> str:
    """The training annotation file, or a seeded subset of ``--num-train`` faces of it."""
    if not args.num_train:
        return args.train_ann
    import numpy as np
    with open(osp.join(args.data_root, args.train_ann)) as f:
        data = json.load(f)
    if args.num_train > len(data['annotations']):
        sys.exit(f'--num-train {args.num_train} > {len(data["annotations"])} faces in '
                 f'{args.train_ann}')
    keep = np.random.default_rng(0).permutation(len(data['annotations']))[:args.num_train]
    anns = [data['annotations'][i] for i in sorted(keep)]
    ids = {a['image_id'] for a in anns}
    data = dict(data, annotations=anns, images=[i for i in data['images'] if i['id'] in ids])
    path = osp.abspath(osp.join(args.out_dir, f'train_subset_{args.num_train}.json'))
    os.makedirs(args.out_dir, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


def execute(run: Run, args: argparse.Namespace, ann_train: str) -> Optional[dict]:
    """Train and test one run (skipped when its metrics exist); returns the metrics."""
    work = osp.join(args.out_dir, run.name)
    out = osp.join(work, 'metrics.json')
    if osp.isfile(out):
        with open(out) as f:
            return json.load(f)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONPATH=REPO)
    opts = cfg_options(run, args, ann_train)
    start = time.time()
    with open(osp.join(work, 'run.log'), 'w') as log:
        for cmd in (
            [sys.executable, 'tools/train.py', run.config, '--work-dir', work,
             '--cfg-options', *opts],
            [sys.executable, 'tools/test.py', run.config,
             osp.join(work, f'epoch_{args.epochs}.pth'), '--work-dir', work,
             '--out', osp.join(work, 'metrics_tmp.json'), '--cfg-options', *opts],
        ):
            log.write('$ ' + ' '.join(cmd) + '\n')
            log.flush()
            proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
            if proc.returncode:
                print(f'FAILED {run.name}: see {osp.join(work, "run.log")}', flush=True)
                return None
    with open(osp.join(work, 'metrics_tmp.json')) as f:
        metrics = json.load(f)
    metrics['minutes'] = (time.time() - start) / 60
    with open(out, 'w') as f:
        json.dump(metrics, f, indent=2)
    for name in os.listdir(work):  # keep the final weights only
        if name.endswith('.pth') and name != f'epoch_{args.epochs}.pth':
            os.remove(osp.join(work, name))
    print(f'done {run.name}: NME {100 * metrics["NME"]:.2f}% '
          f'({metrics["minutes"]:.1f} min)', flush=True)
    return metrics


def aggregate(runs: List[Run], results: Dict[str, dict],
              same: Optional[Dict[str, Run]] = None) -> Dict[str, List[dict]]:
    """Mean / std over seeds per experiment and variant (in plan order).

    ``same`` (from :func:`canonical`) marks the rows whose model is another experiment's run.
    """
    table: Dict[str, List[dict]] = {}
    for run in runs:
        rows = table.setdefault(run.experiment, [])
        row = next((r for r in rows if r['variant'] == run.variant), None)
        if row is None:
            other = (same or {}).get(run.name, run)
            same_as = (f'{other.experiment}: {other.variant}'
                       if (other.experiment, other.variant) != (run.experiment, run.variant)
                       else None)
            row = dict(variant=run.variant, x=run.x, config=run.config, seeds=[],
                       same_as=same_as, **{m: [] for m in METRICS})
            rows.append(row)
        metrics = results.get(run.name)
        if metrics is None:
            continue
        row['seeds'].append(run.seed)
        for m in METRICS:
            if metrics.get(m) is not None:
                row[m].append(float(metrics[m]))
    for rows in table.values():
        for row in rows:
            for m in METRICS:
                vals = row.pop(m)
                std = statistics.stdev(vals) if len(vals) > 1 else (0.0 if vals else None)
                row[m] = dict(values=vals, mean=statistics.fmean(vals) if vals else None, std=std)
    return table


def plot(table: Dict[str, List[dict]], out_dir: str) -> List[str]:
    """One PNG per experiment: NME (and spread for widths) with +-1 std error bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    files = []
    for exp, rows in table.items():
        rows = [r for r in rows if r['NME']['mean'] is not None]
        if not rows:
            continue
        metrics = ('NME', 'heatmap_spread')
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for ax, m in zip(axes, metrics):
            scale = 100 if m == 'NME' else 1
            means = [scale * (r[m]['mean'] or 0) for r in rows]
            stds = [scale * (r[m]['std'] or 0) for r in rows]
            if exp in ('beta', 'b0', 'widths') and all(r['x'] for r in rows):
                xs = [r['x'] for r in rows]
                ax.errorbar(xs, means, yerr=stds, marker='o', capsize=4)
                ax.set_xscale('log', base=2)
                ax.set_xticks(xs, [r['variant'].split('=')[-1].replace('LaplaceKL w', '')
                                   for r in rows])
                ax.set_xlabel({'beta': 'beta', 'b0': 'b0 (heatmap px)',
                               'widths': 'RCN width'}[exp])
            else:
                ax.bar(range(len(rows)), means, yerr=stds, capsize=4, color='tab:blue')
                ax.set_xticks(range(len(rows)), [r['variant'] for r in rows], rotation=30,
                              ha='right', fontsize=8)
            ax.set_ylabel('NME (%)' if m == 'NME' else 'heatmap spread (px)')
            ax.grid(alpha=0.3)
        fig.suptitle(f'{exp}: mean +- std over seeds')
        fig.tight_layout()
        path = osp.join(out_dir, f'reproduce_{exp}.png')
        fig.savefig(path, dpi=90)
        plt.close(fig)
        files.append(path)
    return files


def rel(path: str) -> str:
    """A path as written relative to the repository (no machine-specific prefix)."""
    return osp.relpath(path, REPO)


def markdown(table: Dict[str, List[dict]], args: argparse.Namespace, n_train: int,
             n_test: int) -> str:
    def cell(stat: dict, scale: float = 1.0, digits: int = 2) -> str:
        if stat['mean'] is None:
            return 'not run'
        return f'{scale * stat["mean"]:.{digits}f} +- {scale * stat["std"]:.{digits}f}'

    lines = [
        '# Paper experiments at CPU scale (`tools/reproduce.py`)', '',
        f'How obtained: {n_train} labeled 300W training faces (`{rel(args.data_root)}`), test on '
        f'`{args.test_ann}` ({n_test} faces; inter-ocular NME), RCN at 80 x 80, batch '
        f'{args.batch_size}, Adam 1e-3, no augmentation, **{args.epochs} epochs** (the paper: '
        f'200), last checkpoint (no selection on the test set), {args.threads} thread(s) per '
        f'run on a 2-core CPU; unlabeled faces: `{rel(args.unlabeled_root)}`. '
        'mean +- std over the seeds listed; heatmap spread in heatmap pixels. A row marked '
        '"(= experiment: variant)" is that run (the same model, trained once).', '']
    for exp, rows in table.items():
        lines += [f'## {exp}', '', '| variant | seeds | NME (%) | heatmap spread (px) | '
                  'FR@10 (%) | scale-error Spearman |', '|---|---|---|---|---|---|']
        for r in rows:
            variant = r['variant'] + (f' (= {r["same_as"]})' if r.get('same_as') else '')
            lines.append(f'| {variant} | {",".join(map(str, r["seeds"])) or "-"} | '
                         f'{cell(r["NME"], 100)} | {cell(r["heatmap_spread"])} | '
                         f'{cell(r["FR@10"], 100, 1)} | {cell(r["scale_error_spearman"])} |')
        lines += ['', f'![{exp}](reproduce_{exp}.png)', '']
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--experiments', nargs='+',
                        default=EXPERIMENTS, choices=EXPERIMENTS)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--loss-widths', nargs='+', default=['1/8', '1/4'],
                        choices=list(WIDTHS), help='widths of the losses experiment')
    parser.add_argument('--unlabeled-sizes', type=int, nargs='+', default=list(UNLABELED_SIZES),
                        help='unlabeled pool sizes of the LaplaceKL+D runs (unlabeled experiment)')
    parser.add_argument('--epochs', type=int, default=2,
                        help='training epochs per run (2: the committed docs/results.md numbers)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--num-train', type=int, default=0,
                        help='use a seeded subset of this many training faces (0: all)')
    parser.add_argument('--data-root', default=osp.join(SHARED, 'data', '300w_subset') + '/')
    parser.add_argument('--data-prefix', default='images/', help='image folder in data root')
    parser.add_argument('--train-ann', default='annotations/face_landmarks_300w_train.json')
    parser.add_argument('--test-ann', default='annotations/face_landmarks_300w_valid_lfpw.json')
    parser.add_argument('--unlabeled-root',
                        default=osp.join(SHARED, 'data', 'unlabeled_celeba') + '/')
    parser.add_argument('--jobs', type=int, default=1, help='runs at the same time')
    parser.add_argument('--threads', type=int, default=2, help='torch threads per run')
    parser.add_argument('--out-dir', default='work_dirs/reproduce')
    parser.add_argument('--docs-dir', default=None,
                        help='also copy results.md / .json (as reproduce.md / .json) and the '
                        'plots here')
    parser.add_argument('--report-only', action='store_true',
                        help='aggregate the finished runs without running anything')
    args = parser.parse_args(argv)
    # the runs execute in the repository root: make the data paths independent of the cwd
    args.data_root = osp.join(osp.abspath(args.data_root), '')
    args.unlabeled_root = osp.join(osp.abspath(args.unlabeled_root), '')
    args.out_dir = osp.abspath(args.out_dir)
    if not osp.isfile(osp.join(args.data_root, args.train_ann)):
        sys.exit(f'no training annotations at {osp.join(args.data_root, args.train_ann)} '
                 '(set --data-root / --train-ann)')

    runs = plan(args.experiments, args.seeds, args.loss_widths, args.unlabeled_sizes)
    same = canonical(runs, args.seeds, args.loss_widths)
    unique = list({same[r.name].name: same[r.name] for r in runs}.values())
    # in the order of --experiments, one variant (all its seeds) after the other
    order = {(r.experiment, r.variant): i for i, r in enumerate(runs)}
    unique.sort(key=lambda r: (args.experiments.index(r.experiment)
                               if r.experiment in args.experiments else -1,
                               order.get((r.experiment, r.variant), -1), r.seed))
    ann_train = subset_annotations(args)
    done: Dict[str, dict] = {}
    if args.report_only:
        for run in unique:
            path = osp.join(args.out_dir, run.name, 'metrics.json')
            if osp.isfile(path):
                with open(path) as f:
                    done[run.name] = json.load(f)
    else:
        # the reports are rewritten after every finished run: a sweep stopped part-way still
        # leaves its aggregated results (and, with --docs-dir, their copies) on disk
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(execute, r, args, ann_train): r for r in unique}
            for future in as_completed(futures):
                metrics = future.result()
                if metrics is not None:
                    done[futures[future].name] = metrics
                    write_reports(runs, same, done, args, ann_train)
    report, md = write_reports(runs, same, done, args, ann_train)
    print(md)
    return report


def write_reports(runs: List[Run], same: Dict[str, Run], done: Dict[str, dict],
                  args: argparse.Namespace,
                  ann_train: str) -> Tuple[dict, str]:
    """Aggregate the finished runs into results.json / .md and the plots (and --docs-dir).

    Returns ``dict(summary=..., results=...)`` (mean / std per variant, metrics per run) and
    the markdown.
    """
    results = {r.name: done[same[r.name].name] for r in runs if same[r.name].name in done}
    with open(osp.join(args.data_root, ann_train)) as f:
        n_train = len(json.load(f)['annotations'])
    with open(osp.join(args.data_root, args.test_ann)) as f:
        n_test = len(json.load(f)['annotations'])
    table = aggregate(runs, results, same)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'results.json'), 'w') as f:
        paths = ('data_root', 'unlabeled_root', 'out_dir', 'docs_dir')
        settings = {k: rel(v) if k in paths and v else v for k, v in vars(args).items()}
        json.dump(dict(settings=settings, n_train=n_train, n_test=n_test,
                       runs=[asdict(r) for r in runs], results=results, summary=table), f,
                  indent=2)
    pngs = plot(table, args.out_dir)
    md = markdown(table, args, n_train, n_test)
    with open(osp.join(args.out_dir, 'results.md'), 'w') as f:
        f.write(md + '\n')
    if args.docs_dir:
        os.makedirs(args.docs_dir, exist_ok=True)
        with open(osp.join(args.docs_dir, 'reproduce.md'), 'w') as f:
            f.write(md + '\n')
        shutil.copy(osp.join(args.out_dir, 'results.json'),
                    osp.join(args.docs_dir, 'reproduce.json'))
        for png in pngs:
            shutil.copy(png, args.docs_dir)
    return dict(summary=table, results=results), md


if __name__ == '__main__':
    main()
