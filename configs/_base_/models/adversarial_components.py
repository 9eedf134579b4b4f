# Adversarial semi-supervised training (Robinson et al., ICCV 2019, Sec. 3.2-3.3, Algorithm 1)
# as named parts, so that every adversarial config takes them the same way:
#   model = {{_base_.adversarial_model}}          # merged into the protocol's model
#   optim_wrapper = {{_base_.gan_optim_wrapper}}
#   model_wrapper_cfg = {{_base_.separate_ddp}}
# (variables of their own, not `model` / `optim_wrapper`: MMEngine refuses a key defined by
# two bases, and the protocol base defines those).
#
# G = the protocol's pose model; D = a 4-layer PatchGAN on [image, K heatmaps]. Real pairs:
# labeled images with Laplace(s, b0 = 1) heatmaps; fake pairs: unlabeled face crops with G's
# heatmaps; lambda = 0.001, alternating D / G updates.
adversarial_model = dict(
    type='AdversarialTopdownPoseEstimator',
    discriminator=dict(
        type='HeatmapPatchDiscriminator',
        in_channels=68 + 3,
        base_channels=64,
        num_layers=4,
        noise_std=0.2,
        heatmap_scale='numel'),  # heatmaps x (H * W) for D, real and fake alike
    adv_weight=0.001,
    adv_loss_type='minimax',  # the paper's log(1 - D(G(d_u))); or 'non_saturating'
    real_heatmap=dict(kind='laplace', scale=1.0, invisible='prediction'),
    disc_steps=1)

# G: the paper's Adam (lr 1e-3, weight decay 1e-5); D: Adam lr 1e-4, betas (0.5, 0.999)
# (the paper does not give D's optimizer; pix2pix-style betas). --amp switches both wrappers.
gan_optim_wrapper = dict(
    _delete_=True,
    constructor='GANOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5)),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))

# G (backbone / head) and D are updated by different optimizers at different times: wrap them
# in separate DDPs. device_ids=None lets DDP use each module's device (GPU or CPU / gloo).
separate_ddp = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True,
    device_ids=None)

# The unlabeled faces (the paper: MegaFace via MTCNN 5-point crops): a folder of face images
# under data/unlabeled_faces/images/ (recursive; jpg / jpeg / png / bmp / webp), optionally with
# annotations/faces.txt ("file x1 y1 ... x5 y5" per line, 5-point crop rule: the box around the
# points squared to 2 x max(h, w); or "file x y w h" boxes), set with
#   --cfg-options train_cfg.unlabeled_dataloader.dataset.ann_file=annotations/faces.txt
# Without it each whole image is one face. E.g. the shared CelebA faces:
#   --cfg-options train_cfg.unlabeled_dataloader.dataset.data_root=../shared/data/unlabeled_celeba/
#                 train_cfg.unlabeled_dataloader.dataset.data_prefix.img=
# The epoch is the labeled epoch; the unlabeled stream cycles (re-shuffled every pass) and is a
# function of the global iteration, so --resume restores it. Its pipeline: the protocol's crop
# without augmentation (keep the 5-point square crop as it is); configs with another input
# size or augmentation override train_cfg.unlabeled_dataloader.dataset.pipeline.
semi_supervised_loop = dict(
    _delete_=True,
    type='SemiSupervisedEpochBasedTrainLoop',
    max_epochs=200,
    val_interval=10,
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
                dict(type='LoadFaceImage'),  # names the file on errors; converts gray / RGBA
                dict(type='GetBBoxCenterScale', padding=1.0),
                dict(type='TopdownAffine', input_size=(80, 80)),
                dict(type='PackPoseInputs')
            ])))

# A recipe that keeps D from winning (issue 19; the paper's recipe stays adversarial_model):
# the non-saturating loss -log D(G(d_u)) (G's gradient does not vanish when D is sure),
# one-sided label smoothing (D's target 0.9 for real pairs), spectral norm on D's convs (no
# BatchNorm), and instance noise that falls from 0.2 to 0 over the first half of the 10 %
# label-scarce protocol (1,050 of 2,100 iterations). D's lr stays 1e-4 (G's 1e-3). For cost
# and balance D sees 8 real pairs (the first 8 labeled images) against the 8 fakes, at half
# the paper's width (base_channels 32): with 32 real pairs and width 64 a step cost ~9x a
# supervised one on a CPU.
stabilized_adversarial_model = dict(
    adversarial_model,
    discriminator=dict(adversarial_model['discriminator'], base_channels=32, spectral_norm=True),
    adv_loss_type='non_saturating',
    real_label=0.9,
    noise_anneal_iters=1050,
    num_real=8)
