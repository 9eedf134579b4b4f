# RCN generator (the paper's Recombinator Network; K = 68 maps at input resolution) +
# SoftArgmaxHead (softmax temperature beta = 1) + LaplaceKL loss (paper eq. 3). Children pick
# the width and the loss; the protocol file sets the head's decoder (its codec).
num_keypoints = 68

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='RCN', num_keypoints=num_keypoints, width=1.0),
    head=dict(
        type='SoftArgmaxHead',
        in_channels=num_keypoints,
        num_keypoints=num_keypoints,
        beta=1.0,
        final_layer=None,  # RCN already outputs K maps at input resolution
        loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True)),
    # heatmaps are returned for the HeatmapSpread metric and the pictures
    test_cfg=dict(flip_test=False, output_heatmaps=True))
