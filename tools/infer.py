r"""Face landmarks with uncertainty on an image, a folder of images or a video.

    python tools/infer.py INPUT [options]                     # the default zoo model
    python tools/infer.py MODEL INPUT [options]               # a zoo name, e.g. rcn-w1-4
    python tools/infer.py CONFIG CHECKPOINT INPUT [options]   # any config + checkpoint
    python tools/infer.py [MODEL [CHECKPOINT]] --camera 0     # a camera / stream OpenCV opens

Faces come from an offline detector (``--detector auto``, the default: dlib's HOG detector,
else MTCNN when installed, else OpenCV's bundled Haar cascade; or one of them by name, a
cascade ``.xml`` / YuNet ``.onnx`` file), from a box file
(``--boxes boxes.json|boxes.txt``, lines ``file x y w h``) or from the whole image
(``--whole-image``: each image is one face crop ``--crop-scale`` x the landmark box, 2 for
crops cut like the 300W subset). Faces of several images are batched through the
model (``--batch-size``).

Videos and cameras are *tracked* (:class:`mmlaplace.apis.FaceTracker`): the detector runs on
the first frame, after a face is lost and every ``--detect-interval`` frames; in between each
face is cropped from its previous landmarks, keeps its id, and its landmarks are smoothed by
``--filter``: ``kalman-affine`` (the default: the face's affine motion, fitted to landmarks
weighted by the model's own Laplace scales, carries every landmark, and a Kalman filter with
the Laplace variance as measurement noise smooths each one, so uncertain landmarks follow the
face), ``kalman`` (a constant-velocity Kalman filter per coordinate, same measurement
noise), ``one-euro`` or ``none``. A face that leaves the image
(or whose predicted scales pass ``--lost-scale``) and comes back gets a new id. With
``--boxes`` a video's frames use the given boxes instead, unfiltered.

Writes ``DIR/predictions.json`` (per image / frame: its faces with ``bbox`` [x1, y1, x2, y2],
``keypoints`` (K, 2), ``keypoint_scales`` (K, 2) per-axis Laplace scales b and
``keypoint_scores`` (K,), all in image pixels; tracked frames also ``track_id``,
``raw_keypoints`` (the model's, unfiltered), ``keypoint_variances`` (the filter's, px^2) and
``uncertain`` flags) and, unless ``--no-vis``, annotated images under ``DIR/vis/`` or
``DIR/<video>_landmarks.<ext>`` (ellipses of half-axes b, face ids). If a video breaks
mid-stream (an unreadable or resized frame) the frames done so far are written, valid, before
the error.

Examples:
    python tools/infer.py photos/ --out-dir work_dirs/infer
    python tools/infer.py rcn-w1-8 photos/
    python tools/infer.py configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py \\
        epoch_8.pth photos/ --out-dir work_dirs/infer
    python tools/infer.py CONFIG CKPT crops/ --whole-image
    python tools/infer.py rcn-w1-4 clip.mp4 --filter kalman
    python tools/infer.py --camera 0 --max-frames 300
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
from mmlaplace.apis.face_tracking import FaceTracker  # noqa: E402
from mmlaplace.apis.landmark_filters import LANDMARK_FILTERS  # noqa: E402
from mmlaplace.utils.model_zoo import DEFAULT_MODEL, resolve_model  # noqa: E402

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('positional', nargs='*', metavar='ARG',
                        help='[MODEL [CHECKPOINT]] INPUT. INPUT: an image, a folder of images '
                        '(searched recursively) or a video (none with --camera); MODEL: a '
                        f'model zoo name (default: {DEFAULT_MODEL}) or a '
                        'config file, with CHECKPOINT for a config')
    parser.add_argument('--camera', default=None, metavar='ID|URL',
                        help='track faces on a camera index (0) or a stream URL OpenCV opens')
    parser.add_argument('--max-frames', type=int, default=None,
                        help='video / camera: stop after N frames (Ctrl-C also stops cleanly)')
    parser.add_argument('--filter', default='kalman-affine', choices=sorted(LANDMARK_FILTERS),
                        help='video / camera: temporal landmark filter (default: '
                        'kalman-affine; see docs/results.md section 6)')
    parser.add_argument('--detect-interval', type=int, default=0,
                        help='video / camera: also detect every N frames to find new faces '
                        '(default 0: only at the start and after a face is lost)')
    parser.add_argument('--lost-scale', type=float, default=0.08,
                        help='video / camera: a face is lost when its mean predicted scale '
                        'over its box side passes this (default 0.08)')
    parser.add_argument('--uncertain-scale', type=float, default=0.03,
                        help='video / camera: flag landmarks whose scale over the box side '
                        'passes this (default 0.03; drawn red)')
    parser.add_argument('--out-dir', default='work_dirs/infer', help='output folder')
    parser.add_argument('--out-json', default=None,
                        help='predictions JSON (default: OUT_DIR/predictions.json)')
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--detector', default='auto',
                        help="'auto' (the best installed: dlib-hog, else mtcnn, else haar), "
                        "'haar' (OpenCV's bundled cascade), 'dlib-hog' (dlib-bin), 'dlib-mmod' "
                        "(+ face_recognition_models; slow on CPU), 'mtcnn' (pip install "
                        "--no-deps facenet-pytorch requests), a cascade .xml or a YuNet .onnx "
                        "file (default: auto)")
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
                        help='images per model batch (all their faces go together); '
                        'video frames are tracked one by one')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-vis', action='store_true', help='skip annotated outputs')
    parser.add_argument('--ellipse-scale', type=float, default=1.0,
                        help='drawn ellipse half-axes = this x the Laplace scales')
    parser.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE',
                        help='config overrides, e.g. model.test_cfg.flip_test=True')
    args = parser.parse_args(argv)
    if args.camera is not None:
        if len(args.positional) > 2:
            parser.error('with --camera expected [MODEL [CHECKPOINT]], got '
                         f'{len(args.positional)} positional arguments')
        model, args.input = list(args.positional), None
    else:
        if not 1 <= len(args.positional) <= 3:
            parser.error('expected [MODEL [CHECKPOINT]] INPUT (or --camera), got '
                         f'{len(args.positional)} positional arguments')
        *model, args.input = args.positional
    if args.max_frames is not None and args.max_frames < 1:
        parser.error(f'--max-frames must be >= 1, got {args.max_frames}')
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


class VideoError(Exception):
    """A video / camera that cannot be opened or read, or breaks mid-stream."""


def open_capture(source: str) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` of a file, a camera index or a stream URL."""
    cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not cap.isOpened():
        cap.release()
        kind = 'camera' if source.isdigit() else 'video'
        raise VideoError(f'cannot open {kind} {source} with OpenCV (missing, unreadable or '
                         'an unsupported codec)')
    return cap


