# The paper's input: the face box (x 1.25) cropped to 80 x 80, no augmentation; targets are
# normalized coordinates (SoftArgmaxLabel: RegressionLabel's encode; as the head's decoder it
# decodes the soft-argmax moments, the scores with the head's score_scale).
input_size = (80, 80)
codec = dict(type='SoftArgmaxLabel', input_size=input_size)

train_pipeline = [
    dict(type='LoadFaceImage'),  # names the file on errors; converts gray / RGBA
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadFaceImage'),  # names the file on errors; converts gray / RGBA
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
