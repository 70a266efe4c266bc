"""Tests of feature drift: the measures, the columns measured, the figure and the table."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }}.ci import drift
from {{ cookiecutter.package_name }}.ci.drift import Shift, drift_figure, drift_table, feature_shifts


def mixed_table(rows: int, seed: int) -> pa.Table:
    """A raw table with a column of each kind drift measures, and the label."""
    rng = np.random.default_rng(seed)
    hours = rng.integers(0, 999, rows).astype("timedelta64[h]")
    days = rng.integers(0, 9999, rows).astype("timedelta64[D]")
    return pa.table({
        "amount": rng.normal(100, 20, rows),
        "items": pa.array(rng.integers(1, 5, rows), pa.int32()),
        "new_customer": rng.random(rows) < 0.3,
        "ordered_at": pa.array(np.datetime64("2024-01-01", "s") + hours, pa.timestamp("s", "UTC")),
        "birthday": pa.array(np.datetime64("1970-01-01") + days, pa.date32()),
        "country": pa.array(rng.choice(["NL", "DE", "FR"], rows)).dictionary_encode(),
        "is_fraud": pa.array(rng.random(rows) < 0.1, pa.int8()),
    })  # fmt: skip


def test_identical_data_does_not_drift():
    """The same table on both sides measures 0 on every feature, and nothing is flagged."""
    table = mixed_table(500, seed=0)
    shifts = feature_shifts(table, table, threshold=0.05, label="is_fraud")
    assert {s.feature: s.measure for s in shifts} == {
        "amount": "KS", "items": "KS", "new_customer": "KS",
        "ordered_at": "KS", "birthday": "KS", "country": "TVD",
    }  # fmt: skip
    assert all(s.statistic == pytest.approx(0) and not s.flagged for s in shifts)


def test_a_shifted_number_is_flagged():
    """A column moved by one standard deviation has KS > 0.3 and is flagged; an unchanged one is not."""
    rng = np.random.default_rng(0)
    base = pa.table({"moved": rng.normal(0, 1, 2000), "same": rng.normal(0, 1, 2000)})
    today = pa.table({"moved": rng.normal(1, 1, 2000), "same": rng.normal(0, 1, 2000)})
    moved, same = feature_shifts(base, today, threshold=0.1)
    assert (moved.feature, moved.measure, moved.flagged) == ("moved", "KS", True)
    assert moved.statistic > 0.3
    assert (same.feature, same.flagged) == ("same", False)
    assert same.statistic < 0.1


def test_text_is_measured_by_total_variation():
    """Text shares NL .5, DE .25, missing .25 against NL, DE, FR, missing .25 each give
    TVD 0.5 * (.25 + 0 + .25 + 0) = 0.25, whatever the two sides' string types."""
    base = pa.table({"country": pa.array(["NL", "NL", "DE", None]).dictionary_encode()})
    today = pa.table({"country": pa.array(["NL", "DE", "FR", None], pa.large_string())})
    (country,) = feature_shifts(base, today, threshold=0.2)
    assert (country.measure, country.flagged) == ("TVD", True)
    assert country.statistic == pytest.approx(0.25)


def test_label_and_one_sided_columns_are_skipped():
    """Only features on both sides are measured, in today's order; is_fraud never is."""
    base = pa.table({"is_fraud": [0, 1], "b": [1.0, 2.0], "old": [1, 2], "a": ["x", "y"]})
    today = pa.table({"a": ["x", "x"], "new": [3, 4], "b": [1.0, 2.0], "is_fraud": [1, 1]})
    shifts = feature_shifts(base, today, threshold=0.9, label="is_fraud")
    assert [s.feature for s in shifts] == ["a", "b"]  # a: TVD 0.5, b: KS 0


def test_a_side_without_values_is_a_full_shift():
    """A number column with no values on one side measures 1; with none on either side, 0."""
    base = pa.table({"gone": pa.array([None, None], pa.float64()), "none": [None, None]})
    today = pa.table({"gone": [1.0, np.nan], "none": pa.array([np.nan, None], pa.float64())})
    shifts = {s.feature: s.statistic for s in feature_shifts(base, today, threshold=0.5)}
    assert shifts == {"gone": 1.0, "none": 0.0}


