#!/usr/bin/python3
"""action_runner.py - runs the steps of action.yml (a composite GitHub Action) as the
runner would, for tests/itest_action.sh: inputs with their defaults, ${{ }} expressions
of the kinds the file uses (inputs.X, steps.ID.outputs.Y, always(), !cancelled()), each
`run:` step in `bash --noprofile --norc -eo pipefail` with its env and the runner's files
(GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY), later steps skipped after a failure
unless their `if:` says otherwise. A `uses:` step is not run: it must be
actions/upload-artifact, and the folder it would upload is recorded.

    action_runner.py ACTION_YML OUT_JSON input=value...

prints each step's output; writes {"status": exit status of the last step run,
"failed": a step failed, "outputs": the action's outputs, "summary": the job summary,
"uploaded": [{"name", "path", "exists"}]} to OUT_JSON. An expression or `if:` it does
not know is an error (exit 3): the test must not pass by ignoring part of the file.
"""
import json, os, re, subprocess, sys, tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def main():
    action = yaml.safe_load(open(sys.argv[1]))
    out_json = sys.argv[2]
    given = dict(a.split("=", 1) for a in sys.argv[3:])
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    for k, v in given.items():
        if k not in inputs:
            sys.exit(f"action_runner: no input {k!r} in {sys.argv[1]}")
        inputs[k] = v
    for k, v in action["inputs"].items():
        if v.get("required") and not inputs[k]:
            sys.exit(f"action_runner: input {k!r} is required")
    steps_out = {}
    tmp = tempfile.mkdtemp(prefix="action-runner.")
    summary = os.path.join(tmp, "summary")
    open(summary, "w").close()
    env_file = os.path.join(tmp, "env")
    env = dict(os.environ)
    env.update(GITHUB_ACTION_PATH=os.path.dirname(os.path.abspath(sys.argv[1])),
               GITHUB_WORKSPACE=os.getcwd(), GITHUB_STEP_SUMMARY=summary, GITHUB_ENV=env_file, CI="true")

    def value(expr):
        m = re.fullmatch(r"inputs\.([\w-]+)", expr)
        if m:
            return inputs[m[1]]
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            return steps_out.get(m[1], {}).get(m[2], "")
        print(f"action_runner: unknown expression {expr!r}", file=sys.stderr)
        sys.exit(3)

    def subst(s):
        return EXPR.sub(lambda m: value(m[1]), str(s))

    def should_run(step, failed):
        cond = step.get("if")
        if cond is None:
            return not failed
        cond = EXPR.sub(lambda m: m[1], str(cond)).strip()
        if cond == "always()":
            return True
        if cond == "!cancelled()":
            return True
        print(f"action_runner: unknown if: {cond!r}", file=sys.stderr)
        sys.exit(3)

    failed, status, uploaded = False, 0, []
    for i, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {i}")
        if not should_run(step, failed):
            print(f"== {name}: skipped")
            continue
        if "uses" in step:
            if not step["uses"].startswith("actions/upload-artifact@"):
                print(f"action_runner: unexpected action {step['uses']}", file=sys.stderr)
                sys.exit(3)
            path = subst(step["with"]["path"])
            uploaded.append({"name": subst(step["with"]["name"]), "path": path,
                             "exists": os.path.isdir(path)})
            print(f"== {name}: would upload {path}")
            continue
        if step.get("shell") != "bash":
            print(f"action_runner: step {name!r} is not shell: bash", file=sys.stderr)
            sys.exit(3)
        script = os.path.join(tmp, f"step{i}.sh")
        with open(script, "w") as f:
            f.write(step["run"])
        out_file = os.path.join(tmp, f"out{i}")
        open(out_file, "w").close()
        step_env = dict(env, GITHUB_OUTPUT=out_file)
        step_env.update({k: subst(v) for k, v in (step.get("env") or {}).items()})
        print(f"== {name}", flush=True)
        rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], env=step_env)
        status = rc
        if rc != 0:
            failed = True
            print(f"== {name}: exit {rc}")
        if "id" in step:
            steps_out[step["id"]] = dict(l.split("=", 1) for l in open(out_file).read().splitlines() if "=" in l)
        if os.path.exists(env_file):
            env.update(dict(l.split("=", 1) for l in open(env_file).read().splitlines() if "=" in l))
    outputs = {k: subst(v["value"]) for k, v in (action.get("outputs") or {}).items()}
    json.dump({"status": status, "failed": failed, "outputs": outputs,
               "summary": open(summary).read(), "uploaded": uploaded}, open(out_json, "w"))


main()
