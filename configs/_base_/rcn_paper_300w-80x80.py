# The paper's protocol on 300W (Robinson et al., ICCV 2019, Sec. 4): RCN generator, 80 x 80
# input, K = 68 heatmaps at input resolution, softmax temperature beta = 1, Adam lr 1e-3 and
# weight decay 1e-5 for 200 epochs without lr drop, no augmentation. Children pick the loss and
# the width. Data: MMPose's Face300WDataset; point data_root / ann_file at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=../shared/data/300w_subset/
# Test subsets (common / challenge / full) are chosen by the annotation file of the test loader.
_base_ = ['./default_runtime.py']

num_keypoints = 68
input_size = (80, 80)

# ResumableEpochBasedTrainLoop: MMEngine's epoch loop + exact mid-epoch --resume
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=200, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = []  # constant learning rate, as in the paper
auto_scale_lr = dict(base_batch_size=32)

codec = dict(type='RegressionLabel', input_size=input_size)

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
        loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True),
        decoder=codec),
    # heatmaps are returned for the HeatmapSpread metric and the pictures
    test_cfg=dict(flip_test=False, output_heatmaps=True))

dataset_type = 'Face300WDataset'
data_mode = 'topdown'
data_root = 'data/300w/'

train_pipeline = [
    dict(type='LoadFaceImage'),  # names the file on errors; converts gray / RGBA
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadFaceImage'),  # names the file on errors; converts gray / RGBA
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/face_landmarks_300w_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        # 300W full test set; ..._valid_common.json / ..._valid_challenge.json are the subsets
        ann_file='annotations/face_landmarks_300w_valid.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# inter-ocular NME (outer eye corners 36 and 45, MMPose's default for 300W); the test also
# reports NME per 300W subset present in the test file, failure rate and CED AUC at 8 / 10 %,
# the scale-error rank correlation and the heatmap spread (paper Sec. 4.2)
val_evaluator = dict(type='NME', norm_mode='keypoint_distance')
test_evaluator = [
    dict(type='FaceAlignmentMetric', norm_mode='inter_ocular', thresholds=(0.08, 0.10),
         subsets=dict(common=['lfpw/testset', 'helen/testset'], challenge=['ibug'],
                      indoor=['indoor_'], outdoor=['outdoor_'])),
    dict(type='HeatmapSpread')
]
