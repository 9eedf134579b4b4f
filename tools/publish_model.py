r"""Publish a trained checkpoint into the model zoo (weights only, sha256, metafile entry).

    python tools/publish_model.py CONFIG CHECKPOINT --alias rcn-w1-8 --metrics lfpw.json \
        --epochs 100 --training-data "300W subset: 1,812 faces (AFW, HELEN / LFPW train)"

Writes ``model_zoo/{config stem}-{sha8}.pth`` (``state_dict`` + ``meta``, no optimizer state),
and inserts / replaces the model's entry in the ``metafile.yml`` of the config's folder (MMPose's
model-index format, with ``Alias`` and ``Metadata: Weights SHA256``), importing that metafile
from ``model-index.yml``. ``--metrics`` is the JSON of ``tools/test.py --out`` on the test set
named by ``--test-data``; ``--int8-metrics`` the ``_eval.json`` of ``tools/export_onnx.py
--int8 --eval``. A previous weights file of the same model is removed.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.utils.model_publishing import strip_checkpoint, upsert_metafile_entry, zoo_metrics  # noqa: E402
from mmlaplace.utils.model_zoo import file_sha256, load_model_index, repo_root  # noqa: E402

COLLECTION = dict(
    Name='Laplace Landmark Localization',
    Paper=dict(Title='Laplace Landmark Localization',
               URL='https://openaccess.thecvf.com/content_ICCV_2019/html/Robinson_Laplace_'
               'Landmark_Localization_ICCV_2019_paper.html'),
    README='docs/model_zoo.md')
PIPNET_COLLECTION = dict(
    Name='PIPNet',
    Paper=dict(Title='Pixel-in-Pixel Net: Towards Efficient Facial Landmark Detection in the '
               'Wild', URL='https://doi.org/10.1007/s11263-021-01521-4'),
    README='docs/model_zoo.md')
#: the collection of a model by its config folder (configs/<folder>/...)
COLLECTIONS = {'pipnet': PIPNET_COLLECTION}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='the trained checkpoint (any MMEngine checkpoint)')
    parser.add_argument('--alias', required=True, help='short zoo name, e.g. rcn-w1-8')
    parser.add_argument('--metrics', required=True, help='tools/test.py --out JSON')
    parser.add_argument('--test-data', default='300W LFPW test (224 faces)',
                        help='what --metrics was measured on')
    parser.add_argument('--int8-metrics', default=None,
                        help='tools/export_onnx.py --int8 --eval JSON (adds the int8 NME)')
    parser.add_argument('--epochs', type=int, required=True, help='training epochs')
    parser.add_argument('--training-data', required=True, help='what the model was trained on')
    parser.add_argument('--architecture', nargs='+',
                        default=['RCN', 'SoftArgmaxHead', 'LaplaceKLLoss'])
    parser.add_argument('--zoo-dir', default='model_zoo', help='weights folder (repo-relative)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    root = repo_root()
    config = osp.abspath(args.config)
    if not config.startswith(root + os.sep):
        raise SystemExit(f'publish_model: {args.config} is not inside the repository {root}')
    with open(args.metrics) as f:
        metrics = zoo_metrics(json.load(f))
    if args.int8_metrics:
        with open(args.int8_metrics) as f:
            report = json.load(f)
        metrics['NME ONNX fp32 (no flip)'] = round(100 * report['onnx_fp32']['NME'], 2)
        metrics['NME ONNX int8 (no flip)'] = round(100 * report['onnx_int8']['NME'], 2)
    stem = osp.splitext(osp.basename(config))[0]
    zoo_dir = osp.join(root, args.zoo_dir)
    try:
        old = load_model_index(root).get(args.alias)
    except FileNotFoundError:
        old = None
    weights = strip_checkpoint(args.checkpoint, zoo_dir, stem)
    if old is not None and osp.abspath(old.weights) != weights and osp.isfile(old.weights):
        os.remove(old.weights)
    collection = COLLECTIONS.get(osp.basename(osp.dirname(config)), COLLECTION)
    entry = {
        'Name': stem,
        'Alias': args.alias,
        'In Collection': collection['Name'],
        'Config': osp.relpath(config, root),
        'Metadata': {
            'Architecture': list(args.architecture),
            'Training Data': args.training_data,
            'Epochs': args.epochs,
            'Weights SHA256': file_sha256(weights),
            'Weights size (KB)': round(osp.getsize(weights) / 1024, 1),
        },
        'Results': [{'Dataset': args.test_data, 'Task': 'Face 2D Keypoint',
                     'Metrics': metrics}],
        'Weights': osp.relpath(weights, root),
    }
    metafile = osp.join(osp.dirname(config), 'metafile.yml')
    upsert_metafile_entry(entry, metafile, collection, root)
    print(f'publish_model: {osp.relpath(weights, root)} ({entry["Metadata"]["Weights size (KB)"]}'
          f' KB) -> {osp.relpath(metafile, root)} as {args.alias}; NME {metrics["NME"]}%')


if __name__ == '__main__':
    main()
