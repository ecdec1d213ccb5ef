"""Credential files known by name: each kind found with a live-looking value, and not found as an
example, template, placeholder or encrypted version. Through the real CLI, on files in tmp dirs."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from conftest import assert_hidden, commit_file, git, leakwarden, make_key, make_token, rand_bytes
from helpers_hygiene import b64, rand, scan_json, scan_text, write


def _p12() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return pkcs12.serialize_key_and_certificates(b"deploy", key, None, None, BestAvailableEncryption(rand(12).encode()))


def _key4db(tmp: Path) -> bytes:
    path = tmp / "scratch.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metaData (id TEXT PRIMARY KEY, item1, item2)")
    con.execute("INSERT INTO metaData VALUES ('password', ?, ?)", (rand_bytes(16), rand_bytes(48)))
    con.commit()
    con.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _logins(n: int) -> str:
    entries = [{"id": i + 1, "hostname": "https://example.org", "encryptedUsername": "MD" + rand(80),
                "encryptedPassword": "MD" + rand(80), "encType": 1} for i in range(n)]
    return json.dumps({"nextId": n + 1, "logins": entries, "version": 3})


def _wp(password: str, salt: str) -> str:
    lines = ["define( 'DB_NAME', 'wordpress' );", "define( 'DB_USER', 'wp' );",
             f"define( 'DB_PASSWORD', '{password}' );"]
    for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                 "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"):
        lines.append(f"define( '{name}', '{salt if salt == 'put your unique phrase here' else rand(64, salt)}' );")
    return "<?php\n" + "\n".join(lines) + "\n"


# (case id, files, rule ids expected, the field expected on the first of them, values that must not be shown)
def _positives(tmp: Path) -> list[tuple[str, dict, set[str], str, list[str]]]:
    v = {k: rand(n) for k, n in (("git", 36), ("netrc", 22), ("npm", 36), ("npmpw", 16), ("pypi", 60),
                                  ("dock", 20), ("pg", 20), ("s3", 40), ("aws", 40), ("db", 24), ("env", 24))}
    salt_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^&*()-_[]{}<>~+=,.;:/?|"
    master = rand_bytes(16).hex()
    base = rand_bytes(64).hex()
    return [
        ("git-credentials", {".git-credentials": f"https://alice:{v['git']}@git.example.org\n"},
         {"git-credentials-file"}, "password", [v["git"]]),
        ("netrc", {".netrc": f"machine api.example.org\n  login bob\n  password {v['netrc']}\n"},
         {"netrc-password"}, "password", [v["netrc"]]),
        ("_netrc", {"_netrc": f"machine api.example.org login bob password {v['netrc']}\n"},
         {"netrc-password"}, "password", [v["netrc"]]),
        ("npmrc", {".npmrc": f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={v['npm']}\n"},
         {"npmrc-auth-token"}, "//registry.npmjs.org/:_authToken", [v["npm"]]),
        ("npmrc-password", {".npmrc": f"//npm.example.org/:username=ci\n//npm.example.org/:_password={b64(v['npmpw'])}\n"},
         {"npmrc-auth-token"}, "//npm.example.org/:_password", [b64(v["npmpw"])]),
        ("pypirc", {".pypirc": f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = pypi-{v['pypi']}\n"},
         {"pypirc-password"}, "password", [v["pypi"]]),
        ("docker-config", {".docker/config.json": json.dumps({"auths": {"registry.example.org": {"auth": b64("ci:" + v["dock"])}}})},
         {"docker-config-auth"}, "auths.registry.example.org.auth", [b64("ci:" + v["dock"])]),
        ("dockercfg", {".dockercfg": json.dumps({"https://index.docker.io/v1/": {"auth": b64("ci:" + v["dock"]), "email": "ci@example.org"}})},
         {"docker-config-auth"}, "auths.https://index.docker.io/v1/.auth", [b64("ci:" + v["dock"])]),
        ("pgpass", {".pgpass": f"# host:port:db:user:password\ndb.internal:5432:*:app:{v['pg']}\n"},
         {"pgpass-password"}, "password", [v["pg"]]),
        ("s3cfg", {".s3cfg": f"[default]\naccess_key = AKIA{rand(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}\nsecret_key = {v['s3']}\n"},
         {"s3cfg-secret-key"}, "secret_key", [v["s3"]]),
        ("aws", {"home/.aws/credentials": f"[default]\naws_secret_access_key = {v['aws']}\n"},
         {"aws-credentials-file"}, "aws_secret_access_key", [v["aws"]]),
        ("htpasswd", {".htpasswd": f"admin:$apr1${rand(8)}${rand(22)}\n"},
         {"htpasswd-hash"}, "password hash", []),
        ("wp-config", {"wp-config.php": _wp(v["db"], salt_chars)},
         {"wordpress-db-password", "wordpress-auth-keys"}, "DB_PASSWORD", [v["db"]]),
        ("rails-master-key", {"config/master.key": master}, {"rails-master-key"}, "key", [master]),
        ("rails-credentials-key", {"config/credentials/production.key": master + "\n"}, {"rails-master-key"}, "key", [master]),
        ("rails-secrets", {"config/secrets.yml": f"production:\n  secret_key_base: {base}\n"},
         {"rails-secret-key-base"}, "secret_key_base", [base]),
        ("rails-database", {"config/database.yml": f"production:\n  adapter: postgresql\n  username: app\n  password: {v['db']}\n"},
         {"rails-database-password"}, "password", [v["db"]]),
        ("p12", {"deploy.p12": _p12()}, {"pkcs12-key-store"}, "", []),
        ("pfx", {"certs/signing.pfx": _p12()}, {"pkcs12-key-store"}, "", []),
        ("kdbx", {"vault.kdbx": bytes.fromhex("03d9a29a67fb4bb5") + rand_bytes(300)}, {"keepass-database"}, "", []),
        ("firefox-logins", {"profile/logins.json": _logins(2)}, {"firefox-logins"}, "", []),
        ("firefox-key4", {"profile/key4.db": _key4db(tmp)}, {"firefox-key-database"}, "", []),
        ("dotenv", {".env": f"APP_NAME=shop\nDB_HOST=localhost\nDB_PASSWORD={v['db']}\nSESSION_SECRET={v['env']}\nPORT=8080\n"},
         {"dotenv-file"}, "", [v["db"], v["env"]]),
        ("dotenv-production", {".env.production": f"export API_KEY=\"{v['env']}\"\n"}, {"dotenv-file"}, "", [v["env"]]),
        ("dotenv-url", {".env.local": "DATABASE_URL=postgres://app:" f"{v['pg']}@db:5432/app\n"}, {"dotenv-file"}, "", [v["pg"]]),
    ]


@pytest.mark.parametrize("case", range(25))
def test_credential_file_found_without_showing_value(tmp_path: Path, case: int) -> None:
    name, files, rules, field, values = _positives(tmp_path)[case]
    write(tmp_path / "w", files)
    rc, doc, out = scan_json(tmp_path / "w")
    found = {f["rule_id"]: f for f in doc["findings"]}
    assert rc == 1, (name, out)
    assert rules <= set(found), (name, sorted(found))
    first = found[sorted(rules)[-1] if name == "wp-config" else next(iter(rules))]
    assert first.get("details", {}).get("field", "") == field
    assert first["details"]["context"] in ("credential-file", "config", "dotenv")
    assert first["path"].endswith(next(iter(files)).split("/")[-1])
    assert not doc["skipped"], "binary key stores are reported, not skipped"
    assert_hidden(out, *values)
    rc, text = scan_text(tmp_path / "w")
    assert_hidden(text, *values)


def test_private_key_files_by_name_even_encrypted(tmp_path: Path) -> None:
    keys = {"keys/id_rsa": make_key("rsa"), "keys/id_ed25519": make_key("openssh-encrypted"),
            "keys/id_ecdsa": make_key("ec"), "keys/deploy.ppk": make_key("putty3")}
    write(tmp_path, keys)
    rc, doc, out = scan_json(tmp_path)
    by_file = {Path(f["path"]).name: f for f in doc["findings"]}
    assert rc == 1 and set(by_file) == {"id_rsa", "id_ed25519", "id_ecdsa", "deploy.ppk"}
    # One finding per key: the content rule names the format, the file stage adds where it was.
    assert len(doc["findings"]) == 4
    assert by_file["id_ed25519"]["details"]["file_kind"] == "ssh-private-key-file"
    assert by_file["id_ed25519"]["details"]["encrypted"] is True
    assert by_file["deploy.ppk"]["details"]["file_kind"] == "putty-key-file"
    assert all(f["details"]["context"] == "credential-file" for f in doc["findings"])
    assert_hidden(out, *(key.splitlines()[3] for key in keys.values()))


def test_provider_token_in_credential_file_is_one_finding(tmp_path: Path) -> None:
    tok = make_token("ghp")
    write(tmp_path, {".git-credentials": "https://alice:" f"{tok}@github.com\n"})
    rc, doc, out = scan_json(tmp_path)
    assert rc == 1 and [f["rule_id"] for f in doc["findings"]] == ["github-pat-classic"]
    assert doc["findings"][0]["details"]["file_kind"] == "git-credentials-file"
    assert_hidden(out, tok)


# Negatives: the same files as examples, templates, placeholders, encrypted, or not what the name says.
NEGATIVES = {
    "git-credentials-template": {".git-credentials": "https://alice:${GIT_TOKEN}@git.example.org\n"},
    "netrc-placeholder": {".netrc": "machine api.example.org login bob password <your-password>\n"},
    "npmrc-env": {".npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\nalways-auth=true\n"},
    "pypirc-empty": {".pypirc": "[pypi]\nusername = __token__\npassword =\n"},
    "docker-credstore": {".docker/config.json": json.dumps({"auths": {"ghcr.io": {}}, "credsStore": "desktop"})},
    "pgpass-empty": {".pgpass": "db.internal:5432:*:app:\n*:*:*:*:${PGPASSWORD}\n"},
    "s3cfg-empty": {".s3cfg": "[default]\nsecret_key =\n"},
    "aws-placeholder": {".aws/credentials": "[default]\naws_secret_access_key = YOUR_SECRET_ACCESS_KEY\n"},
    "aws-outside-dot-aws": {"docs/credentials": "aws_secret_access_key: see the vault\n"},
    "htpasswd-comment": {".htpasswd": "# admin:generated at deploy time\n"},
    "wp-config-sample": {"wp-config.php": _wp("password_here", "put your unique phrase here").replace(
        "define( 'DB_PASSWORD', 'password_here' );", "define( 'DB_PASSWORD', getenv('WP_DB_PASSWORD') );")},
    "rails-key-placeholder": {"config/master.key": "0" * 32 + "\n"},
    "rails-secrets-erb": {"config/secrets.yml": "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n"},
    "rails-database-env": {"config/database.yml": "production:\n  password: <%= ENV['DATABASE_PASSWORD'] %>\ntest:\n  password:\n"},
    "p12-not-der": {"deploy.p12": "placeholder: generate with openssl pkcs12 -export\n"},
    "kdbx-not-keepass": {"vault.kdbx": "not a database\n"},
    "logins-empty": {"profile/logins.json": json.dumps({"nextId": 1, "logins": [], "version": 3})},
    "key4-not-sqlite": {"profile/key4.db": "empty\n"},
    "id-rsa-placeholder": {"id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n<your key here>\n-----END OPENSSH PRIVATE KEY-----\n"},
    "id-rsa-pub": {"id_rsa.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake user@host\n"},
    "dotenv-example": {".env.example": "DB_PASSWORD=changeme\nSTRIPE_KEY=your_stripe_key\nAPI_TOKEN=\nSESSION_SECRET=${SESSION_SECRET}\n"},
    "dotenv-sample-local": {".env.local.sample": "DB_PASSWORD=\nJWT_SECRET=<generate-me>\n"},
    "dotenv-template": {".env.template": "DB_PASSWORD={{ db_password }}\nAPI_KEY=${API_KEY}\n"},
    "dotenv-dist": {".env.dist": "MAILER_PASSWORD=\nAPP_SECRET=ThisTokenIsNotSoSecretChangeIt\n"},
    "dotenv-templated": {".env": "DB_PASSWORD=${DB_PASSWORD}\nAPI_KEY={{ api_key }}\nTOKEN=\nDEBUG=true\nPORT=3000\n"},
    "dotenv-sops": {".env": "DB_PASSWORD=ENC[AES256_GCM,data:@d@,iv:@i@,tag:@t@,type:str]\n"
                            "sops_version=3.8.1\nsops_mac=ENC[AES256_GCM,data:@d@,iv:@i@,tag:@t@,type:str]\n"
                            "sops_lastmodified=2024-05-01T10:00:00Z\n"},
    "dotenv-dotenvx": {".env": "#/---[DOTENV_PUBLIC_KEY]---/\nDOTENV_PUBLIC_KEY=\"02@pk@\"\n"
                               "DB_PASSWORD=\"encrypted:@enc@\"\nSTRIPE_KEY=\"encrypted:@enc@\"\n"},
    "dotenv-ansible-vault": {".env": "$ANSIBLE_VAULT;1.1;AES256\n@hex@\n@hex@\n"},
    "dotenv-git-crypt-blob": {".env": b"\x00GITCRYPT\x00" + b"\x13\x37" * 40},
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_examples_placeholders_and_encrypted_are_not_flagged(tmp_path: Path, name: str) -> None:
    fill = {"d": rand(40), "i": rand(24), "t": rand(24), "pk": rand_bytes(32).hex(), "enc": rand(120),
            "hex": rand_bytes(40).hex()}
    files = {}
    for path, content in NEGATIVES[name].items():
        for key, value in fill.items():
            content = content if isinstance(content, bytes) else content.replace(f"@{key}@", value)
        files[path] = content
    write(tmp_path, files)
    rc, doc, out = scan_json(tmp_path)
    assert doc["findings"] == [], (name, [f["rule_id"] for f in doc["findings"]])
    assert rc == 0


def test_git_crypt_gitattributes_marks_dotenv_as_encrypted(repo: Path) -> None:
    # In an unlocked git-crypt work tree the file is plain text on disk but encrypted in the repository.
    write(repo, {".gitattributes": ".env* filter=git-crypt diff=git-crypt\n",
                 "app/.env": f"DB_PASSWORD={rand(24)}\n"})
    git(repo, "add", "app/.env")
    rc, doc, _ = scan_json(repo / "app", cwd=repo)
    assert "dotenv-file" not in {f["rule_id"] for f in doc["findings"]}
    (repo / ".gitattributes").write_text("*.key filter=git-crypt\n")
    rc, doc, _ = scan_json(repo / "app", cwd=repo)
    assert "dotenv-file" in {f["rule_id"] for f in doc["findings"]}


def test_dotenv_finding_lists_keys_never_values_even_with_show_secrets(tmp_path: Path) -> None:
    db, stripe = rand(24), "sk_live_" + rand(24)
    write(tmp_path, {".env": f"DB_HOST=db\nDB_PASSWORD={db}\nSTRIPE_KEY={stripe}\nDOTENV_PUBLIC_KEY={rand_bytes(33).hex()}\n"})
    rc, doc, out = scan_json(tmp_path, "--show-secrets")
    env = next(f for f in doc["findings"] if f["rule_id"] == "dotenv-file")
    assert env["details"]["keys"] == ["DB_PASSWORD", "STRIPE_KEY"]
    assert db not in env["secret"] and stripe not in env["secret"]
    assert "DB_PASSWORD" in env["secret"]
    assert env["line"] == 2 and env["end_line"] == 3
    _, doc_plain, out_plain = scan_json(tmp_path)
    assert_hidden(out_plain, db, stripe)
    # Stable for the same content, different once a value changes (a rotated file is a new finding).
    assert next(f for f in doc_plain["findings"] if f["rule_id"] == "dotenv-file")["fingerprint"] == env["fingerprint"]
    (tmp_path / ".env").write_text(f"DB_HOST=db\nDB_PASSWORD={rand(24)}\nSTRIPE_KEY={stripe}\n")
    _, doc2, _ = scan_json(tmp_path)
    assert next(f for f in doc2["findings"] if f["rule_id"] == "dotenv-file")["fingerprint"] != env["fingerprint"]


def test_provider_tokens_in_dotenv_keep_their_own_findings(tmp_path: Path) -> None:
    tok = make_token("ghp")
    write(tmp_path, {".env": f"GITHUB_TOKEN={tok}\n"})
    rc, doc, out = scan_json(tmp_path)
    assert {f["rule_id"] for f in doc["findings"]} == {"dotenv-file", "github-pat-classic"}
    assert_hidden(out, tok)


def test_keyword_anchored_provider_tokens_in_dotenv_keep_their_findings(tmp_path: Path) -> None:
    # A provider rule anchored on its variable name (medium confidence) still names the provider
    # and where to revoke the key; only the generic rules' matches give way to the file finding.
    linode, db = rand_bytes(32).hex(), rand(24)
    write(tmp_path, {".env": f"LINODE_TOKEN={linode}\nDB_PASSWORD={db}\n"})
    rc, doc, out = scan_json(tmp_path)
    assert sorted(f["rule_id"] for f in doc["findings"]) == ["dotenv-file", "linode-personal-access-token"]
    assert_hidden(out, linode)


def test_example_dotenv_with_generated_value_is_still_flagged(tmp_path: Path) -> None:
    value = rand(40)
    write(tmp_path, {".env.example": f"DB_PASSWORD=changeme\nJWT_SECRET={value}\n"})
    rc, doc, out = scan_json(tmp_path)
    env = next(f for f in doc["findings"] if f["rule_id"] == "dotenv-file")
    assert env["details"]["keys"] == ["JWT_SECRET"]
    assert_hidden(out, value)


def test_key_store_by_content_alone_is_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, {"assets/blob.bin": _p12()})
    rc, doc, _ = scan_json(tmp_path)
    assert rc == 0 and doc["findings"] == [] and doc["skipped"][0]["reason"] == "binary"


def test_allowlisted_dotenv_fingerprint_and_inline_marker(tmp_path: Path) -> None:
    write(tmp_path, {".env": f"DB_PASSWORD={rand(24)}\n"})
    _, doc, _ = scan_json(tmp_path)
    fp = next(f["fingerprint"] for f in doc["findings"] if f["rule_id"] == "dotenv-file")
    (tmp_path / ".leakwarden.toml").write_text(f'allowlist = [{{ fingerprint = "{fp}", reason = "dev only" }}]\n')
    _, doc, _ = scan_json(tmp_path)
    assert "dotenv-file" not in {f["rule_id"] for f in doc["findings"]}


def test_dotenv_committed_to_a_repository_is_found_in_the_work_tree(repo: Path) -> None:
    value = rand(28)
    commit_file(repo, ".env", f"DB_PASSWORD={value}\n", "add env")
    commit_file(repo, ".gitignore", ".env.local\n", "ignore local env")
    (repo / ".env.local").write_text(f"API_KEY={rand(30)}\n")   # ignored: never pushed, not reported
    proc = leakwarden("scan", "--format", "json", cwd=repo)
    doc = json.loads(proc.stdout)
    envs = [f["path"] for f in doc["findings"] if f["rule_id"] == "dotenv-file"]
    assert proc.returncode == 1 and envs == [".env"]
    assert value not in proc.stdout.decode()


def test_dotenv_in_a_staged_commit_is_blocked(repo: Path) -> None:
    value = rand(28)
    (repo / ".env").write_text(f"DB_PASSWORD={value}\n")
    git(repo, "add", ".env")
    proc = leakwarden("staged", cwd=repo)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 1 and "dotenv-file" in out
    assert value not in out


def test_engine_path_stage_works_on_blob_paths_without_files() -> None:
    # Git sources call scan_text with a blob's path; nothing need exist on disk.
    from scanner.config import Config
    from scanner.engine.factory import build_engine

    engine = build_engine(Config())
    value = rand(24)
    found = engine.scan_text(f"DB_PASSWORD={value}\n".encode(), "services/api/.env.staging")
    assert "dotenv-file" in {f.rule_id for f in found}
    p12 = engine.scan(_p12(), "release/app.pfx")
    assert [f.rule_id for f in p12.findings] == ["pkcs12-key-store"] and not p12.skipped
    assert engine.scan_text(b"DB_PASSWORD=x\n", "src/env.py") == []


def test_binary_key_store_through_stdin_is_not_reported() -> None:
    # stdin has no file name, so the name-keyed stage stays out of the way.
    proc = leakwarden("scan", "-", input=_p12())
    assert proc.returncode == 0


def test_dotenv_finding_absorbs_generic_matches_but_not_provider_tokens(tmp_path: Path) -> None:
    tok = make_token()
    write(tmp_path, {".env": f"DB_PASSWORD={rand(20)}\nAPI_TOKEN={rand(32)}\nGITHUB_TOKEN={tok}\n"})
    rc, doc, out = scan_json(tmp_path)
    assert rc == 1
    assert sorted(f["rule_id"] for f in doc["findings"]) == ["dotenv-file", "github-pat-classic"]
    assert_hidden(out, tok)