def read_frames(cap: cv2.VideoCapture, source: str,
                max_frames: Optional[int] = None) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, BGR frame)`` until the end; a first frame that fails is an error."""
    index = 0
    while max_frames is None or index < max_frames:
        ok, frame = cap.read()
        if not ok or frame is None:
            if index == 0:
                raise VideoError(f'{source}: no frame could be read (empty or broken video)')
            break
        yield index, frame
        index += 1


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


def frame_result(name: str, frame: Optional[int], image: np.ndarray, faces: list) -> dict:
    return dict(file=name, frame=frame, height=image.shape[0], width=image.shape[1],
                faces=[face_to_json(f) for f in faces])


def run_images(args, landmarker: FaceLandmarker, root: str, files: List[str],
               boxes: Optional[dict], results: List[dict]) -> None:
    """Images: batched through the model, faces from the detector / boxes / whole image."""
    items = ((name, None, osp.join(root, name)) for name in files)
    with tqdm(total=len(files), unit='img', desc='infer', dynamic_ncols=True) as bar:
        for chunk in chunks(items, args.batch_size):
            images = [cv2.imread(path) for _, _, path in chunk]
            for (name, _, _), image in zip(chunk, images):
                if image is None:
                    raise SystemExit(f'infer: cannot read image {osp.join(root, name)}')
            given = (None if boxes is None else
                     [lookup_boxes(boxes, name, frame) for name, frame, _ in chunk])
            faces = landmarker.predict(images, given)
            for (name, _, _), image, image_faces in zip(chunk, images, faces):
                results.append(frame_result(name, None, image, image_faces))
                if not args.no_vis:
                    out = osp.join(args.out_dir, 'vis', name)
                    os.makedirs(osp.dirname(out), exist_ok=True)
                    cv2.imwrite(out, draw_faces(image, image_faces,
                                                ellipse_scale=args.ellipse_scale))
            bar.update(len(chunk))


def run_video(args, landmarker: FaceLandmarker, source: str, name: str,
              boxes: Optional[dict], results: List[dict]) -> Optional[str]:
    """A video file or camera: tracked and filtered (or the box file's boxes per frame).

    Frames go to ``results`` (and the annotated video) as they are done, so that an error
    mid-stream leaves valid outputs of the frames before it. Returns the annotated video's
    path (None with ``--no-vis``).
    """
    cap = open_capture(source)
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if not args.camera else 0
    total = min(total, args.max_frames) if total > 0 and args.max_frames else total
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    fps = fps if 1 <= fps <= 240 else 25.0
    tracker = None if boxes is not None else FaceTracker(
        landmarker, landmark_filter=args.filter, detect_interval=args.detect_interval,
        lost_scale=args.lost_scale, uncertain_scale=args.uncertain_scale,
        max_faces=args.max_faces)
    writer, video_out, shape = None, None, None
    try:
        with tqdm(total=total or None, unit='frame', desc='infer', dynamic_ncols=True) as bar:
            for index, frame in read_frames(cap, source, args.max_frames):
                if shape is not None and frame.shape != shape:
                    raise VideoError(f'{source}: frame {index} is {frame.shape[1]}x'
                                     f'{frame.shape[0]}, the video {shape[1]}x{shape[0]}')
                shape = frame.shape
                if tracker is None:
                    faces = landmarker.predict([frame], [lookup_boxes(boxes, name, index)])[0]
                else:
                    faces = tracker.update(frame)
                results.append(frame_result(name, index, frame, faces))
                if not args.no_vis:
                    if writer is None:
                        writer, video_out = open_writer(name, args.out_dir, shape[:2], fps)
                    writer.write(draw_faces(frame, faces, ellipse_scale=args.ellipse_scale))
                bar.update(1)
    except KeyboardInterrupt:
        print(f'infer: stopped after {len(results)} frames')
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    return video_out


def write_json(path: str, args, boxes: Optional[dict], results: List[dict],
               error: Optional[str] = None) -> None:
    summary = dict(config=args.config, checkpoint=args.checkpoint,
                   input=args.input if args.camera is None else f'camera:{args.camera}',
                   faces_from=('boxes:' + args.boxes if boxes is not None else
                               'whole-image' if args.whole_image else args.detector),
                   keypoint_scales='per-axis Laplace scale b of each landmark, image pixels',
                   num_images=len(results), num_faces=sum(len(r['faces']) for r in results),
                   complete=error is None, results=results)
    if error is not None:
        summary['error'] = error
    if args.kind == 'video' and boxes is None:
        summary['filter'] = args.filter
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(summary, f)
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        args.config, args.checkpoint = resolve_model(args.config, args.checkpoint)
    except (KeyError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'infer: {err}') from None
    if args.camera is not None:
        args.kind, files, root = 'video', [f'camera{args.camera}'], ''
    else:
        args.kind, files = list_inputs(args.input)
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
    results: List[dict] = []
    video_out = None
    if args.kind == 'images':
        run_images(args, landmarker, root, files, boxes, results)
    else:
        source = args.camera if args.camera is not None else osp.join(root, files[0])
        try:
            video_out = run_video(args, landmarker, source, files[0], boxes, results)
        except VideoError as err:
            if results:
                write_json(out_json, args, boxes, results, error=str(err))
                raise SystemExit(f'infer: {err}; the {len(results)} frames before it are in '
                                 f'{out_json}') from None
            raise SystemExit(f'infer: {err}') from None
    write_json(out_json, args, boxes, results)
    num_faces = sum(len(r['faces']) for r in results)
    print(f'infer: {num_faces} faces in {len(results)} '
          f'{"frames" if args.kind == "video" else "images"} -> {out_json}'
          + (f', {video_out}' if video_out else '')
          + ('' if args.no_vis or args.kind == 'video' else
             f', {osp.join(args.out_dir, "vis")}/'))


def _cfg_options(args: argparse.Namespace) -> Optional[dict]:
    if not args.cfg_options:
        return None
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='opts')(None, ns, args.cfg_options)
    return ns.opts


if __name__ == '__main__':
    main()
