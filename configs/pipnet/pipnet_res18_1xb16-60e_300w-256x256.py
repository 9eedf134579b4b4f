# PIPNet as in its paper (Jin et al., IJCV 2021, Sec. 4.1) on 300W: ResNet-18, 256 x 256 input,
# stride 32 (an 8 x 8 grid), C = 10 neighbours, alpha = beta = 0.1; Adam 1e-4, batch 16, 60
# epochs with lr x 0.1 at 30 and 50; translation +-30 px (p 0.5), occlusion (a rectangle of at
# most 100 px, p 0.5), horizontal flip (p 0.5), rotation +-30 degrees (p 0.5), Gaussian blur
# (radius <= 5, p 0.3). Differences: no ImageNet weights (nothing can be downloaded: the
# backbone trains from scratch), MMPose's 1.25 x face box instead of the paper's 1.1 x.
# For a GPU or a long run; the CPU-sized variant is pipnet_mobilenetv2-0.5_...-128x128.py.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/300w_topdown.py',
          '../_base_/models/pip_neighbors_300w.py']

input_size = (256, 256)
codec = dict(type='PIPLabel', input_size=input_size, heatmap_size=(8, 8),
             neighbor_indices={{_base_.pip_neighbor_indices}})

train_cfg = dict(max_epochs=60, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [dict(type='MultiStepLR', milestones=[30, 50], gamma=0.1, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=16)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18),
    head=dict(type='PIPHead', in_channels=512, num_keypoints=68, decoder=codec,
              loss=dict(type='PIPLoss', offset_weight=0.1, neighbor_weight=0.1)),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal', prob=0.5),
    # +-30 px of the 256 px crop (bbox_scale = the crop side): shift_factor 30 / 256
    dict(type='RandomBBoxTransform', shift_factor=0.117, shift_prob=0.5, scale_factor=(1.0, 1.0),
         scale_prob=0.0, rotate_factor=30, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='RandomRectangleOcclusion', max_size=100, prob=0.5),
    dict(type='RandomGaussianBlur', max_radius=5, prob=0.3),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
test_evaluator = dict(
    _delete_=True, type='FaceAlignmentMetric', norm_mode='inter_ocular', thresholds=(0.08, 0.10),
    subsets=dict(common=['lfpw/testset', 'helen/testset'], challenge=['ibug'],
                 indoor=['indoor_'], outdoor=['outdoor_']))
