# STC (PIPNet's self-training with curriculum) as named parts, merged into a protocol config:
#   model = {{_base_.self_training_model}}
#   train_cfg = {{_base_.semi_supervised_train_cfg}}
# The 10 % label-scarce protocol's schedule (7 iterations per epoch, 300 epochs): labeled faces
# only for 100 epochs (700 iterations), then 5 rounds of 40 epochs, each with a teacher copied
# at its start; the pseudo-labels' target scale b0 4 -> 2 -> 1 -> 1 -> 1 (PIPNet: Task 1 ->
# Task 2 -> Task 3, then Task 3 until convergence; three rounds of Task 3). The 8 unlabeled faces
# weigh as 8 more training faces next to the 32 labeled ones (loss_weight 8 / 32), as in
# PIPNet's merged training set; the 80 % most confident pseudo-labels of a batch (smallest
# teacher scale) are used. The student sees them under the ELT similarity ranges.
self_training_model = dict(
    type='SelfTrainingTopdownPoseEstimator',
    self_training=dict(start_iter=700, round_iters=280, target_scales=(4.0, 2.0, 1.0),
                       keep_ratio=0.8, loss_weight=0.25),
    transform=dict(rotate=15.0, scale=(0.9, 1.1), shift=0.08))
