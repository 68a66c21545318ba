"""The ready-made automation: GitHub workflows and pre-commit hooks run the commands they should."""

from __future__ import annotations

import re
import shlex

import yaml

from conftest import REPO


def load(rel: str):
    return yaml.safe_load((REPO / rel).read_text(encoding="utf-8"))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def runs(workflow: dict, job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow, job))


def test_pull_request_check_annotates_tests_and_reviews() -> None:
    check = load(".github/workflows/check.yml")
    assert list(check[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as true
    checkout = next(s for s in steps(check, "check") if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    commands = runs(check, "check")
    assert "python build.py check --format github" in commands
    assert "python -m pytest" in commands
    assert 'python build.py review "origin/$BASE_REF" >> "$GITHUB_STEP_SUMMARY"' in commands
    review = next(s for s in steps(check, "check") if "review" in s.get("run", ""))
    assert review["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert review["if"] == "${{ !cancelled() }}", "the review is posted even when the check step fails"
    assert "${{" not in commands, "expressions go through env, not into shell scripts"


def test_deploy_builds_and_publishes_pages_from_main() -> None:
    deploy = load(".github/workflows/deploy.yml")
    assert deploy[True]["push"]["branches"] == ["main"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build = steps(deploy, "build")
    assert build[0]["with"]["fetch-depth"] == 0
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") and s["with"]["path"] == "site"
               for s in build)
    assert re.search(r"python build\.py build --base-url", runs(deploy, "build"))
    assert steps(deploy, "deploy")[0]["uses"].startswith("actions/deploy-pages@")
    assert deploy["jobs"]["deploy"]["needs"] == "build"


def test_pre_commit_hooks_run_check_and_schema() -> None:
    hooks = {hook["id"]: hook for hook in load(".pre-commit-hooks.yaml")}
    assert shlex.split(hooks["dateline-check"]["entry"]) == ["python", "build.py", "check"]
    assert shlex.split(hooks["dateline-schema"]["entry"]) == ["python", "build.py", "schema", "--check"]
    assert re.search(hooks["dateline-check"]["files"], "content/events/2022-01-14-rail-launch.yaml")
    assert re.search(hooks["dateline-schema"]["files"], "schema/event.schema.json")
    assert all(hook["pass_filenames"] is False for hook in hooks.values())
