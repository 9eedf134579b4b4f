"""``CheckpointHook`` whose checkpoints and ``last_checkpoint`` pointer are written atomically."""
import glob
import os
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmpose.registry import HOOKS

from ...utils.atomic_io import atomic_write


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's :class:`CheckpointHook` that never leaves a half-written file.

    Checkpoints go through the ``'atomic_local'`` file backend
    (:class:`~mmlaplace.utils.atomic_io.AtomicLocalBackend`: temp file in the same folder,
    fsync, ``os.replace``) unless ``backend_args`` names another backend, and the
    ``<work_dir>/last_checkpoint`` pointer read by ``--resume`` (MMEngine 0.10 writes it with
    a plain ``open(..., 'w')``) is replaced atomically too. A run killed at any moment thus
    leaves the previous checkpoint and pointer intact, or the new ones complete. Old
    checkpoints (``max_keep_ckpts``) are removed only before a new one is written, as in
    MMEngine. Temporary files of writes interrupted in an earlier run
    (``.<name>.pth.<random>.tmp``) are removed before training. All arguments are those of
    :class:`CheckpointHook`.

    Example (``configs/_base_/default_runtime.py``)::

        default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', interval=10))
    """

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs) -> None:
        if kwargs.get('file_client_args') is None and backend_args is None:
            backend_args = dict(backend='atomic_local')
        super().__init__(*args, backend_args=backend_args, **kwargs)

    def before_train(self, runner) -> None:
        """Set up as :class:`CheckpointHook`; remove temp files of interrupted writes."""
        super().before_train(runner)
        if is_main_process() and osp.isdir(str(self.out_dir)):
            for tmp in glob.glob(osp.join(str(self.out_dir), '.*.pth.*.tmp')):
                os.remove(tmp)
                print_log(f'AtomicCheckpointHook: removed {tmp}, left by an interrupted '
                          'checkpoint write', logger='current')

    def _save_checkpoint_with_step(self, runner, step, meta):
        """MMEngine 0.10.7's implementation with an atomic ``last_checkpoint`` write."""
        if self.max_keep_ckpts > 0:
            if not (len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step):
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    _step = self.keep_ckpt_ids.popleft()
                    if is_main_process():
                        ckpt_path = self.file_backend.join_path(
                            self.out_dir, self.filename_tmpl.format(_step))
                        if self.file_backend.isfile(ckpt_path):
                            self.file_backend.remove(ckpt_path)
                        elif self.file_backend.isdir(ckpt_path):
                            self.file_backend.rmtree(ckpt_path)
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if is_main_process():
            atomic_write(str(self.last_ckpt), osp.join(runner.work_dir, 'last_checkpoint'))
