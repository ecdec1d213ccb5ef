"""Real git servers on 127.0.0.1 for the server-hook tests, each started in a temporary
directory on a free high port and stopped by its fixture: git daemon, nginx with basic auth in
front of fcgiwrap and git http-backend, and OpenSSH's sshd in front of gitolite3.

Nothing of the system's own configuration is used or changed: every program gets its own
configuration file, pid file, logs and sockets in the temporary directory. A missing program
skips its tests with the Debian package to install.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import git, leakwarden
from helpers_server import TEST_BUDGET

HTTP_BACKEND = Path("/usr/lib/git-core/git-http-backend")
GITOLITE_SHELL = Path("/usr/share/gitolite3/gitolite-shell")


@dataclass
class Server:
    """A repository behind a transport: where to push, who the server says is pushing."""
    name: str
    url: str
    repo: Path                       # the bare repository on the server's side
    user: str                        # the pusher as the audit log should name them
    user_source: str                 # the variable that names them, or "account"
    env: dict[str, str] = field(default_factory=dict)   # for the client's git (ssh command)
    log: Path | None = None          # the server's own log, shown when a test fails


def need(*programs: str, package: str) -> None:
    for program in programs:
        if not (shutil.which(program) or Path(program).exists()):
            pytest.skip(f"{program} is not installed (Debian package {package}); apt-get install -y {package}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(500):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def running(args: list[str], log: Path, port: int | None = None, **kwargs) -> Iterator[subprocess.Popen]:
    """``args`` in a session of its own, so that stopping it stops the children it forked too
    (fcgiwrap's workers, nginx's)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                **kwargs)
    try:
        if port is not None:
            wait_for_port(port, proc, log)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def hooked_repo(path: Path) -> Path:
    git(path.parent, "init", "-q", "--bare", str(path))
    res = leakwarden("install", "--server", str(path))
    assert res.returncode == 0, res.stderr
    git(path, "config", "leakwarden.timeBudget", str(TEST_BUDGET))
    return path


# --- git daemon ---------------------------------------------------------------------------------------

@contextmanager
def git_daemon(tmp: Path) -> Iterator[Server]:
    import pwd

    base = tmp / "daemon"
    base.mkdir()
    repo = hooked_repo(base / "app.git")
    port, log = free_port(), tmp / "daemon.log"
    with running(["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}",
                  "--export-all", "--enable=receive-pack", "--informative-errors", str(base)], log, port):
        # git daemon authenticates no one: the hook can only name the account it runs as.
        yield Server("git-daemon", f"git://127.0.0.1:{port}/app.git", repo,
                     pwd.getpwuid(os.geteuid()).pw_name, "account", log=log)


# --- nginx + fcgiwrap + git http-backend --------------------------------------------------------------

NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/nginx-access.log;
  client_body_temp_path {tmp}/body;
  fastcgi_temp_path {tmp}/fastcgi;
  proxy_temp_path {tmp}/proxy;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      auth_basic "git";
      auth_basic_user_file {tmp}/htpasswd;
      fastcgi_pass unix:{tmp}/fcgiwrap.sock;
      fastcgi_request_buffering off;
      fastcgi_param SCRIPT_FILENAME {backend};
      fastcgi_param GIT_PROJECT_ROOT {root};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $uri;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param REMOTE_USER $remote_user;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param GIT_PROTOCOL $http_git_protocol;
      fastcgi_param PATH /usr/local/bin:/usr/bin:/bin;
    }}
  }}
}}
"""


@contextmanager
def smart_http(tmp: Path) -> Iterator[Server]:
    need("nginx", package="nginx-light")
    need("fcgiwrap", package="fcgiwrap")
    need(str(HTTP_BACKEND), package="git")
    web = tmp / "http"
    web.mkdir()
    root = web / "repos"
    root.mkdir()
    repo = hooked_repo(root / "app.git")
    password = os.urandom(12).hex()   # URL-safe: it goes into the remote URL
    sha = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    (web / "htpasswd").write_text(f"alice:{{SHA}}{sha}\n")
    port = free_port()
    (web / "nginx.conf").write_text(NGINX_CONF.format(
        user="user root root;" if os.geteuid() == 0 else "", tmp=web, port=port, backend=HTTP_BACKEND, root=root))
    with running(["fcgiwrap", "-c", "2", "-s", f"unix:{web}/fcgiwrap.sock"], web / "fcgiwrap.log"):
        for _ in range(500):
            if (web / "fcgiwrap.sock").exists():
                break
            time.sleep(0.02)
        with running(["nginx", "-e", str(web / "nginx-error.log"), "-c", str(web / "nginx.conf"), "-p", str(web)],
                     web / "nginx.log", port):
            yield Server("smart-http", f"http://alice:{password}@127.0.0.1:{port}/app.git", repo, "alice",
                         "REMOTE_USER", log=web / "nginx-error.log")


# --- sshd + gitolite3 -----------------------------------------------------------------------------------

SSHD_CONF = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {tmp}/host_key
PidFile {tmp}/sshd.pid
AuthorizedKeysFile {tmp}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers {login}
LogLevel VERBOSE
"""


