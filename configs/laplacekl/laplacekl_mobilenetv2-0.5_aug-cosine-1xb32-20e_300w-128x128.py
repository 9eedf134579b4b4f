# SoftArgmaxHead + LaplaceKL on MobileNetV2-0.5 at 128 x 128, the deconv stack of the heatmap
# row (2 deconvs of 64 channels to 16 x 16 maps, stride 8). The head comparison's LaplaceKL row.
_base_ = ['../_base_/heads_mobilenetv2-0.5_300w-128x128.py']

model = dict(
    head=dict(
        type='SoftArgmaxHead',
        in_channels=1280,
        num_keypoints=68,
        deconv_out_channels=(64, 64),
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True),
        decoder=dict(type='SoftArgmaxLabel', input_size=(128, 128))))
