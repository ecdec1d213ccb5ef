"""Private keys generated at test time by real tools are found; public keys, certificates and placeholders are not."""
from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import tempfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from scanner.config import Config
from scanner.engine.factory import build_engine

Enc = serialization.Encoding
Fmt = serialization.PrivateFormat


@pytest.fixture(scope="module")
def engine():
    return build_engine(Config())


def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ssh_keygen_encrypted() -> bytes:
    # cryptography needs the optional bcrypt module to encrypt OpenSSH keys; ssh-keygen doesn't.
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/id"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret-pass", "-f", path], check=True)
        with open(path, "rb") as fh:
            return fh.read()


KEYS = {
    "rsa-pkcs1": (lambda: _rsa().private_bytes(Enc.PEM, Fmt.TraditionalOpenSSL, serialization.NoEncryption()),
                  "private-key-rsa", False),
    "rsa-pkcs1-encrypted": (lambda: _rsa().private_bytes(Enc.PEM, Fmt.TraditionalOpenSSL,
                                                         serialization.BestAvailableEncryption(b"pw")),
                            "private-key-rsa", True),
    "ec-sec1": (lambda: ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Enc.PEM, Fmt.TraditionalOpenSSL, serialization.NoEncryption()), "private-key-ec", False),
    "dsa": (lambda: dsa.generate_private_key(2048).private_bytes(
        Enc.PEM, Fmt.TraditionalOpenSSL, serialization.NoEncryption()), "private-key-dsa", False),
    "pkcs8-ed25519": (lambda: ed25519.Ed25519PrivateKey.generate().private_bytes(
        Enc.PEM, Fmt.PKCS8, serialization.NoEncryption()), "private-key-pkcs8", False),
    "pkcs8-rsa": (lambda: _rsa().private_bytes(Enc.PEM, Fmt.PKCS8, serialization.NoEncryption()),
                  "private-key-pkcs8", False),
    "pkcs8-encrypted": (lambda: _rsa().private_bytes(Enc.PEM, Fmt.PKCS8,
                                                     serialization.BestAvailableEncryption(b"pw")),
                        "private-key-pkcs8-encrypted", True),
    "openssh": (lambda: ed25519.Ed25519PrivateKey.generate().private_bytes(
        Enc.PEM, Fmt.OpenSSH, serialization.NoEncryption()), "private-key-openssh", False),
    "openssh-encrypted": (lambda: _ssh_keygen_encrypted(), "private-key-openssh", True),
}


@pytest.mark.parametrize("name", KEYS)
def test_real_keys_found_raw_and_embedded(engine, name):
    make, rule_id, encrypted = KEYS[name]
    pem = make().decode()
    wrappers = [
        pem,
        "# config\n" + pem + "\ntrailer\n",
        json.dumps({"private_key": pem}),            # JSON string with \n escapes
        f'KEY="{pem.strip().replace(chr(10), chr(92) + "n")}"\n',   # env string with \n escapes
        "key: |\n" + "".join("  " + line + "\n" for line in pem.splitlines()),  # YAML block
    ]
    for text in wrappers:
        found = engine.scan_text(text.encode(), "k")
        assert [f.rule_id for f in found] == [rule_id], text[:80]
        assert found[0].details.get("encrypted") is encrypted
        assert ("encrypted" in found[0].reason) is True


def test_ssh_keygen_keys(engine, tmp_path):
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    for kind, extra in (("ed25519", []), ("rsa", ["-b", "2048", "-m", "PEM"]), ("ecdsa", [])):
        path = tmp_path / f"id_{kind}"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, *extra, "-N", "", "-f", str(path)], check=True)
        found = engine.scan_text(path.read_bytes(), str(path))
        assert len(found) == 1 and found[0].confidence == "high"
        assert engine.scan_text((tmp_path / f"id_{kind}.pub").read_bytes(), "pub") == []


def test_gpg_secret_key(engine, tmp_path):
    if not shutil.which("gpg"):
        pytest.skip("gpg not installed")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(env + ["--quick-gen-key", "Test <t@example.invalid>", "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    armored = subprocess.run(env + ["--armor", "--export-secret-keys"], check=True, capture_output=True).stdout
    found = engine.scan_text(armored, "key.asc")
    assert [f.rule_id for f in found] == ["private-key-pgp"]
    public = subprocess.run(env + ["--armor", "--export"], check=True, capture_output=True).stdout
    assert engine.scan_text(public, "pub.asc") == []


def test_public_keys_certificates_and_placeholders_clean(engine):
    key = _rsa()
    public = key.public_key().public_bytes(Enc.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pkcs1_public = key.public_key().public_bytes(Enc.PEM, serialization.PublicFormat.PKCS1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()).public_bytes(Enc.PEM))
    placeholders = [
        b"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMIIE...your key here...\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + b"A" * 200 + b"\n-----END OPENSSH PRIVATE KEY-----\n",
        b'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    pass\n',
        b"Paste your key between -----BEGIN EC PRIVATE KEY----- and -----END EC PRIVATE KEY-----.\n",
    ]
    for blob in [public, pkcs1_public, cert, *placeholders]:
        assert engine.scan_text(blob, "x") == [], blob[:60]


def test_truncated_key_body_is_not_a_finding(engine):
    pem = KEYS["rsa-pkcs1"][0]().decode().splitlines()
    truncated = "\n".join(pem[:5] + pem[-1:])
    assert engine.scan_text(truncated.encode(), "k") == []


def test_putty_keys(engine):
    from conftest import make_key
    for fmt in ("putty2", "putty3"):
        found = engine.scan_text(make_key(fmt).encode(), "k.ppk")
        assert [f.rule_id for f in found] == ["private-key-putty"]


def test_body_line_starting_with_slashes_is_not_a_comment(engine):
    # About one base64 line in 4,096 starts with '//'; such a key was once read as commented
    # out, its body corrupted, and the key missed.
    for _ in range(200_000):
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            Enc.PEM, Fmt.TraditionalOpenSSL, serialization.NoEncryption())
        if any(line.startswith(b"//") for line in pem.splitlines()[1:-1]):
            break
    else:
        pytest.fail("no key with a body line starting with '//' was generated")
    found = engine.scan_text(pem, "k")
    assert [f.rule_id for f in found] == ["private-key-ec"]
    commented = b"".join(b"// " + line + b"\n" for line in pem.splitlines())
    assert [f.rule_id for f in engine.scan_text(commented, "k")] == ["private-key-ec"]
