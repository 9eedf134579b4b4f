"""Epoch-based training loop feeding a labeled and a cycling unlabeled stream."""
import copy
import itertools
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmpose.registry import DATA_SAMPLERS, DATASETS, LOOPS
from torch.utils.data import DataLoader, Sampler

from .resumable_loop import ResumableEpochBasedTrainLoop, seed_everything

__all__ = ['CyclePositionSampler', 'SemiSupervisedEpochBasedTrainLoop', 'seed_everything']


class CyclePositionSampler(Sampler):
    """Wrap a sampler so that one pass can start at a given cycle and position.

    ``set_position(cycle, start)`` sets the inner sampler's epoch to ``cycle`` (a new shuffle
    per cycle, e.g. :class:`mmengine.dataset.DefaultSampler` seeds with ``seed + epoch``) and
    skips the first ``start`` indices of that pass. Skipping happens on the indices only, so
    no skipped sample is loaded.

    Args:
        sampler (Sampler): The inner sampler (its order must depend only on its epoch).
    """

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.cycle = 0
        self.start = 0

    def set_position(self, cycle: int, start: int) -> None:
        """Make the next pass yield pass ``cycle`` of the inner sampler from index ``start``."""
        self.cycle, self.start = int(cycle), int(start)
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(self.cycle)

    def set_epoch(self, epoch: int) -> None:
        """Alias of ``set_position(epoch, 0)`` for code that treats this as a sampler."""
        self.set_position(epoch, 0)

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(iter(self.sampler), self.start, None)

    def __len__(self) -> int:
        return max(len(self.sampler) - self.start, 0)


