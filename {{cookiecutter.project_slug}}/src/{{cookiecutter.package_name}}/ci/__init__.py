"""The continuous-training machinery: `python -m {{ cookiecutter.package_name }}.ci <command>`.

The CI workflows call only that command (see __main__.py). The stages never import this
package, so a change here reruns no stage of the pipeline.
"""
