from .pack_face_inputs import PackFaceInputs

__all__ = ['PackFaceInputs']
