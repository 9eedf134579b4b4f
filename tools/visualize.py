"""Draw the paper's pictures for one or two trained models on the same faces.

For each model, on the first ``--num`` faces of the config's test dataset (or the images of
``--img-dir``, each taken as a whole face crop), writes into ``--out-dir``:

- ``heatmaps_<name>.png``: all K heatmaps superimposed on each face, colour bar (Fig. 1 / 3);
- ``uncertainty_<name>.png``: predictions over the ground truth with per-landmark ellipses of
  half-axes the predicted Laplace scales ``keypoint_scales`` (Fig. 5);
- with ``--compare CONFIG2 CKPT2``: ``compare_<name>_vs_<name2>.png``, both models on the same
  faces, heatmaps and uncertainty rows per model (the first model on top);
- ``summary.json``: per-face mean error and mean scale (crop pixels) of each model.

Example (R=../shared/data/300w_subset/):
    python tools/visualize.py \
        configs/softargmax/softargmax_rcn-w1-8_1xb32-200e_300w-80x80.py SA.pth \
        --compare configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py LKL.pth \
        --names softargmax_rcn-w1-8 laplacekl_rcn-w1-8 --out-dir docs --num 8 \
        --cfg-options test_dataloader.dataset.data_root=$R \
            test_dataloader.dataset.ann_file=annotations/face_landmarks_300w_valid_lfpw.json
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of the (first) model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--compare', nargs=2, metavar=('CONFIG2', 'CKPT2'),
                        help='a second model, drawn side by side on the same faces')
    parser.add_argument('--out-dir', required=True, help='folder for the PNGs')
    parser.add_argument('--num', type=int, default=8, help='number of faces (default 8)')
    parser.add_argument('--start', type=int, default=0, help='index of the first face')
    parser.add_argument('--img-dir', help='draw these images (whole-image face crops, no '
                        'ground truth) instead of the test dataset')
    parser.add_argument('--names', nargs='+', metavar='NAME',
                        help='model names in file names and labels (default: config names)')
    parser.add_argument('--scale-factor', type=float, default=1.0,
                        help='multiplier of the ellipses\' half-axes (default 1 = one b)')
    parser.add_argument('--dpi', type=int, default=100, help='pixels per inch (a face panel '
                        'is 1.7 inches)')
    parser.add_argument('--colors', type=int, default=0,
                        help='store PNGs with a palette of this many colours (2-256, e.g. '
                        '128 for small files in docs/); 0 = full RGB (default)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log the pictures to <out-dir>/tensorboard through '
                        'MMEngine\'s TensorboardVisBackend (needs tensorboard)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override settings of every config, e.g. '
                        'test_dataloader.dataset.data_root=...')
    args = parser.parse_args(argv)
    n_models = 1 + (args.compare is not None)
    if args.names is not None and len(args.names) != n_models:
        parser.error(f'--names needs {n_models} name(s) (one per model), got {args.names}')
    if args.num < 1 or args.start < 0:
        parser.error('--num must be >= 1 and --start >= 0')
    if args.colors and not 2 <= args.colors <= 256:
        parser.error(f'--colors must be 0 or in [2, 256], got {args.colors}')
    if args.img_dir is not None and not osp.isdir(args.img_dir):
        parser.error(f'--img-dir {args.img_dir} is not a folder')
    for config, ckpt in [(args.config, args.checkpoint)] + ([args.compare] if args.compare else []):
        if not osp.isfile(config):
            parser.error(f'config {config} not found')
        if not osp.isfile(ckpt):
            parser.error(f'checkpoint {ckpt} not found')
    if args.tensorboard:
        import importlib.util
        if importlib.util.find_spec('tensorboard') is None:
            parser.error('--tensorboard needs the tensorboard package (pip install tensorboard)')
    return args


def model_name(config: str) -> str:
    """File-name friendly name of a config: its stem."""
    return re.sub(r'[^\w.+-]', '_', osp.splitext(osp.basename(config))[0])


def load_model(config: str, checkpoint: str, cfg_options: Optional[dict],
               device: str) -> torch.nn.Module:
    """Build the model of ``config`` with ``cfg_options`` merged, load the checkpoint."""
    from mmpose.apis import init_model
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = init_model(cfg, checkpoint, device=device)
    # heatmaps are needed; flip averaging would need the dataset's flip indices
    model.test_cfg = dict(model.test_cfg or {}, output_heatmaps=True, flip_test=False)
    model.eval()
    return model


def face_items(model: torch.nn.Module, args: argparse.Namespace) -> List[Dict[str, Any]]:
    """The packed test inputs of the faces to draw, through ``model.cfg``'s test pipeline."""
    from mmengine.dataset import Compose
    from mmpose.registry import DATASETS
    cfg = model.cfg
    if args.img_dir is None:
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        stop = min(args.start + args.num, len(dataset))
        if args.start >= stop:
            raise SystemExit(f'visualize: --start {args.start} is past the {len(dataset)} faces '
                             'of the test dataset')
        return [dataset[i] for i in range(args.start, stop)]
    from PIL import Image
    files = sorted(f for f in os.listdir(args.img_dir) if f.lower().endswith(IMAGE_EXTENSIONS))
    files = files[args.start:args.start + args.num]
    if not files:
        raise SystemExit(f'visualize: no {"/".join(IMAGE_EXTENSIONS)} images in '
                         f'{args.img_dir} (from --start {args.start})')
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    items = []
    for i, name in enumerate(files):
        path = osp.join(args.img_dir, name)
        with Image.open(path) as im:
            w, h = im.size
        info = dict(img_path=path, id=i, img_id=i,
                    bbox=np.array([[0, 0, w, h]], np.float32),
                    bbox_score=np.ones(1, np.float32))
        info.update(model.dataset_meta or {})
        items.append(pipeline(info))
    return items


