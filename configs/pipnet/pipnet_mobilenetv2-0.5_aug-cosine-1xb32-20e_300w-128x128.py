# PIPHead (C = 10 neighbours) on MobileNetV2-0.5 at 128 x 128: a 4 x 4 grid of stride 32;
# alpha = beta = 0.1 (the paper's values at stride 32). The head comparison's PIPNet row.
_base_ = [
    '../_base_/heads_mobilenetv2-0.5_300w-128x128.py', '../_base_/models/pip_neighbors_300w.py'
]

codec = dict(type='PIPLabel', input_size=(128, 128), heatmap_size=(4, 4),
             neighbor_indices={{_base_.pip_neighbor_indices}})
model = dict(
    head=dict(type='PIPHead', in_channels=1280, num_keypoints=68, decoder=codec,
              loss=dict(type='PIPLoss', offset_weight=0.1, neighbor_weight=0.1)))
