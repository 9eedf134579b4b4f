# ELT (Honari et al., CVPR 2018) as named parts, merged into a protocol config:
#   model = {{_base_.equivariance_model}}
#   train_cfg = {{_base_.equivariance_loop}}
# The loss: for a random similarity T (rotation +-15 deg, scale 0.9-1.1, shift +-8 %), the
# landmarks of T(I) against T(landmarks of I), on the unlabeled batch and 8 labeled images;
# pixel distance, weight 0.1 ramped in over 140 iterations (20 epochs of the 10 % label-scarce
# protocol: the early landmarks are noise).
equivariance_model = dict(
    type='EquivarianceTopdownPoseEstimator',
    equivariance_loss=dict(type='EquivarianceLoss', kind='distance', loss_weight=0.1),
    transform=dict(rotate=15.0, scale=(0.9, 1.1), shift=0.08),
    elt_labeled=8,
    warmup_iters=140)
