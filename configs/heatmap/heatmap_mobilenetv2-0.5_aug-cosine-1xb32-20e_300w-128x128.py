# MMPose's HeatmapHead on MobileNetV2-0.5 at 128 x 128, light enough to train on a CPU core:
# 2 deconvs of 64 channels to 16 x 16 maps (stride 8), MSRA Gaussian targets with sigma 1
# heatmap pixel, MSE. The head comparison's heatmap row; it predicts no keypoint scales.
_base_ = ['../_base_/heads_mobilenetv2-0.5_300w-128x128.py']

codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(16, 16), sigma=1.0)
model = dict(
    head=dict(
        type='HeatmapHead',
        in_channels=1280,
        out_channels=68,
        deconv_out_channels=(64, 64),
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_mode='heatmap', shift_heatmap=True))
train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.05, shift_prob=0.3,
         scale_factor=(0.8, 1.2), rotate_factor=30, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=(128, 128)),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
