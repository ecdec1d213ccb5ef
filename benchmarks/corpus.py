"""Build the benchmark inputs from real code on this machine, cached under ~/.cache/leakwarden-bench/.

* ``tree()``: a copy of the Python standard library and site-packages of the running
  interpreter, minus compiled artefacts (``__pycache__``, ``*.pyc``, ``*.so``). Real code,
  docs, JSON, test data and a few test keys: the false-positive pressure of a real disk.
* ``subset(max_bytes)``: a deterministic spread of files from ``tree()`` (every k-th file
  in sorted order), hard-linked into its own folder, so that both tools see the same files.
* ``history_repo()``: a git repository of >= 50k commits replaying the text files of
  ``tree()`` as development history (see ``build_history`` for exactly how).

Every builder writes a ``.complete`` stamp last, so an interrupted build is redone.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("LEAKWARDEN_BENCH_CACHE") or Path.home() / ".cache" / "leakwarden-bench")
SKIP_DIRS = {"__pycache__", ".git"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".a", ".o")

# History replay: each commit grows one file by at most STEP_LINES lines; a file is written
# in at most MAX_VERSIONS commits, and WORKING_SET files are "in progress" at once.
STEP_LINES = 100
MAX_VERSIONS = 8
WORKING_SET = 40
HISTORY_MIN_COMMITS = 50_000
HISTORY_MAX_FILE = 1 << 20
HISTORY_VERSION = 1


@dataclass
class Corpus:
    path: Path
    files: int
    bytes: int


def _stamp(folder: Path) -> Path:
    return folder / ".complete"


def _read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads(_stamp(folder).read_text())
    except (OSError, ValueError):
        return None


def _source_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _wanted(path: Path) -> bool:
    name = path.name
    return not name.endswith(SKIP_SUFFIXES) and ".so." not in name


def _walk(root: Path):
    """Regular files under root, sorted, compiled artefacts and symlinks left out."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            p = Path(folder, name)
            if _wanted(p) and p.is_file() and not p.is_symlink():
                yield p


def tree(log=print) -> Corpus:
    dest = CACHE / "tree"
    stamp = _read_stamp(dest)
    if stamp:
        return Corpus(dest / "src", stamp["files"], stamp["bytes"])
    shutil.rmtree(dest, ignore_errors=True)
    src_root = _source_root()
    log(f"building corpus: copying {src_root} (text and data, no compiled files) to {dest} ...")
    files = size = 0
    for p in _walk(src_root):
        target = dest / "src" / p.relative_to(src_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)
        files += 1
        size += target.stat().st_size
    _stamp(dest).write_text(json.dumps({"files": files, "bytes": size, "source": str(src_root)}))
    return Corpus(dest / "src", files, size)


