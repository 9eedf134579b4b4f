"""Time per training step and peak memory: SoftArgmaxLoss vs LaplaceKLLoss (same backbone,
batch and data), and a semi-supervised (adversarial) step vs a supervised one.

Each variant runs in its own subprocess (so its peak resident memory is its own), on the same
fixed batch (built-in synthetic faces, generated once into a temporary folder), with the same
thread count; the variants are run in interleaved rounds (A B C A B C ...) and each round's
median step time is kept, so a slow spell of a shared machine hits all of them alike. The
reported step time is the median over rounds. A step is the whole ``model.train_step``:
data preprocessing, forward, loss, backward and optimizer update(s).

Unless ``--no-parts``, a last subprocess times, interleaved in one process, what a
semi-supervised iteration cannot skip: a supervised step, G's forward and backward on the
unlabeled batch, and the discriminator's passes (real and fake with weight gradients, fake
with the input gradient). Their sum over the supervised step shows what the
semi-supervised / supervised ratio with the paper's D is made of.

Examples::

    python tools/benchmark_train.py --out-dir work_dirs/benchmarks
    python tools/benchmark_train.py --width 1/4 --batch-size 16 --rounds 5

It writes ``train.json`` and ``train.md`` into ``--out-dir``.
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.utils.benchmark import machine_info, markdown_table, write_report  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUP_CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py'
ADV_CONFIG = 'configs/adversarial/laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py'
ELT_CONFIG = 'configs/semi_supervised/laplacekl-elt_rcn-w1-8_1xb32-300e_300w-10pct-80x80.py'
STC_CONFIG = 'configs/semi_supervised/laplacekl-stc_rcn-w1-8_1xb32-300e_300w-10pct-80x80.py'
ADV_10PCT_CONFIG = (
    'configs/semi_supervised/laplacekl-adv_rcn-w1-8_1xb32-300e_300w-10pct-80x80.py')

#: variant -> (config, cfg options, what it is)
VARIANTS: Dict[str, tuple] = {
    'supervised-softargmax': (SUP_CONFIG,
                              {'model.head.loss': dict(_delete_=True, type='SoftArgmaxLoss',
                                                       use_target_weight=True)},
                              'RCN + SoftArgmaxHead + SoftArgmaxLoss'),
    'supervised-laplacekl': (SUP_CONFIG, {}, 'RCN + SoftArgmaxHead + LaplaceKLLoss'),
    'semi-supervised-laplacekl': (ADV_CONFIG, {},
                                  'LaplaceKL + D (PatchGAN, 64 base channels), labeled + '
                                  'unlabeled batch'),
    'semi-supervised-laplacekl-d32': (ADV_CONFIG,
                                      {'model.discriminator.base_channels': 32},
                                      'LaplaceKL + D with 32 base channels'),
    'semi-supervised-laplacekl-d16': (ADV_CONFIG,
                                      {'model.discriminator.base_channels': 16},
                                      'LaplaceKL + D with 16 base channels'),
    'semi-supervised-elt': (ELT_CONFIG, {},
                            'LaplaceKL + ELT: 8 unlabeled + 8 labeled images and their warps '
                            '(the config\'s unlabeled batch)'),
    'semi-supervised-stc': (STC_CONFIG, {'model.self_training.start_iter': 0},
                            'LaplaceKL + STC: teacher pass + student on 8 warped unlabeled '
                            'images (a self-training round)'),
    'semi-supervised-adv-stabilized': (ADV_10PCT_CONFIG, {},
                                       'LaplaceKL + the stabilized D recipe (SN, 32 base '
                                       'channels, 8 real vs 8 fake pairs)'),
}


def build_variant(variant: str, args: argparse.Namespace) -> tuple:
    """The model (train mode), its optimizer wrapper(s) and the fixed batch of a variant."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, MODELS

    import mmlaplace  # noqa: F401

    config, options, _ = VARIANTS[variant]
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict({'model.backbone.width': args.width, **options})
    init_default_scope('mmpose')
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=args.data_root, data_prefix=dict(img='images/'),
                  ann_file='annotations/face_landmarks_synthetic_train.json')
    labeled = DATASETS.build(ds_cfg)
    batch = pseudo_collate([labeled[i % len(labeled)] for i in range(args.batch_size)])
    data = batch
    if variant.startswith('semi'):
        u_cfg = cfg.train_cfg.unlabeled_dataloader.dataset
        num_unlabeled = args.batch_size
        if u_cfg.type == 'ConcatDataset':  # ELT: one folder dataset, the config's batch
            u_cfg = u_cfg.datasets[-1]
            num_unlabeled = cfg.train_cfg.unlabeled_dataloader.batch_size
        u_cfg.update(data_root=args.data_root, data_prefix=dict(img='images/unlabeled/'),
                     ann_file='', num_unlabeled=None)
        unlabeled = DATASETS.build(u_cfg)
        data = dict(labeled=batch, unlabeled=pseudo_collate(
            [unlabeled[i % len(unlabeled)] for i in range(num_unlabeled)]))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper), data


