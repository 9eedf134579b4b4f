"""CPU inference speed of RCN + SoftArgmaxHead next to the paper's Table 3, an MMPose
alternative (ResNet-18 + IntegralRegressionHead, 256 x 256) and dlib's 68-point predictor.

Everything is measured side by side in one process, with the same thread count, in
interleaved rounds (every model and runtime once per round, the median over rounds reported,
so a slow phase of a shared machine hits all of them alike): latency at batch 1 and per-image
time at batch 32 (warm-up, then the median of repeated blocks), in
PyTorch eager (``torch.inference_mode``), TorchScript (traced, frozen,
``optimize_for_inference``) and ONNX Runtime (fp32, and int8 static QDQ quantization). The
model's input is a raw BGR float crop batch (B, 3, H, W) in 0..255; the channel swap, mean / std
normalization and the soft-argmax decoding (coordinates and scales in input pixels) are part
of every timed graph. Weights are random unless a checkpoint is given (speed does not depend
on them).

Examples::

    python tools/benchmark_speed.py --out-dir work_dirs/benchmarks
    python tools/benchmark_speed.py --widths 1/8 1 --threads 2 --rounds 5 --repeats 9
    # dlib is an optional extra: pip install -r requirements/benchmark.txt

It writes ``speed.json`` and ``speed.md`` into ``--out-dir`` and prints the table and the
ratios to the paper's fps (26.51 / 21.38 / 16.77 / 11.92 / 4.92 on a 2.8 GHz i7).
"""
import argparse
import io
import logging
import os
import os.path as osp
import statistics
import sys
import tempfile
import warnings
from fractions import Fraction
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.apis.onnx_export import (
    LandmarkOnnxWrapper,
    decodes_in_graph,
    export_onnx,
    load_pose_model,
    model_input_size,
    onnx_session,  # noqa: E402
)
from mmlaplace.apis.onnx_quantization import quantize_int8  # noqa: E402
from mmlaplace.utils.benchmark import machine_info, markdown_table, time_call, write_report  # noqa: E402

#: Table 3 of the paper: width -> fps on a 2.8 GHz Intel i7 (batch 1).
PAPER_FPS: Dict[float, float] = {1 / 16: 26.51, 1 / 8: 21.38, 1 / 4: 16.77, 1 / 2: 11.92, 1.0: 4.92}
RCN_CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py'
RES18_CONFIG = 'configs/integral/ipr_res18_1xb32-60e_300w-256x256.py'
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


class IntegralRegressionNet(torch.nn.Module):
    """MMPose top-down model with ``IntegralRegressionHead`` as ``raw BGR crop -> coords``."""

    def __init__(self, model: torch.nn.Module, input_size: tuple) -> None:
        super().__init__()
        self.model = model
        pre = model.data_preprocessor
        self.register_buffer('mean', pre.mean.detach().float().reshape(1, 3, 1, 1).clone())
        self.register_buffer('std', pre.std.detach().float().reshape(1, 3, 1, 1).clone())
        self.register_buffer('size', torch.tensor([float(input_size[0]), float(input_size[1])]))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        image = (image[:, [2, 1, 0]] - self.mean) / self.std
        coords, _ = self.model.head(self.model.extract_feat(image))
        return coords * self.size


class HeatmapArgmaxNet(IntegralRegressionNet):
    """MMPose top-down model with ``HeatmapHead`` as ``raw BGR crop -> coords``.

    The decoding of MMPose's ``MSRAHeatmap`` codec in torch: each heatmap's maximum plus a
    quarter-pixel shift towards the higher neighbour on each axis, times the stride.
    """

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        image = (image[:, [2, 1, 0]] - self.mean) / self.std
        heatmaps = self.model.head(self.model.extract_feat(image))
        num, k, h, w = heatmaps.shape
        flat = heatmaps.reshape(num, k, h * w)
        index = flat.argmax(dim=-1)
        x, y = index % w, torch.div(index, w, rounding_mode='floor')
        padded = torch.nn.functional.pad(heatmaps, (1, 1, 1, 1), mode='replicate')
        padded = padded.reshape(num, k, (h + 2) * (w + 2))

        def at(dx: int, dy: int) -> torch.Tensor:
            return padded.gather(-1, ((y + 1 + dy) * (w + 2) + x + 1 + dx)[..., None])[..., 0]
        coords = torch.stack([x + 0.25 * torch.sign(at(1, 0) - at(-1, 0)),
                              y + 0.25 * torch.sign(at(0, 1) - at(0, -1))], dim=-1).float()
        return coords * (self.size / self.size.new_tensor([float(w), float(h)]))


