"""Credential-bearing configuration files of well-known tools, weak passwords in credential files,
and generic assignments in structured configuration. Every file is written here in its tool's
format with freshly generated values, then scanned by the real CLI."""
from __future__ import annotations

import base64
import json
import random
from pathlib import Path

from conftest import assert_hidden
from helpers_hygiene import rand, scan_json, write

WEAK = ["hunter22", "swordfish", "pass123"]


def _scan(root: Path, *args: str) -> tuple[int, dict, str]:
    """Scan ``root`` from inside it, so findings carry paths relative to it."""
    return scan_json(Path("."), *args, cwd=root)


def _positives(v: dict[str, str]) -> dict[str, tuple[str, str]]:
    """path -> (file content, rule expected there)."""
    return {
        "ftp/sitemanager.xml": (
            "<?xml version=\"1.0\"?>\n<FileZilla3>\n <Servers>\n  <Server>\n   <Host>ftp.corp.test</Host>\n"
            f"   <User>anna</User>\n   <Pass encoding=\"base64\">{base64.b64encode(v['fz'].encode()).decode()}</Pass>\n"
            "  </Server>\n </Servers>\n</FileZilla3>\n", "filezilla-password"),
        ".idea/WebServers.xml": (
            "<application><component name=\"WebServers\"><option name=\"servers\"><webServer id=\"7\" name=\"live\">"
            f"\n<fileTransfer host=\"corp.test\" port=\"21\" login=\"web\" password=\"{v['jb']}\" />\n"
            "</webServer></option></component></application>\n", "jetbrains-webservers-password"),
        ".dbeaver/data-sources-2.json": (
            json.dumps({"connections": {"mysql-1": {"configuration": {"host": "db", "user": "root",
                                                                        "password": v["dbeaver"]}}}}, indent=2),
            "dbeaver-data-source-password"),
        "robomongo.json": (json.dumps({"connections": [{"credentials": [{"userName": "root",
                                                                          "userPassword": v["robo"]}]}]}),
                           "robo3t-password"),
        "web/.vscode/sftp.json": (json.dumps({"host": "corp.test", "username": "u", "password": v["vscode"]}),
                                  "sftp-config-password"),
        "sftp-config.json": ("{\n  // the password\n  \"type\": \"ftp\",\n  \"password\": \"" + v["sublime"] + "\",\n}\n",
                             "sftp-config-password"),
        ".msmtprc": (f"account work\nhost smtp.corp.test\nuser anna\npassword {v['msmtp']}\n", "mail-client-password"),
        ".fetchmailrc": (f"poll mail.corp.test proto imap user 'anna' pass \"{v['fetch']}\"\n", "mail-client-password"),
        "ventrilo_srv.ini": (f"[Server]\nName=guild\nAdminPassword={v['vent']}\n", "ventrilo-server-password"),
        "ftpd.passwd": (f"anna:$1${rand(8)}${rand(22)}:2001:2001::/srv/anna:/bin/false\n", "proftpd-passwd-hash"),
        "deploy/kubeconfig": (f"apiVersion: v1\nusers:\n- name: ci\n  user:\n    token: {v['kube']}\n",
                              "kubeconfig-credential"),
        "infra/prod.tfvars": (f"region = \"eu-west-1\"\nrds_master_password = \"{v['tfvars']}\"\n",
                              "terraform-variable-secret"),
        "infra/terraform.tfstate": (json.dumps({"version": 4, "resources": [{"instances": [{"attributes": {
            "id": "db", "password": v["tfstate"]}}]}]}, indent=2), "terraform-state-secret"),
        "ansible/hosts": (f"[db]\ndb1 ansible_host=10.1.2.3 ansible_user=root ansible_ssh_pass={v['ansible']}\n",
                          "ansible-inventory-password"),
        "src/main/resources/application.properties": (f"spring.datasource.password={v['spring']}\n",
                                                      "spring-properties-secret"),
        "src/main/resources/application-prod.yml": (f"spring:\n  mail:\n    password: {v['springyml']}\n",
                                                    "spring-yaml-secret"),
        "config/mongoid.yml": (f"production:\n  clients:\n    default:\n      options:\n        password: {v['mongoid']}\n",
                               "mongoid-password"),
        "db/create_users.sql": (f"CREATE USER 'app'@'localhost' IDENTIFIED BY '{v['sqluser']}';\n", "sql-dump-password"),
        "backup/site.sql": ("CREATE TABLE `wp_users` (\n  `ID` bigint NOT NULL,\n  `user_login` varchar(60),\n"
                            "  `user_pass` varchar(255),\n  PRIMARY KEY (`ID`)\n);\n"
                            f"INSERT INTO `wp_users` VALUES (1,'admin','{v['sqlcol']}');\n", "sql-dump-password"),
    }