def child(args: argparse.Namespace) -> None:
    """Run one variant: build the model and optimizers, time ``train_step`` on a fixed batch."""
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model, optim, data = build_variant(args.child, args)
    for _ in range(args.warmup):
        model.train_step(data, optim)
    times: List[float] = []
    for _ in range(args.steps):
        start = time.perf_counter()
        model.train_step(data, optim)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(step_s=statistics.median(times), times=times,
                          peak_rss_mb=peak / 1024, rss_before_model_mb=rss0 / 1024,
                          params=sum(p.numel() for p in model.parameters() if p.requires_grad))))


def parts_child(args: argparse.Namespace) -> None:
    """Time what a semi-supervised step cannot skip, in one process, interleaved.

    ``supervised_step``: a whole supervised ``train_step``; ``generator_unlabeled``: G forward
    and backward on the unlabeled batch through its heatmaps; ``discriminator``: D's passes of
    one iteration (real and fake with weight gradients, fake again with the input gradient
    only, D frozen), Gaussian input noise included. Algorithm 1 cannot skip any of them: their
    sum over the supervised step is what the semi-supervised / supervised ratio is made of.
    """
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sup, sup_optim, sup_data = build_variant('supervised-laplacekl', args)
    semi, _, semi_data = build_variant('semi-supervised-laplacekl', args)
    labeled = semi.data_preprocessor(semi_data['labeled'], True)
    images_u = semi.data_preprocessor(semi_data['unlabeled'], True)['inputs']
    images_l = labeled['inputs']
    disc = semi.discriminator
    with torch.no_grad():
        fake = semi.generate_heatmaps(images_u)
        real = semi.real_heatmaps(images_l, labeled['data_samples'], fake.shape[-2:])
    weights = torch.randn_like(fake)

    def generator_unlabeled() -> None:
        semi.zero_grad(set_to_none=True)
        (semi.generate_heatmaps(images_u) * weights).sum().backward()

    def discriminator() -> None:
        disc.zero_grad(set_to_none=True)
        (disc(real, images_l).mean() + disc(fake, images_u).mean()).backward()
        for p in disc.parameters():
            p.requires_grad_(False)
        fakes = fake.clone().requires_grad_(True)
        disc(fakes, images_u).mean().backward()
        for p in disc.parameters():
            p.requires_grad_(True)

    calls = dict(supervised_step=lambda: sup.train_step(sup_data, sup_optim),
                 generator_unlabeled=generator_unlabeled, discriminator=discriminator)
    times: Dict[str, List[float]] = {k: [] for k in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            for _ in range(args.warmup):
                call()
            start = time.perf_counter()
            for _ in range(args.steps):
                call()
            times[name].append((time.perf_counter() - start) / args.steps)
    print(json.dumps(times))


def make_data(root: str, num: int) -> None:
    from mmlaplace.datasets.synthetic_faces import generate_split
    generate_split(root, 'train', num, image_size=128, num_workers=1)
    generate_split(root, 'unlabeled', num, image_size=128, labeled=False, num_workers=1)


def main(argv: Optional[List[str]] = None) -> Optional[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument('--width', type=lambda s: float(Fraction(s)), default=0.125,
                        help='RCN width of every variant (default 1/8)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--out-dir', default='work_dirs/benchmarks')
    parser.add_argument('--no-parts', dest='parts', action='store_false',
                        help='skip timing the unavoidable parts of a semi-supervised step alone '
                        '(interleaved in one process)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--data-root', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == 'parts':
        parts_child(args)
        return None
    if args.child:
        child(args)
        return None

    runs: Dict[str, List[dict]] = {v: [] for v in args.variants}
    with tempfile.TemporaryDirectory() as tmp:
        make_data(tmp, args.batch_size)
        for rnd in range(args.rounds):
            for variant in args.variants:
                cmd = [sys.executable, osp.abspath(__file__), '--child', variant,
                       '--data-root', tmp, '--width', str(args.width),
                       '--batch-size', str(args.batch_size), '--threads', str(args.threads),
                       '--warmup', str(args.warmup), '--steps', str(args.steps)]
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
                if proc.returncode != 0:
                    sys.exit(f'{variant} failed:\n{proc.stderr[-3000:]}')
                runs[variant].append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(f'round {rnd + 1}/{args.rounds} {variant}: '
                      f'{runs[variant][-1]["step_s"]:.3f} s/step', flush=True)
        parts = None
        if args.parts:
            cmd = [sys.executable, osp.abspath(__file__), '--child', 'parts', '--data-root', tmp,
                   '--width', str(args.width), '--batch-size', str(args.batch_size),
                   '--threads', str(args.threads), '--warmup', '1', '--steps', str(args.steps),
                   '--rounds', str(args.rounds)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            if proc.returncode != 0:
                sys.exit(f'semi-supervised parts failed:\n{proc.stderr[-3000:]}')
            times = json.loads(proc.stdout.strip().splitlines()[-1])
            parts = {k: statistics.median(v) for k, v in times.items()}
            parts['parts_ratio'] = (sum(parts.values()) / parts['supervised_step'])
            parts['rounds_s'] = times

    rows = []
    for variant, rs in runs.items():
        rows.append(dict(variant=variant, what=VARIANTS[variant][2], params=rs[0]['params'],
                         step_s=statistics.median(r['step_s'] for r in rs),
                         step_min_s=min(r['step_s'] for r in rs),
                         step_max_s=max(r['step_s'] for r in rs),
                         peak_rss_mb=max(r['peak_rss_mb'] for r in rs)))
    by = {r['variant']: r for r in rows}
    if 'supervised-laplacekl' in by:  # every method's step cost, side by side (issue 19)
        for r in rows:
            r['vs_supervised'] = r['step_s'] / by['supervised-laplacekl']['step_s']
    targets = []
    if 'supervised-softargmax' in by and 'supervised-laplacekl' in by:
        over = by['supervised-laplacekl']['step_s'] / by['supervised-softargmax']['step_s'] - 1
        targets.append(dict(target='LaplaceKL loss+head overhead vs SoftArgmaxLoss <= 5%',
                            measured=over, goal=0.05, met=bool(over <= 0.05)))
    for semi in ('semi-supervised-laplacekl', 'semi-supervised-laplacekl-d32',
                 'semi-supervised-laplacekl-d16'):
        if semi in by and 'supervised-laplacekl' in by:
            ratio = by[semi]['step_s'] / by['supervised-laplacekl']['step_s']
            targets.append(dict(target=f'{semi} step / supervised step <= 2.5',
                                measured=ratio, goal=2.5, met=bool(ratio <= 2.5)))
    if 'semi-supervised-elt' in by and 'supervised-laplacekl' in by:
        ratio = by['semi-supervised-elt']['vs_supervised']
        targets.append(dict(target='ELT step / supervised step <= 2.2 (issue 19)',
                            measured=ratio, goal=2.2, met=bool(ratio <= 2.2)))
    if parts is not None:
        targets.append(dict(
            target='semi-supervised (paper D) / supervised, from its unavoidable parts timed '
                   'alone: supervised step + G fwd/bwd on the unlabeled batch + D passes <= 2.5',
            measured=parts['parts_ratio'], goal=2.5, met=bool(parts['parts_ratio'] <= 2.5)))
    m = machine_info(args.threads)
    table = (f'CPU: {m["cpu"]}, {m["cores"]} cores, {args.threads} threads, torch '
             f'{m["torch"]}, {m["date"]}; RCN width {Fraction(args.width).limit_denominator()}, '
             f'batch {args.batch_size} (+ {args.batch_size} unlabeled for the paper\'s D, the '
             f'config\'s unlabeled batch for the label-scarce methods), '
             f'80 x 80; median over {args.rounds} interleaved rounds of {args.steps} steps.\n\n'
             + markdown_table(rows, ['variant', 'what', 'params', 'step_s', 'step_min_s',
                                     'step_max_s', 'vs_supervised', 'peak_rss_mb'],
                              ['variant', 'what', 'trained params', 's / step', 'min', 'max',
                               'x supervised', 'peak RSS (MB)'])
             + '\n\n' + markdown_table(targets, ['target', 'measured', 'goal', 'met']))
    if parts is not None:
        table += ('\n\nParts of a semi-supervised iteration timed alone (s, median over '
                  f'{args.rounds} interleaved rounds in one process): supervised step '
                  f'{parts["supervised_step"]:.3f}, G forward + backward on the unlabeled batch '
                  f'{parts["generator_unlabeled"]:.3f}, D passes (paper D) '
                  f'{parts["discriminator"]:.3f}.')
    write_report(args.out_dir, 'train', dict(machine=m, settings=vars(args), rows=rows,
                                             runs=runs, targets=targets, parts=parts), table)
    print(table)
    return dict(rows=rows, targets=targets, parts=parts)


if __name__ == '__main__':
    main()
