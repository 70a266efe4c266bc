"""Stage check_data: today's raw data against the data the committed model was trained on.

It learns the profile of data/raw.parquet (core/profile.py) and compares it with the
reference: data/profile.json as committed at HEAD, which DVC keeps with that day's data, so
a fresh clone or a CI runner compares against the same file. A hard finding (a column gone
or of another kind, label values never seen, a column almost all missing, too few rows, the
positive share out of its band) stops the pipeline here, before prepare: one `ERROR:` line
each, naming the column and what to do; the model and its metrics stay as they were. Soft
findings (a new column, more missing values, unseen text values) go to data/checks.json for
the report, with both profiles' rows and time ranges; a refusal is also written to
data_refused.md, which CI posts (`ci refused`). The thresholds are check_data in
params.yaml. With no reference yet (no commit, or none recorded in dvc.lock) or a new source,
nothing is compared; a reference that is recorded but cannot be read stops the run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from .core import committed
from .core import params as p
from .core import profile as profiles
from .core.cli import UserError, run
from .core.dataset import row_groups
from .core.files import write_text_atomic
from .core.paths import CHECKS, PROFILE, RAW_DATA, REFUSAL

log = logging.getLogger(__name__)

SAME_SOURCE = (
    "source",
    "query",
    "label_column",
    "positive_label",
    "n_features",
)  # what the data is
HOW_TO_ACCEPT = (
    "If the change is intended, set check_data.compare: false, run dvc repro and commit, "
    "then set it back (docs/data.md)"
)


@dataclass
class Finding:
    """One difference between today's data and the reference."""

    hard: bool
    column: str | None
    text: str


def settings(params: dict) -> dict[str, Any]:
    """check_data's thresholds, each checked: a bad one is a UserError naming its key."""
    low_high = p.get(
        params, "check_data.positive_share", "two numbers above 0, the lower first, e.g. [0.5, 2.0]",
        lambda v: isinstance(v, list) and len(v) == 2 and all(p.is_number(x) and x > 0 for x in v) and v[0] < v[1],
    )  # fmt: skip
    return {
        "compare": p.get(
            params, "check_data.compare", "true or false", lambda v: isinstance(v, bool)
        ),
        "max_missing": p.fraction(params, "check_data.max_missing"),
        "missing_increase": p.fraction(params, "check_data.missing_increase"),
        "min_rows": p.fraction(params, "check_data.min_rows"),
        "positive_share": (float(low_high[0]), float(low_high[1])),
        "max_unseen": p.fraction(params, "check_data.max_unseen"),
    }


def reference(revision: str = "HEAD") -> dict | None:
    """data/profile.json as committed at ``revision``; None if there is none yet (a first run).

    A reference that is committed but cannot be read stops the run: comparing with nothing
    would let any data through, and today's profile would become the reference.
    """
    try:
        text = committed.read(PROFILE, revision)
        return None if text is None else json.loads(text)
    except committed.Unreadable as error:
        reason = error.reason
    except ValueError as error:  # fetched, but not a profile
        reason = f"not valid JSON: {error}"
    raise UserError(
        f"the data check's reference, {PROFILE} as `{revision}` recorded it, could not be read "
        f"({reason}). Run `dvc pull {PROFILE}` (check the DVC remote and its credentials), or, "
        "to take today's data as the reference once, set check_data.compare: false, run and "
        "commit, then set it back"
    )


def percent(share: float, digits: int = 0) -> str:
    """A share as a percentage: 0.625 -> "62%"."""
    return f"{100 * share:.{digits}f}" + "%"


