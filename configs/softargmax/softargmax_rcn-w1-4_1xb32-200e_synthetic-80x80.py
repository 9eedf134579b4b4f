# The 300W soft-argmax baseline (RCN 1/4 width, paper protocol), data paths swapped to the
# built-in synthetic faces.
_base_ = ['./softargmax_rcn-w1-4_1xb32-200e_300w-80x80.py']

data_root = 'data/synthetic_faces/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_train.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_test.json'))
test_dataloader = val_dataloader
