"""Stop training at the first non-finite loss, naming the iteration, term and landmarks."""
import functools
import math
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpose.registry import HOOKS
from torch import Tensor


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN / Inf during training (raised by :class:`NonFiniteLossHook`)."""


def _finite(value) -> bool:
    if isinstance(value, Tensor):
        return bool(torch.isfinite(value.detach()).all())
    return math.isfinite(float(value))


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Refuse any optimizer update with a NaN / Inf loss and stop with a precise error.

    Before training, every optimizer wrapper's ``update_params`` (one per network for
    adversarial training: ``generator``, ``discriminator``) is guarded: a non-finite loss
    raises :class:`NonFiniteLossError` **before** ``backward`` and the optimizer step, so the
    weights stay those of the last good iteration and, as the error stops the run before
    :class:`CheckpointHook` runs, no checkpoint with broken weights is written: the last
    checkpoint stays the last good one. Errors that the mmlaplace losses raise for NaN / Inf
    heatmaps or targets (``ValueError`` naming the landmarks) are re-raised the same way.

    The message names the iteration (and epoch / batch), the optimizer, the non-finite loss
    terms (the model's supervised loss recomputed on the same batch without gradient, e.g.
    ``loss_kpt``), the offending landmarks (non-finite heatmaps or scales of the head, or
    non-finite per-landmark losses of positive weight) and the images of the batch.

    Args:
        max_landmarks (int): At most this many landmark indices are listed. Defaults to 20.
    """

    priority = 'VERY_HIGH'

    def __init__(self, max_landmarks: int = 20) -> None:
        self.max_landmarks = max_landmarks
        self._runner = None
        self._batch = None
        self._batch_idx = None
        self._originals: Dict[str, tuple] = {}

    # ------------------------------------------------------------------ installation
    def before_train(self, runner) -> None:
        self._runner = runner
        wrappers = runner.optim_wrapper
        items = (wrappers.items() if isinstance(wrappers, OptimWrapperDict) else
                 [('optim_wrapper', wrappers)])
        for name, wrapper in items:
            if isinstance(wrapper, OptimWrapper) and name not in self._originals:
                self._originals[name] = (wrapper, wrapper.update_params)
                wrapper.update_params = self._guard(name, wrapper.update_params)
        model = runner.model
        if 'train_step' not in self._originals:
            self._originals['train_step'] = (model, None)
            model.train_step = self._guard_step(model.train_step)

    def after_train(self, runner) -> None:
        for name, (obj, _) in self._originals.items():
            attr = 'train_step' if name == 'train_step' else 'update_params'
            if attr in vars(obj):
                delattr(obj, attr)
        self._originals.clear()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._batch, self._batch_idx = data_batch, batch_idx

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._batch = None

    # ------------------------------------------------------------------ guards
    def _guard(self, name: str, update_params):
        @functools.wraps(update_params)
        def guarded(loss: Tensor, *args, **kwargs):
            if not _finite(loss):
                raise NonFiniteLossError(self._message(
                    f'the {name} loss is {float(loss.detach().float())}'))
            return update_params(loss, *args, **kwargs)
        return guarded

    def _guard_step(self, train_step):
        @functools.wraps(train_step)
        def guarded(*args, **kwargs):
            try:
                return train_step(*args, **kwargs)
            except NonFiniteLossError:
                raise
            except ValueError as err:
                if 'NaN/Inf' not in str(err):
                    raise
                raise NonFiniteLossError(self._message(str(err))) from err
        return guarded

    # ------------------------------------------------------------------ diagnosis
    def _message(self, what: str) -> str:
        runner = self._runner
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch '
                 f'{self._batch_idx})' if runner is not None else 'training')
        lines = [f'Non-finite loss at {where}: {what}.']
        try:
            lines += self._diagnose()
        except Exception as err:  # noqa: BLE001 (diagnosis is best effort)
            lines.append(f'(could not recompute the loss terms: {type(err).__name__}: {err})')
        last = runner.message_hub.get_info('last_ckpt') if runner is not None else None
        lines.append('No parameter was updated with this loss and no checkpoint was written '
                     f'after it; last good checkpoint: {last or "none yet"}. Check the '
                     'annotations of these images, lower the learning rate, or set '
                     'optim_wrapper.clip_grad.')
        return '\n'.join(lines)

    def _diagnose(self) -> List[str]:
        runner, batch = self._runner, self._batch
        if runner is None or batch is None:
            return []
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        labeled = batch['labeled'] if isinstance(batch, dict) and 'labeled' in batch else batch
        lines = []
        samples = labeled.get('data_samples', []) if isinstance(labeled, dict) else []
        paths = [s.metainfo.get('img_path') for s in samples]
        # recompute in training mode (as the failing step) but keep BatchNorm statistics
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        try:
            lines += self._recompute(model, labeled)
        finally:
            with torch.no_grad():
                for k, v in model.named_buffers():
                    v.copy_(buffers[k])
        if paths:
            lines.append(f'Images of the batch: {paths}')
        return lines

    def _recompute(self, model, labeled: dict) -> List[str]:
        lines = []
        with torch.no_grad():
            data = model.data_preprocessor(labeled, True)
            inputs, data_samples = data['inputs'], data['data_samples']
            try:
                terms = model.loss(inputs, data_samples)
                bad_terms = [k for k, v in terms.items() if 'loss' in k and not _finite(v)]
                lines.append(f'Non-finite loss terms on this batch: {bad_terms or "none"}.')
            except ValueError as err:
                lines.append(f'Loss on this batch: {err}')
            landmarks = self._bad_landmarks(model, inputs, data_samples)
            if landmarks is not None:
                lines.append(f'Offending landmarks: {landmarks or "none found"}.')
        return lines

    def _bad_landmarks(self, model, inputs: Tensor,
                       data_samples: Sequence) -> Optional[List[int]]:
        head = model.head
        if not hasattr(head, 'forward_moments'):
            return None
        _, scales, heatmaps = head.forward_moments(model.extract_feat(inputs))
        bad = ~torch.isfinite(heatmaps).flatten(2).all(-1) | ~torch.isfinite(scales).all(-1)
        loss_module = getattr(head, 'loss_module', None)
        if getattr(loss_module, 'takes_heatmaps', False) and not bool(bad.any()):
            labels = torch.cat([d.gt_instance_labels.keypoint_labels for d in data_samples])
            weights = torch.cat([d.gt_instance_labels.keypoint_weights for d in data_samples])
            labels = labels.to(heatmaps) * heatmaps.new_tensor(heatmaps.shape[:-3:-1])
            reduction = loss_module.reduction
            loss_module.reduction = 'none'
            try:
                per_landmark = loss_module(heatmaps, labels, weights)
            finally:
                loss_module.reduction = reduction
            bad = ~torch.isfinite(per_landmark) & (weights.to(per_landmark) != 0)
        return torch.nonzero(bad.any(0)).flatten().tolist()[:self.max_landmarks]
