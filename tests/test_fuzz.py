"""A bounded coverage-guided fuzzing pass (atheris) over every parser of untrusted bytes,
about a minute in all: each target starts from its seed corpus in tests/fuzz_corpus/ and any
exception other than the documented errors fails the test with atheris's crash report."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris (coverage-guided fuzzer) is not installed: pip install '.[test]'")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SECONDS = int(os.environ.get("LEAKWARDEN_FUZZ_SECONDS", "6"))
TARGETS = ["config", "rule_pack", "git_diff_raw", "git_commit", "git_rev_list", "key_body", "decoders",
           "engine", "baseline_import"]


def test_every_target_has_a_seed_corpus():
    import fuzz_targets

    assert sorted(fuzz_targets.TARGETS) == sorted(TARGETS)
    for name in TARGETS:
        assert any((HERE / "fuzz_corpus" / name).iterdir()), name


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz(target, tmp_path):
    found = tmp_path / "corpus"   # libFuzzer writes new inputs to the first directory
    found.mkdir()
    res = subprocess.run([sys.executable, str(HERE / "fuzz_targets.py"), target, f"-max_total_time={SECONDS}",
                          "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
                          str(found), str(HERE / "fuzz_corpus" / target)],
                         capture_output=True, stdin=subprocess.DEVNULL, check=False, timeout=300,
                         # TMPDIR: the target's scratch files go where pytest cleans up.
                         env={**os.environ, "LEAKWARDEN_CACHE": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)})
    log = res.stderr.decode("utf-8", "replace")
    assert res.returncode == 0, log[-4000:]
    assert "DONE" in log and "stat::number_of_executed_units" in log, log[-2000:]
