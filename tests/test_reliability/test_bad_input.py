"""Bad input gives a clear error (or a logged conversion) naming the file, sample, field or
config key. One test per class of bad input; see the README's troubleshooting table."""
import copy
import json
import logging
import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmpose.registry import DATASETS, MODELS
from PIL import Image
from reliability_helpers import REPO_ROOT, tiny_config

from mmlaplace.datasets import UnlabeledFaceDataset
from mmlaplace.datasets.transforms import LoadFaceImage
from mmlaplace.engine.hooks import FaceDataCheckHook

TRAIN_JSON = 'annotations/face_landmarks_synthetic_train.json'


def dataset_with(tiny_faces: Path, tmp_path: Path, edit, **kwargs) -> object:
    """The tiny train set with ``edit(annotations_dict)`` applied to a copy of its JSON."""
    data = json.loads((tiny_faces / TRAIN_JSON).read_text())
    edit(data)
    ann = tmp_path / 'edited.json'
    ann.write_text(json.dumps(data))
    return DATASETS.build(dict(type='Face300WDataset', data_root=str(tiny_faces),
                               ann_file=str(ann), data_prefix=dict(img='images/'),
                               data_mode='topdown', pipeline=[], **kwargs))


def problems_of(dataset, num_k=68, nme=(36, 45)):
    return FaceDataCheckHook().check_dataset(dataset, 'train_dataloader', num_k,
                                             list(nme) if nme else None)


def set_keypoint(index: int, landmark: int, x: float, y: float):
    def edit(data):
        kpts = data['annotations'][index]['keypoints']
        kpts[3 * landmark:3 * landmark + 2] = [x, y]
    return edit


@pytest.fixture
def captured_warnings():
    records = []

    class _Handler(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = _Handler(level=logging.WARNING)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


# ------------------------------------------------------------------------------ images
def test_1_missing_image(tiny_faces, tmp_path):
    ds = dataset_with(tiny_faces, tmp_path,
                      lambda d: d['images'][2].update(file_name='train/nowhere.jpg'))
    [problem] = problems_of(ds)
    assert 'nowhere.jpg (img_id=3, sample 2): image file not found' in problem
    assert 'edited.json' in problem and 'data_prefix.img' in problem
    with pytest.raises(FileNotFoundError, match=r'nowhere\.jpg \(sample img_id=3\) not found'):
        LoadFaceImage()(ds.get_data_info(2))


@pytest.mark.parametrize('content', [b'', b'not a jpeg at all', 'truncated'])
def test_2_corrupt_or_truncated_image(tiny_faces, tmp_path, content):
    path = tmp_path / 'broken.jpg'
    if content == 'truncated':
        content = (tiny_faces / 'images' / 'train' / '000000.jpg').read_bytes()[:200]
    path.write_bytes(content)
    with pytest.raises(OSError, match=rf'{path} \(sample img_id=7\)'):
        LoadFaceImage()(dict(img_path=str(path), img_id=7))


@pytest.mark.parametrize('kind', ['gray', 'gray_alpha', 'rgba', '16bit'])
def test_3_grayscale_rgba_16bit_images_are_converted_and_logged(tmp_path, kind,
                                                                captured_warnings):
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (12, 10, 3), np.uint8)
    img = {'gray': bgr[..., 0], 'gray_alpha': np.dstack([bgr[..., 0], bgr[..., 1]]),
           'rgba': np.dstack([bgr, bgr[..., :1]]), '16bit': bgr.astype(np.uint16) * 257}[kind]
    path = tmp_path / f'{kind}.png'
    if kind == 'gray_alpha':  # OpenCV cannot write 2-channel PNGs
        Image.fromarray(img, mode='LA').save(path)
    else:
        assert cv2.imwrite(str(path), img)
    loader = LoadFaceImage()
    out = loader(dict(img_path=str(path), img_id=1))
    assert out['img'].shape == (12, 10, 3) and out['img'].dtype == np.uint8
    if kind in ('rgba', '16bit'):
        assert np.array_equal(out['img'], bgr)  # alpha dropped / exact 16 -> 8 bit
    else:
        assert np.array_equal(out['img'], np.repeat(bgr[..., :1], 3, axis=2))
    assert len(captured_warnings) == 1 and str(path) in captured_warnings[0]
    loader(dict(img_path=str(path), img_id=1))
    assert len(captured_warnings) == 1  # once per file, not once per epoch


