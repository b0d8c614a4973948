"""The stand-in language host's executor: runs one Pulumi Python program, as the Go host's exec script does.

Run BY PATH with the project's virtualenv python (`<venv>/bin/python language_exec.py --monitor ...
PROGRAM`), never imported: it needs nothing but the Python standard library and the `pulumi` SDK
installed in that virtualenv, exactly like the real executor. Behaviour copied (not code) from
pulumi/pulumi `sdk/python/cmd/pulumi-language-python-exec`:

- the same flags (`--monitor --engine --project --root_directory --stack --pwd --dry_run --parallel
  --tracing --organization PROGRAM [ARGS...]`);
- config from PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS (`pulumi.runtime.set_all_config`);
- `pulumi.runtime.Settings(...)` then `pulumi.runtime.configure`, `sys.argv = [PROGRAM, *ARGS]`,
  chdir to `--pwd`;
- a fresh event loop whose default executor has `4 * max(parallel, 1)` threads; asyncio's logger muted;
- `runpy.run_path(PROGRAM, run_name="__main__")` inside `pulumi.runtime.run_in_stack`;
- a `pulumi.RunError` is logged as its message alone (one line, no traceback) and exits 1; any other
  exception is logged with the user's part of the traceback and exits 32 ("already shown to the user":
  the host then answers `bail`); success exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

# Run by path, this file's directory is sys.path[0]; the program must not see the stand-in's modules.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

try:
    import pulumi
    import pulumi.runtime
except ImportError:
    print(traceback.format_exc(), file=sys.stderr)
    print("The Pulumi SDK is not installed in the program's virtualenv (pip install -e .).", file=sys.stderr)
    sys.exit(1)

USER_ACTIONABLE_EXIT = 32  # the Go host's pythonProcessExitedAfterShowingUserActionableMessage


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Run a Pulumi Python program (mlplat stand-in executor)")
    for flag in (
        "project",
        "root_directory",
        "stack",
        "parallel",
        "dry_run",
        "pwd",
        "monitor",
        "engine",
        "tracing",
        "organization",
    ):
        ap.add_argument(f"--{flag}")
    ap.add_argument("PROGRAM")
    ap.add_argument("ARGS", nargs="*")
    return ap.parse_args(argv)


def _user_traceback(program: str) -> str:
    """The traceback from the first frame in the user's program on (the whole one if none is)."""

    def main_of(path: str) -> str:
        stem, ext = os.path.splitext(path)
        return os.path.abspath(os.path.join(stem, "__main__") if not ext else stem)

    frames = traceback.extract_tb(sys.exc_info()[2])
    for index, frame in enumerate(frames):
        if main_of(frame.filename) == main_of(program):
            return traceback.format_exc(limit=-(len(frames) - index))
    return traceback.format_exc()


def main(argv: list[str]) -> int:
    args = _parse(argv)
    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    parallel = int(args.parallel) if args.parallel else None
    settings = pulumi.runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=parallel,
        dry_run=args.dry_run == "true",
        organization=args.organization,
        root_directory=args.root_directory,
    )
    pulumi.runtime.configure(settings)
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd:
        os.chdir(args.pwd)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = None
    if parallel is not None:
        executor = ThreadPoolExecutor(max_workers=max(parallel, 1) * 4)
        loop.set_default_executor(executor)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    program = os.path.abspath(args.PROGRAM)

    def run() -> None:
        runpy.run_path(args.PROGRAM, run_name="__main__")

    exit_code = 1
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run))
        exit_code = 0
    except pulumi.RunError as error:
        pulumi.log.error(str(error))
    except Exception:  # every failure of the program is reported to the engine
        pulumi.log.error("Program failed with an unhandled exception:\n" + _user_traceback(program))
        exit_code = USER_ACTIONABLE_EXIT
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
