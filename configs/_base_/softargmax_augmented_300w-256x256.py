# SoftArgmaxHead + LaplaceKL on MMPose backbones: 256 x 256 input, 64 x 64 heatmaps, the
# augmented recipe of MMPose's 300W configs (flip, rotation, scale) and flip test. Children
# set the backbone and the head's input layers. No pretrained weights (nothing is downloaded).
_base_ = ['./default_runtime.py', './datasets/300w_topdown.py']

num_keypoints = 68
input_size = (256, 256)

# ResumableEpochBasedTrainLoop: MMEngine's epoch loop + exact mid-epoch --resume
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=60, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=60, milestones=[40, 55], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=32)

codec = dict(type='SoftArgmaxLabel', input_size=input_size)  # RegressionLabel + moments

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    head=dict(
        type='SoftArgmaxHead',
        num_keypoints=num_keypoints,
        heatmap_size=(64, 64),
        loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_coords=True))


train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=30, scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=input_size),
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
# NME per 300W subset, failure rate / CED AUC at 8 / 10 % and the scale-error correlation
# (no HeatmapSpread: these heads do not return their heatmaps at test time)
test_evaluator = dict(
    _delete_=True, type='FaceAlignmentMetric', norm_mode='inter_ocular', thresholds=(0.08, 0.10),
    subsets=dict(common=['lfpw/testset', 'helen/testset'], challenge=['ibug'],
                 indoor=['indoor_'], outdoor=['outdoor_']))
