from .face_figures import heatmap_overlay, landmarks_with_uncertainty, save_face_grid

__all__ = ['heatmap_overlay', 'landmarks_with_uncertainty', 'save_face_grid']
