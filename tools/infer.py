r"""Face landmarks with uncertainty on an image, a folder of images or a video.

    python tools/infer.py INPUT [options]                     # the default zoo model
    python tools/infer.py MODEL INPUT [options]               # a zoo name, e.g. rcn-w1-4
    python tools/infer.py CONFIG CHECKPOINT INPUT [options]   # any config + checkpoint

Faces come from an offline detector (``--detector haar``, the default: OpenCV's bundled
frontal-face cascade; or a cascade ``.xml`` / YuNet ``.onnx`` file), from a box file
(``--boxes boxes.json|boxes.txt``, lines ``file x y w h``) or from the whole image
(``--whole-image``: each image is one face crop ``--crop-scale`` x the landmark box, 2 for
crops cut like the 300W subset). Faces of several images / frames are batched through the
model (``--batch-size``).

Writes ``DIR/predictions.json`` (per image / frame: its faces with ``bbox`` [x1, y1, x2, y2],
``keypoints`` (K, 2), ``keypoint_scales`` (K, 2) per-axis Laplace scales b and
``keypoint_scores`` (K,), all in image pixels) and, unless ``--no-vis``, annotated images
under ``DIR/vis/`` or ``DIR/<video>_landmarks.<ext>`` (ellipses of half-axes b).

Examples:
    python tools/infer.py photos/ --out-dir work_dirs/infer
    python tools/infer.py rcn-w1-8 photos/
    python tools/infer.py configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py \\
        epoch_8.pth photos/ --out-dir work_dirs/infer
    python tools/infer.py CONFIG CKPT crops/ --whole-image
    python tools/infer.py CONFIG CKPT clip.mp4 --batch-size 64
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.apis.box_files import load_box_file, lookup_boxes  # noqa: E402
from mmlaplace.apis.face_detection import build_face_detector  # noqa: E402
from mmlaplace.apis.face_drawing import draw_faces  # noqa: E402
from mmlaplace.apis.face_landmarker import FaceLandmarker, face_to_json  # noqa: E402
from mmlaplace.utils.model_zoo import DEFAULT_MODEL, resolve_model  # noqa: E402

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('positional', nargs='+', metavar='ARG',
                        help='[MODEL [CHECKPOINT]] INPUT. INPUT: an image, a folder of images '
                        '(searched recursively) or a video; MODEL: a model zoo name '
                        f'(default: {DEFAULT_MODEL}) or a '
                        'config file, with CHECKPOINT for a config')
    parser.add_argument('--out-dir', default='work_dirs/infer', help='output folder')
    parser.add_argument('--out-json', default=None,
                        help='predictions JSON (default: OUT_DIR/predictions.json)')
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--detector', default='haar',
                        help="'haar' (OpenCV's bundled cascade), a cascade .xml or a YuNet "
                        '.onnx file (default: haar)')
    source.add_argument('--boxes', default=None,
                        help='box file: JSON {"file": [[x, y, w, h], ...]} or text lines '
                        '"file x y w h" (landmark boxes, image pixels)')
    source.add_argument('--whole-image', action='store_true',
                        help='each image is one face crop (see --crop-scale)')
    parser.add_argument('--crop-scale', type=float, default=2.0,
                        help='--whole-image: image side / landmark box side (default 2.0, '
                        'as the 300W subset crops; 1.25 = the model input itself)')
    parser.add_argument('--max-faces', type=int, default=None,
                        help='detector: keep the N largest faces per image')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='images / frames per model batch (all their faces go together)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-vis', action='store_true', help='skip annotated outputs')
    parser.add_argument('--ellipse-scale', type=float, default=1.0,
                        help='drawn ellipse half-axes = this x the Laplace scales')
    parser.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE',
                        help='config overrides, e.g. model.test_cfg.flip_test=True')
    args = parser.parse_args(argv)
    if len(args.positional) > 3:
        parser.error('expected [MODEL [CHECKPOINT]] INPUT, got '
                     f'{len(args.positional)} positional arguments')
    *model, args.input = args.positional
    args.config = model[0] if model else DEFAULT_MODEL
    args.checkpoint = model[1] if len(model) > 1 else None
    if args.checkpoint is None and args.config.endswith('.py'):
        parser.error(f'a config ({args.config}) needs a CHECKPOINT; or give a model zoo name')
    return args


def list_inputs(path: str) -> Tuple[str, List[str]]:
    """``('video' | 'images', files)``; files are relative to the input folder."""
    if osp.isdir(path):
        files = sorted(osp.relpath(osp.join(d, f), path) for d, _, names in os.walk(path)
                       for f in names if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise SystemExit(f'infer: no images ({", ".join(IMAGE_EXTS)}) under {path}')
        return 'images', files
    if not osp.isfile(path):
        raise SystemExit(f'infer: input {path} not found')
    if path.lower().endswith(VIDEO_EXTS):
        return 'video', [osp.basename(path)]
    if path.lower().endswith(IMAGE_EXTS):
        return 'images', [osp.basename(path)]
    raise SystemExit(f'infer: input {path} is neither an image ({", ".join(IMAGE_EXTS)}) nor a '
                     f'video ({", ".join(VIDEO_EXTS)})')


def chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_frames(path: str) -> Iterator[Tuple[int, np.ndarray]]:
    cap = cv2.VideoCapture(path)
    try:
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield index, frame
            index += 1
    finally:
        cap.release()


def open_writer(src: str, out_dir: str, frame_shape: Tuple[int, int],
                fps: float) -> Tuple[cv2.VideoWriter, str]:
    stem, ext = osp.splitext(osp.basename(src))
    ext = ext.lower() if ext.lower() in ('.mp4', '.avi') else '.mp4'
    out = osp.join(out_dir, f'{stem}_landmarks{ext}')
    fourcc = cv2.VideoWriter_fourcc(*('MJPG' if ext == '.avi' else 'mp4v'))
    writer = cv2.VideoWriter(out, fourcc, fps, (frame_shape[1], frame_shape[0]))
    if not writer.isOpened():
        raise SystemExit(f'infer: cannot write video {out} with OpenCV')
    return writer, out


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        args.config, args.checkpoint = resolve_model(args.config, args.checkpoint)
    except (KeyError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'infer: {err}') from None
    kind, files = list_inputs(args.input)
    root = args.input if osp.isdir(args.input) else osp.dirname(args.input)
    boxes = load_box_file(args.boxes) if args.boxes else None
    if boxes is not None or args.whole_image:
        detector = None
    else:
        detector = build_face_detector(args.detector, max_faces=args.max_faces)
    landmarker = FaceLandmarker(args.config, args.checkpoint, device=args.device,
                                detector=detector, batch_size=args.batch_size,
                                crop_scale=args.crop_scale, cfg_options=_cfg_options(args))
    os.makedirs(args.out_dir, exist_ok=True)
    out_json = args.out_json or osp.join(args.out_dir, 'predictions.json')
    results, writer, video_out = [], None, None

    if kind == 'video':
        src = osp.join(root, files[0])
        cap = cv2.VideoCapture(src)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        cap.release()
        items = ((files[0], index, frame) for index, frame in read_frames(src))
    else:
        total = len(files)
        items = ((name, None, osp.join(root, name)) for name in files)

    with tqdm(total=total, unit='frame' if kind == 'video' else 'img',
              desc='infer', dynamic_ncols=True) as bar:
        for chunk in chunks(items, args.batch_size):
            images = [image if isinstance(image, np.ndarray) else cv2.imread(image)
                      for _, _, image in chunk]
            for (name, _, _), image in zip(chunk, images):
                if image is None:
                    raise SystemExit(f'infer: cannot read image {osp.join(root, name)}')
            given = (None if boxes is None else
                     [lookup_boxes(boxes, name, frame) for name, frame, _ in chunk])
            faces = landmarker.predict(images, given)
            for (name, frame, _), image, image_faces in zip(chunk, images, faces):
                results.append(dict(file=name, frame=frame, height=image.shape[0],
                                    width=image.shape[1],
                                    faces=[face_to_json(f) for f in image_faces]))
                if args.no_vis:
                    continue
                canvas = draw_faces(image, image_faces, ellipse_scale=args.ellipse_scale)
                if kind == 'video':
                    if writer is None:
                        writer, video_out = open_writer(name, args.out_dir, image.shape[:2],
                                                        fps)
                    writer.write(canvas)
                else:
                    out = osp.join(args.out_dir, 'vis', name)
                    os.makedirs(osp.dirname(out), exist_ok=True)
                    cv2.imwrite(out, canvas)
            bar.update(len(chunk))
    if writer is not None:
        writer.release()

    num_faces = sum(len(r['faces']) for r in results)
    summary = dict(config=args.config, checkpoint=args.checkpoint, input=args.input,
                   faces_from=('boxes:' + args.boxes if boxes is not None else
                               'whole-image' if args.whole_image else args.detector),
                   keypoint_scales='per-axis Laplace scale b of each landmark, image pixels',
                   num_images=len(results), num_faces=num_faces, results=results)
    with open(out_json, 'w', encoding='utf-8') as f:
        json.dump(summary, f)
    print(f'infer: {num_faces} faces in {len(results)} '
          f'{"frames" if kind == "video" else "images"} -> {out_json}'
          + (f', {video_out}' if video_out else '')
          + ('' if args.no_vis or kind == 'video' else f', {osp.join(args.out_dir, "vis")}/'))


def _cfg_options(args: argparse.Namespace) -> Optional[dict]:
    if not args.cfg_options:
        return None
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='opts')(None, ns, args.cfg_options)
    return ns.opts


if __name__ == '__main__':
    main()