@contextmanager
def ssh_gitolite(tmp: Path) -> Iterator[Server]:
    import pwd

    need("/usr/sbin/sshd", "ssh", "ssh-keygen", package="openssh-server")
    need("gitolite", str(GITOLITE_SHELL), package="gitolite3")
    ssh = tmp / "ssh"
    ssh.mkdir(mode=0o700)
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        # sshd started as root insists on its privilege-separation directory, which the
        # package's service unit creates at boot; an empty root-owned directory is all it needs.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    for key in ("host_key", "alice", "admin"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key, "-f", str(ssh / key)], check=True)
    # gitolite's own home: its rc file, keydir and repositories, all in the temporary directory.
    home = tmp / "gitolite-home"
    home.mkdir()
    genv = {**os.environ, "HOME": str(home)}
    subprocess.run(["gitolite", "setup", "-pk", str(ssh / "admin.pub")], env=genv, check=True, capture_output=True)
    conf = home / ".gitolite" / "conf" / "gitolite.conf"
    conf.write_text(conf.read_text() + "\nrepo app\n    RW+ = alice\n")
    shutil.copy(ssh / "alice.pub", home / ".gitolite" / "keydir" / "alice.pub")
    for step in (["gitolite", "compile"], ["gitolite", "setup"]):
        subprocess.run(step, env=genv, check=True, capture_output=True)
    repo = home / "repositories" / "app.git"
    # Installed as the hook's user installs it: sshd gives the hook HOME and no LEAKWARDEN_CACHE,
    # so install builds the hook's caches where it will look (docs/server.md).
    res = leakwarden("install", "--server", str(repo),
                     env={"HOME": str(home), "LEAKWARDEN_CACHE": str(home / ".cache" / "leakwarden")})
    assert res.returncode == 0, res.stderr
    git(repo, "config", "leakwarden.timeBudget", str(TEST_BUDGET))
    # gitolite wrote authorized_keys lines that run gitolite-shell for each key; sshd runs them
    # with the login account's HOME, so point gitolite at its home in the temporary directory.
    keys = (home / ".ssh" / "authorized_keys").read_text()
    (ssh / "authorized_keys").write_text(keys.replace(f'command="{GITOLITE_SHELL} ',
                                                      f'command="env HOME={home} {GITOLITE_SHELL} '))
    login = pwd.getpwuid(os.geteuid()).pw_name
    port = free_port()
    (ssh / "sshd_config").write_text(SSHD_CONF.format(port=port, tmp=ssh, login=login))
    command = (f"ssh -F /dev/null -i {ssh / 'alice'} -o IdentitiesOnly=yes -o BatchMode=yes "
               f"-o StrictHostKeyChecking=no -o UserKnownHostsFile={ssh / 'known_hosts'} -o LogLevel=ERROR")
    with running(["/usr/sbin/sshd", "-D", "-e", "-f", str(ssh / "sshd_config")], ssh / "sshd.log", port):
        yield Server("ssh-gitolite", f"ssh://{login}@127.0.0.1:{port}/app", repo, "alice", "GL_USER",
                     env={"GIT_SSH_COMMAND": command}, log=ssh / "sshd.log")


TRANSPORTS = {"git-daemon": git_daemon, "smart-http": smart_http, "ssh-gitolite": ssh_gitolite}
