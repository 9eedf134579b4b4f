"""PackPoseInputs that also carries the face-box size used to normalize AFLW's NME."""
import numpy as np
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackFaceInputs(PackPoseInputs):
    """:class:`PackPoseInputs` that also packs ``box_size`` into ``gt_instances``.

    MMPose's ``AFLWDataset`` reads ``box_size`` (sqrt(w * h) of the face box, the paper's
    AFLW normalization) in test mode, but ``PackPoseInputs`` drops it, so MMPose's ``NME``
    cannot use it. With this transform, ``NME(norm_mode='use_norm_item',
    norm_item='box_size')`` normalizes by it.

    Example:
        >>> pack = PackFaceInputs()
        >>> pack.instance_mapping_table['box_size']
        'box_size'
    """

    instance_mapping_table = dict(PackPoseInputs.instance_mapping_table, box_size='box_size')

    def transform(self, results: dict) -> dict:
        """Pack as :class:`PackPoseInputs`; ``box_size`` becomes a (1,) array per instance."""
        if 'box_size' in results:
            results['box_size'] = np.asarray(results['box_size'], dtype=np.float32).reshape(-1)
        return super().transform(results)
