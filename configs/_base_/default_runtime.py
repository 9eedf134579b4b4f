# Runtime shared by every mmlaplace config: MMPose's default runtime plus the plugin import.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['mmlaplace'], allow_failed_imports=False)

# Reliability (README "Troubleshooting"): checkpoints and the last_checkpoint pointer are
# written atomically; a NaN / Inf loss stops the run before any update, naming the iteration,
# term and landmarks; checkpoints of another K / width and bad annotations or sizes are refused
# before training. Iteration-interval checkpoints for long epochs:
#   --cfg-options default_hooks.checkpoint.by_epoch=False default_hooks.checkpoint.interval=500
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=10, save_best='NME', rule='less',
        max_keep_ckpts=2),
    non_finite_loss=dict(type='NonFiniteLossHook'),
    checkpoint_compatibility=dict(type='CheckpointCompatibilityHook'),
    data_check=dict(type='FaceDataCheckHook'))
# SyncBuffersHook is only useful with BatchNorm under DDP; keep MMPose's default.
randomness = dict(seed=0)
# Training loop of every mmlaplace config (replaces MMPose's `train_cfg = dict(by_epoch=True)`):
# MMEngine's epoch loop whose --resume from a mid-epoch checkpoint is exact.
train_cfg = dict(_delete_=True, type='ResumableEpochBasedTrainLoop')
