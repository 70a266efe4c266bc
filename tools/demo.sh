#!/usr/bin/env bash
# Bake a project with the default answers into build/demo/, install it as its README says,
# and run its pipeline end to end; print the metrics and where the plots are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export PATH="$PWD/.venv/bin:$PATH" DVC_NO_ANALYTICS=1

rm -rf build/demo
cookiecutter --no-input --output-dir build/demo .
cd build/demo/fraud-detection

echo "== Installing the project (uv sync, as its README says)"
uv sync --quiet
source .venv/bin/activate

echo "== dvc repro"
dvc repro
dvc push --quiet
echo "== Metrics"
dvc metrics show dvclive/evaluate/metrics.json
dvc plots show --quiet >/dev/null
echo
echo "Project:  $PWD"
echo "Plots:    $PWD/dvc_plots/index.html"
echo "Images:   $PWD/dvclive/evaluate/plots/images/"
echo "Model:    $PWD/models/model.joblib (also pushed to the local DVC remote $(dvc remote list | awk '{print $2}'))"
