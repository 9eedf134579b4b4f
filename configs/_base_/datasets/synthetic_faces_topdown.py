# The built-in synthetic 68-point faces (python tools/generate_synthetic_faces.py --out-dir
# data/synthetic_faces): the 300W loaders with the synthetic train / test files.
_base_ = ['./300w_topdown.py']

data_root = 'data/synthetic_faces/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_train.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_test.json'))
test_dataloader = val_dataloader
