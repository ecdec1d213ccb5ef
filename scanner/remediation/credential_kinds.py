"""What each kind of credential grants, and where to replace and revoke it.

Facts from GitHub's documentation (see /docs/remediation.md for sources). Rules not listed
here (other providers, generic secrets, user rules) fall back to the rule's own description
and url.
"""
from __future__ import annotations

from dataclasses import dataclass

_PAT_REVOKE = ("Revoke it with `leakwarden revoke` (GitHub's credential revocation API; it works without "
               "knowing whose token it is), or delete it at {new_url}.")


@dataclass(frozen=True)
class Kind:
    key: str            # stable name for tools: pat-classic, installation-token, private-key, provider...
    grants: str         # what it can do, in general terms
    lifetime: str
    new: str            # where and how to make the replacement
    new_url: str
    revoke: str         # how to kill the old one
    revoke_method: str  # leakwarden-revoke | api | settings | provider


_GITHUB_APP_KEYS = "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/managing-private-keys-for-github-apps"
_OAUTH_APPS = "https://github.com/settings/developers"
_REFRESH = "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens"

KINDS: dict[str, Kind] = {
    "github-pat-classic": Kind(
        "pat-classic", "Everything its scopes allow, across every repository and organization its owner can "
        "reach (classic scopes are broad, e.g. `repo` is full control of all private repositories).",
        "May never expire (the owner chooses an expiry, or none).",
        "Create a new token with the fewest scopes that work, preferably a fine-grained one.",
        "https://github.com/settings/tokens", _PAT_REVOKE.format(new_url="https://github.com/settings/tokens"),
        "leakwarden-revoke"),
    "github-fine-grained-pat": Kind(
        "pat-fine-grained", "Only the repositories and permissions chosen when it was created, as its owner.",
        "Has an expiry date (set by the owner, up to the limit the organization allows).",
        "Create a new fine-grained token with the same repositories and permissions.",
        "https://github.com/settings/personal-access-tokens",
        _PAT_REVOKE.format(new_url="https://github.com/settings/personal-access-tokens"), "leakwarden-revoke"),
    "github-legacy-token": Kind(
        "pat-legacy", "A pre-2021 token (personal access or OAuth): whatever scopes it was given, which for "
        "old tokens are often broad.", "May never expire.",
        "Create a new token (fine-grained if possible).", "https://github.com/settings/tokens",
        "Delete it at https://github.com/settings/tokens (or in the OAuth app that issued it); the revocation "
        "API does not accept the old format.", "settings"),
    "github-oauth-token": Kind(
        "oauth-token", "What the user granted the OAuth app: the scopes it asked for, as that user.",
        "Does not expire until revoked (or unused for a year).",
        "Have the user authorize the OAuth app again, which issues a new token; check the OAuth app's "
        "settings.", _OAUTH_APPS,
        "Revoke it with `leakwarden revoke`; the app owner can also delete it with "
        "`DELETE /applications/{client_id}/token`.", "leakwarden-revoke"),
    "github-user-to-server-token": Kind(
        "user-to-server-token", "Acts for a user through a GitHub App: the user's access, limited to the "
        "app's permissions and installations.", "8 hours when the app uses expiring user tokens; otherwise "
        "until revoked.",
        "Sign the user in to the GitHub App again (or use its refresh token), in the GitHub App's settings "
        "flow.", _REFRESH, "Revoke it with `leakwarden revoke`.", "leakwarden-revoke"),
    "github-refresh-token": Kind(
        "refresh-token", "Mints new user-to-server tokens for the GitHub App and user, with the same access.",
        "6 months.", "Sign the user in to the GitHub App again to get a new token pair.", _REFRESH,
        "Revoke it with `leakwarden revoke`.", "leakwarden-revoke"),
    "github-installation-token": Kind(
        "installation-token", "Acts as a GitHub App installation: the app's permissions on the repositories "
        "it is installed on (Actions' GITHUB_TOKEN is one).",
        "Expires within hours (1 hour; an Actions GITHUB_TOKEN at the end of the job).",
        "Nothing to create by hand: whatever minted it mints a new one; if it was stored, make the app "
        "request a fresh token at run time instead.",
        "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app",
        "Call `DELETE /installation/token` authenticated with the leaked token itself "
        "(`curl -X DELETE -H \"Authorization: Bearer $TOKEN\" https://api.github.com/installation/token`); "
        "the revocation API does not accept `ghs_` tokens. If it has already expired, nothing to do.", "api"),
    "github-app-private-key": Kind(
        "github-app-private-key", "Signs JWTs as the GitHub App, which can then mint installation tokens for "
        "every installation of the app.", "Never expires; it stays valid until deleted.",
        "Generate a new private key in the GitHub App's settings (Settings > Developer settings > GitHub "
        "Apps > the app > Private keys) and deploy it.", _GITHUB_APP_KEYS,
        "Delete the leaked key in the GitHub App's settings (match it by its SHA-256 fingerprint).", "settings"),
    "github-oauth-client-secret": Kind(
        "oauth-client-secret", "With the client id, lets anyone act as the OAuth app when exchanging codes "
        "for user tokens.", "Never expires.", "Generate a new client secret in the OAuth app's settings.",
        _OAUTH_APPS, "Delete the old client secret in the OAuth app's settings.", "settings"),
}
KINDS["github-installation-token-stateless"] = KINDS["github-installation-token"]

_PRIVATE_KEY = Kind(
    "private-key", "Whatever trusts its public half: servers with it in authorized_keys, GitHub accounts "
    "(SSH or signing keys), deploy keys, TLS certificates, CAs, signing setups.",
    "Never expires by itself (a certificate for it may).",
    "Generate a new key pair and install the new public key wherever the old one is trusted.",
    "https://github.com/settings/keys",
    "Remove the old public key wherever it is trusted: GitHub SSH/signing keys and deploy keys, "
    "authorized_keys files, certificates (revoke them), key servers (publish a revocation for PGP).",
    "settings")


def kind_for(rule_id: str, rule=None) -> Kind:
    """The credential kind of a finding; other providers are described by their rule."""
    if rule_id in KINDS:
        return KINDS[rule_id]
    if rule_id.startswith("private-key-"):
        return _PRIVATE_KEY
    description = rule.description if rule is not None else "A credential found by rule " + rule_id + "."
    url = rule.url if rule is not None else ""
    remediation = rule.remediation if rule is not None else "Rotate it with its issuer."
    return Kind("provider", description, "Depends on the issuer.",
                f"Create a new credential with its issuer. {remediation}", url,
                f"Revoke or delete the old one as its issuer documents{': ' + url if url else ''}.", "provider")
