# ResNet-50 + SoftArgmaxHead (64 x 64 heatmaps) + LaplaceKL + D(10K), MMPose's augmented
# 300W recipe (256 x 256, flip / rotation / scale, flip test). D sees the image resized to
# 64 x 64 (antialiased) with the 68 heatmaps. The unlabeled images get the same augmentation
# as the labeled ones, so that D cannot tell real from fake by augmentation artefacts (e.g. the
# black corners of rotated crops). The lr schedule applies to both G and D.
_base_ = [
    '../laplacekl/laplacekl_res50_1xb32-60e_300w-256x256.py',
    '../_base_/models/adversarial_components.py'
]

model = {{_base_.adversarial_model}}
optim_wrapper = {{_base_.gan_optim_wrapper}}
model_wrapper_cfg = {{_base_.separate_ddp}}
# the recipe's 60 epochs and validation interval; the unlabeled crops augmented like the
# labeled ones (differs from the components' 80 x 80 loop: restated whole, since a loop
# taken from a base cannot be edited in the same file)
train_cfg = dict(
    _delete_=True,
    type='SemiSupervisedEpochBasedTrainLoop',
    max_epochs=60,
    val_interval=5,
    unlabeled_dataloader=dict(
        batch_size=32,
        num_workers=2,
        persistent_workers=True,
        drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            type='UnlabeledFaceDataset',
            data_root='data/unlabeled_faces/',
            data_prefix=dict(img='images/'),
            ann_file='',
            num_unlabeled=10000,
            pipeline=[
                dict(type='LoadFaceImage'),
                dict(type='GetBBoxCenterScale', padding=1.0),
                dict(type='RandomFlip', direction='horizontal'),
                dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=30,
                     scale_factor=(0.75, 1.25)),
                dict(type='TopdownAffine', input_size={{_base_.input_size}}),
                dict(type='PackPoseInputs')
            ])))
