# The paper's protocol (rcn_paper_300w-80x80.py) on the built-in synthetic faces.
_base_ = [
    './schedules/adam-constant_200e.py', './models/rcn_softargmax.py',
    './pipelines/topdown_80x80.py', './datasets/synthetic_faces_topdown.py'
]

model = dict(head=dict(decoder={{_base_.codec}}))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader
