"""Print the RCN parameter counts per width next to Table 3 of Robinson et al. (ICCV 2019).

Examples (K = 68 and widths 1/16 .. 1 by default; ``--measure`` also builds and serializes
each model):

python tools/rcn_params.py
python tools/rcn_params.py --measure
python tools/rcn_params.py --num-keypoints 19 --widths 1/8 0.3 --out work_dirs/rcn_params.json
"""
import argparse
import io
import json
import os
import os.path as osp
import sys
import warnings
from fractions import Fraction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.models.backbones.rcn import PAPER_WIDTHS, RCN, rcn_param_table  # noqa: E402


def parse_width(text: str) -> float:
    """Parse ``0.125``, ``1/8`` or ``1``."""
    return float(Fraction(text))


def measure(width: float, num_keypoints: int, in_channels: int) -> dict:
    """Instantiate the RCN; count its parameters and serialize its state dict."""
    import torch
    model = RCN(num_keypoints=num_keypoints, in_channels=in_channels, width=width)
    out = dict(params_instantiated=sum(p.numel() for p in model.parameters()))
    for key, legacy in (('mb_file', False), ('mb_file_legacy', True)):
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try:
                torch.save(model.state_dict(), buf, _use_new_zipfile_serialization=not legacy)
            except Exception:  # noqa: BLE001 - an old format a future torch may drop
                out[key] = None
                continue
        out[key] = len(buf.getvalue()) / 1e6
    return out


def fmt(value, spec: str) -> str:
    return '-' if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-keypoints', type=int, default=68, help='K (default 68)')
    parser.add_argument('--in-channels', type=int, default=3)
    parser.add_argument(
        '--widths', type=parse_width, nargs='+', default=list(PAPER_WIDTHS),
        help='widths, e.g. 1/16 1/8 0.25 (default: the five of Table 3)')
    parser.add_argument(
        '--measure', action='store_true',
        help='instantiate each model (checks the closed-form count) and report the size of '
        'its serialized state dict (zip and legacy torch.save formats)')
    parser.add_argument('--out', metavar='JSON', help='also write the rows to this JSON file')
    args = parser.parse_args()

    rows = rcn_param_table(args.num_keypoints, args.widths, in_channels=args.in_channels)
    if args.measure:
        for row in rows:
            row.update(measure(row['width'], args.num_keypoints, args.in_channels))

    header = ['width', 'channels', 'params', 'paper params', 'ratio', 'MB', 'paper MB']
    if args.measure:
        header += ['params (built)', 'MB file', 'MB file (legacy)']
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '|'.join('---:' for _ in header) + '|')
    for row in rows:
        width = Fraction(row['width']).limit_denominator(1024)
        cells = [
            str(width), str(row['channels']), f"{row['params']:,}",
            fmt(row['paper_params'], ','), fmt(row['ratio'], '.4f'), f"{row['mb']:.3f}",
            fmt(row['paper_mb'], '.3f')
        ]
        if args.measure:
            cells += [
                f"{row['params_instantiated']:,}", fmt(row['mb_file'], '.4f'),
                fmt(row['mb_file_legacy'], '.4f')
            ]
        print('| ' + ' | '.join(cells) + ' |')
    print(f'\nK = {args.num_keypoints}; params include biases; MB = 4 bytes * params / 1e6 '
          '(float32); paper values: Table 3 (K = 68 only; 1/8 printed 0.0389M there, '
          '0.0398 in the abstract).')

    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(num_keypoints=args.num_keypoints, rows=rows), f, indent=2)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
