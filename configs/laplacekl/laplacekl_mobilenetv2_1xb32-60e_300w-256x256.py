# MobileNetV2 + SoftArgmaxHead (3 deconvs to 64 x 64) + LaplaceKL.
_base_ = ['../_base_/softargmax_augmented_300w-256x256.py']

model = dict(
    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, )),
    head=dict(
        in_channels=1280,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4)))
