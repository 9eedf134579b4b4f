r"""Plot the NME-vs-epoch curves of several runs in one figure.

    python tools/compare_curves.py LaplaceKL=work_dirs/a/eval/curves.json \
        soft-argmax=work_dirs/b/eval/curves.json --set lfpw --out curves.png

Each ``LABEL=FILE`` is a report of ``tools/eval_checkpoints.py``; ``--set`` picks its test
set (default: the first). Also writes ``<out>.json``: the curves plotted and, per epoch both
runs have, the NME ratio of each run to the first.
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.visualization import plot_nme_curves  # noqa: E402


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+', metavar='LABEL=FILE')
    parser.add_argument('--set', default=None, help='test set name in the reports')
    parser.add_argument('--out', required=True, help='output PNG (and .json)')
    parser.add_argument('--title', default='')
    args = parser.parse_args(argv)
    curves = {}
    for spec in args.runs:
        label, _, path = spec.partition('=')
        if not (label and path):
            raise SystemExit(f'compare_curves: {spec!r} is not LABEL=FILE')
        if not osp.isfile(path):
            raise SystemExit(f'compare_curves: report {path} not found')
        with open(path) as f:
            sets = json.load(f)['curves']
        name = args.set or next(iter(sets))
        if name not in sets:
            raise SystemExit(f'compare_curves: {path} has no set {name!r} (has '
                             f'{", ".join(sets)})')
        curves[label] = {int(e): m for e, m in sets[name].items()}
    first = next(iter(curves.values()))
    ratios = {label: {e: c[e]['NME'] / first[e]['NME'] for e in sorted(c) if e in first}
              for label, c in curves.items()}
    plot_nme_curves(curves, args.out, args.title)
    report = dict(runs=args.runs, set=args.set,
                  nme={k: {e: m['NME'] for e, m in sorted(v.items())} for k, v in curves.items()},
                  ratio_to_first=ratios)
    with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(report, f, indent=1)
    return report


if __name__ == '__main__':
    main()
