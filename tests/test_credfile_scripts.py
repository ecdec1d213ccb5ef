"""Credential files written as code (PHP and Ruby settings), shell and database client histories,
and the classic leaked files of CI servers, remote desktop and database GUIs. Every file is
written here in its tool's format with freshly generated values, then scanned by the real CLI."""
from __future__ import annotations

import os
from pathlib import Path

from conftest import assert_hidden
from helpers_hygiene import rand, scan_json, write


def _scan(root: Path, *args: str) -> tuple[int, dict, str]:
    return scan_json(Path("."), *args, cwd=root)


def _found(doc: dict) -> dict[tuple[str, str], dict]:
    """(path, secret) -> finding, for a scan run with --show-secrets."""
    return {(f["path"], f["secret"]): f for f in doc["findings"]}


def test_php_and_ruby_settings_are_found_weak_ones_at_medium(tmp_path: Path) -> None:
    strong = {k: rand(18) for k in ("wiki", "pma", "joomla", "drupal", "token", "omni", "fog")}
    weak = "wiki" + rand(3, "0123456789")
    write(tmp_path, {
        "LocalSettings.php": f'<?php\n$wgDBuser = "wiki";\n$wgDBpassword = "{strong["wiki"]}";\n',
        "old/LocalSettings.php": f"<?php\n$wgDBpassword = '{weak}';\n",
        "config.inc.php": f"<?php\n$cfg['Servers'][$i]['password'] = '{strong['pma']}';\n",
        "configuration.php": f"<?php\nclass JConfig {{\n\tpublic $password = '{strong['joomla']}';\n}}\n",
        "sites/default/settings.php": ("<?php\n$databases['default']['default'] = array(\n"
                                       f"  'password' => '{strong['drupal']}',\n);\n"),
        "config/initializers/secret_token.rb": f"App::Application.config.secret_token = '{strong['token']}'\n",
        "config/initializers/omniauth.rb": f"provider :github, '{rand(20)}', '{strong['omni']}'\n",
        "config/initializers/carrierwave.rb": f"config.fog_credentials = {{ aws_secret_access_key: '{strong['fog']}' }}\n",
    })
    code, doc, out = _scan(tmp_path, "--show-secrets")
    found = _found(doc)
    expect = {("LocalSettings.php", strong["wiki"]): "mediawiki-localsettings-secret",
              ("old/LocalSettings.php", weak): "mediawiki-localsettings-secret",
              ("config.inc.php", strong["pma"]): "phpmyadmin-config-password",
              ("configuration.php", strong["joomla"]): "joomla-configuration-secret",
              ("sites/default/settings.php", strong["drupal"]): "php-config-password",
              ("config/initializers/secret_token.rb", strong["token"]): "rails-secret-token",
              ("config/initializers/omniauth.rb", strong["omni"]): "rails-omniauth-secret",
              ("config/initializers/carrierwave.rb", strong["fog"]): "ruby-config-secret"}
    for key, rule in expect.items():
        assert key in found and found[key]["rule_id"] == rule, (key, rule, sorted(found))
    weak_finding = found[("old/LocalSettings.php", weak)]
    assert weak_finding["confidence"] == "medium" and weak_finding["details"]["weak"] is True
    assert found[("LocalSettings.php", strong["wiki"])]["confidence"] == "high"
    assert found[("LocalSettings.php", strong["wiki"])]["line"] == 3
    # A generic PHP file name is not proof of a credential file: medium, whatever the value.
    assert found[("sites/default/settings.php", strong["drupal"])]["confidence"] == "medium"
    # Without --show-secrets none of them is printed.
    _, _, hidden = _scan(tmp_path)
    assert_hidden(hidden, *strong.values())


def test_code_that_computes_a_password_is_not_a_stored_one(tmp_path: Path) -> None:
    write(tmp_path, {
        "config.php": (f"<?php\n$db_pass = getenv('DB_PASS');\n$db_password = 'x' . $suffix;\n"
                       f"$password = \"{rand(4)}$salt\";\n// $db_pass = '{rand(14)}';\n"
                       "$password = 'your_password';\n$db_pass = '';\n"),
        "LocalSettings.php": "<?php\n$wgDBpassword = \"changeme\";\n$wgSecretKey = \"<secret>\";\n",
        "config/initializers/omniauth.rb": "provider :github, ENV['GITHUB_KEY'], ENV['GITHUB_SECRET']\n",
        "config/initializers/secret_token.rb": "App::Application.config.secret_key_base = ENV.fetch('SECRET_KEY_BASE')\n",
        "lib/settings_helper.php": f"<?php\n$db_pass = '{rand(14)}';\n",
    })
    code, doc, _ = _scan(tmp_path)
    assert (code, doc["findings"]) == (0, [])