def subset(max_bytes: int, log=print) -> Corpus:
    """Every k-th file of the corpus (k chosen so the total is about max_bytes), hard-linked."""
    full = tree(log)
    dest = CACHE / f"subset-{max_bytes}"
    stamp = _read_stamp(dest)
    if stamp:
        return Corpus(dest / "src", stamp["files"], stamp["bytes"])
    shutil.rmtree(dest, ignore_errors=True)
    stride = max(1, round(full.bytes / max_bytes))
    files = size = 0
    for i, p in enumerate(_walk(full.path)):
        if i % stride:
            continue
        target = dest / "src" / p.relative_to(full.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(p, target)
        except OSError:
            shutil.copyfile(p, target)
        files += 1
        size += p.stat().st_size
    _stamp(dest).write_text(json.dumps({"files": files, "bytes": size, "stride": stride}))
    return Corpus(dest / "src", files, size)


def small_file() -> Path:
    """One ordinary small source file (a few KB), for the start-up benchmark."""
    path = CACHE / "small" / "settings.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((_source_root() / "json" / "tool.py").read_bytes())
    return path


def git_copy(corpus: Corpus, log=print) -> Path:
    """A bare repository with the corpus as one commit: the input of the cat-file floor."""
    dest = corpus.path.parent / "floor.git"
    if (dest / ".complete").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    log(f"committing {corpus.path} into {dest} (for the git cat-file floor) ...")
    subprocess.run(["git", "init", "-q", "--bare", str(dest)], check=True)
    env = {**os.environ, "GIT_DIR": str(dest), "GIT_WORK_TREE": str(corpus.path),
           "GIT_INDEX_FILE": str(dest / "bench-index"), "GIT_AUTHOR_NAME": "bench",
           "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    subprocess.run(["git", "add", "-A", "-f", "."], cwd=corpus.path, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "corpus"], cwd=corpus.path, env=env, check=True)
    (dest / ".complete").write_text("")
    return dest


# -- history --------------------------------------------------------------------------------

def _text_lines(path: Path) -> list[bytes] | None:
    data = path.read_bytes()
    if not data or len(data) > HISTORY_MAX_FILE or b"\0" in data[:8192]:
        return None
    return data.splitlines(keepends=True)


def _versions(lines: list[bytes]) -> list[bytes]:
    """Successive versions of a file as a developer might write it: growing prefixes."""
    step = max(STEP_LINES, -(-len(lines) // MAX_VERSIONS))
    cuts = list(range(step, len(lines), step)) + [len(lines)]
    return [b"".join(lines[:c]) for c in cuts]


def _fast_import_stream(src: Path, out, min_commits: int) -> tuple[int, int]:
    """Write a ``git fast-import`` stream; returns (commits, files)."""
    files_iter = (p for p in _walk(src))
    active: list[tuple[str, list[bytes], int]] = []
    commits = files = 0
    when = 1_500_000_000
    exhausted = False
    while True:
        while not exhausted and len(active) < WORKING_SET and commits < min_commits:
            p = next(files_iter, None)
            if p is None:
                exhausted = True
                break
            lines = _text_lines(p)
            if lines:
                active.append((p.relative_to(src).as_posix(), _versions(lines), 0))
                files += 1
        if not active:
            break
        # Round-robin over the files in progress, so neighbouring commits touch different files.
        name, versions, done = active.pop(0)
        blob = versions.pop(0)
        commits += 1
        when += 97
        message = f"{'Extend' if done else 'Add'} {name}\n".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(f"committer Bench Dev <dev@example.invalid> {when} +0000\n".encode())
        out.write(b"data %d\n%s\n" % (len(message), message))
        out.write(b"M 100644 inline %s\n" % _quote(name))
        out.write(b"data %d\n%s\n" % (len(blob), blob))
        if versions:
            active.append((name, versions, done + 1))
    out.write(b"done\n")
    return commits, files


def _quote(name: str) -> bytes:
    raw = name.encode("utf-8", "surrogateescape")
    if any(c in raw for c in b'"\\\n') or raw.startswith(b'"'):
        return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'
    return raw


def _history_dir() -> Path:
    # The key changes whenever the recipe does, so a stale cache is never measured.
    key = hashlib.sha256(f"{HISTORY_VERSION}:{STEP_LINES}:{MAX_VERSIONS}:{WORKING_SET}:"
                         f"{HISTORY_MIN_COMMITS}:{_source_root()}".encode()).hexdigest()[:10]
    return CACHE / f"history-{key}"


def history_cached() -> bool:
    return _read_stamp(_history_dir()) is not None


def history_repo(log=print) -> tuple[Path, dict]:
    """A bare repository with >= HISTORY_MIN_COMMITS commits of real code."""
    src = tree(log).path
    dest = _history_dir()
    stamp = _read_stamp(dest)
    if stamp:
        return dest / "repo.git", stamp
    shutil.rmtree(dest, ignore_errors=True)
    repo = dest / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    log(f"building history repository in {repo} (git fast-import, then git repack -adf) ...")
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    commits, files = _fast_import_stream(src, proc.stdin, HISTORY_MIN_COMMITS)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    # fast-import's packs are poorly deltified; a real clone would have a proper pack.
    subprocess.run(["git", "repack", "-adf", "-q", "--window=10", "--depth=50"], cwd=repo, check=True)
    subprocess.run(["git", "gc", "-q", "--prune=now"], cwd=repo, check=True)
    objects = subprocess.run(["git", "count-objects", "-v"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout
    info = {"commits": commits, "files": files, "count_objects": dict(
        line.split(": ", 1) for line in objects.strip().splitlines())}
    _stamp(dest).write_text(json.dumps(info))
    return repo, info


# -- a real history: git/git -------------------------------------------------------------------

# Where a bare snapshot of git/git may be (override with LEAKWARDEN_BENCH_GIT_MIRROR). It is
# only read: the benchmark clones it with --no-local, as a user's clone would be packed.
GIT_MIRROR = Path(os.environ.get("LEAKWARDEN_BENCH_GIT_MIRROR") or "/work/.mirror/git+git/repo")


def real_repo_cached() -> bool:
    return _read_stamp(CACHE / "git-git") is not None


def real_repo(log=print) -> tuple[Path, dict] | None:
    """A bare ``git clone --no-local`` of the git/git mirror (its branches and tags, as a
    clone gets them), or None when there is no mirror on this machine."""
    dest = CACHE / "git-git"
    stamp = _read_stamp(dest)
    if stamp:
        return dest / "repo.git", stamp
    if not (GIT_MIRROR / "objects").is_dir():
        return None
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    repo = dest / "repo.git"
    log(f"cloning {GIT_MIRROR} into {repo} (git clone --bare --no-local, about a minute) ...")
    subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(GIT_MIRROR), str(repo)], check=True)
    _stamp(dest).write_text(json.dumps(repo_info(repo)))
    return repo, _read_stamp(dest) or {}


def repo_info(repo: Path) -> dict:
    """Commits, refs, and blobs with their total size: what a history run over ``repo`` reads."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout

    blobs = size = 0
    for line in git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)").splitlines():
        kind, _, n = line.partition(" ")
        if kind == "blob":
            blobs += 1
            size += int(n)
    return {"commits": int(git("rev-list", "--all", "--count")), "refs": len(git("for-each-ref").splitlines()),
            "blobs": blobs, "blob_bytes": size,
            "count_objects": dict(line.split(": ", 1) for line in git("count-objects", "-v").strip().splitlines())}


def worktree_of(repo: Path, log=print) -> Path:
    """A checked-out clone of ``repo`` (for ``staged``), cached next to it; objects hard-linked."""
    dest = repo.parent / "work"
    if (dest / ".complete-checkout").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    log(f"checking out {repo} into {dest} ...")
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True)
    (dest / ".git" / "info" / "exclude").write_text(".complete-checkout\n")
    (dest / ".complete-checkout").write_text("")
    return dest


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "tree"
    if what == "tree":
        print(tree())
    elif what == "history":
        print(history_repo())
    elif what == "subset":
        print(subset(int(sys.argv[2])))
