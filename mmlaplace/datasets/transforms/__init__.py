from .load_face_image import LoadFaceImage
from .occlusion_and_blur import RandomGaussianBlur, RandomRectangleOcclusion
from .pack_face_inputs import PackFaceInputs

__all__ = ['LoadFaceImage', 'PackFaceInputs', 'RandomGaussianBlur', 'RandomRectangleOcclusion']
