# LaplaceKL+D on the built-in synthetic faces (python tools/generate_synthetic_faces.py
# --out-dir data/synthetic_faces): labeled train / test splits and the unlabeled split
# (images/unlabeled/, whole 256 x 256 images, all of them).
_base_ = ['../_base_/adversarial_rcn_synthetic-80x80.py']

model = dict(backbone=dict(width=0.25))
train_cfg = dict(
    unlabeled_dataloader=dict(
        dataset=dict(
            data_root={{_base_.data_root}}, data_prefix=dict(img='images/unlabeled/'),
            num_unlabeled=None)))