def _values() -> dict[str, str]:
    keys = ["fz", "jb", "dbeaver", "robo", "vscode", "sublime", "msmtp", "fetch", "vent", "kube", "tfvars",
            "tfstate", "ansible", "spring", "springyml", "mongoid", "sqluser", "sqlcol"]
    return {k: rand(20) for k in keys}


def test_tool_configuration_files_are_found_and_values_hidden(tmp_path: Path) -> None:
    values = _values()
    values["sqlcol"] = "$P$B" + rand(27)      # a phpass hash, as WordPress stores it
    files = _positives(values)
    write(tmp_path, {path: content for path, (content, _) in files.items()})
    code, doc, out = _scan(tmp_path)
    assert code == 1
    found = {(f["path"], f["rule_id"]) for f in doc["findings"]}
    for path, (_, rule) in files.items():
        assert (path, rule) in found, (path, rule, sorted(found))
    for value in values.values():
        assert_hidden(out, value)
    assert all(f["confidence"] == "high" for f in doc["findings"] if f["rule_id"] in {r for _, r in files.values()})


def test_weak_password_in_a_credential_file_is_medium_and_says_weak(tmp_path: Path) -> None:
    write(tmp_path, {
        ".netrc": f"machine ftp.corp.test login anna password {WEAK[0]}\n",
        "sftp-config.json": json.dumps({"host": "h", "password": WEAK[1]}),
        "config/database.yml": f"production:\n  password: {WEAK[2]}\n",
        "ventrilo_srv.ini": f"[Server]\nAdminPassword={rand(24)}\n",
    })
    code, doc, _ = _scan(tmp_path)
    by_path = {f["path"]: f for f in doc["findings"]}
    for path in (".netrc", "sftp-config.json", "config/database.yml"):
        f = by_path[path]
        assert f["confidence"] == "medium" and f["details"]["weak"] is True and "weak password" in f["reason"]
    strong = by_path["ventrilo_srv.ini"]
    assert strong["confidence"] == "high" and "weak" not in strong.get("details", {})
    # Below the default floor only when asked for high confidence alone.
    code, doc, _ = _scan(tmp_path, "--min-confidence", "high")
    assert {f["path"] for f in doc["findings"]} == {"ventrilo_srv.ini"}


def test_only_template_values_are_placeholders_in_credential_files(tmp_path: Path) -> None:
    write(tmp_path, {
        ".netrc": "machine a login u password password\nmachine b login u password changeme\n",
        "sftp-config.json": json.dumps({"password": "<password>", "pass": "${FTP_PASS}"}),
        "config/database.yml": "production:\n  password:\n  other: x\n",
        "ansible/hosts": "[db]\ndb1 ansible_password=\"{{ vault_db1 }}\"\n",
        "src/main/resources/application.properties": "spring.datasource.password=${DB_PASSWORD:}\n",
        "infra/terraform.tfstate": json.dumps({"attributes": {"password": "", "secret_arn": "arn:aws:x"}}),
        "db/setup.sql": "CREATE USER app IDENTIFIED BY '${APP_DB_PASSWORD}';\nINSERT INTO users (id, password) VALUES (1, '');\n",
    })
    code, doc, _ = _scan(tmp_path)
    assert (code, doc["findings"]) == (0, [])


def test_same_file_content_under_another_name_is_not_a_credential_file(tmp_path: Path) -> None:
    secret = rand(20)
    write(tmp_path, {"notes/servers.xml": f"<Server><Pass>{secret}</Pass></Server>\n",
                     "docs/hosts.txt": f"db1 ansible_password={secret}\n"})
    _, doc, _ = _scan(tmp_path)
    assert not [f for f in doc["findings"] if f["rule_id"] in ("filezilla-password", "ansible-inventory-password")]