@LOOPS.register_module()
class SemiSupervisedEpochBasedTrainLoop(ResumableEpochBasedTrainLoop):
    """:class:`ResumableEpochBasedTrainLoop` that also feeds a cycling stream of unlabeled batches.

    Every iteration calls ``model.train_step(dict(labeled=batch_l, unlabeled=batch_u), ...)``
    (the format of :class:`AdversarialTopdownPoseEstimator`), ``batch_l`` from the labeled
    ``dataloader`` (which defines the epoch length, as usual) and ``batch_u`` from
    ``unlabeled_dataloader``, a normal dataloader config built with ``runner.build_dataloader``
    (its sampler, e.g. ``DefaultSampler(shuffle=True)``, is wrapped in
    :class:`CyclePositionSampler`).

    **The unlabeled stream is a function of the global iteration** ``t`` (``runner.iter``):
    with ``n`` unlabeled batches per pass (``len(unlabeled_dataloader)``), iteration ``t`` gets
    batch ``t % n`` of pass ``t // n``, and pass ``c`` is the sampler's shuffle for epoch ``c``
    (``DefaultSampler``: ``randperm`` seeded with ``seed + c``). The stream cycles without end
    and re-shuffles every pass; the labeled and unlabeled epochs are independent. The sampler
    seed is ``randomness.seed + unlabeled_seed_offset`` unless the sampler config sets
    ``seed``, so that a labeled and an unlabeled set of the same images (the ``d^l = d^u``
    control) are not drawn in the same order.

    **Resume.** Nothing of the stream needs saving: ``runner.iter`` (restored by
    ``--resume``) fixes its position. The labeled side is that of
    :class:`ResumableEpochBasedTrainLoop`: a mid-epoch checkpoint resumes at the next labeled
    batch, and the global Python, NumPy and torch generators are re-seeded before every
    iteration from ``(randomness.seed, iteration)`` (``reseed='iter'``; MMEngine does not
    store generator states, and dropout, D's input noise and random augmentations would
    otherwise differ after a resume). So resuming from any checkpoint reproduces the
    uninterrupted run (bit for bit with ``randomness=dict(seed=..., deterministic=True)``;
    data workers are seeded by MMEngine per worker as usual, so use ``num_workers=0`` or
    augmentation-free pipelines for bit-exactness).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The labeled dataloader.
        unlabeled_dataloader (dict): The unlabeled dataloader config (``batch_size`` required,
            no custom ``batch_sampler``).
        max_epochs (int): Total (labeled) epochs.
        val_begin (int): Epoch to start validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): As the parent.
        unlabeled_seed_offset (int): Added to the runner seed for the unlabeled sampler.
            Defaults to 1.
        reseed_every_epoch (bool): False turns re-seeding off (``reseed=None``); kept for
            older configs. Defaults to True.
        reseed (str, optional): ``'iter'``, ``'epoch'`` or None, see
            :class:`ResumableEpochBasedTrainLoop`. Defaults to ``'iter'``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 unlabeled_dataloader: Dict,
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 unlabeled_seed_offset: int = 1,
                 reseed_every_epoch: bool = True,
                 reseed: Optional[str] = 'iter') -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin, val_interval,
                         dynamic_intervals, reseed=reseed if reseed_every_epoch else None)
        self.reseed_every_epoch = reseed_every_epoch
        self.unlabeled_dataloader, self.unlabeled_sampler = self._build_unlabeled(
            unlabeled_dataloader, unlabeled_seed_offset)
        self.unlabeled_batch_size: int = self.unlabeled_dataloader.batch_size
        self.unlabeled_batches_per_pass = len(self.unlabeled_dataloader)
        if self.unlabeled_batches_per_pass == 0:
            raise ValueError(
                f'SemiSupervisedEpochBasedTrainLoop: the unlabeled dataloader gives no batch '
                f'({len(self.unlabeled_dataloader.dataset)} samples, batch_size '
                f'{self.unlabeled_batch_size}, drop_last '
                f'{self.unlabeled_dataloader.drop_last})')

    def _build_unlabeled(self, cfg: Dict, seed_offset: int) -> Tuple[DataLoader, Sampler]:
        if not isinstance(cfg, dict):
            raise TypeError('SemiSupervisedEpochBasedTrainLoop: unlabeled_dataloader must be a '
                            f'dataloader config dict, got {type(cfg).__name__}')
        cfg = copy.deepcopy(cfg)
        if cfg.get('batch_sampler') is not None or 'batch_size' not in cfg:
            raise ValueError('SemiSupervisedEpochBasedTrainLoop: unlabeled_dataloader needs '
                             '"batch_size" and no custom "batch_sampler"')
        runner = self.runner
        diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
        dataset = cfg.pop('dataset')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
        sampler = cfg.pop('sampler', dict(type='DefaultSampler', shuffle=True))
        if isinstance(sampler, dict):
            seed = None if diff_rank_seed else runner.seed + seed_offset
            sampler = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset, seed=seed))
        cfg.update(dataset=dataset, sampler=CyclePositionSampler(sampler))
        loader = runner.build_dataloader(cfg, seed=runner.seed, diff_rank_seed=diff_rank_seed)
        # build_dataloader deep-copies its config: position the loader's own sampler copy
        assert isinstance(loader.sampler, CyclePositionSampler)
        return loader, loader.sampler

    def unlabeled_position(self, global_iter: int) -> Tuple[int, int]:
        """``(pass, batch index in the pass)`` of the unlabeled batch of ``global_iter``."""
        return divmod(int(global_iter), self.unlabeled_batches_per_pass)

    def unlabeled_batches(self, start_iter: int) -> Iterator[Sequence[dict]]:
        """Endless unlabeled batches, the first one being that of global ``start_iter``."""
        cycle, pos = self.unlabeled_position(start_iter)
        while True:
            self.unlabeled_sampler.set_position(cycle, pos * self.unlabeled_batch_size)
            yield from self.unlabeled_dataloader
            cycle, pos = cycle + 1, 0

    def run_epoch(self) -> None:
        """Iterate the (rest of the) labeled epoch, each batch with the next unlabeled one."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        stream = None
        try:
            for idx, data_batch in self.epoch_batches():
                if stream is None:  # after a mid-epoch resume, self._iter is past the skip
                    stream = self.unlabeled_batches(self._iter)
                self.run_iter(idx, dict(labeled=data_batch, unlabeled=next(stream)))
        finally:
            if stream is not None:
                stream.close()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