# ------------------------------------------------------------------------ annotations
def test_4_wrong_number_of_keypoints(tiny_faces, tmp_path):
    def five_keypoints(data):
        for ann in data['annotations']:
            ann['keypoints'] = ann['keypoints'][:15]
            ann['num_keypoints'] = 5
    ds = dataset_with(tiny_faces, tmp_path, five_keypoints)
    problems = problems_of(ds, nme=None)
    assert len(problems) == 8
    assert '"keypoints" has 5 keypoints but the head predicts model.head.num_keypoints=68' \
        in problems[0]


@pytest.mark.parametrize('value,message', [
    (math.nan, r'"keypoints" \[12\] are NaN / Inf but marked visible'),
    (-3.0, r'"keypoints" \[12\] have negative coordinates'),
])
def test_5_6_nan_or_negative_coordinates(tiny_faces, tmp_path, value, message):
    ds = dataset_with(tiny_faces, tmp_path, set_keypoint(4, 12, value, 20.0))
    [problem] = problems_of(ds)
    assert 'img_id=5, sample 4' in problem
    assert re.search(message, problem), problem


def test_5b_invisible_nan_keypoints_are_fine(tiny_faces, tmp_path):
    def invisible_nan(data):
        set_keypoint(0, 3, math.nan, math.nan)(data)
        data['annotations'][0]['keypoints'][3 * 3 + 2] = 0
    assert problems_of(dataset_with(tiny_faces, tmp_path, invisible_nan)) == []


def test_7_degenerate_box(tiny_faces, tmp_path):
    # Face300WDataset builds the box from the annotation's center / scale (it drops boxes of
    # zero size itself)
    ds = dataset_with(tiny_faces, tmp_path,
                      lambda d: d['annotations'][1].update(center=[math.nan, 40.0]))
    [problem] = problems_of(ds)
    assert 'img_id=2' in problem and '"bbox"' in problem and 'positive size' in problem


# ------------------------------- faces MMPose drops silently or crops degenerately (item 7)
def six_faces(*edits):
    """Keep the first 6 faces of the tiny set, then apply ``edits``."""
    def edit(data):
        data['images'] = data['images'][:6]
        data['annotations'] = data['annotations'][:6]
        for more in edits:
            more(data)
    return edit


def set_field(index: int, **fields):
    return lambda data: data['annotations'][index].update(**fields)


def file_problems_of(dataset):
    return FaceDataCheckHook().check_annotation_file(dataset, 'train_dataloader')


def test_7b_zero_scale_dropped_silently_by_mmpose_is_refused(tiny_faces, tmp_path):
    ds = dataset_with(tiny_faces, tmp_path, six_faces(set_field(3, scale=0)))
    assert len(ds) == 5  # MMPose's Face300WDataset: 6 faces in, 5 loaded, not a word
    assert problems_of(ds) == []  # the 5 loaded samples are fine: only the raw file tells
    [problem] = file_problems_of(ds)
    assert problem.startswith(f'{tmp_path / "edited.json"}: image train/000003.jpg (img_id=4, '
                              'annotation id=4): "scale" is 0.0, not a finite number > 0')
    assert 'drops such a face silently' in problem


def test_7b_zero_scale_stops_the_runner_before_the_first_iteration(tiny_faces, tmp_path):
    data = json.loads((tiny_faces / TRAIN_JSON).read_text())
    six_faces(set_field(3, scale=0))(data)
    ann = tmp_path / 'six_faces.json'
    ann.write_text(json.dumps(data))
    config = tiny_config(tmp_path / 'cfg.py', tiny_faces, tmp_path / 'work',
                         extra=f"train_dataloader['dataset']['ann_file'] = '{ann}'\n")
    runner = Runner.from_cfg(Config.fromfile(str(config)))
    assert len(runner.train_dataloader.dataset) == 5
    with pytest.raises(ValueError, match='FaceDataCheckHook: cannot train') as error:
        runner.train()
    [line] = [line for line in str(error.value).splitlines() if 'six_faces.json' in line]
    assert 'image train/000003.jpg (img_id=4, annotation id=4): "scale" is 0.0' in line
    assert runner.iter == 0 and not list((tmp_path / 'work').glob('*.pth'))


