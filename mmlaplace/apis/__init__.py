from .crop_predictions import image_to_crop, predict_crops

__all__ = ['image_to_crop', 'predict_crops']
