# Runtime shared by every mmlaplace config: MMPose's default runtime plus the plugin import.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['mmlaplace'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook', interval=10, save_best='NME', rule='less', max_keep_ckpts=2))
# SyncBuffersHook is only useful with BatchNorm under DDP; keep MMPose's default.
randomness = dict(seed=0)