def test_times_compare_across_units():
    """Timestamps in ns against the same instants in ms, or dates against midnights, measure 0."""
    instants = [dt.datetime(2024, 5, d, 12, tzinfo=dt.UTC) for d in range(1, 9)]
    days = [dt.date(2024, 5, d) for d in range(1, 9)]
    base = pa.table({"at": pa.array(instants, pa.timestamp("ns", tz="UTC")), "day": days})
    today = pa.table({
        "at": pa.array(instants, pa.timestamp("ms")),
        "day": pa.array([dt.datetime(2024, 5, d) for d in range(1, 9)], pa.timestamp("s")),
    })  # fmt: skip
    assert all(s.statistic == 0 for s in feature_shifts(base, today, threshold=0.1))


def test_subsampling_is_deterministic(monkeypatch):
    """Past SAMPLE_ROWS, each side is measured on a sample that is the same on every run."""
    monkeypatch.setattr(drift, "SAMPLE_ROWS", 100)
    base, today = mixed_table(1000, seed=1), mixed_table(1200, seed=2)
    first = feature_shifts(base, today, threshold=0.1, seed=3)
    assert first == feature_shifts(base, today, threshold=0.1, seed=3)
    (amount,) = [s for s in first if s.feature == "amount"]
    # A KS statistic of two samples of 100 rows is a whole number of hundredths.
    assert amount.statistic * 100 == pytest.approx(round(amount.statistic * 100))


def test_figure_draws_a_bar_per_shift(tmp_path):
    """The figure has one bar per shift, up to ``top``, drifted ones in another colour."""
    shifts = [Shift(f"f{i}", "KS", i / 30, flagged=i / 30 > 0.5) for i in range(25)]
    figure = drift_figure(shifts, threshold=0.5, top=20)
    bars = figure.axes[0].patches
    assert len(bars) == 20
    assert len({tuple(bar.get_facecolor()) for bar in bars}) == 2
    assert len(drift_figure(shifts[:3], threshold=0.5).axes[0].patches) == 3
    assert len(drift_figure([], threshold=0.5).axes[0].patches) == 0
    figure.savefig(tmp_path / "drift.png")
    assert (tmp_path / "drift.png").stat().st_size > 1000


def test_table_marks_drifted_rows():
    """Flagged rows are marked, largest first, and the last line counts them."""
    shifts = [Shift("amount", "KS", 0.4, True), Shift("country", "TVD", 0.05, False)]
    lines = drift_table(shifts).splitlines()
    assert lines[0] == "| Feature | Measure | Shift | |"
    assert lines[2] == "| amount | KS | 0.400 | **drifted** |"
    assert lines[3] == "| country | TVD | 0.050 |  |"
    assert lines[-1] == "Past the drift threshold: 1 of 2 features."
    assert "\n" not in drift_table([])


def test_features_failing_on_the_bases_rows_are_named_in_the_report(monkeypatch):
    """Rows that features.add_features cannot take (the base's data lacks a column it needs) are
    measured raw, and the report's notes say so and why; rows it takes get the derived column."""
    from {{ cookiecutter.package_name }} import features
    from {{ cookiecutter.package_name }}.ci import report

    def ratio(rows):
        rows["per_item"] = rows["amount"] / rows["items"]
        return rows

    monkeypatch.setattr(features, "add_features", ratio)
    notes: list[str] = []
    today = report.featured(mixed_table(50, 0), "today's", notes)
    assert "per_item" in today.column_names and notes == []
    base = report.featured(mixed_table(50, 1).drop_columns(["items"]), "`main`'s", notes)
    assert "per_item" not in base.column_names
    assert notes[0].startswith(
        "_`features.add_features` failed on `main`'s rows (KeyError: 'items')"
    )
