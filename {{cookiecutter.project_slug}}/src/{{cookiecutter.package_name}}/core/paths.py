"""Where every file of the pipeline lives; dvc.yaml names the same paths.

Paths are relative to the project root, where DVC runs each stage.
"""

from pathlib import Path

PARAMS = Path("params.yaml")

SOURCE_STATE = Path("data/source.json")  # the source's fingerprint, made by check_source
RAW_DATA = Path("data/raw.parquet")
PROFILE = Path("data/profile.json")  # what the raw data holds, made by check_data
CHECKS = Path("data/checks.json")  # check_data's findings, and both profiles' rows, for the report
PREPARED_DIR = Path("data/prepared")
TRAIN_DATA = PREPARED_DIR / "train.parquet"
TEST_DATA = PREPARED_DIR / "test.parquet"
ENCODING = PREPARED_DIR / "encoding.json"  # how prepare made the features, to encode new rows alike
TEST_ROWS = PREPARED_DIR / "test_rows.npy"  # which rows of RAW_DATA are the test set
SPLIT = PREPARED_DIR / "split.json"  # rows and time range of each set, for the CI report

MODEL = Path("models/model.joblib")

TRAIN_LIVE_DIR = Path("dvclive/train")
EVALUATE_LIVE_DIR = Path("dvclive/evaluate")

TRAINING_TIMES = Path("training_times.json")  # written by `ci train` for its report; not tracked
REFUSAL = Path(
    "data_refused.md"
)  # check_data's findings when it stops the run, for CI to post; not tracked
