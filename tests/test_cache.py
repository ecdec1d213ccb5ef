"""The on-disk cache (validated rule packs, prefilter databases): a damaged, stale or foreign
cache file is rebuilt, never used, and a cache that cannot be written only costs time."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys

from conftest import ROOT, make_token

from scanner.cache import read_sealed, write_sealed
from scanner.rules.model import load_builtin, rules_key


def _rule_ids(cli, target, cache, *extra: str) -> list[str]:
    proc = cli("scan", "--format", "json", *extra, str(target), env={"LEAKWARDEN_CACHE": str(cache)})
    assert proc.returncode in (0, 1), proc.stderr
    return [f["rule_id"] for f in json.loads(proc.stdout)["findings"]]


def test_sealed_parts_round_trip_and_any_damage_reads_as_missing(tmp_path):
    path = tmp_path / "c"
    write_sealed(path, b"first", b"", b"x" * 1000)
    assert read_sealed(path, 3) == [b"first", b"", b"x" * 1000]
    whole = path.read_bytes()
    damaged = {
        "truncated": whole[:-1],
        "a byte more": whole + b"\0",
        "a flipped bit": whole[:20] + bytes([whole[20] ^ 4]) + whole[21:],
        # A length field that claims an exabyte: refused from the file's size, never allocated.
        "a huge length": whole[:4] + (1 << 60).to_bytes(8, "big") + whole[12:],
        "empty": b"",
    }
    for what, blob in damaged.items():
        path.write_bytes(blob)
        assert read_sealed(path, 3) is None, what
    path.write_bytes(whole)
    assert read_sealed(path, 2) is None   # another layout (fewer parts than written)
    assert read_sealed(tmp_path / "missing", 1) is None
    assert read_sealed(tmp_path, 1) is None   # a directory


def test_rules_read_from_the_cache_are_the_rules_of_the_packs(tmp_path, monkeypatch):
    """Documentation fields come back decoded on first use, and survive pickling (how an
    engine reaches worker processes started without fork)."""
    monkeypatch.setenv("LEAKWARDEN_CACHE", str(tmp_path))
    built = load_builtin()    # validated from the packs; the cache is written
    assert len(list(tmp_path.glob("rules-*"))) == 1
    cached = load_builtin()
    assert [pickle.loads(pickle.dumps(r)) for r in cached[:3]] == built[:3]
    assert cached == built    # every field, documentation included
    assert [(r.name, r.examples) for r in cached] == [(r.name, r.examples) for r in built]
    # Each cached rule brings its part of rules_key (the prefilter's cache key) ready-made.
    assert all("_key" in r.__dict__ for r in cached) and not any("_key" in r.__dict__ for r in built)
    assert rules_key(cached) == rules_key(built)


def test_a_rules_cache_edited_in_place_is_rebuilt_not_used(cli, tmp_path):
    """A change inside the cached rules that keeps the file parseable (here: the GitHub token
    rule's prefix in its regex) would silently change the rule set if the file were trusted."""
    cache = tmp_path / "cache"
    target = tmp_path / "a.txt"
    target.write_text(f"t = {make_token()}\n")
    assert _rule_ids(cli, target, cache) == ["github-pat-classic"]
    [rules_file] = cache.glob("rules-*")
    blob = rules_file.read_bytes()
    assert blob.count(b"ghp_") >= 1
    rules_file.write_bytes(blob.replace(b"ghp_", b"ghq_"))
    assert _rule_ids(cli, target, cache) == ["github-pat-classic"]
    assert b"ghq_" not in rules_file.read_bytes()   # rebuilt


def test_a_prefilter_database_built_for_other_rules_is_not_used(cli, tmp_path):
    """Cache files are named by a short checksum of what they were built for; two rule sets
    with the same name must still each get their own database (simulated by copying one over
    the other)."""
    cache = tmp_path / "cache"
    target = tmp_path / "a.txt"
    target.write_text(f"t = {make_token()}\n")
    assert _rule_ids(cli, target, cache) == ["github-pat-classic"]
    [builtin_db] = cache.glob("prefilter-*")
    config = tmp_path / "lw.toml"
    config.write_text('disable_rules = ["github-pat-classic"]\n')
    assert _rule_ids(cli, target, cache, "--config", str(config)) == []
    [other_db] = [p for p in cache.glob("prefilter-*") if p != builtin_db]
    shutil.copyfile(other_db, builtin_db)
    assert _rule_ids(cli, target, cache) == ["github-pat-classic"]


def test_an_unwritable_cache_only_costs_time(cli, tmp_path):
    (tmp_path / "file").write_text("not a folder\n")
    target = tmp_path / "a.txt"
    target.write_text(f"t = {make_token()}\n")
    for _ in range(2):
        assert _rule_ids(cli, target, tmp_path / "file" / "cache") == ["github-pat-classic"]


def test_a_pack_edited_with_its_size_and_time_kept_is_read_again(tmp_path):
    """A reproducible build (or a careful edit) can change a pack and keep its size and time:
    the cache goes by the packs' content too."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "scanner", copy / "scanner", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "patterns", copy / "patterns")
    env = {**os.environ, "PYTHONPATH": str(copy), "LEAKWARDEN_CACHE": str(tmp_path / "cache")}

    def name() -> bytes:
        out = subprocess.run([sys.executable, "-m", "scanner", "rules", "show", "github-pat-classic"], cwd=tmp_path,
                             env=env, capture_output=True, check=True, stdin=subprocess.DEVNULL).stdout
        return next(line for line in out.splitlines() if line.startswith(b"name"))

    assert name().endswith(b"GitHub personal access token (classic)")
    pack = copy / "patterns" / "github.toml"
    st = pack.stat()
    text = pack.read_bytes()
    edited = text.replace(b'name = "GitHub personal access token (classic)"', b'name = "GitHub personal access token [classic]"')
    assert edited != text and len(edited) == len(text)
    pack.write_bytes(edited)
    os.utime(pack, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert pack.stat().st_mtime_ns == st.st_mtime_ns and pack.stat().st_size == st.st_size
    assert name().endswith(b"GitHub personal access token [classic]")


def test_a_cached_hyperscan_database_is_built_once_and_rebuilt_when_it_does_not_load(tmp_path, monkeypatch):
    """The prefilter's and the sections gate's one cache (``engine/hsdb.py``): built on the
    first call, loaded on the next; a file sealed with the right key whose database part is
    not a database (another build's bytes) is built again, not trusted and not fatal."""
    from scanner.engine.hsdb import cached, compile_block

    monkeypatch.setenv("LEAKWARDEN_CACHE", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return b"meta", compile_block([b"needle"], [0])

    def matches(db):
        import hyperscan

        found = []
        db.scan(b"a needle here", match_event_handler=lambda *a: found.append(a[2]), scratch=hyperscan.Scratch(db))
        return found

    for _ in range(2):
        meta, db = cached("test", b"the key", build)
        assert meta == b"meta" and matches(db) == [8]
    assert len(builds) == 1
    [path] = tmp_path.glob("test-*.hsdb")
    key, meta, _ = read_sealed(path, 3)
    write_sealed(path, key, meta, b"not a database")
    assert matches(cached("test", b"the key", build)[1]) == [8]
    assert len(builds) == 2
    assert read_sealed(path, 3)[2] != b"not a database"   # written again
    cached("test", b"another key", build)
    assert len(builds) == 3 and len(list(tmp_path.glob("test-*.hsdb"))) == 2