@torch.no_grad()
def predict(model: torch.nn.Module, items: List[Dict[str, Any]],
            batch_size: int) -> List[Dict[str, Any]]:
    """Run the model; return the faces in crop pixels (see ``sample_to_crop``)."""
    from mmengine.dataset import pseudo_collate

    from mmlaplace.visualization import sample_to_crop
    crops = []
    for start in range(0, len(items), batch_size):
        batch = pseudo_collate(items[start:start + batch_size])
        samples = model.test_step(batch)
        crops += [sample_to_crop(x, s) for x, s in zip(batch['inputs'], samples)]
    return crops


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    import mmlaplace  # noqa: F401  (registers the modules)
    from mmlaplace.visualization import (
        crop_errors,
        draw_comparison,
        draw_heatmaps,
        draw_uncertainty,
        save_rgb,
    )
    t0 = time.time()
    models = [(args.config, args.checkpoint)] + ([tuple(args.compare)] if args.compare else [])
    names = args.names or [model_name(c) for c, _ in models]
    if len(set(names)) != len(names):
        names = [f'{n}_{i + 1}' for i, n in enumerate(names)]
    source = args.img_dir

    all_crops, summary = [], dict(faces=[], models={}, files=[])
    for (config, ckpt), name in zip(models, names):
        model = load_model(config, ckpt, args.cfg_options, args.device)
        if source is None:
            source = osp.basename(str(model.cfg.test_dataloader.dataset.get('ann_file', ''))) \
                or 'the test dataset'
        crops = predict(model, face_items(model, args), args.batch_size)
        paths = [osp.basename(c['img_path']) for c in crops]
        if all_crops and paths != summary['faces']:
            raise SystemExit(f'visualize: the two configs give different faces ({paths} vs '
                             f'{summary["faces"]}); point both test datasets at the same data')
        summary['faces'] = paths
        all_crops.append(crops)
        errors = [crop_errors(c) for c in crops]
        summary['models'][name] = dict(
            config=config, checkpoint=ckpt,
            mean_error_px=[e for e, _ in errors], mean_scale_px=[s for _, s in errors])
        title = f'{name}: {len(crops)} faces of {source}'
        for kind, image in (
                ('heatmaps', draw_heatmaps(crops, title=title, dpi=args.dpi)),
                ('uncertainty', draw_uncertainty(crops, title=title, dpi=args.dpi,
                                                 scale_factor=args.scale_factor))):
            summary['files'].append(save_rgb(image, osp.join(args.out_dir, f'{kind}_{name}.png'),
                                             colors=args.colors))
        del model
    if args.compare:
        image = draw_comparison(all_crops, names, title=f'{names[0]} vs {names[1]}: '
                                f'{len(all_crops[0])} faces of {source}',
                                scale_factor=args.scale_factor, dpi=args.dpi)
        summary['files'].append(save_rgb(image, osp.join(
            args.out_dir, f'compare_{names[0]}_vs_{names[1]}.png'), colors=args.colors))
    if args.tensorboard:
        log_pictures(summary['files'], osp.join(args.out_dir, 'tensorboard'))
    summary['seconds'] = round(time.time() - t0, 1)
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    for name, stats in summary['models'].items():
        err = [e for e in stats['mean_error_px'] if e is not None]
        scale = [s for s in stats['mean_scale_px'] if s is not None]
        print(f'{name}: mean error {np.mean(err) if err else float("nan"):.2f} px, mean scale '
              f'b {np.mean(scale) if scale else float("nan"):.2f} px (input crop pixels)')
    print('wrote ' + ', '.join(summary['files']) + f' in {summary["seconds"]} s')


def log_pictures(files: List[str], save_dir: str,
                 backend: str = 'TensorboardVisBackend') -> None:
    """Send the written pictures through an MMEngine vis backend (``add_image``, step 0)."""
    import cv2
    from mmengine.visualization import Visualizer
    vis = Visualizer.get_instance(f'mmlaplace_visualize_{time.time_ns()}', save_dir=save_dir,
                                  vis_backends=[dict(type=backend)])
    for path in files:
        vis.add_image(osp.splitext(osp.basename(path))[0],
                      np.ascontiguousarray(cv2.imread(path)[..., ::-1]), step=0)
    vis.close()


if __name__ == '__main__':
    sys.exit(main())
