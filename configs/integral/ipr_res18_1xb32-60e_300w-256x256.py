# The MMPose user's alternative to RCN + SoftArgmaxHead: ResNet-18 + MMPose's own
# IntegralRegressionHead (integral pose regression, soft-argmax over 64 x 64 heatmaps from
# 3 deconvs) with MMPose's SmoothL1 loss on the coordinates, 256 x 256 input. Used as the
# baseline of tools/benchmark_speed.py; trainable like every config here.
_base_ = ['../_base_/softargmax_augmented_300w-256x256.py']

model = dict(
    backbone=dict(type='ResNet', depth=18),
    head=dict(
        _delete_=True,
        type='IntegralRegressionHead',
        in_channels=512,
        in_featuremap_size=(8, 8),
        num_joints={{_base_.num_keypoints}},
        loss=dict(type='SmoothL1Loss', use_target_weight=True),
        decoder={{_base_.codec}}))
