r"""Offline face detectors side by side: detection rate, box fit and speed.

Every detector runs on the same images in one process, single-threaded (``OMP``, OpenCV and
torch at 1 thread), interleaved image by image (so a slow phase of a shared machine hits all
of them alike):

* **300W subset** (``--data-root``, 256 x 256 crops of 2 x the landmark box): the
  detector-box -> landmark-box transform of each detector is fitted
  (:meth:`FaceBoxTransform.fit`, medians) on the *training* annotations only; a face counts
  as found when a mapped detection has IoU >= 0.5 with the true square landmark box (centre
  of the 68-point box, side max(w, h): the region the model crops). Rates are reported on
  the LFPW test set (224, never used for fitting) and on all 2,236 faces, with the mean IoU
  of the found faces; false positives per image are the detections that do not match the
  annotated face (some crops do show a neighbour's face, so this is an upper bound).
* **CelebA** (``--celeba``, 89 x 109 aligned faces, no labels): the rate of images with any
  detection, and, as the faces are aligned, the IoU with a reference box: the median of all
  detectors' mapped boxes over all images (a consensus). False positives per image are the
  detections with IoU < 0.5 with it.
* **ms / image**: the median *CPU* time (``time.process_time``, single thread) of
  ``detector.detect(image)`` (BGR image in, raw boxes out; the box transform costs
  microseconds): on a shared machine the wall time mostly measures the waiting for a core,
  the CPU time what the detector costs. The median wall time is in the JSON too.

``--save-raw FILE`` keeps the raw boxes and times (``.npz``); ``--load-raw FILE`` recomputes
the metrics from them without detecting (e.g. after changing a library transform).

A detector is given as ``NAME`` or ``NAME:key=value,key=value`` (constructor options, e.g.
``dlib-hog:upsample=1`` or ``dlib-hog:min_side=None``). Slow detectors can run on every k-th
image only (``--every dlib-mmod=20``); their rows say on how many images.

Examples::

    python tools/benchmark_detectors.py --data-root ../shared/data/300w_subset \
        --celeba ../shared/data/unlabeled_celeba --num-celeba 2000 \
        --out-dir docs/results/detectors
    python tools/benchmark_detectors.py --detectors haar dlib-hog --max-300w 100 \
        --num-celeba 100 --out-dir work_dirs/detectors

Writes ``detectors.json`` (settings, machine, fitted transforms, every metric) and
``detectors.md`` (the table) into ``--out-dir``.
"""
import argparse
import ast
import json
import logging
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

os.environ.setdefault('OMP_NUM_THREADS', '1')

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.apis.face_detection import (  # noqa: E402
    FaceBoxTransform,
    box_iou,
    build_face_detector,
)
from mmlaplace.structures.landmark_boxes import landmark_box, square_box  # noqa: E402
from mmlaplace.utils.benchmark import machine_info, markdown_table, write_report  # noqa: E402

ANNOTATIONS = {'train': 'annotations/face_landmarks_300w_train.json',
               'lfpw': 'annotations/face_landmarks_300w_valid_lfpw.json'}
DEFAULT_DETECTORS = ['haar', 'dlib-hog', 'dlib-hog:min_side=None', 'mtcnn', 'dlib-mmod']
IOU_FOUND = 0.5


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='../shared/data/300w_subset',
                        help='300W subset folder (annotations/ and images/)')
    parser.add_argument('--celeba', default='../shared/data/unlabeled_celeba',
                        help='folder of CelebA aligned faces (*.jpg); "" to skip')
    parser.add_argument('--num-celeba', type=int, default=2000,
                        help='CelebA images to use (the first N by name)')
    parser.add_argument('--max-300w', type=int, default=None,
                        help='use every k-th 300W face so that at most this many remain '
                        '(quick runs; default: all)')
    parser.add_argument('--detectors', nargs='+', default=DEFAULT_DETECTORS,
                        help='detector specs NAME[:key=value,...] (default: %(default)s)')
    parser.add_argument('--every', nargs='*', default=['dlib-mmod=20'],
                        help='SPEC=K: run that detector on every K-th image only '
                        '(default: %(default)s)')
    parser.add_argument('--out-dir', default='docs/results/detectors')
    parser.add_argument('--save-raw', default=None, help='save raw boxes and times (.npz)')
    parser.add_argument('--load-raw', default=None,
                        help='metrics from saved raw boxes and times, no detection')
    return parser.parse_args(argv)


