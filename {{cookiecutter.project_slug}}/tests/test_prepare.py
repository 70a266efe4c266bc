"""Tests of the prepare stage: the random and out-of-time splits, and the feature encoding."""

import datetime as dt
import json
import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import prepare
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.encoding import apply_encoding, learn_encoding
from {{ cookiecutter.package_name }}.prepare import split_rows, stratified_split


def time_params(**prepare_params):
    """Parameters for an out-of-time split on column `created`, holding out a quarter."""
    settings = {"split": "time", "time_column": "created", "test_size": 0.25}
    return {"base": {"seed": 0}, "prepare": {**settings, **prepare_params}}


def orders(created, labels):
    """A raw table of orders: an id, the given times (any Arrow type) and labels."""
    return pa.table({
        "order_id": list(range(len(labels))),
        "created": created,
        "is_fraud": pa.array(labels, pa.int8()),
    })  # fmt: skip


def test_split_keeps_the_fraud_share_in_both_sets():
    """Each class is split in the asked proportion, and no row is lost or repeated."""
    labels = np.array([1] * 30 + [0] * 970)
    train, test = stratified_split(labels, test_size=0.2, seed=0)
    assert len(test) == 200
    assert labels[test].sum() == 6
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(1000))


def test_split_refuses_a_single_class():
    """Data with one class only cannot train a classifier: a UserError says so."""
    with pytest.raises(UserError, match="rows of both classes are needed"):
        stratified_split(np.zeros(10, dtype=np.int8), test_size=0.2, seed=0)


def test_random_split_is_the_default_stratified_one(raw_table):
    """split: random gives the rows that stratified_split picks."""
    params = {"base": {"seed": 3}, "prepare": {"split": "random", "test_size": 0.2}}
    train, test = split_rows(raw_table, params)
    expected_train, expected_test = stratified_split(
        raw_table.column("is_fraud").to_numpy(), 0.2, 3
    )
    assert train.equals(raw_table.take(expected_train))
    assert test.equals(raw_table.take(expected_test))


def test_time_split_holds_out_the_latest_rows():
    """The latest quarter of rows by time is the test set, ties kept in row order."""
    days = [5, 1, 7, 3, 7, 2, 8, 4]  # rows 2 and 4 tie at day 7: row 4 is the later one
    created = [dt.datetime(2024, 5, day) for day in days]
    train, test = split_rows(orders(created, [0, 1, 0, 1, 1, 0, 0, 1]), time_params())
    assert test.column("order_id").to_pylist() == [4, 6]
    assert train.column("order_id").to_pylist() == [0, 1, 2, 3, 5, 7]


def test_time_split_drops_and_counts_rows_without_a_time(caplog):
    """Rows whose time is missing are in neither set, and a warning counts them."""
    created = ["2024-05-01", None, "2024-05-02", "2024-05-03", None, "2024-05-04",
               "2024-05-05", "2024-05-06", "2024-05-07", "2024-05-08"]  # fmt: skip
    table = orders(created, [0, 1, 1, 0, 0, 0, 1, 0, 1, 0])
    with caplog.at_level(logging.WARNING):
        train, test = split_rows(table, time_params())
    assert "dropped 2 rows without a time in column 'created'" in caplog.text
    assert test.column("order_id").to_pylist() == [8, 9]
    assert train.column("order_id").to_pylist() == [0, 2, 3, 5, 6, 7]


def test_time_split_needs_both_classes_in_the_test_set():
    """A test set of one class cannot be evaluated: a UserError names the setting to change."""
    created = [dt.date(2024, 5, day) for day in range(1, 9)]
    with pytest.raises(UserError, match=r"every test row \(the latest 2\) .* prepare.test_size"):
        split_rows(orders(created, [0, 1, 0, 1, 0, 1, 0, 0]), time_params())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"time_column": ""}, "prepare.time_column is empty"),
        ({"time_column": "when"}, r"prepare.time_column 'when' is not a column .*order_id"),
        ({"time_column": "order_id"}, "prepare.time_column 'order_id' is not a date/time"),
        ({"time_column": "country"}, r"'country' is not a date/time column .*'NL'"),
        ({"split": "daily"}, "prepare.split in params.yaml must be one of random, time"),
        ({"test_size": 2}, "prepare.test_size"),
    ],
)
def test_a_wrong_time_setting_is_named(settings, message):
    """Each wrong split setting is a UserError that names the key to change."""
    table = orders(["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"], [0, 1, 0, 1])
    table = table.append_column("country", pa.array(["NL", "DE", "NL", "FR"]))
    with pytest.raises(UserError, match=message):
        split_rows(table, time_params(**settings))


