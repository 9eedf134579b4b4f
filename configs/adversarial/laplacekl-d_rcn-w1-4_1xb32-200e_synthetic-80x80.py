# LaplaceKL+D on the built-in synthetic faces (python tools/generate_synthetic_faces.py
# --out-dir data/synthetic_faces): labeled train / test splits and the unlabeled split
# (images/unlabeled/, whole 256 x 256 images, all of them).
_base_ = ['./laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py']

data_root = 'data/synthetic_faces/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_train.json'))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/face_landmarks_synthetic_test.json'))
test_dataloader = val_dataloader
train_cfg = dict(
    unlabeled_dataloader=dict(
        dataset=dict(
            data_root=data_root, data_prefix=dict(img='images/unlabeled/'),
            num_unlabeled=None)))
