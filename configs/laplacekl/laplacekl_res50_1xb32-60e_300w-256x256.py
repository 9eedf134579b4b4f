# ResNet-50 + SoftArgmaxHead (3 deconvs to 64 x 64, like IntegralRegressionHead) + LaplaceKL.
_base_ = ['../_base_/softargmax_augmented_300w-256x256.py']

model = dict(
    backbone=dict(type='ResNet', depth=50),
    head=dict(
        in_channels=2048,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4)))
