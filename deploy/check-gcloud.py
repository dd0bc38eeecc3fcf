#!/usr/bin/env python3
"""Checks every gcloud command of docs/deploy.md, and cloudbuild.yaml, without a Google account.

gcloud parses a command's flags and values before it asks for credentials, so with no account
configured a correct command stops at exactly one error: "You do not currently have an active
account selected". Any other outcome (an unknown flag, a bad value, a missing file) fails here.

- Every `gcloud` invocation in the guide's ```sh blocks runs, in order, with the variables the
  guide sets at its start, in a scratch folder holding the repository's deployment files and the
  guide's monban.toml; the lines that make or remove local files (`sed`, `mkdir`, `openssl
  genpkey`, `shred`) run too, so each command finds the files it reads.
- The deploy step of cloudbuild.yaml runs with its default substitutions.
- `gcloud builds submit --config cloudbuild.yaml --no-source` validates the build config locally.

Run from the repository root: python3 deploy/check-gcloud.py
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

GUIDE = "docs/deploy.md"
NO_ACCOUNT = "You do not currently have an active account selected"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def shell_blocks(text):
    """The ```sh blocks of the guide, continuation lines joined."""
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        yield from block.replace("\\\n", " ").splitlines()


def expand(line, variables):
    for name, value in variables.items():
        line = re.sub(r"\$\{?" + name + r"\b\}?", value, line)
    return line


LOCAL = ("sed ", "mkdir ", "openssl genpkey ", "shred ")


def steps_of_guide():
    """The guide's steps in order: ("gcloud", argv, where) or ("local", line, where)."""
    text = open(GUIDE, encoding="utf-8").read()
    variables = {}
    steps = []
    for line in shell_blocks(text):
        line = line.strip()
        assignment = re.fullmatch(r"([A-Z_]+)=(\S+)", line)
        if assignment:
            variables[assignment[1]] = assignment[2]
            continue
        line = expand(line, variables)
        if "$" in line.replace("^main$", ""):
            sys.exit(f"{GUIDE}: an unset variable in: {line}")
        if line.startswith(LOCAL):
            steps.append(("local", line, line))
            continue
        # The gcloud part of a pipeline such as `printf … | gcloud secrets create … --data-file=-`.
        for part in line.split(" | "):
            if part.startswith("gcloud "):
                steps.append(("gcloud", shlex.split(part)[1:], f"{GUIDE}: {part[:90]}"))
    return steps


def scratch_folder(root):
    """What the admin has at hand: the checkout's deployment files and monban.toml."""
    for name in ("cloudbuild.yaml", "deploy", "Dockerfile"):
        os.symlink(os.path.abspath(name), os.path.join(root, name))
    text = open(GUIDE, encoding="utf-8").read()
    toml = re.search(r"```toml\n(.*?)```", text, re.S)[1]
    with open(os.path.join(root, "monban.toml"), "w", encoding="utf-8") as f:
        f.write(toml)


def commands_of_cloudbuild():
    doc = yaml.safe_load(open("cloudbuild.yaml", encoding="utf-8"))
    deploy = next(s for s in doc["steps"] if s["id"] == "deploy")
    assert deploy["entrypoint"] == "gcloud"
    args = []
    for arg in deploy["args"]:
        arg = arg.replace("$PROJECT_ID", "my-lab-project").replace("$COMMIT_SHA", COMMIT)
        for name, value in doc["substitutions"].items():
            arg = arg.replace("${" + name + "}", str(value))
        args.append(arg)
    return [
        (args + ["--project=my-lab-project"], "cloudbuild.yaml: the deploy step"),
        (["builds", "submit", "--config=cloudbuild.yaml", "--no-source",
          "--project=my-lab-project"], "cloudbuild.yaml: the build config's schema"),
    ]


def run(argv, config_dir, cwd):
    env = dict(os.environ, CLOUDSDK_CONFIG=config_dir, CLOUDSDK_CORE_DISABLE_PROMPTS="1",
               CLOUDSDK_CORE_PROJECT="my-lab-project", BROWSER="true")
    done = subprocess.run(["gcloud", *argv], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr.strip()


def main():
    if shutil.which("gcloud") is None:
        print("check-gcloud: gcloud is not installed here; skipped")
        return 0
    steps = steps_of_guide() + [("gcloud", a, w) for a, w in commands_of_cloudbuild()]
    failures = []
    checked = 0
    with tempfile.TemporaryDirectory() as config_dir, tempfile.TemporaryDirectory() as cwd:
        scratch_folder(cwd)
        for kind, what, where in steps:
            if kind == "local":
                subprocess.run(what, shell=True, check=True, cwd=cwd, capture_output=True)
                continue
            checked += 1
            code, stderr = run(what, config_dir, cwd)
            if code != 0 and NO_ACCOUNT not in stderr:
                failures.append(f"{where}\n    {stderr.splitlines()[0] if stderr else code}")
    print(f"check-gcloud: {checked} commands parsed, {len(failures)} failed")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
