"""Server policy for ``pre-receive``: time budget, fail-closed or fail-open, bypass and who may use it.

Settings come from git config (``leakwarden.*``, as the server administrator sets them on the
repository or system-wide) and, below that, from the ``[server]`` table of the configuration file
that ``leakwarden.config`` names. Nothing is read from the pushed repository's own files: a
pusher must not be able to loosen the server's policy.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from scanner import git
from scanner.errors import ConfigError
from scanner.records import field, record

if TYPE_CHECKING:
    from scanner.config import Config

BYPASS_OPTION = "leakwarden.bypass"
BYPASS_REASONS = ("false-positive", "used-in-tests", "will-fix-later")
# Who is pushing, as each server tells its hooks, in this order: GHES, GitLab (the name, then the
# "user-<id>" form), Gitea, gitolite, and git http-backend behind a web server's authentication.
SERVER_USER_VARIABLES = ("GITHUB_USER_LOGIN", "GL_USERNAME", "GL_ID", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER")
ACCOUNT = "account"   # the pusher's source when only the account the hook runs as is known
REPLACE_REFS = "refs/replace/"
DEFAULT_AUDIT_LOG = "leakwarden-audit.jsonl"
ACTIONS = ("reject", "accept")


@record
class ServerPolicy:
    time_budget: float = 4.0          # GHES gives all pre-receive hooks of a repository 5 s together
    on_timeout: str = "reject"        # fail closed
    on_error: str = "reject"
    bypass: bool = True
    bypass_users: list[str] = field(default_factory=list)   # empty: anyone may bypass
    user_variable: str = ""
    allow_replace_refs: bool = False  # refs/replace/* make git read other objects than those pushed
    audit_log: str = ""               # default: <git dir>/leakwarden-audit.jsonl
    max_findings: int = 5             # as many as GitHub push protection shows
    config: str = ""                  # a leakwarden configuration file for the server
    verbose: bool = False


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = "true" if value is None else str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def _float(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a number of seconds, got {value!r}") from None
    if not number > 0:
        raise ConfigError(f"{where}: must be greater than 0, got {value!r}")
    return number


def _int(value: Any, where: str) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
    if number < 1:
        raise ConfigError(f"{where}: must be at least 1, got {value!r}")
    return number


def _action(value: Any, where: str) -> str:
    text = str(value).strip().lower()
    if text not in ACTIONS:
        raise ConfigError(f"{where}: expected reject or accept, got {value!r}")
    return text


def _users(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    if not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{where}: expected a list of user names")
    return [i.strip() for i in items if i.strip()]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string")
    return value.strip()


# field -> (git config key as git reports it, [server] table key, parser)
_SETTINGS: dict[str, tuple[str, str, Callable[[Any, str], Any]]] = {
    "time_budget": ("timebudget", "time_budget", _float),
    "on_timeout": ("ontimeout", "on_timeout", _action),
    "on_error": ("onerror", "on_error", _action),
    "bypass": ("bypass", "bypass", _bool),
    "bypass_users": ("bypassusers", "bypass_users", _users),
    "user_variable": ("uservariable", "user_variable", _text),
    "allow_replace_refs": ("allowreplacerefs", "allow_replace_refs", _bool),
    "audit_log": ("auditlog", "audit_log", _text),
    "max_findings": ("maxfindings", "max_findings", _int),
    "verbose": ("verbose", "verbose", _bool),
}
_GIT_NAMES = {"timebudget": "timeBudget", "ontimeout": "onTimeout", "onerror": "onError", "bypass": "bypass",
              "bypassusers": "bypassUsers", "uservariable": "userVariable", "allowreplacerefs": "allowReplaceRefs", "auditlog": "auditLog",
              "maxfindings": "maxFindings", "verbose": "verbose"}


def load(cwd: str | Path | None = None, config_file: str | None = None) -> tuple[ServerPolicy, Config]:
    """(ServerPolicy, Config): git config over the ``[server]`` table of the configuration file
    (``config_file``, else ``leakwarden.config``; a relative ``leakwarden.config`` is in the git dir)."""
    from scanner import config

    settings = dict(git.config_section("leakwarden", cwd))   # the last value of a key wins, as in git
    policy = ServerPolicy()
    cfg = config.Config()
    named = config_file or settings.get("config")
    if named:
        path = Path(named).expanduser()
        if not path.is_absolute() and not config_file:
            path = git.git_dir(cwd) / path
        cfg = config.load(path)
        policy.config = str(path)
        known = {table_key for _, table_key, _ in _SETTINGS.values()}
        for key in cfg.server:
            if key not in known:
                raise ConfigError(f"{path}: [server]: unknown key {key!r} (known: {', '.join(sorted(known))})")
        for name, (_, table_key, parse) in _SETTINGS.items():
            if table_key in cfg.server:
                setattr(policy, name, parse(cfg.server[table_key], f"{path}: [server] key {table_key!r}"))
    for name, (git_key, _, parse) in _SETTINGS.items():
        if git_key in settings:
            setattr(policy, name, parse(settings[git_key], f"git config leakwarden.{_GIT_NAMES[git_key]}"))
    return policy, cfg


@record(frozen=True)
class Pusher:
    name: str
    source: str   # the variable that named the pusher, or ACCOUNT

    @property
    def shown(self) -> str:
        return self.name or "an unidentified pusher"


def pusher(policy: ServerPolicy, env: Mapping[str, str] = os.environ) -> Pusher:
    """Who is pushing: the server's own variable, then ``leakwarden.userVariable``, and only then
    the account this hook runs as (the same for every pusher on most servers, so marked as such)."""
    names = SERVER_USER_VARIABLES + ((policy.user_variable,) if policy.user_variable else ())
    for name in names:
        if env.get(name):
            return Pusher(env[name], name)
    return Pusher(_account(env), ACCOUNT)


def _account(env: Mapping[str, str]) -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:   # a uid without a passwd entry (containers)
        return env.get("USER") or env.get("LOGNAME") or str(os.geteuid())


def replace_ref_updates(policy: ServerPolicy, refs: list[str]) -> list[str]:
    """The refs/replace/* refs a push creates or moves, when the policy does not allow them: git
    would read their objects in place of the ones they name, so a secret could hide behind one."""
    return [] if policy.allow_replace_refs else [r for r in refs if r.startswith(REPLACE_REFS)]


def repository(git_dir: Path, env: Mapping[str, str] = os.environ) -> str:
    if env.get("GITHUB_REPO_NAME"):
        return env["GITHUB_REPO_NAME"]
    if env.get("GL_PROJECT_PATH"):
        return env["GL_PROJECT_PATH"]
    if env.get("GITEA_REPO_USER_NAME") and env.get("GITEA_REPO_NAME"):
        return f"{env['GITEA_REPO_USER_NAME']}/{env['GITEA_REPO_NAME']}"
    return str(git_dir)


def push_options(env: Mapping[str, str] = os.environ) -> list[str]:
    """``git push -o`` values (offered only when receive.advertisePushOptions is true)."""
    try:
        count = int(env.get("GIT_PUSH_OPTION_COUNT", "0"))
    except ValueError:
        return []
    return [env.get(f"GIT_PUSH_OPTION_{i}", "") for i in range(count)]


class BypassError(Exception):
    """A ``leakwarden.*`` push option that is not a valid bypass request. ``why`` says so without
    the pusher's text, for the audit log (a pusher may paste anything there, a secret included)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


def requested_bypass(options: list[str]) -> str | None:
    """The reason given with ``-o leakwarden.bypass=REASON``, or None; other programs' options are ignored."""
    reason = None
    valid = ", ".join(BYPASS_REASONS)
    for opt in options:
        name, sep, value = opt.partition("=")
        if not name.startswith("leakwarden."):
            continue
        if name != BYPASS_OPTION:
            raise BypassError(f"unknown push option {name!r}; use -o {BYPASS_OPTION}=REASON "
                              f"with REASON one of: {valid}", "unknown leakwarden push option")
        if value not in BYPASS_REASONS:
            if sep and value:
                raise BypassError(f"invalid bypass reason {value!r}; valid reasons: {valid}", "unknown bypass reason")
            raise BypassError(f"a bypass needs a reason (-o {BYPASS_OPTION}=REASON); valid reasons: {valid}",
                              "bypass without a reason")
        reason = value
    return reason


def may_bypass(policy: ServerPolicy, user: Pusher) -> tuple[bool, str]:
    """(allowed, why not)."""
    if not policy.bypass:
        return False, "bypass is disabled on this server"
    if policy.bypass_users and user.name not in policy.bypass_users:
        who = f"user {user.name!r}" if user.name else "an unidentified pusher"
        return False, f"{who} may not bypass on this server"
    return True, ""


class BudgetExceeded(Exception):
    pass


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived while the hook ran: the server or an administrator stopped it.
    Not an ``Exception``, so the handler for scan errors (which onError=accept may let through)
    never catches it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def catch_interrupts() -> None:
    """Turn the signals that stop a hook into ``Interrupted``, so the push is rejected with that
    reason (and logged) instead of the process dying silently or blaming the time budget."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)


class Budget:
    """The time the hook may take. ``check()`` between objects; an interval timer also interrupts
    a git call that blocks, so a huge push cannot run past the server's own hook timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._armed = False
        self.rang = False   # the timer went off: whatever exception follows, the budget ran out

    def check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded()

    def _ring(self, _signum: int, _frame: object) -> None:
        self.rang = True
        raise BudgetExceeded()

    def __enter__(self) -> "Budget":
        if hasattr(signal, "setitimer"):
            self._previous = signal.signal(signal.SIGALRM, self._ring)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