def test_shell_and_client_histories(tmp_path: Path) -> None:
    v = {k: rand(14) for k in ("mysql", "sshpass", "curl", "export", "pg", "docker", "sql", "redis")}
    write(tmp_path, {
        "home/anna/.bash_history": (
            "ls\n#1700000000\n"
            f"mysql -h db.corp.test -u root -p{v['mysql']} shop\n"
            f"sshpass -p '{v['sshpass']}' ssh deploy@10.1.2.3 uptime\n"
            f"curl -su admin:{v['curl']} https://ci.corp.test/api/json\n"
            f"export BUILD_API_TOKEN={v['export']}\n"
            f"PGPASSWORD={v['pg']} pg_dump -h db orders > orders.sql\n"
            f"echo done; docker login -u ci -p {v['docker']} registry.corp.test\n"),
        # libedit's mysql client keeps spaces as \040: the finding still points at the file's own bytes.
        "home/anna/.mysql_history": f"_HiStOrY_V2_\nselect\\0401;\nALTER\\040USER\\040'app'@'%'\\040IDENTIFIED\\040BY\\040'{v['sql']}';\n",
        "home/anna/.rediscli_history": f"AUTH {v['redis']}\nKEYS *\n",
    })
    code, doc, out = _scan(tmp_path, "--show-secrets")
    found = _found(doc)
    for key, value in v.items():
        path = {"sql": "home/anna/.mysql_history", "redis": "home/anna/.rediscli_history"}.get(key, "home/anna/.bash_history")
        assert (path, value) in found, (key, sorted(found))
        assert found[(path, value)]["rule_id"] == "shell-history-password"
    sql = found[("home/anna/.mysql_history", v["sql"])]
    line = (tmp_path / "home/anna/.mysql_history").read_text().splitlines()[sql["line"] - 1]
    assert line[sql["column"] - 1:].startswith(v["sql"])


def test_history_commands_without_a_password_are_clean(tmp_path: Path) -> None:
    write(tmp_path, {".bash_history": (
        "mysql -u root -p shop\nmysql -h db -P 3306 -u app -p\nsshpass -f ~/.pw ssh host\n"
        "export DB_PASSWORD=$(pass show db)\nPGPASSWORD=\"$PGPASS\" psql\nexport GITHUB_TOKEN=`gh auth token`\n"
        "docker login --password-stdin < t\ncurl -u \"$USER:$TOKEN\" https://x\nssh -p 2222 anna@host\n"
        "export PASSWORD_STORE_DIR=~/.pw\ngit clone git@github.com:acme/shop.git\nhtpasswd -c .htpasswd anna\n"
        "mysql -uroot -ppassword\nexport AWS_SESSION_TOKEN=$3\nmfa_token=${2}\n")})
    code, doc, _ = _scan(tmp_path)
    assert (code, doc["findings"]) == (0, [])


def test_rdp_password_blob_in_a_utf16_file(tmp_path: Path) -> None:
    blob = "01000000D08C9DDF0115D1118C7A00C04FC297EB01000000" + rand(400, "0123456789ABCDEF")
    text = f"screen mode id:i:2\r\nfull address:s:10.0.0.4\r\nusername:s:CORP\\anna\r\npassword 51:b:{blob}\r\n"
    write(tmp_path, {"servers/db01.rdp": b"\xff\xfe" + text.encode("utf-16-le"),
                     "servers/web01.rdp": "full address:s:10.0.0.5\nprompt for credentials:i:1\n"})
    code, doc, _ = _scan(tmp_path, "--show-secrets")
    assert [(f["path"], f["rule_id"], f["line"], f["secret"]) for f in doc["findings"]] == \
        [("servers/db01.rdp", "rdp-saved-password", 4, blob)]


def test_jenkins_home_files(tmp_path: Path) -> None:
    encrypted = "{AQAAABAAAAAQ" + rand(64) + "=}"
    write(tmp_path, {
        "jenkins/credentials.xml": (
            "<com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"
            f"  <id>deploy</id>\n  <username>deploy</username>\n  <password>{encrypted}</password>\n"
            "</com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"),
        "jenkins/secrets/master.key": rand(256, "0123456789abcdef"),
        "jenkins/secrets/hudson.util.Secret": os.urandom(272),
    })
    code, doc, _ = _scan(tmp_path, "--show-secrets")
    assert code == 1
    got = {(f["path"], f["rule_id"]) for f in doc["findings"]}
    assert {("jenkins/credentials.xml", "jenkins-credentials"), ("jenkins/secrets/master.key", "jenkins-master-key"),
            ("jenkins/secrets/hudson.util.Secret", "jenkins-master-key")} <= got
    assert encrypted in {f["secret"] for f in doc["findings"]}


