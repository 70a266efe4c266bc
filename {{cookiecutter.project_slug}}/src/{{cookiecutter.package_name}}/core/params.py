"""Read params.yaml as DVC does and check each value a stage uses, naming a wrong one in one line.

DVC reads and writes params.yaml as YAML 1.2 (`dvc exp run -S` rewrites it so), where an
unquoted yes, no, on or off is text. PyYAML reads YAML 1.1, where they are booleans: the
same file would mean one thing to DVC and another to the stages. ruamel.yaml, which DVC
itself uses, reads it here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli import UserError
from .paths import PARAMS


def parse(text: str) -> Any:
    """YAML text as Python values, the way DVC reads it (YAML 1.2)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)  # as DVC: libyaml's parser when installed, same result


def load(path: Path = PARAMS) -> dict:
    """Return the parameters as a dict; a missing or malformed file is a ``UserError``."""
    from ruamel.yaml import YAMLError

    try:
        data = parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"{path} not found. Run the stage from the project root, where dvc.yaml is"
        ) from None
    except YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise UserError(f"{path} is not valid YAML{line}. Fix its syntax") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold sections such as 'train:'. Restore its layout")
    return data


def get(params: dict, key: str, expect: str, valid: Callable[[Any], bool]) -> Any:
    """Return ``params[key]`` for a dotted key if ``valid(value)``, else say what is expected.

    ``expect`` completes the sentence "<key> must be ...".
    """
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise UserError(f"params.yaml has no {key}. Add it: it must be {expect}")
        node = node[part]
    if not valid(node):
        raise UserError(
            f"{key} in params.yaml must be {expect}, not {node!r}. Change it in params.yaml"
        )
    return node


def is_int(value: Any) -> bool:
    """True for a whole number (and not a bool, which YAML's true/false would give)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for an int or a float (and not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def positive_int(params: dict, key: str) -> int:
    """A whole number above 0."""
    return get(params, key, "a whole number above 0", lambda v: is_int(v) and v > 0)


def fraction(params: dict, key: str) -> float:
    """A number strictly between 0 and 1."""
    return float(get(params, key, "a number between 0 and 1", lambda v: is_number(v) and 0 < v < 1))


def text(params: dict, key: str) -> str:
    """A string (possibly empty)."""
    return get(
        params, key, "a text (in quotes if it looks like a number)", lambda v: isinstance(v, str)
    )


def choice(params: dict, key: str, options: list[str]) -> str:
    """One of ``options``."""
    return get(params, key, "one of " + ", ".join(options), lambda v: v in options)


def section(params: dict, key: str) -> dict:
    """A mapping of settings, e.g. a model's hyperparameters."""
    return dict(get(params, key, "a mapping of settings", lambda v: isinstance(v, dict)))
