"""Coverage-guided fuzzing (atheris) of every parser that reads untrusted bytes.

    python tests/fuzz_targets.py TARGET [libFuzzer options] [CORPUS_DIR ...]

Each target feeds the bytes to one parser; the documented errors (ConfigError, UsageError,
GitError: exit 2 or 3 with a message) are expected, any other exception is a bug and ends the
run with a crash report. tests/test_fuzz.py runs every target for a few seconds from the seed
corpus in tests/fuzz_corpus/TARGET/.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports(include=["scanner"]):
    from scanner import config, git
    from scanner.engine import decode, text
    from scanner.engine.validators import VALIDATORS
    from scanner.errors import ConfigError, UsageError
    from scanner.policy import baseline, baseline_import
    from scanner.rules import model

DOCUMENTED = (ConfigError, UsageError, git.GitError)
_TMP = Path(tempfile.mkdtemp(prefix="leakwarden-fuzz-"))
# Names that send content to the credential-file parsers; the first input byte picks one.
CRED_NAMES = (".env", ".netrc", ".npmrc", ".pypirc", ".git-credentials", "credentials", "id_rsa",
              ".docker/config.json", ".aws/credentials", "settings.xml", "config.yml", "app.py",
              "config.php", ".bash_history", ".mysql_history", "db.rdp", "Favorites.plist", "settings.py",
              "config/initializers/omniauth.rb", "secrets/master.key", "secrets/hudson.util.Secret", ".vault-token",
              "store.jks", "hibernate.cfg.xml")
_engine = None


def _file(name: str, data: bytes) -> Path:
    path = _TMP / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fuzz_config(data: bytes) -> None:
    config.load(_file("pyproject.toml" if data[:1] == b"[" else ".leakwarden.toml", data))


def fuzz_rule_pack(data: bytes) -> None:
    model.load_pack(_file("pack.toml", data))


def fuzz_git_diff_raw(data: bytes) -> None:
    git.parse_raw(data)


def fuzz_git_commit(data: bytes) -> None:
    git.parse_commit("0" * 40, data)
    git.parse_tag("0" * 40, data)


def fuzz_git_rev_list(data: bytes) -> None:
    list(git.parse_rev_list_objects(io.BytesIO(data)))


def fuzz_key_body(data: bytes) -> None:
    secret = data.decode("utf-8", "replace")
    for check in VALIDATORS.values():
        check(secret)


def fuzz_decoders(data: bytes) -> None:
    decode.unescape(data)
    decode.unpercent(data)
    decode.decode_base64(data)
    decode.base64_runs(data, list(range(0, len(data), 7)))
    prepared = text.prepare(data)
    index = text.LineIndex(prepared.data)
    for offset in range(0, len(prepared.data), 13):
        index.position(offset)


def fuzz_engine(data: bytes) -> None:
    """The whole engine, credential-file parsers included (the first byte picks a file name)."""
    global _engine
    if _engine is None:
        from scanner.engine.factory import build_engine

        _engine = build_engine(config.Config())
    name = CRED_NAMES[data[0] % len(CRED_NAMES)] if data else "x"
    _engine.scan(data[1:], name)


def fuzz_baseline_import(data: bytes) -> None:
    body = data.decode("utf-8", "replace")
    path = Path("report.json")
    try:
        fmt = baseline_import.detect_format(path, body)
    except UsageError:
        fmt = "gitleaksignore"
    if fmt == "gitleaks-json":
        baseline_import._gitleaks_json(path, body)
    elif fmt == "gitleaksignore":
        baseline_import._gitleaksignore(body)
    baseline.load(_file("baseline.json", data))


TARGETS: dict[str, Callable[[bytes], None]] = {
    "config": fuzz_config, "rule_pack": fuzz_rule_pack, "git_diff_raw": fuzz_git_diff_raw,
    "git_commit": fuzz_git_commit, "git_rev_list": fuzz_git_rev_list, "key_body": fuzz_key_body,
    "decoders": fuzz_decoders, "engine": fuzz_engine, "baseline_import": fuzz_baseline_import,
}


def _guarded(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            target(data)
        except DOCUMENTED:
            pass
    return run


def main() -> None:
    name = sys.argv.pop(1)
    os.environ.setdefault("LEAKWARDEN_CACHE", str(_TMP / "cache"))
    if name == "engine":
        fuzz_engine(b"")   # build the engine (and its prefilter) before the clock starts
    atheris.Setup(sys.argv, _guarded(TARGETS[name]))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
