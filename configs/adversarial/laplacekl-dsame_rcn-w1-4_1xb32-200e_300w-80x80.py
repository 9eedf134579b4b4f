# Control LaplaceKL+D(300W): the "unlabeled" images are the labeled training images (d^l = d^u;
# the paper: 4.06 vs 4.01 without D, i.e. no gain). The unlabeled loader reads the labeled
# annotation file with the labeled crops (same center / scale, no GenerateTarget); the model
# uses only the images of the unlabeled batch, so the labels are dropped. It is shuffled
# independently of the labeled loader (sampler seed + 1). If you override the labeled
# data_root / ann_file, override these too.
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

model = dict(backbone=dict(width=0.25))
train_cfg = dict(
    unlabeled_dataloader=dict(
        dataset=dict(
            _delete_=True,
            type='Face300WDataset',
            data_root={{_base_.data_root}},
            data_mode='topdown',
            ann_file='annotations/face_landmarks_300w_train.json',
            data_prefix=dict(img='images/'),
            pipeline={{_base_.val_pipeline}})))
