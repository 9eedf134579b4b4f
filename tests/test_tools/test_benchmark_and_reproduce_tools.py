"""tools/benchmark_speed.py, tools/benchmark_train.py and tools/reproduce.py at tiny scale.

These check that the tools run end to end and write complete, consistent reports; they do
not assert any timing (speed targets are measured by the benchmark runs themselves).
"""
import argparse
import json
import math
import statistics
from pathlib import Path

import pytest

from mmlaplace.utils.benchmark import markdown_table, time_call

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)


def test_time_call_and_table():
    calls = []
    t = time_call(lambda: calls.append(1), warmup=2, repeats=3, min_block_s=0.001,
                  max_calls_per_block=5)
    assert t['min_s'] <= t['median_s'] <= t['max_s']
    assert len(calls) == 2 + 1 + 3 * t['calls'] and 1 <= t['calls'] <= 5
    with pytest.raises(ValueError, match='repeats'):
        time_call(lambda: None, repeats=0)
    table = markdown_table([dict(a=1234.5, b=None, c=True)], ['a', 'b', 'c'], ['A', 'B', 'C'])
    assert table.splitlines() == ['| A | B | C |', '|---|---|---|', '| 1234.50 | - | yes |']


def test_benchmark_speed_report(load_tool, tmp_path: Path, one_thread):
    out = tmp_path / 'bench'
    payload = load_tool('benchmark_speed.py').main([
        '--widths', '1/16', '--batches', '1', '2', '--threads', '1', '--runtimes', 'eager',
        'torchscript', 'onnxruntime', '--no-resnet', '--no-dlib', '--rounds', '2', '--warmup', '1', '--repeats', '1',
        '--min-block-s', '0.001', '--calib-faces', '2', '--out-dir', str(out)])
    saved = json.loads((out / 'speed.json').read_text())
    assert saved['rows'] == payload['rows']
    res = saved['results']['RCN-1/16']
    assert res['params'] == 17_408 and res['paper_fps'] == 26.51
    for runtime in ('eager', 'torchscript', 'onnxruntime'):
        for batch in ('1', '2'):
            assert res[runtime][batch]['fps'] > 0 and math.isfinite(res[runtime][batch]['fps'])
            timing = res[runtime][batch]
            assert len(timing['rounds_ms']) == 2  # one time per interleaved round
            assert timing['ms_per_call'] == pytest.approx(statistics.median(timing['rounds_ms']))
            assert timing['fps'] == pytest.approx(int(batch) * 1e3 / timing['ms_per_call'])
    assert [(r['model'], r['runtime']) for r in saved['rows']] == [
        ('RCN-1/16', 'eager'), ('RCN-1/16', 'torchscript'), ('RCN-1/16', 'onnxruntime')]
    row = saved['rows'][0]
    assert row['x_paper'] == pytest.approx(row['fps_b1'] / 26.51)
    targets = {t['target']: t for t in saved['targets']}
    eager = targets['RCN-1/16 eager: batch-2 fps per image >= batch-1 fps']
    assert eager['met'] == (eager['measured'] >= eager['goal'])
    assert '| RCN-1/16 | onnxruntime |' in (out / 'speed.md').read_text()


def test_benchmark_speed_needs_batch_one(load_tool):
    with pytest.raises(SystemExit):
        load_tool('benchmark_speed.py').parse_args(['--batches', '32'])