def test_sql_dump_password_columns_and_copy_rows(tmp_path: Path) -> None:
    hashes = ["$2b$12$" + rand(53), "$2b$12$" + rand(53)]
    write(tmp_path, {"dump.sql": (
        "-- PostgreSQL database dump\n"
        "COPY public.accounts (id, email, encrypted_password, created_at) FROM stdin;\n"
        f"1\ta@corp.test\t{hashes[0]}\t2024-01-01\n2\tb@corp.test\t{hashes[1]}\t2024-01-02\n\\.\n"
        "INSERT INTO settings (name, value) VALUES ('password_policy', 'strict');\n")})
    _, doc, _ = _scan(tmp_path, "--show-secrets")
    got = sorted(f["secret"] for f in doc["findings"] if f["rule_id"] == "sql-dump-password")
    assert got == sorted(hashes)
    assert [f["line"] for f in doc["findings"] if f["rule_id"] == "sql-dump-password"] == [3, 4]


def test_generic_assignment_in_structured_config_but_not_in_code(tmp_path: Path) -> None:
    # Nine different characters with digits inside (so not a word-like name): shorter than the
    # code rules want, random enough for configuration.
    pick = random.SystemRandom()
    letters, digits = pick.sample("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz", 7), pick.sample("23456789", 2)
    short = "".join(letters[:3] + digits[:1] + letters[3:6] + digits[1:] + letters[6:])
    write(tmp_path, {
        "conf/app.yaml": f"redis:\n  password: {short}\n",
        "conf/app.ini": f"[smtp]\nsmtp_pwd = {short}\n",
        "conf/appsettings.json": json.dumps({"Db": {"Password": short}}),
        "conf/local.properties": f"signing.password={short}\n",
        "conf/server-settings.xml": f"<settings><servers><server><password>{short}</password></server></servers></settings>\n",
        "src/app.py": f"password = '{short}'\n",
        "src/App.java": f"String pwd = \"{short}\";\n",
    })
    _, doc, _ = _scan(tmp_path)
    found = {f["path"]: (f["rule_id"], f["confidence"]) for f in doc["findings"]}
    assert found == {
        "conf/app.yaml": ("generic-config-assignment", "medium"),
        "conf/app.ini": ("generic-config-assignment", "medium"),
        "conf/appsettings.json": ("generic-config-assignment", "medium"),
        "conf/local.properties": ("generic-config-assignment", "medium"),
        "conf/server-settings.xml": ("generic-xml-assignment", "medium"),
    }


def test_generic_config_filters_placeholders_and_low_entropy(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.yaml": "password: changeme\ntoken: ${TOKEN}\nsecret: <secret>\napi_key: aaaaaaaaaaaa\n"
                  "password_length: 12345678\nsecret_name: my-service-secret\n",
        "b.xml": "<password>${env.PASS}</password>\n<token>xxxxxxxxxxxx</token>\n",
        "c.json": json.dumps({"password": "", "token": "null", "pwd": "{{ pwd }}"}),
    })
    _, doc, _ = _scan(tmp_path)
    assert doc["findings"] == []


def test_a_provider_rule_names_the_value_of_a_credential_files_field(tmp_path: Path) -> None:
    # twilio.auth.token in application.properties is a field of the Spring file rule (*.token)
    # and, by its name, Twilio's auth token: the finding is Twilio's (what it is, where to
    # revoke it), as sure as the field's, and told which file and field held it.
    token, secret = rand(32, "0123456789abcdef"), rand(24)
    write(tmp_path, {"src/main/resources/application.properties":
                     f"twilio.auth.token={token}\nspring.datasource.password={secret}\n"})
    _, doc, _ = _scan(tmp_path)
    found = [(f["rule_id"], f["confidence"], f["details"].get("file_kind"), f["details"].get("field"))
             for f in doc["findings"]]
    assert found == [("twilio-auth-token", "high", "spring-properties-secret", "twilio.auth.token"),
                     ("spring-properties-secret", "high", None, "spring.datasource.password")]