def parse_spec(spec: str) -> Tuple[str, Dict[str, object]]:
    """``'dlib-hog:upsample=1,min_side=None'`` -> ``('dlib-hog', {...})``."""
    name, _, rest = spec.partition(':')
    options: Dict[str, object] = {}
    for item in filter(None, rest.split(',')):
        key, _, value = item.partition('=')
        try:
            options[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            options[key.strip()] = value.strip()
    return name, options


def load_300w(root: str, max_faces: Optional[int]) -> List[Dict[str, object]]:
    """Faces of both annotation files: ``file``, ``split``, ``landmarks`` (68, 2)."""
    faces = []
    for split, ann_file in ANNOTATIONS.items():
        with open(osp.join(root, ann_file)) as f:
            ann = json.load(f)
        files = {im['id']: im['file_name'] for im in ann['images']}
        for a in ann['annotations']:
            points = np.asarray(a['keypoints'], np.float32).reshape(-1, 3)[:, :2]
            faces.append(dict(file=osp.join(root, 'images', files[a['image_id']]), split=split,
                              landmarks=points))
    if max_faces and len(faces) > max_faces:
        step = int(np.ceil(len(faces) / max_faces))
        faces = faces[::step]
    return faces


def fit_transform(raw: List[np.ndarray], gts: List[np.ndarray],
                  landmarks: List[np.ndarray], start: FaceBoxTransform) -> FaceBoxTransform:
    """Fit on the detection of each face that matches it best, in two rounds.

    Round 1 matches with ``start`` (the detector's default transform) at IoU >= 0.3, round 2
    with the round-1 fit at IoU >= 0.5.
    """
    transform = start
    for threshold in (0.3, IOU_FOUND):
        det, pts = [], []
        for boxes, gt, lm in zip(raw, gts, landmarks):
            if len(boxes) == 0:
                continue
            overlap = box_iou(transform(boxes), gt)[:, 0]
            if overlap.max() >= threshold:
                det.append(boxes[overlap.argmax()])
                pts.append(lm)
        if not det:
            return transform
        transform = FaceBoxTransform.fit(np.stack(det), np.stack(pts))
    return transform


def face_metrics(raw: List[np.ndarray], gts: List[np.ndarray],
                 transform: FaceBoxTransform) -> Dict[str, object]:
    """Detection rate, mean IoU of the found faces, false positives per image."""
    best, extra = [], 0
    for boxes, gt in zip(raw, gts):
        overlap = box_iou(transform(boxes), gt)[:, 0] if len(boxes) else np.zeros(0)
        best.append(float(overlap.max()) if len(overlap) else 0.0)
        extra += int((overlap < IOU_FOUND).sum())
    best_arr = np.asarray(best)
    found = best_arr >= IOU_FOUND
    return dict(n=len(gts), found=int(found.sum()), rate=float(found.mean()) if len(gts) else None,
                mean_iou=float(best_arr[found].mean()) if found.any() else None,
                fp_per_image=extra / max(1, len(gts)))


def transform_dict(t: FaceBoxTransform) -> Dict[str, object]:
    return dict(shift=[round(float(s), 4) for s in t.shift], scale=round(float(t.scale), 4))


Raw = Dict[str, Dict[str, Dict[int, np.ndarray]]]
Times = Dict[str, Dict[str, List[float]]]


def run_detectors(detectors: Dict[str, object], images: Sequence[Tuple[str, str]],
                  index_in_set: Sequence[int], every: Dict[str, int]
                  ) -> Tuple[Raw, Times, Times, Dict[str, object]]:
    """Detect on every image with every detector, interleaved; raw boxes, CPU and wall s."""
    warm = cv2.imread(images[0][1])
    for det in detectors.values():  # lazy initialization, first torch call
        det.detect(warm)
    raw: Raw = {s: {'300w': {}, 'celeba': {}} for s in detectors}
    cpu: Times = {s: {'300w': [], 'celeba': []} for s in detectors}
    wall: Times = {s: {'300w': [], 'celeba': []} for s in detectors}
    load_start, start = os.getloadavg(), time.time()
    specs = list(detectors)
    for n, ((dataset, path), idx) in enumerate(zip(images, index_in_set)):
        image = cv2.imread(path)
        if image is None:
            raise FileNotFoundError(path)
        for k in range(len(specs)):
            spec = specs[(n + k) % len(specs)]  # rotate the order
            if idx % every.get(spec, 1):
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            boxes, _ = detectors[spec].detect(image)
            wall[spec][dataset].append(time.perf_counter() - t0)
            cpu[spec][dataset].append(time.process_time() - c0)
            raw[spec][dataset][idx] = np.asarray(boxes, np.float32).reshape(-1, 4)
        if (n + 1) % 200 == 0:
            logging.info('%d / %d images, %.0f s', n + 1, len(images), time.time() - start)
    info = dict(load_average_start=load_start, load_average_end=os.getloadavg(),
                seconds=round(time.time() - start, 1))
    return raw, cpu, wall, info


def save_raw(path: str, raw: Raw, cpu: Times, wall: Times, info: Dict[str, object]) -> None:
    """Raw boxes and times -> ``.npz`` (one JSON string)."""
    data = dict(info=info, cpu=cpu, wall=wall,
                raw={s: {d: {str(i): b.tolist() for i, b in v.items()} for d, v in r.items()}
                     for s, r in raw.items()})
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    np.savez_compressed(path, data=np.array(json.dumps(data)))


def load_raw(path: str, specs: Sequence[str]) -> Tuple[Raw, Times, Times, Dict[str, object]]:
    """Inverse of :func:`save_raw`, restricted to ``specs``."""
    data = json.loads(str(np.load(path)['data']))
    missing = [s for s in specs if s not in data['raw']]
    if missing:
        raise SystemExit(f'{path} has no raw boxes of {missing}')
    raw = {s: {d: {int(i): np.asarray(b, np.float32).reshape(-1, 4) for i, b in v.items()}
               for d, v in data['raw'][s].items()} for s in specs}
    return (raw, {s: data['cpu'][s] for s in specs}, {s: data['wall'][s] for s in specs},
            data['info'])


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """Run the benchmark; returns the JSON payload it writes."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    cv2.setNumThreads(1)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    every = {k: int(v) for k, v in (e.split('=') for e in args.every)}

    detectors, unavailable = {}, {}
    for spec in args.detectors:
        name, options = parse_spec(spec)
        try:
            detectors[spec] = build_face_detector(name, **options)
        except ImportError as e:
            logging.warning('%s: not available (%s)', spec, e)
            unavailable[spec] = str(e)
    if not detectors:
        raise SystemExit('no detector available')

    faces = load_300w(args.data_root, args.max_300w)
    celeba: List[str] = []
    if args.celeba:
        celeba = sorted(f for f in os.listdir(args.celeba) if f.endswith('.jpg'))
        celeba = [osp.join(args.celeba, f) for f in celeba[:args.num_celeba]]
    images = [('300w', f['file']) for f in faces] + [('celeba', f) for f in celeba]
    index_in_set = [i for i in range(len(faces))] + [i for i in range(len(celeba))]
    logging.info('%d 300W faces, %d CelebA images, detectors: %s', len(faces), len(celeba),
                 ', '.join(detectors))

    if args.load_raw:
        raw, times, wall, run_info = load_raw(args.load_raw, list(detectors))
    else:
        raw, times, wall, run_info = run_detectors(detectors, images, index_in_set, every)
        if args.save_raw:
            save_raw(args.save_raw, raw, times, wall, run_info)
    load_start, load_end = run_info['load_average_start'], run_info['load_average_end']

    gts = [square_box(landmark_box(f['landmarks'])) for f in faces]
    results, consensus = {}, []
    for spec, det in detectors.items():
        done = raw[spec]['300w']
        idx_train = [i for i in done if faces[i]['split'] == 'train']
        fitted = fit_transform([done[i] for i in idx_train], [gts[i] for i in idx_train],
                               [faces[i]['landmarks'] for i in idx_train], det.box_transform)
        row: Dict[str, object] = dict(
            detector=spec, fitted_transform=transform_dict(fitted),
            library_transform=transform_dict(det.box_transform),
            **{f'{kind}_ms_{d}': (1000 * statistics.median(t[spec][d]) if t[spec][d] else None)
               for kind, t in (('cpu', times), ('wall', wall)) for d in ('300w', 'celeba')})
        for label, transform in (('fitted', fitted), ('library', det.box_transform)):
            for split in ('lfpw', 'train', 'all'):
                keep = [i for i in done if split == 'all' or faces[i]['split'] == split]
                row[f'{label}_{split}'] = face_metrics([done[i] for i in keep],
                                                       [gts[i] for i in keep], transform)
        mapped = {i: fitted(b) for i, b in raw[spec]['celeba'].items()}
        row['_celeba_mapped'] = mapped
        consensus += [b[0] for b in mapped.values() if len(b)]
        results[spec] = row

    reference = np.median(np.stack(consensus), axis=0) if consensus else None
    for row in results.values():
        mapped = row.pop('_celeba_mapped')
        if not mapped:
            continue
        any_found = [len(b) > 0 for b in mapped.values()]
        overlaps = [box_iou(b, reference)[:, 0] for b in mapped.values() if len(b)]
        best = [float(o.max()) for o in overlaps] + [0.0] * (len(mapped) - len(overlaps))
        fp = sum(int((o < IOU_FOUND).sum()) for o in overlaps)
        found = np.asarray(best) >= IOU_FOUND
        row['celeba'] = dict(n=len(mapped), any_rate=float(np.mean(any_found)),
                             rate=float(found.mean()),
                             mean_iou=float(np.asarray(best)[found].mean()) if found.any()
                             else None, fp_per_image=fp / len(mapped))

    table_rows = []
    for spec, row in results.items():
        lf, al, ce = row['fitted_lfpw'], row['fitted_all'], row.get('celeba', {})
        t = row['fitted_transform']
        table_rows.append({
            'detector': spec, 'n300': al['n'], 'lfpw': lf['rate'], 'lfpw_iou': lf['mean_iou'],
            'all': al['rate'], 'all_iou': al['mean_iou'], 'fp': al['fp_per_image'],
            'lib_lfpw': row['library_lfpw']['rate'], 'nce': ce.get('n'),
            'ce_any': ce.get('any_rate'), 'ce_rate': ce.get('rate'),
            'ce_iou': ce.get('mean_iou'), 'ce_fp': ce.get('fp_per_image'),
            'ms300': row['cpu_ms_300w'], 'msce': row['cpu_ms_celeba'],
            'transform': f"({t['shift'][0]:.3f}, {t['shift'][1]:.3f}) x {t['scale']:.3f}"})
    columns = ['detector', 'n300', 'lfpw', 'lfpw_iou', 'all', 'all_iou', 'fp', 'lib_lfpw',
               'nce', 'ce_any', 'ce_rate', 'ce_iou', 'ce_fp', 'ms300', 'msce', 'transform']
    headers = ['detector', '300W faces', 'LFPW found', 'LFPW IoU', 'all found', 'all IoU',
               'FP / img', 'LFPW found (library transform)', 'CelebA imgs', 'CelebA any',
               'CelebA found', 'CelebA IoU', 'CelebA FP / img', 'CPU ms / img 300W (256x256)',
               'CPU ms / img CelebA (89x109)', 'fitted transform shift x scale']
    table = markdown_table(table_rows, columns, headers)
    info = machine_info(threads=1)
    info.update(run_info)
    note = (f'Found: mapped detection IoU >= {IOU_FOUND} with the square landmark box '
            '(300W) or with the consensus box (CelebA); transforms fitted on the 300W train '
            'annotations only. Machine: '
            f"{info['cpu']}, {info['cores']} cores, 1 thread, load average "
            f'{load_start[0]:.1f} -> {load_end[0]:.1f} (shared with other jobs; ms are CPU '
            'time, median over images).')
    if every:
        note += ' Subsampled: ' + ', '.join(f'{k} on every {v}-th image' for k, v in
                                            every.items() if k in detectors) + '.'
    payload = dict(settings=vars(args), machine=info, iou_found=IOU_FOUND,
                   celeba_reference_box=None if reference is None else reference.tolist(),
                   unavailable=unavailable, results=results)
    write_report(args.out_dir, 'detectors', payload, table + '\n\n' + note)
    print(table)
    print(note)
    return payload


if __name__ == '__main__':
    main()
