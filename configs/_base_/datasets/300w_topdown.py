# 300W with MMPose's Face300WDataset (top-down), without pipelines (the protocol file sets
# them). Point data_root / ann_file at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=../shared/data/300w_subset/
# Test subsets (common / challenge / full) are chosen by the annotation file of the test loader.
# (Not named 300w.py: MMPose resolves its metainfo file configs/_base_/datasets/300w.py
# relative to the working directory first.)
dataset_type = 'Face300WDataset'
data_mode = 'topdown'
data_root = 'data/300w/'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/face_landmarks_300w_train.json',
        data_prefix=dict(img='images/')))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        # 300W full test set; ..._valid_common.json / ..._valid_challenge.json are the subsets
        ann_file='annotations/face_landmarks_300w_valid.json',
        data_prefix=dict(img='images/'),
        test_mode=True))
test_dataloader = val_dataloader

# inter-ocular NME (outer eye corners 36 and 45, MMPose's default for 300W); the test also
# reports NME per 300W subset present in the test file, failure rate and CED AUC at 8 / 10 %,
# the scale-error rank correlation and the heatmap spread (paper Sec. 4.2)
val_evaluator = dict(type='NME', norm_mode='keypoint_distance')
test_evaluator = [
    dict(type='FaceAlignmentMetric', norm_mode='inter_ocular', thresholds=(0.08, 0.10),
         subsets=dict(common=['lfpw/testset', 'helen/testset'], challenge=['ibug'],
                      indoor=['indoor_'], outdoor=['outdoor_'])),
    dict(type='HeatmapSpread')
]
