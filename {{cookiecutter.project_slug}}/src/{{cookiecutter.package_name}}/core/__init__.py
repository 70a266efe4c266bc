"""The plumbing the stages share: parameters, paths, data files, sources, encoding, training engines.

Nothing here imports the stages, the seams (features.py, models.py) or the CI machinery
(ci/): pyproject.toml's import-linter contract checks it.
"""
