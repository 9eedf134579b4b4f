# The paper's protocol on AFLW (19 landmarks, the two earlobes dropped as in MMPose's AFLW
# annotations). NME is normalized by the annotation's ``box_size`` = sqrt(w * h) of the face
# box, the paper's normalization; ``PackFaceInputs`` carries ``box_size`` to the metric.
# (MMPose's own AFLW configs use norm_item='bbox_size', the longest side of the padded box.)
_base_ = ['./rcn_paper_300w-80x80.py']

num_keypoints = 19

model = dict(
    backbone=dict(num_keypoints=num_keypoints),
    head=dict(in_channels=num_keypoints, num_keypoints=num_keypoints))

dataset_type = 'AFLWDataset'
data_root = 'data/aflw/'
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=(80, 80)),
    dict(type='PackFaceInputs')
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/face_landmarks_aflw_train.json'))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/face_landmarks_aflw_test.json',
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='NME', norm_mode='use_norm_item', norm_item='box_size')
test_evaluator = [
    dict(type='FaceAlignmentMetric', norm_mode='box_size', thresholds=(0.08, 0.10)),
    dict(type='HeatmapSpread')
]
