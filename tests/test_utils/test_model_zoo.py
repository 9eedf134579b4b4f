"""The model zoo's index: lookup by alias / name, sha256 checks, clear errors, publishing."""
import os.path as osp

import pytest
import torch
import yaml

from mmlaplace.utils.model_publishing import strip_checkpoint, upsert_metafile_entry, zoo_metrics
from mmlaplace.utils.model_zoo import (
    file_sha256,
    get_model,
    list_models,
    load_model_index,
    resolve_model,
)


def _zoo(root, weights=b'weights', sha=None, alias='tiny'):
    root.mkdir(parents=True, exist_ok=True)
    (root / 'configs' / 'x').mkdir(parents=True)
    (root / 'configs' / 'x' / 'tiny_cfg.py').write_text('x = 1\n')
    (root / 'model_zoo').mkdir()
    (root / 'model_zoo' / 'tiny.pth').write_bytes(weights)
    entry = dict(Name='tiny_cfg', Alias=alias, Config='configs/x/tiny_cfg.py',
                 Weights='model_zoo/tiny.pth',
                 Metadata={'Weights SHA256': sha or file_sha256(str(root / 'model_zoo' /
                                                                    'tiny.pth'))},
                 Results=[dict(Dataset='d', Metrics=dict(NME=4.0))])
    upsert_metafile_entry(entry, str(root / 'configs' / 'x' / 'metafile.yml'),
                          dict(Name='C'), root=str(root))
    return str(root)


def test_lookup_by_alias_and_name(tmp_path):
    root = _zoo(tmp_path)
    assert list_models(root) == ['tiny']
    by_alias = get_model('tiny', root)
    assert get_model('tiny_cfg', root) == by_alias
    assert by_alias.config == osp.join(root, 'configs/x/tiny_cfg.py')
    assert by_alias.results[0]['Metrics']['NME'] == 4.0
    index = yaml.safe_load(open(osp.join(root, 'model-index.yml')))
    assert index == {'Import': ['configs/x/metafile.yml']}


def test_unknown_name_lists_the_models(tmp_path):
    root = _zoo(tmp_path)
    with pytest.raises(KeyError, match=r'unknown model "rcn-w9".*the zoo has: tiny'):
        get_model('rcn-w9', root)


def test_corrupt_weights_are_refused(tmp_path):
    root = _zoo(tmp_path, sha='0' * 64)
    with pytest.raises(ValueError, match='sha256'):
        get_model('tiny', root)
    assert get_model('tiny', root, verify=False).sha256 == '0' * 64


def test_missing_files_and_bad_entries_are_named(tmp_path):
    root = _zoo(tmp_path)
    (tmp_path / 'model_zoo' / 'tiny.pth').unlink()
    with pytest.raises(FileNotFoundError, match='weights file of "tiny"'):
        get_model('tiny', root)
    meta = tmp_path / 'configs' / 'x' / 'metafile.yml'
    meta.write_text('Models:\n- Name: a\n  Config: c.py\n')
    with pytest.raises(ValueError, match='no "Weights"'):
        load_model_index(root)
    meta.write_text('Models: [: bad')
    with pytest.raises(ValueError, match='not valid YAML'):
        load_model_index(root)
    with pytest.raises(FileNotFoundError, match='model-index.yml'):
        load_model_index(str(tmp_path / 'nowhere'))


def test_duplicate_alias_is_refused(tmp_path):
    root = _zoo(tmp_path)
    meta = tmp_path / 'configs' / 'x' / 'metafile.yml'
    data = yaml.safe_load(meta.read_text())
    data['Models'].append(dict(data['Models'][0], Name='other'))
    meta.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match='"tiny" is named twice'):
        load_model_index(root)


def test_resolve_model_passes_config_paths_through(tmp_path):
    assert resolve_model('a/b.py') == ('a/b.py', None)
    cfg = tmp_path / 'c.txt'
    cfg.write_text('')
    assert resolve_model(str(cfg), 'w.pth') == (str(cfg), 'w.pth')
    root = _zoo(tmp_path / 'repo')
    with pytest.raises(KeyError, match='unknown model'):
        resolve_model('no-such-model', root=root)
    config, weights = resolve_model('tiny', root=root)
    assert config.endswith('tiny_cfg.py') and weights.endswith('tiny.pth')
    assert resolve_model('tiny', 'mine.pth', root=root)[1] == 'mine.pth'


def test_upsert_replaces_by_name(tmp_path):
    root = _zoo(tmp_path)
    meta = str(tmp_path / 'configs' / 'x' / 'metafile.yml')
    entry = yaml.safe_load(open(meta))['Models'][0]
    entry['Results'][0]['Metrics']['NME'] = 3.5
    upsert_metafile_entry(entry, meta, dict(Name='C'), root=root)
    data = yaml.safe_load(open(meta))
    assert len(data['Models']) == 1 and len(data['Collections']) == 1
    assert get_model('tiny', root).results[0]['Metrics']['NME'] == 3.5


def test_upsert_moves_an_alias_to_the_new_model(tmp_path):
    root = _zoo(tmp_path)
    meta = str(tmp_path / 'configs' / 'x' / 'metafile.yml')
    entry = dict(yaml.safe_load(open(meta))['Models'][0], Name='better_cfg')
    other = dict(entry, Name='kept_cfg', Alias='kept')
    upsert_metafile_entry(other, meta, root=root)
    upsert_metafile_entry(entry, meta, root=root)
    names = {m['Name']: m['Alias'] for m in yaml.safe_load(open(meta))['Models']}
    assert names == {'better_cfg': 'tiny', 'kept_cfg': 'kept'}
    assert get_model('tiny', root).name == 'better_cfg'


def test_strip_checkpoint_keeps_weights_and_meta_only(tmp_path):
    src = str(tmp_path / 'full.pth')
    torch.save(dict(state_dict={'w': torch.ones(3)}, optimizer={'state': {}},
                    message_hub={}, meta=dict(epoch=7, dataset_meta=dict(num_keypoints=68),
                                              cfg='...')), src)
    out = strip_checkpoint(src, str(tmp_path / 'zoo'), 'model')
    assert osp.basename(out) == f'model-{file_sha256(out)[:8]}.pth'
    ckpt = torch.load(out, weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta'] == dict(epoch=7, dataset_meta=dict(num_keypoints=68))
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(3))


def test_zoo_metrics_names_and_units():
    metrics = zoo_metrics({'NME': 0.04567, 'FR@10': 0.05, 'AUC@10': 0.5432,
                           'scale_error_spearman': 0.51234, 'heatmap_spread': 2.3456,
                           'common/NME': 0.1})
    assert metrics == {'NME': 4.57, 'FR@10': 5.0, 'AUC@10': 0.543,
                       'Heatmap spread (px)': 2.346, 'Scale-error Spearman': 0.512}
    with pytest.raises(KeyError, match='NME'):
        zoo_metrics({'FR@10': 0.1})


def test_zoo_table_lists_each_model_with_its_metrics(tmp_path):
    from mmlaplace.utils.model_publishing import zoo_table_markdown
    root = _zoo(tmp_path)
    table = zoo_table_markdown(load_model_index(root))
    lines = table.strip().split('\n')
    assert lines[0].startswith('| name | config | epochs | weights | NME |')
    assert len(lines) == 3 and '`tiny`' in lines[2] and '| 4.0 |' in lines[2]
    assert zoo_table_markdown({}) == '(the zoo is empty)\n'
