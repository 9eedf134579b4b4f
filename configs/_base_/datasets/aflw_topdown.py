# AFLW (19 landmarks, the two earlobes dropped as in MMPose's AFLW annotations) with MMPose's
# AFLWDataset (top-down), without pipelines. NME is normalized by the annotation's
# ``box_size`` = sqrt(w * h) of the face box, the paper's normalization; ``PackFaceInputs``
# carries ``box_size`` to the metric. (MMPose's own AFLW configs use norm_item='bbox_size',
# the longest side of the padded box.)
_base_ = ['./300w_topdown.py']

dataset_type = 'AFLWDataset'
data_root = 'data/aflw/'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/face_landmarks_aflw_train.json'))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/face_landmarks_aflw_test.json'))
test_dataloader = val_dataloader
val_evaluator = dict(type='NME', norm_mode='use_norm_item', norm_item='box_size')
test_evaluator = [
    dict(type='FaceAlignmentMetric', norm_mode='box_size', thresholds=(0.08, 0.10)),
    dict(type='HeatmapSpread')
]
