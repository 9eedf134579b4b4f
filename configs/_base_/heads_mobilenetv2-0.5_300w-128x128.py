# The head comparison of the PIPNet issue (docs/results.md): one backbone, input, augmentation
# and budget, children change only the head. MobileNetV2 at width 0.5 (stride 32, 1280
# channels), 128 x 128 input, MMPose's face augmentation (as the user recipe: flip with the
# 300W flip pairs, box scale / rotation / shift, photometric), Adam 1e-3 with a one-epoch
# warm-up and cosine decay over 20 epochs (a CPU core in a session), flip test. No pretrained
# weights (nothing is downloaded). Children set `model.head` (its decoder codec).
# The training targets are RegressionLabel's normalized keypoints, which PIPLabel and
# SoftArgmaxLabel encode alike (their heads assign / compare them on the batch); a head that
# needs other targets (HeatmapHead: MSRAHeatmap) restates the train pipeline.
_base_ = ['./default_runtime.py', './datasets/300w_topdown.py']

num_keypoints = 68
input_size = (128, 128)
codec = dict(type='RegressionLabel', input_size=input_size)
max_epochs = 20

train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=-1, save_best=None))

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='MobileNetV2', widen_factor=0.5, out_indices=(7, )),
    test_cfg=dict(flip_test=True, shift_coords=True))

train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.05, shift_prob=0.3,
         scale_factor=(0.8, 1.2), rotate_factor=30, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
# no HeatmapSpread: these heads do not return heatmaps at test time
test_evaluator = dict(
    _delete_=True, type='FaceAlignmentMetric', norm_mode='inter_ocular', thresholds=(0.08, 0.10),
    subsets=dict(common=['lfpw/testset', 'helen/testset'], challenge=['ibug'],
                 indoor=['indoor_'], outdoor=['outdoor_']))
