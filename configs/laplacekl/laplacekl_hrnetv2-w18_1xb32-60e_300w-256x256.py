# HRNetV2-W18 (all branches concatenated at 64 x 64, as MMPose's 300W config) + SoftArgmaxHead
# (1x1 conv to K maps) + LaplaceKL.
_base_ = ['../_base_/softargmax_augmented_300w-256x256.py']

model = dict(
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(18, 36)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(18, 36, 72)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(18, 36, 72, 144), multiscale_output=True),
            upsample=dict(mode='bilinear', align_corners=False))),
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(in_channels=270))