def compare(old: dict, new: dict, limits: dict, unseen: dict[str, float]) -> list[Finding]:
    """The findings of today's profile ``new`` against the reference ``old``."""
    findings: list[Finding] = []
    before, now = old["columns"], new["columns"]
    added = sorted(now.keys() - before.keys())
    renamed = f" (today's new columns: {', '.join(map(repr, added))}: renamed?)" if added else ""
    for name in sorted(before.keys() - now.keys()):
        findings.append(Finding(True, name, (
            f"column {name!r} is missing from today's data{renamed}; the committed model was trained "
            f"with it. Restore it in the source. {HOW_TO_ACCEPT}"
        )))  # fmt: skip
    for name in added:
        findings.append(Finding(False, name, f"column {name!r} is new; it becomes a feature"))
    for name in sorted(before.keys() & now.keys()):
        was, is_ = before[name], now[name]
        if was["kind"] != is_["kind"]:
            findings.append(Finding(True, name, (
                f"column {name!r} holds {is_['kind']} values today, {was['kind']} before. "
                f"Fix the source's export. {HOW_TO_ACCEPT}"
            )))  # fmt: skip
            continue
        if is_["missing"] > limits["max_missing"] and is_["missing"] > was["missing"]:
            findings.append(Finding(True, name, (
                f"column {name!r} is {percent(is_['missing'])} missing (was {percent(was['missing'])}), past "
                f"check_data.max_missing {limits['max_missing']:g}. Fix the source's export. {HOW_TO_ACCEPT}"
            )))  # fmt: skip
        elif is_["missing"] - was["missing"] > limits["missing_increase"]:
            findings.append(Finding(False, name, (
                f"column {name!r} is {percent(is_['missing'])} missing, {percent(was['missing'])} before"
            )))  # fmt: skip
        if name in unseen and unseen[name] > limits["max_unseen"]:
            findings.append(Finding(False, name, (
                f"{percent(unseen[name])} of column {name!r}'s values were never seen before"
            )))  # fmt: skip
    label = new["label"]["column"]
    known, values = old["label"].get("values"), new["label"].get("values")
    if known is not None and values is not None and set(values) - set(known):
        extra = ", ".join(repr(v) for v in sorted(set(values) - set(known)))
        findings.append(Finding(True, label, (
            f"label column {label!r} has values never seen before: {extra} (before: "
            f"{', '.join(map(repr, known))}). Fix the source, or map them to the two classes"
        )))  # fmt: skip
    if old.get("settings") == new.get("settings"):  # the same data settings: counts compare
        if new["rows"] < limits["min_rows"] * old["rows"]:
            findings.append(Finding(True, None, (
                f"today's data has {new['rows']:,} rows, fewer than check_data.min_rows "
                f"{limits['min_rows']:g} of the reference's {old['rows']:,}. Check the source's export"
            )))  # fmt: skip
        low, high = limits["positive_share"]
        share, was_share = new["label"]["positive_share"], old["label"]["positive_share"]
        if was_share and not low * was_share <= share <= high * was_share:
            findings.append(Finding(True, label, (
                f"the positive share of label column {label!r} is {percent(share, 2)}, {percent(was_share, 2)} before: "
                f"outside check_data.positive_share [{low:g}, {high:g}] times it. Check the label's export"
            )))  # fmt: skip
    return findings


def unseen_shares(old: dict, today: dict) -> dict[str, float]:
    """For each text column whose reference values cover its rows, the share of today's unseen values."""
    known = {
        name: column["top"]["values"]
        for name, column in old["columns"].items()
        if "top" in column
        and column["top"]["covered"] >= 0.99
        and today["columns"].get(name, {}).get("kind") == "text"
    }
    if not known:
        return {}
    unseen, present = dict.fromkeys(known, 0.0), dict.fromkeys(known, 0)
    for table in row_groups(RAW_DATA, columns=list(known)):
        for name, values in known.items():
            column = table.column(name)
            count = len(column) - column.null_count
            unseen[name] += profiles.unseen_share(column, values) * count
            present[name] += count
    return {name: unseen[name] / present[name] for name in known if present[name]}


def main() -> None:
    """Profile today's data, compare it with the reference, write both; stop on a hard finding."""
    params = p.load()
    limits = settings(params)
    today = profiles.learn(RAW_DATA, p.text(params, "prepare.time_column"))
    get_data = p.section(params, "get_data")
    today["source"] = {key: get_data.get(key) for key in SAME_SOURCE}
    today["settings"] = get_data
    old = reference() if limits["compare"] else None
    if old is None and limits["compare"]:
        log.info("no reference profile committed yet (a first run): nothing to compare")
    if old is not None and old.get("source") != today["source"]:
        log.info("the source settings changed since the reference: its profile is learned afresh")
        old = None
    findings = compare(old, today, limits, unseen_shares(old, today)) if old else []
    hard = [finding for finding in findings if finding.hard]
    if hard:
        write_text_atomic(REFUSAL, refusal(hard, findings))
        # One `ERROR:` line per finding: cli.run writes the prefix of the first.
        raise UserError("\nERROR: ".join(finding.text for finding in hard))
    REFUSAL.unlink(missing_ok=True)
    for finding in findings:
        log.warning("%s", finding.text)
    report = {
        "reference": summary(old) if old else None,
        "today": summary(today),
        "findings": [asdict(finding) for finding in findings],
    }
    write_text_atomic(PROFILE, json.dumps(today, indent=2, sort_keys=True) + "\n")
    write_text_atomic(CHECKS, json.dumps(report, indent=2, sort_keys=True) + "\n")
    log.info(
        "checked %d rows: %s", today["rows"],
        f"{len(findings)} finding(s) for the report" if findings else "nothing to report",
    )  # fmt: skip


def refusal(hard: list[Finding], findings: list[Finding]) -> str:
    """The Markdown that CI posts for a day the check refused (`ci refused`)."""
    lines = [
        "# Data refused",
        "",
        "The data check stopped the run before training: today's data differs from the data "
        "the committed model was trained on. The model and its metrics are unchanged.",
        "",
        *(f"- {finding.text}" for finding in hard),
    ]
    soft = [finding for finding in findings if not finding.hard]
    if soft:
        lines += ["", "Also found:", "", *(f"- {finding.text}" for finding in soft)]
    return "\n".join(lines) + "\n"


def summary(profile: dict) -> dict[str, Any]:
    """What the report shows of a profile: rows, positive share, time range."""
    return {
        "rows": profile["rows"],
        "positive_share": profile["label"]["positive_share"],
        "time": profile.get("time"),
    }


if __name__ == "__main__":
    run(main)