def test_benchmark_train_report(load_tool, tmp_path: Path):
    out = tmp_path / 'bench'
    report = load_tool('benchmark_train.py').main([
        '--variants', 'supervised-softargmax', 'supervised-laplacekl',
        'semi-supervised-laplacekl', '--width', '1/16', '--batch-size', '2', '--threads', '1',
        '--warmup', '0', '--steps', '1', '--rounds', '1', '--out-dir', str(out)])
    saved = json.loads((out / 'train.json').read_text())
    assert [r['variant'] for r in saved['rows']] == [
        'supervised-softargmax', 'supervised-laplacekl', 'semi-supervised-laplacekl']
    by = {r['variant']: r for r in saved['rows']}
    assert by['supervised-softargmax']['params'] == by['supervised-laplacekl']['params']
    assert by['semi-supervised-laplacekl']['params'] > by['supervised-laplacekl']['params']
    assert all(r['step_s'] > 0 and r['peak_rss_mb'] > 0 for r in saved['rows'])
    assert len(report['targets']) == 3
    ratio = by['semi-supervised-laplacekl']['step_s'] / by['supervised-laplacekl']['step_s']
    assert report['targets'][1]['measured'] == pytest.approx(ratio)
    parts = saved['parts']  # what a semi-supervised step cannot skip
    assert all(parts[k] > 0 for k in ('supervised_step', 'generator_unlabeled', 'discriminator'))
    assert parts['parts_ratio'] == pytest.approx(
        (parts['supervised_step'] + parts['generator_unlabeled'] + parts['discriminator'])
        / parts['supervised_step'])
    assert report['targets'][2]['measured'] == pytest.approx(parts['parts_ratio'])
    assert 'D passes (paper D)' in (out / 'train.md').read_text()


def test_benchmark_train_times_the_semi_supervised_methods(load_tool, tmp_path: Path):
    report = load_tool('benchmark_train.py').main([
        '--variants', 'supervised-laplacekl', 'semi-supervised-elt', 'semi-supervised-stc',
        'semi-supervised-adv-stabilized', '--width', '1/16',
        '--batch-size', '2', '--threads', '1', '--warmup', '0', '--steps', '1', '--rounds', '1',
        '--no-parts', '--out-dir', str(tmp_path)])
    by = {r['variant']: r for r in report['rows']}
    assert by['semi-supervised-elt']['params'] == by['supervised-laplacekl']['params']
    # the STC teacher is frozen: not counted
    assert by['semi-supervised-stc']['params'] == by['supervised-laplacekl']['params']
    elt = [t for t in report['targets'] if t['target'].startswith('ELT step')]
    assert len(elt) == 1 and elt[0]['measured'] == pytest.approx(
        by['semi-supervised-elt']['step_s'] / by['supervised-laplacekl']['step_s'])
    for variant, row in by.items():  # every method's cost relative to a supervised step
        assert row['vs_supervised'] == pytest.approx(
            row['step_s'] / by['supervised-laplacekl']['step_s']), variant
    assert 'x supervised' in (tmp_path / 'train.md').read_text()


def test_reproduce_plan_aggregate_and_one_run(load_tool, tmp_path: Path, face_samples_300w):
    """The plan of every experiment, and one real (tiny) train + test run aggregated."""
    reproduce = load_tool('reproduce.py')
    runs = reproduce.plan(['losses', 'beta', 'b0', 'widths', 'unlabeled'], [0, 1], ['1/8'])
    per_seed = 3 + 4 + 4 + 5 + 5
    assert len(runs) == 2 * per_seed
    assert len({r.name for r in runs}) == len(runs)
    adv = [r for r in runs if r.experiment == 'unlabeled' and r.options.get('unlabeled')]
    assert sorted({r.x for r in adv}) == [2500, 5000, 10000]
    # --unlabeled-sizes: only the pools asked for (the 0-unlabeled and d_l = d_u rows stay)
    some = reproduce.plan(['unlabeled'], [0], ['1/8'], unlabeled_sizes=[2500, 10000])
    assert [r.variant for r in some] == [
        'LaplaceKL (0 unlabeled)', 'LaplaceKL+D(2.5K)', 'LaplaceKL+D(10K)',
        'LaplaceKL+D(d_l = d_u)']

    out = tmp_path / 'rep'
    result = reproduce.main([
        '--experiments', 'widths', '--seeds', '0', '--epochs', '1', '--batch-size', '2',
        '--data-root', str(face_samples_300w), '--data-prefix', '', '--train-ann',
        'test_300w.json', '--test-ann', 'test_300w.json', '--threads', '1', '--out-dir',
        str(out), '--docs-dir', str(tmp_path / 'docs'), '--report-only'])
    # nothing has run yet: every variant is reported as missing, not as a number
    assert all(r['NME']['mean'] is None for r in result['summary']['widths'])

    run = next(r for r in reproduce.plan(['widths'], [0], ['1/8']) if r.variant.endswith('1/16'))
    args = argparse.Namespace(
        data_root=str(face_samples_300w) + '/', data_prefix='', test_ann='test_300w.json',
        unlabeled_root=str(tmp_path), batch_size=2, epochs=1, threads=1, out_dir=str(out))
    metrics = reproduce.execute(run, args, 'test_300w.json')
    assert metrics is not None and 0 < metrics['NME'] < 10
    assert (out / run.name / 'epoch_1.pth').is_file()
    result = reproduce.main([
        '--experiments', 'widths', '--seeds', '0', '--epochs', '1', '--batch-size', '2',
        '--data-root', str(face_samples_300w), '--data-prefix', '', '--train-ann',
        'test_300w.json', '--test-ann', 'test_300w.json', '--out-dir', str(out),
        '--docs-dir', str(tmp_path / 'docs'), '--report-only'])
    row = next(r for r in result['summary']['widths'] if r['variant'].endswith('1/16'))
    assert row['NME']['values'] == [metrics['NME']] and row['seeds'] == [0]
    md = (tmp_path / 'docs' / 'reproduce.md').read_text()
    assert f'{100 * metrics["NME"]:.2f} +- 0.00' in md and 'not run' in md
    assert (tmp_path / 'docs' / 'reproduce_widths.png').is_file()
    copied = json.loads((tmp_path / 'docs' / 'reproduce.json').read_text())
    assert copied['results'][run.name]['NME'] == metrics['NME']