@pytest.mark.parametrize('fields,kept,message', [
    (dict(scale=-0.5), 5, r'"scale" is -0\.5, not a finite number > 0'),
    (dict(scale=math.nan), 6, r'"scale" is nan, not a finite number > 0'),
    (dict(scale=math.inf), 6, r'"scale" is inf, not a finite number > 0'),
    # finite in float64, inf in MMPose's float32 box
    (dict(scale=1e39), 6, r'"scale" 1e\+39 give the box \[-inf, -inf, nan, nan\] \(x1, y1, '
     r'x2, y2, float32\), not a finite box of positive size'),
    (dict(center=[-3.0, 40.0]), 6, r'"center" \[-3\.0, 40\.0\] \(x, y\) lies outside the '
     r'80 x 80 image'),
    (dict(center=[40.0, 95.0]), 6, r'"center" \[40\.0, 95\.0\] \(x, y\) lies outside'),
    (dict(center=[math.nan, 40.0]), 6, r'"center" \[nan, 40\.0\] is not finite'),
    (dict(bbox=[10.0, 10.0, 0.0, 30.0]), 6, r'"bbox" \[10\.0, 10\.0, 0\.0, 30\.0\] \(x, y, '
     r'w, h\) is not a finite box of positive width and height'),
    (dict(bbox=[10.0, 10.0, 30.0, math.inf]), 6, r'"bbox" \[10\.0, 10\.0, 30\.0, inf\] '),
    # MMPose reads null as NaN (a NaN box) and a numeric string as its number
    (dict(scale=None), 6, r'"scale" is nan, not a finite number > 0'),
    (dict(scale='0'), 5, r'"scale" is 0\.0, not a finite number > 0'),
], ids=['negative_scale', 'nan_scale', 'inf_scale', 'float32_overflow_scale',
        'negative_center', 'center_off_image', 'nan_center', 'zero_area_bbox', 'inf_bbox',
        'null_scale', 'string_zero_scale'])
def test_7c_bad_scale_center_or_bbox_is_refused(tiny_faces, tmp_path, fields, kept, message):
    ds = dataset_with(tiny_faces, tmp_path, six_faces(set_field(3, **fields)))
    assert len(ds) == kept
    [problem] = file_problems_of(ds)
    assert 'edited.json: image train/000003.jpg (img_id=4, annotation id=4): ' in problem
    assert re.search(message, problem), problem


def test_7c_nan_scale_is_reported_once(tiny_faces, tmp_path):
    """MMPose keeps the face with a NaN box; the hook names the field once, not the box too."""
    ds = dataset_with(tiny_faces, tmp_path, set_field(3, scale=math.nan))
    hook = FaceDataCheckHook()
    [problem], reported = hook._check_annotation_files(ds, 'train_dataloader')
    assert '"scale" is nan' in problem
    [box_problem] = problems_of(ds)  # the loaded sample's box, checked alone
    assert '"bbox"' in box_problem and 'img_id=4' in box_problem
    assert hook.check_dataset(ds, 'train_dataloader', 68, [36, 45], skip_bbox=reported) == []


@pytest.mark.parametrize('edit,kept,message', [
    (set_field(3, iscrowd=1), 5, r'"iscrowd" is set .*drops this face silently \(5 faces '
     r'loaded from 6 annotations\)'),
    (set_field(3, num_keypoints=0), 5, r'"num_keypoints" is 0: MMPose\'s Face300WDataset '
     r'drops this face silently'),
    (set_field(3, id=3), 6, r'"id" 3 is used by 2 annotations: COCO keeps only the last'),
], ids=['iscrowd', 'num_keypoints_0', 'duplicate_id'])
def test_7d_other_silent_drops_are_refused(tiny_faces, tmp_path, edit, kept, message):
    ds = dataset_with(tiny_faces, tmp_path, six_faces(edit))
    assert len(ds) == kept
    problems = file_problems_of(ds)
    assert problems and all('edited.json: image train/00000' in p for p in problems)
    assert any('train/000003.jpg (img_id=4' in p for p in problems)
    assert all(re.search(message, p) for p in problems), problems


