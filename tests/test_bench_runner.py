"""The benchmark runner's pure parts: percentiles, scenario discovery, the one-line JSON report, usage errors.

Nothing here starts gunicorn or measures time; performance figures live in bench/, not in tests.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bench.scenarios
from bench.__main__ import EXIT_USAGE, main
from bench.load import LoadResult, percentile, split_evenly

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_percentile_interpolates_between_ranks():
    values = [10.0, 20.0, 30.0, 40.0]

    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 90) == pytest.approx(37.0)
    assert percentile(values, 100) == 40.0


def test_percentile_of_one_to_a_hundred():
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)


def test_percentile_rejects_empty_data_and_out_of_range():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_split_evenly_spreads_connections_over_processes():
    assert split_evenly(16, 3) == [6, 5, 5]
    assert split_evenly(16, 2) == [8, 8]


def test_load_result_counts_failures_and_reports_milliseconds():
    result = LoadResult(
        latencies=[0.001, 0.002, 0.003, 0.004],
        statuses={200: 3, 503: 1},
        transport_errors={"ConnectionResetError": 1},
        seconds=2.0,
        client_processes=2,
        concurrency=4,
    )

    summary = result.summary()

    assert summary["requests"] == 5
    assert summary["errors"] == 2
    assert summary["rps"] == 2.5
    assert summary["p50_ms"] == 2.5
    assert summary["max_ms"] == 4.0
    assert summary["status"] == {"200": 3, "503": 1}


def test_rounds_combine_into_one_rate_and_one_latency_distribution():
    from collections import Counter

    fast = LoadResult(latencies=[0.001, 0.002], statuses=Counter({200: 2}), seconds=1.0, concurrency=4)
    slow = LoadResult(latencies=[0.010, 0.020], statuses=Counter({200: 1, 500: 1}), seconds=3.0, concurrency=4)

    summary = LoadResult.combined([fast, slow]).summary()

    assert summary["requests"] == 4
    assert summary["rps"] == 1.0  # 4 requests over 4 seconds, not the mean of 2.0 and 0.67
    assert summary["max_ms"] == 20.0
    assert summary["p50_ms"] == 6.0
    assert summary["status"] == {"200": 3, "500": 1}
    assert summary["errors"] == 1


def test_list_names_the_http_baseline_scenario(capsys):
    assert main(["--list"]) == 0

    assert "http_baseline" in capsys.readouterr().out.split()


def test_unknown_scenario_exits_2_with_a_message():
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "no_such_scenario"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == EXIT_USAGE == 2
    assert "unknown scenario 'no_such_scenario'" in completed.stderr
    assert "http_baseline" in completed.stderr
    assert completed.stdout == ""


def test_missing_scenario_is_a_usage_error(capsys):
    assert main([]) == EXIT_USAGE

    assert "--list" in capsys.readouterr().err


def test_runner_prints_one_json_line_with_date_and_machine(tmp_path, monkeypatch, capsys, request):
    (tmp_path / "fake_echo.py").write_text(
        '"""Echo its option."""\n'
        "def add_arguments(parser):\n"
        "    parser.add_argument('--size', type=int, default=1)\n"
        "def run(args):\n"
        "    return {'size': args.size}\n"
    )
    monkeypatch.setattr(bench.scenarios, "__path__", [*bench.scenarios.__path__, str(tmp_path)])
    request.addfinalizer(lambda: sys.modules.pop("bench.scenarios.fake_echo", None))

    assert main(["fake_echo", "--size", "3"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["scenario"] == "fake_echo"
    assert report["size"] == 3
    assert report["date"].endswith("+00:00")
    assert report["machine"]["nproc"] >= 1
    assert report["machine"]["python"] == f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


def _fake_scenario(tmp_path, monkeypatch, request, name, body):
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.setattr(bench.scenarios, "__path__", [*bench.scenarios.__path__, str(tmp_path)])
    request.addfinalizer(lambda: sys.modules.pop(f"bench.scenarios.{name}", None))


def test_tiny_runs_the_scenarios_tiny_size_and_says_so(tmp_path, monkeypatch, capsys, request):
    _fake_scenario(tmp_path, monkeypatch, request, "fake_tiny", (
        '"""Echo its option."""\n'
        "TINY = ('--size', '5')\n"
        "def add_arguments(parser):\n"
        "    parser.add_argument('--size', type=int, default=1000)\n"
        "def run(args):\n"
        "    return {'size': args.size}\n"
    ))

    assert main(["fake_tiny", "--tiny"]) == 0
    assert main(["fake_tiny", "--tiny", "--size", "7"]) == 0  # an option given after it wins
    assert main(["fake_tiny"]) == 0

    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["size"], r.get("tiny")) for r in reports] == [(5, True), (7, True), (1000, None)]


def test_tiny_of_a_scenario_without_a_tiny_size_is_a_usage_error(tmp_path, monkeypatch, capsys, request):
    _fake_scenario(tmp_path, monkeypatch, request, "fake_untiny",
                   '"""No tiny size."""\ndef run(args):\n    return {}\n')

    assert main(["fake_untiny", "--tiny"]) == EXIT_USAGE

    captured = capsys.readouterr()
    assert "has no tiny size" in captured.err
    assert captured.out == ""