def test_sequel_pro_and_hibernate(tmp_path: Path) -> None:
    sp, hib, props = rand(16), rand(16), rand(16)
    write(tmp_path, {
        "Favorites.plist": ("<plist version=\"1.0\"><dict><key>host</key><string>db</string>\n"
                            f"<key>password</key><string>{sp}</string></dict></plist>\n"),
        "src/main/resources/hibernate.cfg.xml": (
            "<hibernate-configuration><session-factory>\n"
            f"  <property name=\"hibernate.connection.password\">{hib}</property>\n"
            "  <property name=\"connection.username\">shop</property>\n</session-factory></hibernate-configuration>\n"),
        "hibernate.properties": f"hibernate.connection.password = {props}\n",
    })
    code, doc, _ = _scan(tmp_path, "--show-secrets")
    got = {(f["path"], f["rule_id"], f["secret"]) for f in doc["findings"]}
    assert {("Favorites.plist", "sequel-pro-favorite-password", sp),
            ("src/main/resources/hibernate.cfg.xml", "hibernate-connection-password", hib),
            ("hibernate.properties", "hibernate-properties-password", props)} <= got


def test_developer_tool_dotfiles(tmp_path: Path) -> None:
    v = {k: rand(20) for k in ("vault", "boto", "composer", "cargo", "maven", "nuget", "gradle", "tfrc", "winscp",
                               "pidgin", "hg", "bundle", "git", "mysqli")}
    files = {
        ".vault-token": (v["vault"], "vault-token-file"),
        ".boto": (f"[Credentials]\ngs_oauth2_refresh_token = {v['boto']}\n", "boto-config-secret"),
        "auth.json": ('{"http-basic": {"repo.corp.test": {"username": "u", "password": "%s"}}}' % v["composer"],
                      "composer-auth-credential"),
        ".cargo/credentials.toml": (f'[registry]\ntoken = "{v["cargo"]}"\n', "cargo-credentials-token"),
        ".m2/settings.xml": (f"<settings><servers><server><id>r</id><password>{v['maven']}</password></server>"
                             "</servers></settings>\n", "maven-settings-password"),
        "NuGet.Config": (f'<packageSourceCredentials><corp><add key="ClearTextPassword" value="{v["nuget"]}" />'
                         "</corp></packageSourceCredentials>\n", "nuget-config-password"),
        # sonatypePassword is Sonatype's by its name: the provider's rule names the field's value.
        "gradle.properties": (f"org.gradle.jvmargs=-Xmx2g\nsonatypePassword={v['gradle']}\n", "sonatype-nexus-token"),
        ".terraformrc": (f'credentials "app.terraform.io" {{\n  token = "{v["tfrc"]}"\n}}\n', "terraform-cli-token"),
        "WinSCP.ini": (f"[Sessions\\web]\nHostName=web\nPassword={v['winscp']}\n", "winscp-session-password"),
        ".purple/accounts.xml": (f"<account><password>{v['pidgin']}</password></account>\n", "pidgin-account-password"),
        ".hg/hgrc": (f"[auth]\ncorp.prefix = hg.corp.test\ncorp.password = {v['hg']}\n", "mercurial-auth-password"),
        ".bundle/config": (f'---\nBUNDLE_GEMS__CORP__TEST: "{v["bundle"]}"\n', "bundler-config-credential"),
        ".gitconfig": (f"[github]\n\ttoken = {v['git']}\n", "gitconfig-token"),
        "www/connect.php": (f"<?php\n$link = mysqli_connect('localhost', 'root', '{v['mysqli']}', 'shop');\n",
                            "php-config-password"),
    }
    write(tmp_path, {path: content for path, (content, _) in files.items()})
    write(tmp_path, {"certs/server.jks": b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + os.urandom(64),
                     "android/app/debug.keystore": b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + os.urandom(64)})
    code, doc, out = _scan(tmp_path, "--show-secrets")
    got = {(f["path"], f["rule_id"]): f for f in doc["findings"]}
    for (path, (_, rule)), value in zip(files.items(), v.values(), strict=True):
        assert (path, rule) in got and got[(path, rule)]["secret"] == value, (path, rule, sorted(got))
    assert ("certs/server.jks", "java-keystore") in got
    # Android's per-machine debug key store, with its published password, is no leak.
    assert not [f for f in doc["findings"] if f["path"] == "android/app/debug.keystore"]


def test_django_settings_password(tmp_path: Path) -> None:
    db, mail = rand(16), "hunter" + rand(2, "0123456789")
    write(tmp_path, {
        "shop/settings.py": ("DATABASES = {\n    'default': {\n        'USER': 'shop',\n"
                             f"        'PASSWORD': '{db}',\n    }}\n}}\nEMAIL_HOST_PASSWORD = \"{mail}\"\n"),
        "shop/settings/base.py": ("DATABASES = {'default': {'PASSWORD': os.environ.get('DB_PASSWORD', '')}}\n"
                                  "AUTH_PASSWORD_VALIDATORS = []\nDB_PASSWORD = f'{PREFIX}-x'\nREDIS_PASSWORD = 'redis_password'\n"),
    })
    code, doc, _ = _scan(tmp_path, "--show-secrets")
    got = {(f["path"], f["line"], f["secret"], f["confidence"]) for f in doc["findings"]}
    assert got == {("shop/settings.py", 4, db, "high"), ("shop/settings.py", 7, mail, "medium")}
