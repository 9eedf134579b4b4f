# The paper's protocol on 300W (Robinson et al., ICCV 2019, Sec. 4): RCN generator, 80 x 80
# input, K = 68 heatmaps at input resolution, softmax temperature beta = 1, Adam lr 1e-3 and
# weight decay 1e-5 for 200 epochs without lr drop, no augmentation. Children pick the loss and
# the width. Data: MMPose's Face300WDataset (datasets/300w_topdown.py).
_base_ = [
    './schedules/adam-constant_200e.py', './models/rcn_softargmax.py',
    './pipelines/topdown_80x80.py', './datasets/300w_topdown.py'
]

model = dict(head=dict(decoder={{_base_.codec}}))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader
