"""{{ cookiecutter.project_name }}: a DVC pipeline get_data -> prepare -> train -> evaluate.

Each stage is a module run as ``python -m {{ cookiecutter.package_name }}.<stage>`` (see dvc.yaml).
"""
