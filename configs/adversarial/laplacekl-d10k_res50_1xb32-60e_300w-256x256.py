# ResNet-50 + SoftArgmaxHead (64 x 64 heatmaps) + LaplaceKL + D(10K), MMPose's augmented
# 300W recipe (256 x 256, flip / rotation / scale, flip test). D sees the image resized to
# 64 x 64 (antialiased) with the 68 heatmaps. The unlabeled images get the same augmentation
# as the labeled ones, so that D cannot tell real from fake by augmentation artefacts (e.g. the
# black corners of rotated crops). The lr schedule applies to both G and D.
_base_ = ['../laplacekl/laplacekl_res50_1xb32-60e_300w-256x256.py']

num_keypoints = 68
input_size = (256, 256)

model = dict(
    type='AdversarialTopdownPoseEstimator',
    discriminator=dict(
        type='HeatmapPatchDiscriminator',
        in_channels=num_keypoints + 3,
        base_channels=64,
        num_layers=4,
        noise_std=0.2,
        heatmap_scale='numel'),
    adv_weight=0.001,
    adv_loss_type='minimax',
    real_heatmap=dict(kind='laplace', scale=1.0, invisible='prediction'),
    disc_steps=1)

optim_wrapper = dict(
    _delete_=True,
    constructor='GANOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5)),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))

model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True,
    device_ids=None)

unlabeled_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=30, scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]

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
            pipeline=unlabeled_pipeline)))
