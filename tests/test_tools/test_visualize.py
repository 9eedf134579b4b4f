"""tools/visualize.py end to end on tiny random RCN models and MMPose's 300W samples."""
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

LKL = 'configs/laplacekl/laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py'
SAM = 'configs/softargmax/softargmax_rcn-w1-16_1xb32-200e_300w-80x80.py'


def random_checkpoint(repo_root: Path, config: str, out: Path, seed: int) -> str:
    """Save a randomly initialised model of ``config`` as an MMEngine-style checkpoint."""
    from mmpose.apis import init_model

    import mmlaplace  # noqa: F401
    torch.manual_seed(seed)
    model = init_model(str(repo_root / config), None, device='cpu')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), out)
    return str(out)


def data_options(samples: Path):
    return ['--cfg-options', f'test_dataloader.dataset.data_root={samples}/',
            'test_dataloader.dataset.ann_file=test_300w.json',
            'test_dataloader.dataset.data_prefix.img=']


def test_compare_two_models_on_test_faces(tmp_path: Path, repo_root: Path, load_tool,
                                          face_samples_300w: Path, one_thread, capsys):
    """The tool's ``main`` with a command line (in-process: a subprocess would spend most of
    its time importing MMPose again)."""
    ckpt_a = random_checkpoint(repo_root, SAM, tmp_path / 'sam.pth', seed=0)
    ckpt_b = random_checkpoint(repo_root, LKL, tmp_path / 'lkl.pth', seed=1)
    out = tmp_path / 'pictures'
    load_tool('visualize.py').main([
        str(repo_root / SAM), ckpt_a, '--compare', str(repo_root / LKL), ckpt_b, '--out-dir',
        str(out), '--num', '5', '--dpi', '30', '--names', 'sam', 'lkl',
        *data_options(face_samples_300w)])
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['faces'] == ['indoor_029.png', 'indoor_020.png']  # --num 5 > 2 faces
    expected = ['heatmaps_sam.png', 'uncertainty_sam.png', 'heatmaps_lkl.png',
                'uncertainty_lkl.png', 'compare_sam_vs_lkl.png']
    assert [Path(f).name for f in summary['files']] == expected
    sizes = {name: Image.open(out / name).size for name in expected}
    assert sizes['compare_sam_vs_lkl.png'][1] > 3 * sizes['heatmaps_lkl.png'][1]
    for name in ('sam', 'lkl'):
        stats = summary['models'][name]
        assert len(stats['mean_error_px']) == 2
        assert all(math.isfinite(v) and v > 0 for v in stats['mean_error_px'])
        assert all(math.isfinite(v) and v > 0 for v in stats['mean_scale_px'])
    assert 'sam: mean error' in capsys.readouterr().out


def test_image_folder_without_ground_truth(tmp_path: Path, repo_root: Path, load_tool,
                                           face_samples_300w: Path, one_thread):
    ckpt = random_checkpoint(repo_root, LKL, tmp_path / 'lkl.pth', seed=0)
    out = tmp_path / 'pictures'
    load_tool('visualize.py').main([str(repo_root / LKL), ckpt, '--img-dir', str(face_samples_300w),
                               '--num', '1', '--dpi', '30', '--colors', '64',
                               '--out-dir', str(out)])
    summary = json.loads((out / 'summary.json').read_text())
    name = Path(LKL).stem
    assert summary['faces'] == ['indoor_020.png']  # sorted, first one
    assert summary['models'][name]['mean_error_px'] == [None]  # no ground truth
    assert summary['models'][name]['mean_scale_px'][0] > 0
    assert Image.open(out / f'heatmaps_{name}.png').mode == 'P'  # palette PNG
    assert not list(out.glob('compare_*'))


def test_pictures_go_through_a_vis_backend(repo_root: Path, tmp_path: Path, load_tool):
    """``--tensorboard`` path, with MMEngine's LocalVisBackend standing in for TensorBoard."""
    picture = tmp_path / 'heatmaps_a.png'
    Image.fromarray(np.full((12, 20, 3), (255, 0, 0), np.uint8)).save(picture)
    load_tool('visualize.py').log_pictures([str(picture)], str(tmp_path / 'tb'), 'LocalVisBackend')
    logged = np.asarray(Image.open(tmp_path / 'tb' / 'vis_data' / 'vis_image' /
                                   'heatmaps_a_0.png'))
    assert logged.shape == (12, 20, 3) and (logged[..., 0] == 255).all()  # still RGB


def test_bad_arguments_are_named(repo_root: Path, tmp_path: Path, capsys, load_tool):
    parse_args = load_tool('visualize.py').parse_args
    ckpt = tmp_path / 'x.pth'
    ckpt.touch()
    base = [str(repo_root / LKL), str(ckpt), '--out-dir', str(tmp_path)]
    args = parse_args(base)
    assert args.num == 8 and args.compare is None
    for argv, message in (
            (['--names', 'a', 'b'], '--names needs 1'),
            (['--compare', str(repo_root / SAM), str(ckpt), '--names', 'a'], '--names needs 2'),
            (['--compare', str(repo_root / SAM), str(tmp_path / 'y.pth')], 'y.pth not found'),
            (['--compare', 'nowhere.py', str(ckpt)], 'config nowhere.py not found'),
            (['--num', '0'], '--num'),
            (['--colors', '300'], '--colors'),
            (['--img-dir', str(tmp_path / 'missing')], 'is not a folder')):
        with pytest.raises(SystemExit):
            parse_args([*base, *argv])
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args([str(repo_root / LKL), str(tmp_path / 'none.pth'), '--out-dir', 'o'])
    assert 'checkpoint' in capsys.readouterr().err
    if importlib.util.find_spec('tensorboard') is None:
        with pytest.raises(SystemExit):
            parse_args([*base, '--tensorboard'])
        assert 'pip install tensorboard' in capsys.readouterr().err