def test_reproduce_trains_equivalent_runs_once(load_tool):
    """beta=1, b0=1, widths w1/8 and 0 unlabeled are the losses' LaplaceKL w1/8 run."""
    reproduce = load_tool('reproduce.py')
    runs = reproduce.plan(['beta', 'b0', 'widths', 'unlabeled'], [0, 1], ['1/8'])
    same = reproduce.canonical(runs, [0, 1], ['1/8'])
    reference = {f'losses/LaplaceKL w1-8/seed{s}' for s in (0, 1)}
    shared = {name for name, run in same.items() if run.name in reference}
    assert shared == {f'{e}/seed{s}' for s in (0, 1) for e in (
        'beta/beta=1', 'b0/b0=1', 'widths/LaplaceKL w1-8', 'unlabeled/LaplaceKL (0 unlabeled)')}
    # every other run is its own model, and seeds are never merged
    others = [r for r in runs if r.name not in shared]
    assert all(same[r.name].name == r.name for r in others)
    assert len({reproduce.signature(r) for r in others}) == len(others)
    table = reproduce.aggregate(runs, {}, same)
    rows = {r['variant']: r for r in table['beta']}
    assert rows['beta=1']['same_as'] == 'losses: LaplaceKL w1/8'
    assert rows['beta=2']['same_as'] is None


def test_benchmark_speed_times_configs_of_other_heads(load_tool, tmp_path: Path, one_thread):
    root = Path(__file__).resolve().parents[2] / 'configs'
    pip = root / 'pipnet' / 'pipnet_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py'
    heatmap = root / 'heatmap' / 'heatmap_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py'
    out = tmp_path / 'bench'
    saved = load_tool('benchmark_speed.py').main([
        '--widths', '1/16', '--batches', '1', '--threads', '1', '--runtimes', 'eager',
        'onnxruntime', '--no-resnet', '--no-dlib', '--config', str(pip), '--config',
        str(heatmap), '--rounds', '1', '--warmup', '1', '--repeats', '1', '--min-block-s',
        '0.001', '--calib-faces', '2', '--out-dir', str(out)])
    rows = {(r['model'], r['runtime']): r for r in saved['rows']}
    for name in (pip.stem, heatmap.stem):
        assert saved['results'][name]['input_size'] == [128, 128]
        for runtime in ('eager', 'onnxruntime'):
            assert rows[(name, runtime)]['fps_b1'] > 0
    with pytest.raises(SystemExit):
        load_tool('benchmark_speed.py').parse_args(['--config', 'a', 'b', 'c'])
