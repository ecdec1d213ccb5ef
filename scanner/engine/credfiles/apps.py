"""Application configuration with well-known secret slots: WordPress and Rails."""
from __future__ import annotations

import re

from scanner.engine.credfiles import Hit, Kind
from scanner.engine.credfiles.values import lines, live, unquote
from scanner.engine.placeholders import structural_placeholder

WP_PASSWORD = Kind("wordpress-db-password", "WordPress database password (wp-config.php)", "high", "high",
                   "Change the database password and read it from the environment (getenv) in wp-config.php.",
                   "https://developer.wordpress.org/advanced-administration/wordpress/wp-config/")
WP_SALTS = Kind("wordpress-auth-keys", "WordPress authentication keys and salts (wp-config.php)", "high", "high",
                "Generate new keys and salts (https://api.wordpress.org/secret-key/1.1/salt/); this logs every "
                "user out. Load them from the environment rather than committing them.",
                "https://developer.wordpress.org/advanced-administration/security/hardening/#security-keys")
RAILS_KEY = Kind("rails-master-key", "Rails master key (config/master.key)", "critical", "high",
                 "Remove the key from the repository (git rm --cached) and keep it in RAILS_MASTER_KEY; rotate it "
                 "with bin/rails credentials:edit and re-encrypt the credentials file.",
                 "https://guides.rubyonrails.org/security.html#custom-credentials")
RAILS_SECRET = Kind("rails-secret-key-base", "Rails secret_key_base (config/secrets.yml)", "critical", "high",
                    "Generate a new secret_key_base (bin/rails secret) and read it from ENV or encrypted "
                    "credentials; every signed cookie and session becomes invalid.",
                    "https://guides.rubyonrails.org/security.html#custom-credentials")
RAILS_DB = Kind("rails-database-password", "Rails database password (config/database.yml)", "high", "high",
                "Change the database password and read it with <%= ENV[\"DATABASE_PASSWORD\"] %> or from "
                "encrypted credentials.",
                "https://guides.rubyonrails.org/configuring.html#configuring-a-database")

_DEFINE = re.compile(rb"""define\s*\(\s*(['"])(?P<name>[A-Z_]+)\1\s*,\s*(['"])(?P<value>(?:(?!\3).)*)\3""")
_SALT_NAMES = {f"{a}_{b}" for a in ("AUTH", "SECURE_AUTH", "LOGGED_IN", "NONCE") for b in ("KEY", "SALT")}
_WP_SAMPLE = "put your unique phrase here"
_HEX32 = re.compile(rb"^\s*([0-9a-f]{32})\s*$")
_YAML_KEY = re.compile(rb"^(?P<indent>\s*)(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<value>.*?)\s*(?:\s#.*)?$")


def wp_config(path: str, data: bytes) -> list[Hit]:
    hits, salts = [], []
    for m in _DEFINE.finditer(data):
        name = m.group("name").decode()
        value = m.group("value").decode("utf-8", "replace")
        if name == "DB_PASSWORD" and live(value):
            hits.append(Hit(WP_PASSWORD, m.start("value"), m.end("value"), name, value))
        elif name in _SALT_NAMES and value != _WP_SAMPLE and len(value) >= 32 and not structural_placeholder(value):
            # Salts are random printable text, often starting with '$' or '<', so live() would reject them.
            salts.append((name, value, m.start("value"), m.end("value")))
    if salts:
        names = [s[0] for s in salts]
        covers = "\n".join(sorted(f"{n}={v}" for n, v, _, _ in salts)).encode()
        hits.append(Hit(WP_SALTS, salts[0][2], salts[-1][3], "", f"[wp-config.php: {', '.join(names)}]",
                        covers=covers, details={"file_level": True, "keys": names}))
    return hits


def rails_key(path: str, data: bytes) -> list[Hit]:
    m = _HEX32.match(data)
    if not m or structural_placeholder(m.group(1).decode()):
        return []
    return [Hit(RAILS_KEY, m.start(1), m.end(1), "key", m.group(1).decode())]


def _yaml_values(data: bytes, wanted: str, kind: Kind) -> list[Hit]:
    hits = []
    for off, line in lines(data):
        m = _YAML_KEY.match(line)
        if not m or m.group("key").decode() != wanted:
            continue
        value = m.group("value").decode("utf-8", "replace")
        if live(value):
            start = off + m.start("value")
            plain = unquote(value)
            hits.append(Hit(kind, start, start + len(value.encode()), wanted, plain))
    return hits


def rails_secrets(path: str, data: bytes) -> list[Hit]:
    return _yaml_values(data, "secret_key_base", RAILS_SECRET)


def rails_database(path: str, data: bytes) -> list[Hit]:
    return _yaml_values(data, "password", RAILS_DB)
