"""A DVC pipeline of four stages, get_data -> prepare -> train -> evaluate, behind check_source.

What you edit is at this level: one module per stage, run by DVC as
``python -m {{ cookiecutter.package_name }}.<stage>`` (see dvc.yaml); features.py, the one place for
derived columns; models.py, the registry of models train.model can name; synthetic.py, the
example data made when get_data.source is empty; predict.py, which scores raw rows with a
saved model. Below it, core/ holds the plumbing the stages share; beside it, ci/ holds the
continuous-training machinery, which nothing here imports (pyproject.toml's import-linter
contracts check both).
"""