def test_7d_face_of_a_missing_image_is_refused(tiny_faces, tmp_path):
    ds = dataset_with(tiny_faces, tmp_path, six_faces(set_field(3, image_id=99)))
    assert len(ds) == 5
    [problem] = file_problems_of(ds)
    assert 'edited.json: annotation id=4: "image_id" 99 has no entry in "images"' in problem


def test_7e_subsets_and_wrappers(tiny_faces, tmp_path):
    # `indices` and `sample_interval` leave faces out on purpose: no problem
    for kwargs in (dict(indices=3), dict(sample_interval=2)):
        ds = dataset_with(tiny_faces, tmp_path, lambda d: None, **kwargs)
        assert len(ds) < 8 and file_problems_of(ds) == []
    # the bad field is still found with a subset, and inside dataset wrappers
    ds = dataset_with(tiny_faces, tmp_path, set_field(6, scale=0), indices=3)
    [problem] = file_problems_of(ds)
    assert 'image train/000006.jpg (img_id=7, annotation id=7): "scale" is 0.0' in problem
    wrapped = DATASETS.build(dict(type='RepeatDataset', times=2, dataset=ds))
    assert file_problems_of(wrapped) == [problem]
    (tmp_path / 'clean').mkdir()
    clean = dataset_with(tiny_faces, tmp_path / 'clean', lambda d: None)
    concat = DATASETS.build(dict(type='ConcatDataset', datasets=[clean, ds]))
    assert file_problems_of(concat) == [problem]


def test_8_zero_inter_ocular_distance_for_nme(tiny_faces, tmp_path):
    def same_eye_corners(data):
        kpts = data['annotations'][6]['keypoints']
        kpts[3 * 45:3 * 45 + 2] = kpts[3 * 36:3 * 36 + 2]
    [problem] = problems_of(dataset_with(tiny_faces, tmp_path, same_eye_corners))
    assert 'img_id=7' in problem and 'NME normalizing keypoints [36, 45]' in problem
    assert 'val_evaluator.keypoint_indices' in problem and '[0.0]' in problem


# ---------------------------------------------------------------------------- config
@pytest.mark.parametrize('option,message', [
    ({'model.head.decoder.input_size': (96, 96)},
     r'input sizes \(W, H\) disagree: .*TopdownAffine.input_size=\(80, 80\).*'
     r'model.head.decoder.input_size=\(96, 96\)'),
    ({'model.head.heatmap_size': (40, 20)},
     r'model.head.heatmap_size=\(40, 20\) \(W, H\) does not have the aspect ratio'),
])
def test_9_heatmap_or_input_size_inconsistent(option, message):
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/laplacekl/'
                              'laplacekl_rcn-w1-4_1xb32-200e_synthetic-80x80.py'))
    assert FaceDataCheckHook.check_config(cfg) == []
    cfg.merge_from_dict(option)
    [problem] = FaceDataCheckHook.check_config(cfg)
    assert re.search(message, problem), problem


def test_4_9_problems_stop_the_runner_before_the_first_iteration(tiny_faces, tmp_path):
    config = tiny_config(tmp_path / 'cfg.py', tiny_faces, tmp_path / 'work',
                         extra='model.update(head=dict(decoder=dict(input_size=(64, 64))))\n')
    cfg = Config.fromfile(str(config))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='FaceDataCheckHook: cannot train with this config'):
        runner.train()
    assert runner.iter == 0 and not list((tmp_path / 'work').glob('*.pth'))


# ------------------------------------------------------------------------ checkpoints
def model_checkpoint(tmp_path: Path, name: str, **overrides) -> Path:
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/laplacekl/'
                              'laplacekl_rcn-w1-4_1xb32-200e_synthetic-80x80.py'))
    cfg.merge_from_dict(overrides)
    model = MODELS.build(cfg.model)
    path = tmp_path / name
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


