"""Epoch-based training loop that resumes exactly from mid-epoch checkpoints."""
import itertools
import random
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import LOOPS
from torch.utils.data import DataLoader, Sampler

RESEED_MODES = ('iter', 'epoch', None)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (all devices) global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def mixed_seed(*values: int) -> int:
    """A well-mixed 32-bit seed from integers, e.g. ``(runner.seed, iteration)``."""
    return int(np.random.SeedSequence([int(v) for v in values]).generate_state(1)[0])


class SkipFirstSampler(Sampler):
    """Wrap a sampler and drop the first ``skip`` indices of the next pass only.

    Skipping happens on the indices, so no skipped sample is loaded. ``set_epoch`` is passed
    to the inner sampler.

    Args:
        sampler (Sampler): The inner sampler.
    """

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.skip = 0

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        skip, self.skip = self.skip, 0
        return itertools.islice(iter(self.sampler), skip, None)

    def __len__(self) -> int:
        return max(len(self.sampler) - self.skip, 0)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """:class:`EpochBasedTrainLoop` whose ``--resume`` from any iteration is exact.

    MMEngine 0.10's loop restores ``epoch`` and ``iter`` from a checkpoint but then runs the
    interrupted epoch **from its first batch** again (an iteration-interval checkpoint,
    ``CheckpointHook(by_epoch=False)``, saves the epoch in progress), so a resumed run trains
    more iterations on different batches than an uninterrupted one. This loop

    - skips the ``iter - epoch * len(dataloader)`` batches of the epoch that the checkpoint
      already consumed, on the sampler's indices (nothing is loaded; the sampler's order
      depends only on its seed and epoch, as with ``DefaultSampler``), and passes the true
      in-epoch ``batch_idx`` to the hooks;
    - with ``reseed='iter'`` (default), re-seeds the global Python / NumPy / torch generators
      before fetching every batch and again before its training step, from
      ``(randomness.seed, iteration)``: MMEngine does not save
      generator states, and dropout, noise and main-process augmentations would otherwise
      differ after a resume. ``'epoch'`` re-seeds at every epoch start only (exact for
      epoch-boundary checkpoints), ``None`` never.

    With ``randomness=dict(seed=..., deterministic=True)`` and ``num_workers=0`` (or
    augmentation-free pipelines), killing a run anywhere and resuming from its last
    checkpoint gives bit-identical weights to the uninterrupted run on the CPU. Data workers
    (``num_workers > 0``) are seeded by MMEngine per worker and epoch, so random
    augmentations inside workers are not replayed exactly.

    It is the ``train_cfg.type`` of the mmlaplace base configs.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training dataloader.
        max_epochs (int): Total epochs.
        val_begin (int): Epoch to start validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): As the parent.
        reseed (str, optional): ``'iter'``, ``'epoch'`` or None (see above).
            Defaults to ``'iter'``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 reseed: Optional[str] = 'iter') -> None:
        if reseed not in RESEED_MODES:
            raise ValueError(f'train_cfg.reseed must be one of {RESEED_MODES}, got {reseed!r}')
        super().__init__(runner, dataloader, max_epochs, val_begin, val_interval,
                         dynamic_intervals)
        self.reseed = reseed
        batch_sampler = getattr(self.dataloader, 'batch_sampler', None)
        self._skip_sampler: Optional[SkipFirstSampler] = None
        if batch_sampler is not None and isinstance(getattr(batch_sampler, 'sampler', None),
                                                    Sampler):
            self._skip_sampler = SkipFirstSampler(batch_sampler.sampler)
            batch_sampler.sampler = self._skip_sampler
            self._skip_per_batch = int(batch_sampler.batch_size)

    def iteration_seed(self, iteration: int) -> int:
        """The global seed used before the batch of global ``iteration``."""
        return mixed_seed(self.runner.seed, iteration)

    def epoch_seed(self, epoch: int) -> int:
        """The global seed of ``epoch`` (``reseed='epoch'``)."""
        return mixed_seed(self.runner.seed, epoch)

    def consumed_batches(self) -> int:
        """Batches of the current epoch already trained (non-zero after a mid-epoch resume)."""
        return max(0, min(self._iter - self._epoch * len(self.dataloader), len(self.dataloader)))

    def epoch_batches(self) -> Iterator[Tuple[int, Sequence[dict]]]:
        """``(batch_idx, batch)`` of the rest of the current epoch, re-seeding as configured."""
        if self.reseed == 'epoch':
            seed_everything(self.epoch_seed(self._epoch))
        start = self.consumed_batches()
        if start:
            print_log(f'Resuming epoch {self._epoch + 1} at batch {start} of '
                      f'{len(self.dataloader)}: skipping the batches the checkpoint already '
                      'trained on', logger='current')
        if start and self._skip_sampler is not None:
            self._skip_sampler.skip = start * self._skip_per_batch
            batches = iter(self.dataloader)
        else:  # custom batch sampler: load and drop
            batches = itertools.islice(iter(self.dataloader), start, None)
        idx = start
        while True:
            if self.reseed == 'iter':
                seed_everything(self.iteration_seed(self._iter))
            try:
                batch = next(batches)
            except StopIteration:
                return
            yield idx, batch
            idx += 1

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Run one iteration; with ``reseed='iter'`` re-seed once more right before it.

        The second re-seed (after all batches of the iteration are fetched) keeps the model's
        randomness independent of data-loader bookkeeping that draws from the global torch
        generator, such as creating a loader iterator at a different iteration after a resume.
        """
        if self.reseed == 'iter':
            seed_everything(mixed_seed(self.runner.seed, self._iter, 1))
        super().run_iter(idx, data_batch)

    def run_epoch(self) -> None:
        """Iterate the (rest of the) current epoch."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        for idx, data_batch in self.epoch_batches():
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