def test_unknown_time_features_are_named():
    """A part other than hour, weekday, day or month is refused with the allowed ones."""
    with pytest.raises(UserError, match=r"prepare.time_features .* hour, weekday, day, month"):
        prepare.time_features_param({"prepare": {"time_features": ["hour", "year"]}})
    assert prepare.time_features_param({"prepare": {"time_features": ["day", "day"]}}) == ["day"]


def test_a_failed_setting_writes_nothing(tmp_path, monkeypatch):
    """A bad time column stops the stage before any output is written."""
    monkeypatch.chdir(tmp_path)
    settings = {"max_categories": 5, "time_features": [], "time_column": "x"}
    (tmp_path / "params.yaml").write_text(json.dumps(time_params(**settings)))
    (tmp_path / "data").mkdir()
    pq.write_table(orders(["2024-05-01", "2024-05-02"], [0, 1]), tmp_path / "data/raw.parquet")
    with pytest.raises(UserError, match="'x' is not a column"):
        prepare.main()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data", "params.yaml", "raw.parquet"]


def test_main_writes_the_sets_and_the_encoding(tmp_path, monkeypatch):
    """The stage writes train, test and an encoding that rebuilds them from the raw rows."""
    monkeypatch.chdir(tmp_path)
    settings = {"max_categories": 5, "time_features": ["weekday"], "test_size": 0.5}
    (tmp_path / "params.yaml").write_text(json.dumps(time_params(**settings)))
    (tmp_path / "data").mkdir()
    created = [f"2024-05-0{day}T1{day}:00:00" for day in range(1, 9)]
    raw = orders(created, [0, 1, 0, 1, 0, 1, 0, 1])
    pq.write_table(raw, tmp_path / "data/raw.parquet")
    prepare.main()
    encoding = json.loads((tmp_path / "data/prepared/encoding.json").read_text())
    test = pq.read_table(tmp_path / "data/prepared/test.parquet")
    assert [f["name"] for f in encoding["features"]] == ["order_id", "created.weekday"]
    assert test.equals(apply_encoding(raw.slice(4), encoding))


def test_encoding_fills_numbers_and_expands_text():
    """Missing numbers take the training median; text becomes one 0/1 column per value."""
    train = pa.table({
        "amount": [1.0, None, 3.0, 5.0],
        "country": ["NL", "DE", "NL", None],
        "is_fraud": pa.array([0, 1, 0, 0], pa.int8()),
    })  # fmt: skip
    test = pa.table({
        "amount": [None, 2.0],
        "country": ["FR", "DE"],
        "is_fraud": pa.array([1, 0], pa.int8()),
    })  # fmt: skip
    encoding = learn_encoding(train, max_categories=20, time_features=[], label="is_fraud")
    train_out, test_out = apply_encoding(train, encoding), apply_encoding(test, encoding)
    assert train_out.column_names == ["amount", "country=NL", "country=DE", "is_fraud"]
    assert train_out.column("amount").to_pylist() == [1.0, 3.0, 3.0, 5.0]
    assert test_out.column("amount").to_pylist() == [3.0, 2.0]
    assert test_out.column("country=NL").to_pylist() == [0.0, 0.0]
    assert test_out.column("country=DE").to_pylist() == [0.0, 1.0]
    assert {train_out.schema.field(n).type for n in train_out.column_names[:-1]} == {pa.float32()}


def test_encoding_drops_a_column_without_values():
    """A column that is empty in the training rows is dropped, not filled with NaN."""
    train = pa.table(
        {"empty": pa.array([None, None], pa.float64()), "x": [1.0, 2.0], "is_fraud": [0, 1]}
    )
    encoding = learn_encoding(train, max_categories=5, time_features=[], label="is_fraud")
    assert apply_encoding(train, encoding).column_names == ["x", "is_fraud"]


