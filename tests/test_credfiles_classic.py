"""Classic leaked credential files, under the names and in the places public collections of
leaked files use (a `config` that is a kubeconfig or a git config, `db/mongoid.yml`,
`cloud/.credentials`, `.cvspass`, an OpenVPN `auth.txt`, BitLocker's recovery key file and
startup key, ...). Each is written in its tool's format with values generated here, weak
passwords among them, and scanned by the real CLI: coverage of these kinds cannot silently regress."""
from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

from conftest import rand_bytes, rng
from helpers_hygiene import rand, scan_json, write


def _scan(root: Path) -> dict:
    return scan_json(Path("."), "--show-secrets", cwd=root)[1]


def _recovery_password() -> str:
    r = rng()
    return "-".join(f"{r.randrange(65536) * 11:06d}" for _ in range(8))


def _bek() -> bytes:
    """A startup key file as libbde documents it: a 48-byte header, then an external key entry."""
    name = "ExternalKey\0".encode("utf-16-le")
    props = (struct.pack("<HHHH", 8 + len(name), 0, 2, 1) + name
             + struct.pack("<HHHHI", 44, 0, 1, 1, 0x2003) + rand_bytes(32))
    entry = struct.pack("<HHHH", 8 + 24 + len(props), 6, 9, 1) + rand_bytes(24) + props
    size = 48 + len(entry)
    return struct.pack("<IIII", size, 1, 48, size) + rand_bytes(16) + struct.pack("<II", 1, 0x8000) + rand_bytes(8) + entry


