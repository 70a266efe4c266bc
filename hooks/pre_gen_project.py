"""Check the answers before anything is generated, and refuse bad ones in one line.

Each check returns an error sentence or None. The first error is printed as
``ERROR: <what is wrong>. <how to fix it>.`` and the bake stops with exit code 1.
The answers are read as data, never pasted into code, so any text is safe here.
"""

from __future__ import annotations

import json
import keyword
import re
import shutil
import sys
from pathlib import Path

ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Modules the generated project imports: a package with one of these names would shadow them.
TAKEN_NAMES = {
    "dvc", "dvclive", "fsspec", "joblib", "matplotlib", "numpy", "pandas",
    "pyarrow", "pytest", "sklearn", "xgboost", "yaml", "tests", "src",
}  # fmt: skip
URL_SCHEMES = {
    "s3": "s3://",
    "gs": "gs://",
    "azure": "azure://",
    "gdrive": "gdrive://",
    "ssh": "ssh://",
}
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))
CML_SIZES = {"m", "l", "xl"}
# The clouds that rent each GPU (ci/machines.py names their machines).
GPU_CLOUDS = {
    "t4": ("aws", "gcp", "azure"),
    "a10g": ("aws",),
    "l4": ("aws", "gcp"),
    "a100": ("aws", "gcp", "azure"),
    "h100": ("aws", "gcp", "azure"),
}
LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Instance families that carry a GPU, per cloud (the start of the native type name).
GPU_FAMILIES = {
    "aws": (
        "p2.",
        "p3.",
        "p3dn.",
        "p4d.",
        "p4de.",
        "p5.",
        "g3.",
        "g3s.",
        "g4dn.",
        "g4ad.",
        "g5.",
        "g5g.",
        "g6.",
        "g6e.",
    ),
    "gcp": ("n1-", "a2-", "a3-", "g2-"),
    "azure": ("standard_nc", "standard_nd", "standard_nv"),
}
CHOICES = {
    "python_version": ["3.11", "3.12", "3.13"],
    "model": ["xgboost", "random_forest", "logistic_regression"],
    "dvc_remote": ["local", "s3", "gs", "azure", "gdrive", "ssh", "none"],
    "ci": ["github", "gitlab", "both", "none"],
    "cloud": ["aws", "gcp", "azure"],
    "runner": ["cml", "ec2-github-runner", "labels"],
    "cloud_gpu": ["nogpu", "t4", "a10g", "l4", "a100", "h100"],
    "aws_auth": ["keys", "oidc"],
}


def check_one_line(answers: dict) -> str | None:
    """Free-text answers must be a single line: they land in TOML, YAML and commit messages."""
    for key in ("project_name", "description", "author", "author_email", "dvc_remote_url", "dvc_remote_endpoint_url"):
        value = str(answers.get(key, ""))
        if "\n" in value or "\r" in value:
            return f"{key} spans several lines. Give it on one line"
    if not str(answers["project_name"]).strip():
        return "project_name is empty. Give the project a name, e.g. 'Fraud Detection'"
    return None


def check_slug(answers: dict) -> str | None:
    """The slug names the folder and the repository."""
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        return (
            f"project_slug {slug!r} is not valid. Use lowercase letters and digits joined by "
            "single hyphens, e.g. 'fraud-detection'"
        )
    return None