def landmark_net(model: torch.nn.Module, input_size: tuple) -> torch.nn.Module:
    """The timed module: raw BGR 0..255 crops in, coordinates (and scales) in pixels out."""
    if decodes_in_graph(model):
        return LandmarkOnnxWrapper(model, input_size, normalize_in_graph=True).eval()
    if type(model.head).__name__ == 'HeatmapHead':
        return HeatmapArgmaxNet(model, input_size).eval()
    return IntegralRegressionNet(model, input_size).eval()


def parse_width(text: str) -> float:
    return float(Fraction(text))


def width_name(width: float) -> str:
    frac = Fraction(width).limit_denominator(64)
    return str(frac.numerator) if frac.denominator == 1 else f'{frac.numerator}/{frac.denominator}'


def state_dict_mb(module: torch.nn.Module) -> float:
    buf = io.BytesIO()
    torch.save(module.state_dict(), buf)
    return len(buf.getvalue()) / 1e6


def face_crops(num: int, size: int, seed: int = 0) -> np.ndarray:
    """``num`` BGR face crops (N, size, size, 3) uint8 from the shared 300W subset, or noise."""
    import cv2
    root = osp.join(REPO, '..', 'shared', 'data', '300w_subset', 'images', 'lfpw', 'testset')
    files = sorted(os.listdir(root))[:num] if osp.isdir(root) else []
    if len(files) < num:
        return np.random.default_rng(seed).integers(0, 255, (num, size, size, 3), np.uint8)
    return np.stack([cv2.resize(cv2.imread(osp.join(root, f)), (size, size))
                     for f in files])


