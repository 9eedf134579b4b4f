r"""Export a trained SoftArgmaxHead model to ONNX (optionally int8) and check / evaluate it.

    python tools/export_onnx.py CONFIG CHECKPOINT --out model.onnx [options]
    python tools/export_onnx.py rcn-w1-8 --out rcn-w1-8.onnx    # a model zoo name

The graph takes ``image`` (B, 3, H, W) float32 with a dynamic batch axis, *normalized* as
the config's data preprocessor does (RGB, ``(x - mean) / std``), or with
``--normalize-in-graph`` the raw BGR 0..255 crop; it returns ``coords`` (B, K, 2) and
``scales`` (B, K, 2, the per-axis Laplace scales) in input-crop pixels, plus ``heatmaps``
with ``--heatmaps``. The input spec is stored in the file's metadata
(``mmlaplace_input_spec``). After the export, ONNX Runtime is compared with PyTorch.

``--int8`` also writes ``<out>_int8.onnx``: ONNX Runtime static QDQ quantization calibrated on
face crops from ``--calib-folder`` (each image one face crop, see ``--crop-scale``) or from
the config's train set. ``--eval`` reports the NME of PyTorch, fp32 and int8 ONNX on the
config's test set.

Example (300W subset, LFPW test):
    python tools/export_onnx.py \\
        configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py epoch_8.pth \\
        --out work_dirs/onnx/laplacekl_w1-8.onnx --int8 --eval \\
        --data-root ../shared/data/300w_subset/ \\
        --train-ann-file annotations/face_landmarks_300w_train.json \\
        --test-ann-file annotations/face_landmarks_300w_valid_lfpw.json
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.apis.face_crops import build_crop_dataset, folder_crops, iter_crop_batches  # noqa: E402
from mmlaplace.apis.onnx_evaluation import evaluate_nme, onnx_predictor, torch_predictor  # noqa: E402
from mmlaplace.apis.onnx_export import compare_with_pytorch, export_onnx, load_pose_model  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file, or a model zoo name (e.g. rcn-w1-8)')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (default: the zoo weights of a zoo name)')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--normalize-in-graph', action='store_true',
                        help='input raw BGR 0..255 crops; the graph normalizes')
    parser.add_argument('--heatmaps', action='store_true', help='also output the heatmaps')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--atol', type=float, default=1e-3,
                        help='fail if ONNX Runtime and PyTorch coords/scales differ more '
                        '(input pixels)')
    parser.add_argument('--int8', action='store_true', help='also write <out>_int8.onnx')
    parser.add_argument('--calib-folder', default=None,
                        help='int8 calibration face crops (default: the config train set)')
    parser.add_argument('--calib-num', type=int, default=256, help='calibration crops')
    parser.add_argument('--crop-scale', type=float, default=2.0,
                        help='--calib-folder images: image side / landmark box side')
    parser.add_argument('--eval', action='store_true',
                        help='NME of PyTorch / fp32 / int8 on the config test set')
    parser.add_argument('--eval-num', type=int, default=None, help='first N test samples')
    parser.add_argument('--data-root', default=None,
                        help='overrides the train / test datasets\' data_root')
    parser.add_argument('--train-ann-file', default=None)
    parser.add_argument('--test-ann-file', default=None)
    parser.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE')
    return parser.parse_args(argv)


def _cfg_options(values: Optional[List[str]]) -> Optional[dict]:
    if not values:
        return None
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='opts')(None, ns, values)
    return ns.opts


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from mmlaplace.utils.model_zoo import resolve_model
    try:
        args.config, args.checkpoint = resolve_model(args.config, args.checkpoint)
    except (KeyError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'export_onnx: {err}') from None
    if args.checkpoint is None:
        raise SystemExit('export_onnx: give a checkpoint file (or a model zoo name as config)')
    model = load_pose_model(args.config, args.checkpoint, _cfg_options(args.cfg_options))
    cfg = model.cfg
    spec = export_onnx(model, args.out, normalize_in_graph=args.normalize_in_graph,
                       output_heatmaps=args.heatmaps, opset=args.opset)
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (3, 3, spec.input_size[1], spec.input_size[0]), np.uint8)
    diffs = compare_with_pytorch(model, args.out, spec.preprocess(crops))
    print(f'export_onnx: {args.out}; max |onnxruntime - pytorch| on 3 random crops: '
          + ', '.join(f'{k} {v:.2e}' for k, v in diffs.items()))
    worst = max(diffs['coords'], diffs['scales'])
    if worst > args.atol:
        raise SystemExit(f'export_onnx: ONNX Runtime differs from PyTorch by {worst:.3g} px '
                         f'(> --atol {args.atol})')

    int8_file = None
    if args.int8:
        from mmlaplace.apis.onnx_quantization import quantize_int8
        if args.calib_folder:
            calib = folder_crops(cfg, args.calib_folder, args.calib_num, args.crop_scale)
            source = args.calib_folder
        else:
            train = build_crop_dataset(cfg, 'train', args.data_root, args.train_ann_file)
            num = min(args.calib_num, len(train))
            indices = np.random.default_rng(0).choice(len(train), num, replace=False)
            calib = np.concatenate([c for c, _ in iter_crop_batches(train, indices, 64)])
            source = 'the config train set'
        int8_file = osp.splitext(args.out)[0] + '_int8.onnx'
        t0 = time.time()
        quantize_int8(args.out, int8_file, spec.preprocess(calib))
        print(f'export_onnx: {int8_file} (calibrated on {len(calib)} crops from {source} in '
              f'{time.time() - t0:.0f} s)')

    if args.eval:
        test = build_crop_dataset(cfg, 'test', args.data_root, args.test_ann_file)
        indices = range(min(args.eval_num or len(test), len(test)))
        runs = [('pytorch', torch_predictor(model, spec)), ('onnx_fp32', onnx_predictor(args.out))]
        if int8_file:
            runs.append(('onnx_int8', onnx_predictor(int8_file)))
        report = dict(config=args.config, checkpoint=args.checkpoint, ann_file=test.ann_file)
        for name, predict in runs:
            report[name] = evaluate_nme(predict, test, indices)
            print(f'export_onnx: {name:10s} NME {100 * report[name]["NME"]:.3f}% '
                  f'({report[name]["num_samples"]} faces)')
        out_json = osp.splitext(args.out)[0] + '_eval.json'
        with open(out_json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=2)
        print(f'export_onnx: NME report {out_json}')


if __name__ == '__main__':
    main()