def test_classic_leaked_files_are_found(tmp_path: Path) -> None:
    weak = "hunter" + rand(2, "0123456789")
    v = {k: rand(20) for k in ("kube", "git", "cvs", "vpn", "dbeaver", "ci", "mongo", "secrets", "tugboat", "hub",
                               "deploy", "proxy", "aws", "sf", "kcpass", "ovpn")}
    hexes = [rand(n, "0123456789abcdef") for n in (8, 4, 3, 3, 12)]
    kucoin = f"{hexes[0]}-{hexes[1]}-4{hexes[2]}-a{hexes[3]}-{hexes[4]}"
    v["recovery"] = _recovery_password()
    teams = (f"https://outlook.office.com/webhook/{rand(8, '0123456789abcdef')}-1a2b-4c3d-8e9f-{rand(12, 'abcdef0123456789')}"
             f"@{rand(8, 'abcdef0123456789')}-2b3c-4d5e-9f0a-{rand(12, 'abcdef0123456789')}/IncomingWebhook/"
             f"{rand(32, '0123456789abcdef')}/{rand(8, 'abcdef0123456789')}-3c4d-4e5f-8a1b-{rand(12, 'abcdef0123456789')}")
    files: dict[str, tuple[str | bytes, str, str]] = {   # path -> (content, rule, secret)
        "config": ("apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: prod\nkind: Config\n"
                   f"users:\n- name: bot\n  user:\n    token: {v['kube']}\n", "kubeconfig-credential", v["kube"]),
        "mirror/config": (f"[remote \"origin\"]\n\turl = https://anna:{v['git']}@git.corp.test/web.git\n"
                          "[remote \"up\"]\n\turl = ssh://git@git.corp.test/web.git\n", "git-config-url-password", v["git"]),
        ".cvspass": (f"/1 :pserver:anna@cvs.corp.test:2401/cvsroot A{v['cvs']}\n/1 :pserver:anonymous@cvs.corp.test:2401/pub A\n",
                     "cvs-password-file", "A" + v["cvs"]),
        "openvpn/auth.txt": (f"vpnuser\n{weak}\n", "openvpn-auth-user-pass", weak),
        "vpn/office.auth": (f"anna.k\r\n{v['vpn']}\r\n", "openvpn-auth-user-pass", v["vpn"]),
        "vpn/office.ovpn": (f"client\nremote vpn.corp.test 1194\n<auth-user-pass>\nanna\n{v['ovpn']}\n</auth-user-pass>\n",
                            "openvpn-auth-user-pass", v["ovpn"]),
        "BitLocker Recovery Key 4A1B2C3D-1E2F-4A5B-8C9D-0E1F2A3B4C5D.TXT": (
            ("BitLocker Drive Encryption recovery key\r\n\r\nIdentifier:\r\n\r\n\t4A1B2C3D-1E2F-4A5B-8C9D-0E1F2A3B4C5D"
             f"\r\n\r\nRecovery Key:\r\n\r\n\t{v['recovery']}\r\n").encode("utf-16"), "bitlocker-recovery-key", v["recovery"]),
        "db/dbeaver-data-sources.xml": ('<data-sources>\n<data-source id="mysql5-1" provider="mysql" save-password="true">\n'
                                        f'<connection host="db" user="root" password="{v["dbeaver"]}"/>\n'
                                        "</data-source>\n</data-sources>\n", "dbeaver-xml-data-source-password", v["dbeaver"]),
        ".circleci/config.yml": ("version: 2.1\njobs:\n  build:\n    docker:\n      - image: corp/builder:2\n        auth:\n"
                                 f"          username: corpbuild\n          password: {v['ci']}\n"
                                 f"    steps:\n      - run: mysql -h 127.0.0.1 -u shop -p{weak} shop < fixtures.sql\n",
                                 "circleci-config-secret", v["ci"]),
        "db/mongoid.yml": (f"production:\n  clients:\n    default:\n      options:\n        password: {v['mongo']}\n",
                           "mongoid-password", v["mongo"]),
        "web/ruby/secrets.yml": (f"production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n  api_secret: {v['secrets']}\n",
                                 "rails-secret-key-base", v["secrets"]),
        "cloud/.tugboat": (f"---\nauthentication:\n  client_key: {v['tugboat']}\nssh:\n  ssh_user: root\n",
                           "stored-token-config", v["tugboat"]),
        "cloud/.credentials": (f"[prod]\naws_access_key_id = {rand(20).upper()}\naws_secret_access_key = {v['aws']}\n",
                               "aws-credentials-file", v["aws"]),
        "hub": (f"github.com:\n- user: octocat\n  oauth_token: {v['hub']}\n  protocol: https\n", "stored-token-config", v["hub"]),
        "deployment-config.json": (json.dumps({"production": {"host": "ftp.corp.test", "username": "deploy",
                                                              "password": v["deploy"]}}, indent=2),
                                   "sftp-config-password", v["deploy"]),
        "filezilla/filezilla.xml": ("<FileZilla3>\n<Settings>\n<Setting name=\"Proxy user\">anna</Setting>\n"
                                    f"<Setting name=\"Proxy pass\">{v['proxy']}</Setting>\n</Settings>\n</FileZilla3>\n",
                                    "filezilla-password", v["proxy"]),
        "notify/teams.py": (f'import pymsteams\ncard = pymsteams.connectorcard("{teams}")\n', "microsoft-teams-webhook-url", teams),
        "cloud/heroku.json": (json.dumps({"heroku": {"email": "anna@corp.test", "password": weak}}, indent=2),
                              "heroku-json-credential", weak),
        ".bash_history": (f"cd /srv\necho '{weak}' | sudo -S systemctl restart nginx\n", "shell-history-password", weak),
        "web/js/salesforce.js": ("var conn = new jsforce.Connection();\n"
                                 f"conn.login('api@corp.test', '{weak}{v['sf']}', function(err, res) {{}});\n",
                                 "generic-login-call-password", weak + v["sf"]),
        "kucoin/kucoin.py": (f"from kucoin.client import Client\n\napi_key = '{rand(24, '0123456789abcdef')}'\n"
                             f"api_secret = '{kucoin}'\napi_passphrase = '{v['kcpass']}'\n", "kucoin-api-secret", kucoin),
    }
    write(tmp_path, {path: content for path, (content, _, _) in files.items()})
    write(tmp_path, {"keys/4A1B2C3D-1E2F-4A5B-8C9D-0E1F2A3B4C5D.BEK": _bek()})
    doc = _scan(tmp_path)
    got = {(f["path"], f["rule_id"], f["secret"]) for f in doc["findings"]}
    missing = [(path, rule) for path, (_, rule, secret) in files.items() if (path, rule, secret) not in got]
    assert not missing, (missing, sorted(got))
    bek = [f for f in doc["findings"] if f["path"].endswith(".BEK")]
    assert [f["rule_id"] for f in bek] == ["bitlocker-recovery-key"]
    # The ssh:// remote names a user, not a secret; the anonymous CVS login has no password.
    assert not [f for f in doc["findings"] if f["path"] == "mirror/config" and f["line"] == 4]
    assert len([f for f in doc["findings"] if f["path"] == ".cvspass"]) == 1
    assert ("kucoin/kucoin.py", "kucoin-api-passphrase", v["kcpass"]) in got
    assert (".circleci/config.yml", "circleci-config-command-password", weak) in got
    # A weak password is still a finding, at medium confidence, said to be weak.
    vpn = next(f for f in doc["findings"] if f["path"] == "openvpn/auth.txt")
    assert vpn["confidence"] == "medium" and vpn["details"]["weak"]


def test_lookalikes_of_classic_files_are_clean(tmp_path: Path) -> None:
    digits = rng()
    wrong = "-".join(f"{digits.randrange(65536) * 11 + 1:06d}" for _ in range(8))   # fails BitLocker's check
    write(tmp_path, {
        "ssh/config": "Host git.corp.test\n  User git\n  IdentityFile ~/.ssh/id_ed25519\n",
        "repo/config": "[remote \"origin\"]\n\turl = https://anna@github.com/corp/web.git\n",
        "app/config": f"database:\n  host: db.corp.test\n  password: {rand(16)}\n",   # not a kubeconfig
        "notes/auth.txt": "TODO\nrotate the staging keys\nafter the release\n",
        "auth.txt": "vpnuser\nchangeme\n",
        "BitLocker Recovery Key.txt": f"Recovery Key:\r\n\t{wrong}\r\n",
        "drivers/usb.bek": base64.b64encode(rand_bytes(120)).decode(),
        ".cvspass": "/1 :pserver:anonymous@cvs.corp.test:2401/pub A\n",
    })
    doc = _scan(tmp_path)
    file_rules = {"kubeconfig-credential", "git-config-url-password", "openvpn-auth-user-pass", "bitlocker-recovery-key",
                  "cvs-password-file"}
    assert not [f for f in doc["findings"] if f["rule_id"] in file_rules], doc["findings"]
