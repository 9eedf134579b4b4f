"""Refuse a checkpoint whose tensors do not fit the model (other K, width or architecture)."""
from typing import List

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint
from mmpose.registry import HOOKS


@HOOKS.register_module()
class CheckpointCompatibilityHook(Hook):
    """Raise a clear error when ``load_from`` / ``--resume`` gets a checkpoint of another model.

    MMEngine loads ``load_from`` non-strictly: tensors of a different shape are reported in a
    log warning and left randomly initialized, so fine-tuning or testing a checkpoint of a
    different number of landmarks ``K`` or RCN width silently trains / tests a half-random
    model. This hook compares the checkpoint's ``state_dict`` with the model before it is
    loaded and raises :class:`ValueError` naming the file, the mismatched tensors and their
    shapes, and the ``K`` / width the checkpoint was trained with when they can be read off.

    Args:
        max_keys (int): At most this many mismatched tensors are listed. Defaults to 8.
        min_matched_fraction (float): Also raise when fewer than this fraction of the model's
            tensors are found in the checkpoint (a checkpoint of another architecture).
            Defaults to 0.5.
    """

    priority = 'VERY_HIGH'

    def __init__(self, max_keys: int = 8, min_matched_fraction: float = 0.5) -> None:
        self.max_keys = max_keys
        self.min_matched_fraction = min_matched_fraction

    @staticmethod
    def _filename(runner) -> str:
        name = runner.cfg.get('load_from', None)
        if name is None and runner.cfg.get('resume', False):
            name = find_latest_checkpoint(runner.work_dir)
        return str(name or 'the checkpoint')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', checkpoint)
        if not isinstance(state, dict):
            return
        state = {k[7:] if k.startswith('module.') else k: v for k, v in state.items()}
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        own = model.state_dict()
        mismatched: List[str] = [
            f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
            for k, v in own.items()
            if k in state and hasattr(state[k], 'shape')
            and tuple(state[k].shape) != tuple(v.shape)]
        matched = sum(k in state for k in own)
        filename = self._filename(runner)
        if mismatched:
            hints = self._hints(model, state)
            raise ValueError(
                f'checkpoint {filename} does not fit the model: {len(mismatched)} tensors have '
                f'other shapes ({"; ".join(mismatched[:self.max_keys])}'
                f'{"; ..." if len(mismatched) > self.max_keys else ""}).{hints} Use a '
                'checkpoint trained with the same model.num_keypoints / model.backbone.width, '
                'or change the config to match it.')
        if own and matched < self.min_matched_fraction * len(own):
            raise ValueError(
                f'checkpoint {filename} does not fit the model: only {matched} of its '
                f'{len(own)} tensors are in the checkpoint (e.g. missing {next(iter(own))}); '
                'is it a checkpoint of another architecture?')

    @staticmethod
    def _hints(model, state: dict) -> str:
        hints = []
        head = getattr(model, 'head', None)
        num_k = getattr(head, 'num_keypoints', None)
        # the last tensor whose first dimension is K: RCN's / the head's output conv
        out_keys = [k for k, v in state.items() if k.endswith('.weight') and v.dim() == 4
                    and (k.startswith('backbone.') or k.startswith('head.'))]
        if num_k is not None and out_keys:
            ckpt_k = int(state[out_keys[-1]].shape[0])
            if ckpt_k != num_k:
                hints.append(f' The checkpoint predicts K={ckpt_k} landmarks, the model '
                             f'K={num_k} (model.head.num_keypoints).')
        width = getattr(getattr(model, 'backbone', None), 'width', None)
        first = next((k for k in state if k.startswith('backbone.') and k.endswith('.weight')
                      and state[k].dim() == 4), None)
        own_first = model.state_dict().get(first) if first else None
        if width is not None and own_first is not None and \
                state[first].shape[0] != own_first.shape[0]:
            ratio = state[first].shape[0] / own_first.shape[0]
            hints.append(f' Its backbone has {state[first].shape[0]} channels in {first} where '
                         f'the model has {own_first.shape[0]}: width about {width * ratio:g} '
                         f'instead of {width:g} (model.backbone.width).')
        return ''.join(hints)
