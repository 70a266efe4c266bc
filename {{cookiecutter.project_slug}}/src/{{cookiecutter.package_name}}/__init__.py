"""A DVC pipeline in four stages: get_data -> prepare -> train -> evaluate.

Each stage is a module of this package, run by DVC as ``python -m <package>.<stage>``
(see dvc.yaml); the other modules hold what the stages share.
"""