def check_package(answers: dict) -> str | None:
    """The package name must import, and must not shadow a module the project uses."""
    name = answers["package_name"]
    if not PACKAGE.match(name) or not name.isidentifier():
        return (
            f"package_name {name!r} is not a valid Python package name. Use lowercase letters, "
            "digits and underscores, starting with a letter, e.g. 'fraud_detection'"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name {name!r} is a Python keyword. Choose another name"
    if name in TAKEN_NAMES or name in sys.stdlib_module_names:
        return (
            f"package_name {name!r} would shadow the module of the same name. "
            "Choose a more specific name, e.g. 'fraud_detection'"
        )
    return None


def check_choices(answers: dict) -> str | None:
    """Choice answers given on the command line must still be one of the choices."""
    for key, allowed in CHOICES.items():
        if str(answers[key]) not in allowed:
            return f"{key} {answers[key]!r} is not one of {', '.join(allowed)}. Pick one of them"
    return None


def check_email(answers: dict) -> str | None:
    """The email goes into pyproject.toml and the first commit."""
    if not EMAIL.match(str(answers["author_email"])):
        return f"author_email {answers['author_email']!r} is not an email address. Give one like 'you@example.com'"
    return None


def check_remote_url(answers: dict) -> str | None:
    """The remote URL must fit the remote kind."""
    kind, url = answers["dvc_remote"], str(answers["dvc_remote_url"]).strip()
    if kind == "none":
        if url:
            return "dvc_remote_url is set but dvc_remote is 'none'. Leave the URL empty or pick a remote kind"
        return None
    if not url:
        return f"dvc_remote_url is empty for a {kind} remote. Give its URL, or choose dvc_remote 'none'"
    if kind == "local":
        if "://" in url:
            return (
                f"dvc_remote_url {url!r} is not a folder path, but dvc_remote is 'local'. "
                "Give a path such as '../my-dvc-storage', or choose the remote kind of that URL"
            )
        project = Path.cwd().resolve()
        folder = (project / Path(url).expanduser()).resolve()
        if folder == project or project in folder.parents:
            return (
                f"the local DVC remote {url!r} lies inside the project. "
                "Give a folder outside it, e.g. '../my-dvc-storage'"
            )
        return None
    scheme = URL_SCHEMES[kind]
    if not url.startswith(scheme) or len(url) == len(scheme):
        return f"dvc_remote_url {url!r} does not fit a {kind} remote. Give a URL like '{scheme}your-bucket/path'"
    return None


def check_endpoint(answers: dict) -> str | None:
    """An endpoint URL only makes sense for an S3-compatible remote, and must be http(s)."""
    endpoint = str(answers.get("dvc_remote_endpoint_url", "")).strip()
    if not endpoint:
        return None
    if answers["dvc_remote"] != "s3":
        return (
            f"dvc_remote_endpoint_url is set but dvc_remote is {answers['dvc_remote']!r}. "
            "Leave the endpoint empty, or choose dvc_remote 's3'"
        )
    if not re.match(r"^https?://[^\s/]+", endpoint):
        return f"dvc_remote_endpoint_url {endpoint!r} is not an http(s) URL. Give one like 'https://minio.example.com'"
    return None


def cron_field_error(text: str, name: str, low: int, high: int) -> str | None:
    """Why one cron field is not valid, or None."""
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"its {name} step {step!r} is not a whole number above 0"
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        for number in (first, last) if dash else (first,):
            if not number.isdigit() or not low <= int(number) <= high:
                return f"its {name} {number!r} is not between {low} and {high}"
    return None


def check_schedule(answers: dict) -> str | None:
    """The training schedule is empty or a five-field cron expression."""
    cron = str(answers.get("training_schedule", "")).strip()
    if not cron:
        return None
    fields = cron.split()
    if len(fields) != len(CRON_FIELDS):
        return (
            f"training_schedule {cron!r} is not a cron expression of 5 fields. "
            "Give one like '0 8 * * *' (08:00 UTC daily), or leave it empty"
        )
    for text, (name, low, high) in zip(fields, CRON_FIELDS, strict=True):
        error = cron_field_error(text, name, low, high)
        if error:
            return f"training_schedule {cron!r} is not valid: {error}. Give one like '0 8 * * *'"
    return None


def check_runner(answers: dict) -> str | None:
    """Region and instance type are single words; a GPU needs an instance type that has one."""
    for key in ("cloud_region", "cloud_instance_type"):
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", str(answers.get(key, ""))):
            return f"{key} {answers.get(key)!r} is not a single word. Give a name such as 'm' or 'us-east-1'"
    kind, gpu, cloud = str(answers["cloud_instance_type"]), answers["cloud_gpu"], answers["cloud"]
    if gpu != "nogpu" and cloud not in GPU_CLOUDS.get(gpu, ()):
        offered = ", ".join(name for name, clouds in GPU_CLOUDS.items() if cloud in clouds)
        return f"{cloud} rents no {gpu.upper()} GPU. Choose cloud_gpu among nogpu, {offered}, or another cloud"
    if gpu != "nogpu" and kind.lower() not in CML_SIZES and not kind.lower().startswith(GPU_FAMILIES[cloud]):
        return (
            f"cloud_instance_type {kind!r} on {cloud} has no GPU, but cloud_gpu is {gpu!r}. "
            f"Use a GPU type (e.g. {GPU_FAMILIES[cloud][-3]}...), one of CML's sizes m, l, xl, or cloud_gpu 'nogpu'"
        )
    return None


def check_provider(answers: dict) -> str | None:
    """ec2-github-runner starts EC2 machines for GitHub; labels need at least one label."""
    provider = answers.get("runner", "cml")
    if provider == "ec2-github-runner":
        if answers["ci"] in ("gitlab", "none"):
            return (
                f"runner 'ec2-github-runner' registers GitHub runners, but ci is {answers['ci']!r}. "
                "Choose runner 'cml' or 'labels', or ci 'github' or 'both'"
            )
        if answers["cloud"] != "aws":
            return (
                f"runner 'ec2-github-runner' starts AWS machines, but cloud is {answers['cloud']!r}. "
                "Choose cloud 'aws' or runner 'cml'"
            )
    if provider == "labels":
        labels = [label.strip() for label in str(answers.get("runner_labels", "")).split(",")]
        bad = [label for label in labels if not LABEL.match(label)]
        if bad:
            return (
                f"runner_labels {answers.get('runner_labels')!r} has an empty or unusable label {bad[0]!r}. "
                "Give your runners' labels separated by commas, e.g. 'self-hosted, gpu'"
            )
    return None


def check_auth(answers: dict) -> str | None:
    """OIDC sign-in is built for GitHub Actions only."""
    if answers.get("aws_auth") == "oidc" and answers["ci"] in ("gitlab", "none"):
        return (
            f"aws_auth 'oidc' is for GitHub Actions, but ci is {answers['ci']!r}. "
            "Choose aws_auth 'keys', or ci 'github' or 'both'"
        )
    return None


def check_git(answers: dict) -> str | None:
    """A first commit needs git."""
    if answers["git_init"] in (True, "yes", "y", "true", "True") and shutil.which("git") is None:
        return "git_init is yes but git is not installed. Install git, or answer git_init=no"
    return None


CHECKS = (
    check_one_line,
    check_slug,
    check_package,
    check_choices,
    check_email,
    check_remote_url,
    check_endpoint,
    check_schedule,
    check_runner,
    check_provider,
    check_auth,
    check_git,
)


def first_error(answers: dict) -> str | None:
    """Run every check in order and return the first error, if any."""
    for check in CHECKS:
        error = check(answers)
        if error:
            return error
    return None


def main() -> int:
    """Validate the rendered answers; print one line and return 1 on a bad one."""
    error = first_error(json.loads(ANSWERS_JSON))
    if error:
        print(f"ERROR: {error}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
