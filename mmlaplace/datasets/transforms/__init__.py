from .load_face_image import LoadFaceImage
from .pack_face_inputs import PackFaceInputs

__all__ = ['LoadFaceImage', 'PackFaceInputs']