def test_iso_text_is_time_not_categories():
    """ISO dates in text are a date/time column, not one-hot text; other text and numbers stay."""
    train = pa.table({
        "created": ["2024-05-01T13:45:00", "2024-05-02T08:00:00", None],
        "day": ["2024-05-01", "2024-05-01", "2024-05-03"],
        "country": ["NL", "DE", "NL"],
        "code": ["12345", "20240501", "2024"],
        "year": [2024, 2023, 2024],
        "is_fraud": [0, 1, 0],
    })  # fmt: skip
    names = [f["name"] for f in learn_encoding(train, 20, [], "is_fraud")["features"]]
    assert names == ["country=NL", "country=DE", "code=12345", "code=2024", "code=20240501", "year"]
    names = [f["name"] for f in learn_encoding(train, 20, ["month"], "is_fraud")["features"]]
    assert names[:2] == ["created.month", "day.month"]


@pytest.mark.parametrize(
    "created",
    [
        pa.array([dt.datetime(2024, 5, 1, 13, 45), dt.datetime(2024, 12, 29, 23, 59), None]),
        pa.array(["2024-05-01T13:45:00", "2024-12-29 23:59:30.5", None]),
        pa.array(["2024-05-01T13:45:00Z", "2024-12-29T23:59:00+00:00", None]),
    ],
    ids=["timestamp", "text", "text-with-offset"],
)
def test_time_parts_are_computed(created):
    """hour, weekday (Monday 0), day and month of each time; a missing time takes the median."""
    train = pa.table({"created": created, "is_fraud": [0, 1, 0]})
    encoding = learn_encoding(train, 20, ["hour", "weekday", "day", "month"], "is_fraud")
    assert encoding["features"][0] == {
        "name": "created.hour", "column": "created", "kind": "time", "part": "hour", "fill": 18.0
    }  # fmt: skip
    out = apply_encoding(train, encoding)
    assert out.column_names == [
        "created.hour", "created.weekday", "created.day", "created.month", "is_fraud"
    ]  # fmt: skip
    assert out.column("created.hour").to_pylist() == [13.0, 23.0, 18.0]
    assert out.column("created.weekday").to_pylist() == [2.0, 6.0, 4.0]  # a Wednesday, a Sunday
    assert out.column("created.day").to_pylist() == [1.0, 29.0, 15.0]
    assert out.column("created.month").to_pylist() == [5.0, 12.0, 8.5]


def test_a_date_column_gives_parts():
    """An Arrow date column has parts too (hour 0)."""
    train = pa.table({"on": pa.array([dt.date(2024, 5, 4)]), "is_fraud": [1]})
    out = apply_encoding(train, learn_encoding(train, 20, ["hour", "weekday"], "is_fraud"))
    assert out.to_pydict() == {"on.hour": [0.0], "on.weekday": [5.0], "is_fraud": [1]}


def test_encoding_round_trips_through_json():
    """The encoding survives JSON and encodes new rows alike, missing columns included."""
    train = pa.table({
        "amount": [1.0, 2.0, 4.0],
        "country": ["NL", "DE", "NL"],
        "created": ["2024-05-01T10:00:00", "2024-05-02T11:00:00", "2024-05-03T12:00:00"],
        "is_fraud": [0, 1, 0],
    })  # fmt: skip
    encoding = json.loads(json.dumps(learn_encoding(train, 20, ["hour"], "is_fraud")))
    assert encoding == learn_encoding(train, 20, ["hour"], "is_fraud")
    assert apply_encoding(train, encoding).column_names == [
        "amount", "country=NL", "country=DE", "created.hour", "is_fraud"
    ]  # fmt: skip

    later = pa.table({"created": ["2024-06-01T09:30:00"], "extra": ["x"], "is_fraud": [1]})
    out = apply_encoding(later, encoding)
    assert out.to_pydict() == {
        "amount": [2.0], "country=NL": [0.0], "country=DE": [0.0], "created.hour": [9.0],
        "is_fraud": [1],
    }  # fmt: skip

    with pytest.raises(UserError, match="no column 'created'"):
        apply_encoding(later.drop_columns(["created"]), encoding)