@pytest.mark.parametrize('overrides,hint', [
    ({'model.backbone.width': 1 / 8},
     r'width about 0.125 instead of 0.0625 \(model.backbone.width\)'),
    ({'model.backbone.num_keypoints': 5, 'model.head.num_keypoints': 5,
      'model.head.in_channels': 5},
     r'predicts K=5 landmarks, the model K=68 \(model.head.num_keypoints\)'),
])
def test_10_checkpoint_of_another_width_or_k(tiny_faces, tmp_path, overrides, hint):
    ckpt = model_checkpoint(tmp_path, 'other.pth', **overrides)
    config = tiny_config(tmp_path / 'cfg.py', tiny_faces, tmp_path / 'work',
                         extra=f"load_from = '{ckpt}'\n")
    runner = Runner.from_cfg(Config.fromfile(str(config)))
    with pytest.raises(ValueError, match=rf'checkpoint {ckpt} does not fit the model: \d+ '
                       r'tensors have other shapes \(backbone\.'):
        runner.load_or_resume()
    with pytest.raises(ValueError, match=hint):
        runner.load_checkpoint(str(ckpt))
    # the same model's checkpoint loads
    runner.load_checkpoint(str(model_checkpoint(tmp_path, 'same.pth',
                                                **{'model.backbone.width': 1 / 16})))


def test_11_truncated_checkpoint_on_resume(tiny_faces, tmp_path):
    good = model_checkpoint(tmp_path, 'good.pth', **{'model.backbone.width': 1 / 16})
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:good.stat().st_size // 2])
    config = tiny_config(tmp_path / 'cfg.py', tiny_faces, tmp_path / 'work',
                         extra=f"load_from = '{truncated}'\nresume = True\n")
    runner = Runner.from_cfg(Config.fromfile(str(config)))
    with pytest.raises(RuntimeError, match=rf'cannot read checkpoint {truncated} .*truncated'):
        runner.load_or_resume()


# --------------------------------------------------------------------- unlabeled faces
@pytest.mark.parametrize('line', ['u_0.png 300 300 40 40',  # box for larger originals
                                  'u_0.png 200 210 230 210 215 230 205 245 225 245'])
def test_12_box_or_five_point_file_of_other_images(tmp_path, line):
    folder = tmp_path / 'unlabeled'
    folder.mkdir()
    cv2.imwrite(str(folder / 'u_0.png'), np.zeros((64, 48, 3), np.uint8))
    ann = folder / 'faces.txt'
    ann.write_text(f'u_0.png 4 4 30 30\n{line}\n')
    ds = UnlabeledFaceDataset(ann_file=str(ann), data_root=str(folder))
    ds.get_data_info(0)  # the first box is inside the 48 x 64 image
    with pytest.raises(ValueError, match=rf'{ann}, line 2: the face region .* lies mostly '
                       r'outside the 48 x 64 image .*u_0\.png'):
        ds.get_data_info(1)


def test_13_copy_of_annotations_untouched(tiny_faces):
    """The edits above worked on copies: the shared tiny set still passes all checks."""
    ds = DATASETS.build(dict(type='Face300WDataset', data_root=str(tiny_faces),
                             ann_file=TRAIN_JSON, data_prefix=dict(img='images/'),
                             data_mode='topdown', pipeline=[]))
    assert problems_of(ds) == [] and file_problems_of(ds) == []
    assert copy.deepcopy(ds.get_data_info(0))['keypoints'].shape == (1, 68, 2)


# ------------------------------------------------------------------- every config
CONFIGS = sorted(p for p in (REPO_ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_every_config_is_consistent_and_uses_the_reliability_machinery(config):
    cfg = Config.fromfile(str(config))
    assert FaceDataCheckHook.check_config(cfg) == []
    # MMEngine refuses a loop config with both `type` and `by_epoch`
    assert cfg.train_cfg['type'] in ('ResumableEpochBasedTrainLoop',
                                     'SemiSupervisedEpochBasedTrainLoop')
    assert 'by_epoch' not in cfg.train_cfg
    hooks = cfg.default_hooks
    assert hooks.checkpoint.type == 'AtomicCheckpointHook'
    assert {hooks.non_finite_loss.type, hooks.checkpoint_compatibility.type,
            hooks.data_check.type} == {'NonFiniteLossHook', 'CheckpointCompatibilityHook',
                                       'FaceDataCheckHook'}
