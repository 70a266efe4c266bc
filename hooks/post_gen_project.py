"""Finish the generated project: keep the answers, pin the local remote, make the first commit.

Runs inside the new project folder right after cookiecutter (or cruft) has rendered it. When
cruft renders it, `.cruft.json` is written here too, as cruft writes it afterwards, so that it
is part of the first commit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""
# The same answers in the order cookiecutter holds them (tojson sorts keys), as cruft records them.
ORDERED_ANSWERS_JSON = r"""{
{%- for key, value in cookiecutter.items() %}
{{ key | tojson }}: {{ value | tojson }}{% if not loop.last %},{% endif %}
{%- endfor %}
}"""


def write_answers(answers: dict) -> None:
    """Keep the answers in `.cookiecutter.json` (replay format) to re-bake or update the project."""
    kept = {k: v for k, v in answers.items() if not k.startswith("_") or k == "_template"}
    text = json.dumps({"cookiecutter": kept}, indent=2, ensure_ascii=False) + "\n"
    Path(".cookiecutter.json").write_text(text, encoding="utf-8")


def write_cruft_record(answers: dict) -> None:
    """Write `.cruft.json` as `cruft create` will, when cruft renders the project.

    cruft writes it only after this hook, too late for the first commit; writing the same
    bytes here puts it in that commit, and cruft's own write then changes nothing.
    """
    if "_commit" not in answers:  # plain cookiecutter: no cruft record
        return
    record = {
        "template": answers["_template"],
        "commit": answers["_commit"],
        "checkout": None,
        "context": {"cookiecutter": json.loads(ORDERED_ANSWERS_JSON)},
        "directory": None,
    }
    text = json.dumps(record, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"
    Path(".cruft.json").write_text(text, encoding="utf-8")


def pin_local_remote(answers: dict) -> None:
    """Turn a relative local remote into an absolute path, so any clone on this machine finds it."""
    if answers["dvc_remote"] != "local":
        return
    folder = (Path.cwd() / Path(answers["dvc_remote_url"]).expanduser()).resolve()
    config = Path(".dvc/config")
    text = re.sub(r"(?m)^(\s*url = ).*$", lambda m: m.group(1) + folder.as_posix(), config.read_text())
    config.write_text(text)


def remove_empty_folders() -> None:
    """Remove folders left empty by files the answers did not select (e.g. .github without GitHub CI)."""
    for folder in sorted(Path().rglob("*"), key=lambda path: len(path.parts), reverse=True):
        if folder.is_dir() and ".git" not in folder.parts and not any(folder.iterdir()):
            folder.rmdir()


def git_identity(answers: dict) -> list[str]:
    """Use the user's git identity if configured, else the author answers, for the first commit."""
    found = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip():
        return []
    return ["-c", f"user.name={answers['author']}", "-c", f"user.email={answers['author_email']}"]


def git_init_and_commit(answers: dict) -> None:
    """Create the repository with everything in one first commit."""
    if answers["git_init"] not in (True, "yes", "y", "true", "True"):
        return
    run = {"check": True, "capture_output": True}
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], **run)
    subprocess.run(["git", "add", "--all"], **run)
    message = f"Create {answers['project_name']} from the DVC pipeline template"
    subprocess.run(["git", *git_identity(answers), "commit", "--quiet", "-m", message], **run)


def main() -> int:
    """Finish the project; a failing git step is reported in one line."""
    answers = json.loads(ANSWERS_JSON)
    write_answers(answers)
    write_cruft_record(answers)
    pin_local_remote(answers)
    remove_empty_folders()
    try:
        git_init_and_commit(answers)
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit code {error.returncode}"
        print(
            f"ERROR: git could not make the first commit ({reason}). Fix git, or answer git_init=no.", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
