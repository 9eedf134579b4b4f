# The paper's protocol on AFLW (datasets/aflw_topdown.py): K = 19, the test crops packed with
# their face-box size for the paper's NME.
_base_ = [
    './schedules/adam-constant_200e.py', './models/rcn_softargmax.py',
    './pipelines/topdown_80x80.py', './datasets/aflw_topdown.py'
]

num_keypoints = 19
model = dict(
    backbone=dict(num_keypoints=num_keypoints),
    head=dict(in_channels=num_keypoints, num_keypoints=num_keypoints,
              decoder={{_base_.codec}}))
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size={{_base_.input_size}}),
    dict(type='PackFaceInputs')
]
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
