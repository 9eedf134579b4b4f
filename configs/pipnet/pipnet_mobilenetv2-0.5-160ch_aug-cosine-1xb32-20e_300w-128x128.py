# The fast CPU variant of pipnet_mobilenetv2-0.5_...: PIPHead on MobileNetV2-0.5's last
# inverted-residual stage (160 channels, stride 32) instead of its 1280-channel 1x1 conv, whose
# output made the head's 1x1 conv (1280 -> 68 x 23 maps) as costly as the whole backbone.
_base_ = ['./pipnet_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py']

model = dict(backbone=dict(out_indices=(6, )), head=dict(in_channels=160))
