"""``python -m bench <scenario> [--options]``: run one scenario and print exactly one JSON line.

The line carries the scenario's own figures plus ``scenario``, ``date`` (ISO 8601, UTC) and ``machine``, because a
figure without the machine and the day it was taken cannot be compared with the next one. Progress and diagnostics go
to stderr so that stdout stays machine-readable (``python -m bench http_baseline >> results.jsonl``).
"""

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import bench.scenarios

EXIT_USAGE = 2
UNKNOWN_SCENARIO = "unknown scenario {name!r}; available: {available}"
NO_TINY_SIZE = "scenario {name!r} has no tiny size: give its module a TINY tuple of options"


def available_scenarios():
    """Scenario names, sorted: every public module in bench.scenarios."""
    return sorted(info.name for info in pkgutil.iter_modules(bench.scenarios.__path__) if not info.name.startswith("_"))


def machine_info():
    """What the figures depend on: cores usable by this process, CPU model, memory, Python, and how busy it was."""
    cpu_model = platform.processor() or platform.machine()
    mem_total_gib = None
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.partition(":")[2].strip()
                break
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_gib = round(int(line.split()[1]) / 1024**2, 1)
                break
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": nproc,
        "cpu_model": cpu_model,
        "mem_total_gib": mem_total_gib,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        # Taken before the run: anything else busy on the machine shows here, and explains a figure that is off.
        "load_1m_before": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", help="scenario to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--tiny", action="store_true",
                        help="run at the scenario's tiny size (seconds; what the tests run), options after it win")
    known, rest = parser.parse_known_args(argv)

    scenarios = available_scenarios()
    if known.list:
        print("\n".join(scenarios))
        return 0
    if known.scenario is None:
        parser.print_usage(sys.stderr)
        print("a scenario is required; use --list to see them", file=sys.stderr)
        return EXIT_USAGE
    if known.scenario not in scenarios:
        # Checked against the discovered names before importing, so no arbitrary module path is ever imported.
        print(UNKNOWN_SCENARIO.format(name=known.scenario, available=", ".join(scenarios)), file=sys.stderr)
        return EXIT_USAGE

    module = importlib.import_module(f"bench.scenarios.{known.scenario}")
    summary = (module.__doc__ or "").strip().partition("\n")[0]
    scenario_parser = argparse.ArgumentParser(prog=f"python -m bench {known.scenario}", description=summary)
    if hasattr(module, "add_arguments"):
        module.add_arguments(scenario_parser)
    if known.tiny:
        if not hasattr(module, "TINY"):
            print(NO_TINY_SIZE.format(name=known.scenario), file=sys.stderr)
            return EXIT_USAGE
        rest = [*module.TINY, *rest]
    args = scenario_parser.parse_args(rest)  # exits 2 with a message on a bad option

    date, machine = datetime.now(UTC).isoformat(timespec="seconds"), machine_info()
    figures = module.run(args)
    # A tiny run proves the scenario works; its figures say nothing about performance and are marked so.
    size = {"tiny": True} if known.tiny else {}
    print(json.dumps({"scenario": known.scenario, "date": date, "machine": machine, **size, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