def to_batch(crops: np.ndarray, batch: int) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(crops.transpose(0, 3, 1, 2))).float()
    reps = -(-batch // len(x))
    return x.repeat(reps, 1, 1, 1)[:batch].contiguous()


Cells = Dict[Tuple[str, str], Dict[int, Callable[[], object]]]


def inference_call(net: torch.nn.Module, x: torch.Tensor) -> Callable[[], object]:
    """``net(x)`` under ``torch.inference_mode``."""
    def call() -> object:
        with torch.inference_mode():
            return net(x)
    return call


def torch_cells(net: torch.nn.Module, inputs: Dict[int, torch.Tensor],
                args: argparse.Namespace) -> Dict[str, Dict[int, Callable[[], object]]]:
    """Eager and TorchScript (frozen, optimized for inference) calls at each batch size."""
    out = {'eager': {b: inference_call(net, x) for b, x in inputs.items()}}
    if 'torchscript' in args.runtimes:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            scripted = torch.jit.optimize_for_inference(
                torch.jit.freeze(torch.jit.trace(net, inputs[1]).eval()))
        out['torchscript'] = {b: inference_call(scripted, x) for b, x in inputs.items()}
    return out


def export_plain_onnx(net: torch.nn.Module, path: str, dummy: torch.Tensor) -> None:
    """Export a module without SoftArgmaxHead (the MMPose baseline) with a dynamic batch."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(net, (dummy, ), path, dynamo=False, opset_version=17,
                          input_names=['image'], output_names=['coords'],
                          dynamic_axes={'image': {0: 'batch'}, 'coords': {0: 'batch'}})


def onnx_cells(model: torch.nn.Module, net: torch.nn.Module, inputs: Dict[int, torch.Tensor],
               crops: np.ndarray, tmp: str, tag: str, args: argparse.Namespace
               ) -> Tuple[Dict[str, Dict[int, Callable[[], object]]], Dict[str, float]]:
    """ONNX Runtime fp32 and int8 (static QDQ, calibrated on real face crops) calls.

    Returns:
        tuple: ``{runtime: {batch: call}}`` and ``{runtime: MB of the .onnx file}``.
    """
    fp32 = osp.join(tmp, f'{tag}.onnx')
    size = tuple(inputs[1].shape[-1:-3:-1])
    if decodes_in_graph(model):
        export_onnx(model, fp32, input_size=size, normalize_in_graph=True)
    else:
        export_plain_onnx(net, fp32, inputs[1])
    variants = [('onnxruntime', fp32)]
    if 'int8' in args.runtimes:
        int8 = osp.join(tmp, f'{tag}.int8.onnx')
        quantize_int8(fp32, int8, to_batch(crops, len(crops)).numpy())
        variants.append(('onnxruntime-int8', int8))
    cells, sizes = {}, {}
    for name, path in variants:
        sess = onnx_session(path, args.threads)  # ORT defaults: sequential, all graph opts
        in_name = sess.get_inputs()[0].name
        cells[name] = {
            batch: (lambda feed={in_name: x.numpy()}, sess=sess: sess.run(None, feed))
            for batch, x in inputs.items()}
        sizes[name] = osp.getsize(path) / 1e6
    return cells, sizes


def dlib_call(crops: np.ndarray) -> Optional[Tuple[Callable[[], object], Dict[str, object]]]:
    """Dlib's 68-point shape predictor, one face per call, cycling through the crops.

    Returns:
        tuple | None: The call and ``dict(version, crop_size)``; None without dlib.
    """
    try:
        import dlib
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            import face_recognition_models
    except ImportError:
        logging.warning('dlib / face_recognition_models not installed: skipping dlib '
                        '(pip install -r requirements/benchmark.txt)')
        return None
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    size = crops.shape[1]
    # the crops are 2x the landmark box, centred: the face box is the central half
    rect = dlib.rectangle(size // 4, size // 4, 3 * size // 4, 3 * size // 4)
    images = [np.ascontiguousarray(c[..., ::-1]) for c in crops]  # dlib takes RGB
    state = {'i': 0}

    def one_face() -> None:
        predictor(images[state['i'] % len(images)], rect)
        state['i'] += 1

    return one_face, dict(version=dlib.__version__, crop_size=size)


def measure(cells: Cells, args: argparse.Namespace) -> Dict[Tuple[str, str], Dict[int, dict]]:
    """Time every call in ``args.rounds`` interleaved rounds (all cells once per round).

    Each round gives a cell the median of ``args.repeats`` blocks after ``args.warmup`` calls;
    the reported time is the median over rounds, so slow phases of a shared machine hit every
    model alike instead of whichever model was being timed at that moment.

    Returns:
        dict: ``{(model, runtime): {batch: dict(ms_per_call, ms_per_image, fps, spread,
        rounds_ms)}}``; spread = (max - min) / median over rounds.
    """
    per_round: Dict[Tuple[str, str], Dict[int, List[float]]] = {
        key: {b: [] for b in calls} for key, calls in cells.items()}
    for rnd in range(args.rounds):
        for key, calls in cells.items():
            for batch, fn in calls.items():
                t = time_call(fn, warmup=args.warmup, repeats=args.repeats,
                              min_block_s=args.min_block_s)
                per_round[key][batch].append(t['median_s'])
        logging.info('round %d / %d done', rnd + 1, args.rounds)
    out: Dict[Tuple[str, str], Dict[int, dict]] = {}
    for key, batches in per_round.items():
        out[key] = {}
        for batch, times in batches.items():
            med = statistics.median(times)
            out[key][batch] = dict(
                ms_per_call=1e3 * med, ms_per_image=1e3 * med / batch, fps=batch / med,
                spread=(max(times) - min(times)) / med,
                rounds_ms=[1e3 * t for t in times])
    return out


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    crops80 = face_crops(args.calib_faces, 80)
    inputs = {b: to_batch(crops80, b) for b in args.batches}
    rows: List[dict] = []
    results: Dict[str, dict] = {}
    cells: Cells = {}
    # the same 256 x 256 crops feed ResNet-18 and dlib
    crops256 = face_crops(args.calib_faces, 256) if args.resnet or args.dlib else None
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        for width in args.widths:
            name = f'RCN-{width_name(width)}'
            model = load_pose_model(osp.join(REPO, RCN_CONFIG), args.checkpoints.get(width),
                                    cfg_options={'model.backbone.width': width})
            results[name] = dict(width=width, paper_fps=PAPER_FPS.get(width))
            models.append((name, model, landmark_net(model, (80, 80)), inputs, crops80))
        if args.resnet:
            model = load_pose_model(osp.join(REPO, RES18_CONFIG))
            name = 'ResNet-18 + IntegralRegressionHead (256)'
            results[name] = dict(width=None, paper_fps=None)
            models.append((name, model, landmark_net(model, (256, 256)),
                           {b: to_batch(crops256, b) for b in args.batches}, crops256))
        for config, checkpoint in args.configs:
            model = load_pose_model(config, checkpoint)
            size = model_input_size(model)
            name = osp.splitext(osp.basename(config))[0]
            crops = face_crops(args.calib_faces, size[0]) if size[0] == size[1] else None
            if crops is None:
                raise ValueError(f'{config}: only square inputs are benchmarked, got {size}')
            results[name] = dict(width=None, paper_fps=None, config=config,
                                 checkpoint=checkpoint, input_size=list(size))
            models.append((name, model, landmark_net(model, size),
                           {b: to_batch(crops, b) for b in args.batches}, crops))
        for name, model, net, model_inputs, crops in models:
            results[name].update(params=sum(p.numel() for p in model.parameters()),
                                 mb_state_dict=state_dict_mb(model))
            runtimes = torch_cells(net, model_inputs, args)
            if any(r.startswith('onnx') or r == 'int8' for r in args.runtimes):
                onnx, sizes = onnx_cells(model, net, model_inputs, crops, tmp,
                                         name.split(' ')[0].replace('/', '-'), args)
                runtimes.update(onnx)
                for runtime, mb in sizes.items():
                    results[name][runtime] = dict(mb_file=mb)
            for runtime, calls in runtimes.items():
                cells[(name, runtime)] = calls
            logging.info('%s built', name)
        dlib = dlib_call(crops256) if args.dlib else None
        if dlib is not None:
            cells[('dlib', 'dlib')] = {1: dlib[0]}
        timings = measure(cells, args)
    for (name, runtime), res in timings.items():
        if name != 'dlib':
            results[name].setdefault(runtime, {}).update(res)
    dlib_res = dict(timings[('dlib', 'dlib')][1], **dlib[1]) if dlib is not None else None

    for name, res in results.items():
        for runtime in ('eager', 'torchscript', 'onnxruntime', 'onnxruntime-int8'):
            if runtime not in res or not res[runtime]:
                continue
            b1 = res[runtime].get(1)
            b32 = res[runtime].get(max(args.batches))
            rows.append(dict(
                model=name, runtime=runtime, params=res['params'],
                mb=res[runtime].get('mb_file', res['mb_state_dict']),
                ms_b1=b1 and b1['ms_per_image'], fps_b1=b1 and b1['fps'],
                fps_b32=b32 and b32['fps'], paper_fps=res['paper_fps'],
                x_paper=(b1['fps'] / res['paper_fps']) if b1 and res['paper_fps'] else None))
    if dlib_res is not None:
        rows.append(dict(model='dlib 68-point shape predictor (per face)', runtime='dlib',
                         params=None, mb=None, ms_b1=dlib_res['ms_per_image'],
                         fps_b1=dlib_res['fps'], fps_b32=None, paper_fps=None, x_paper=None))
    payload = dict(machine=machine_info(args.threads), settings=vars(args).copy(),
                   results=results, dlib=dlib_res, rows=rows, targets=targets(results, dlib_res,
                                                                              args))
    payload['settings']['checkpoints'] = {width_name(k): v for k, v in args.checkpoints.items()}
    return payload


def targets(results: dict, dlib_res: Optional[dict], args: argparse.Namespace) -> List[dict]:
    """The issue's speed targets, each with the measured value and whether it holds."""
    out = []
    big = max(args.batches)

    def add(what: str, value: Optional[float], goal: float, higher: bool = True) -> None:
        if value is not None:
            out.append(dict(target=what, measured=value, goal=goal,
                            met=bool(value >= goal if higher else value <= goal)))

    r8, r1 = results.get('RCN-1/8'), results.get('RCN-1')
    if r8:
        add('RCN-1/8 eager fps (batch 1) >= 10x paper', r8['eager'][1]['fps'], 10 * 21.38)
        for rt in ('onnxruntime', 'onnxruntime-int8'):
            if rt in r8:
                add(f'RCN-1/8 {rt} fps (batch 1) >= 30x paper', r8[rt][1]['fps'], 30 * 21.38)
        if dlib_res:
            for rt in ('eager', 'onnxruntime', 'onnxruntime-int8'):
                if rt not in r8:
                    continue
                add(f'RCN-1/8 {rt} ms per face <= dlib ms per face (medians)',
                    r8[rt][1]['ms_per_image'], dlib_res['ms_per_image'], higher=False)
                # the same, round by round: each round times both within a minute or two
                ratios = [m / d for m, d in zip(r8[rt][1]['rounds_ms'], dlib_res['rounds_ms'])]
                add(f'RCN-1/8 {rt} / dlib ms per face, median of the per-round ratios '
                    f'({sum(r <= 1 for r in ratios)} of {len(ratios)} rounds <= 1)',
                    statistics.median(ratios), 1.0, higher=False)
    if r1:
        add('RCN-1 eager fps (batch 1) >= 5x paper', r1['eager'][1]['fps'], 5 * 4.92)
    if big > 1:
        for name, res in results.items():
            for rt in ('eager', 'torchscript', 'onnxruntime', 'onnxruntime-int8'):
                if res.get(rt) and 1 in res[rt] and big in res[rt]:
                    add(f'{name} {rt}: batch-{big} fps per image >= batch-1 fps',
                        res[rt][big]['fps'], res[rt][1]['fps'])
    return out


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--widths', type=parse_width, nargs='+',
                        default=sorted(PAPER_FPS), help='RCN widths (default 1/16 .. 1)')
    parser.add_argument('--batches', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--threads', type=int, default=2, help='torch / ORT intra-op threads')
    parser.add_argument('--runtimes', nargs='+',
                        default=['eager', 'torchscript', 'onnxruntime', 'int8'],
                        choices=['eager', 'torchscript', 'onnxruntime', 'int8'])
    parser.add_argument('--no-resnet', dest='resnet', action='store_false',
                        help='skip ResNet-18 + IntegralRegressionHead')
    parser.add_argument('--no-dlib', dest='dlib', action='store_false', help='skip dlib')
    parser.add_argument('--checkpoint', nargs=2, action='append', default=[],
                        metavar=('WIDTH', 'CKPT'), help='trained weights for a width')
    parser.add_argument('--config', nargs='+', action='append', default=[],
                        metavar='CONFIG [CKPT]', dest='config_args',
                        help='also time this config (any head: SoftArgmaxHead, PIPHead, '
                        'HeatmapHead, IntegralRegressionHead; decoding included), with '
                        'optional weights; repeat for several')
    parser.add_argument('--rounds', type=int, default=3,
                        help='interleaved rounds over all models; the median over rounds is '
                        'reported')
    parser.add_argument('--warmup', type=int, default=10, help='calls before each timing')
    parser.add_argument('--repeats', type=int, default=7, help='timed blocks per round')
    parser.add_argument('--min-block-s', type=float, default=0.5)
    parser.add_argument('--calib-faces', type=int, default=32,
                        help='real face crops used as inputs and for int8 calibration')
    parser.add_argument('--out-dir', default='work_dirs/benchmarks')
    args = parser.parse_args(argv)
    if 1 not in args.batches:
        parser.error('--batches must include 1 (the latency figures)')
    args.checkpoints = {parse_width(w): c for w, c in args.checkpoint}
    args.configs = []
    for values in args.config_args:
        if len(values) > 2:
            parser.error(f'--config takes CONFIG [CKPT], got {values}')
        args.configs.append((values[0], values[1] if len(values) == 2 else None))
    del args.config_args
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    args = parse_args(argv)
    payload = run(args)
    columns = ['model', 'runtime', 'params', 'mb', 'ms_b1', 'fps_b1', 'fps_b32', 'paper_fps',
               'x_paper']
    headers = ['model', 'runtime', 'params', 'MB', 'ms / face (b1)', 'fps (b1)',
               f'fps / image (b{max(args.batches)})', 'paper fps', 'x paper']
    m = payload['machine']
    table = (f'CPU: {m["cpu"]}, {m["cores"]} cores, {args.threads} threads, torch {m["torch"]}, '
             f'{m["date"]}; median over {args.rounds} interleaved rounds of the median of '
             f'{args.repeats} blocks after {args.warmup} warm-up calls.\n\n'
             + markdown_table(payload['rows'], columns, headers) + '\n\n'
             + markdown_table(payload['targets'], ['target', 'measured', 'goal', 'met']))
    write_report(args.out_dir, 'speed', payload, table)
    print(table)
    print(f'\nwritten: {osp.join(args.out_dir, "speed.json")} and speed.md')
    return payload


if __name__ == '__main__':
    main()
