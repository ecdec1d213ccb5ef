"""What each kind of credential grants, and where to replace and revoke it.

The facts are rule data: a rule's ``credential`` table (see patterns/README.md), written from
GitHub's documentation for GitHub's tokens and keys (docs/remediation.md lists the sources).
Rules without one (other providers, generic secrets, user rules) are described by the rule's
own description, remediation and url.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.records import record

if TYPE_CHECKING:
    from scanner.rules.model import Rule

# The one way leakwarden revokes: written once, for every kind whose revoke_method names it.
LEAKWARDEN_REVOKE = ("Revoke it with `leakwarden revoke --history --yes` (without `--yes` it only lists what it "
                     "would do; paths or `--report FILE` work in place of `--history`).")


@record(frozen=True)
class Kind:
    key: str            # stable name for tools: pat-classic, installation-token, private-key, provider...
    grants: str         # what it can do, in general terms
    lifetime: str
    new: str            # where and how to make the replacement
    new_url: str
    revoke: str         # how to kill the old one
    revoke_method: str  # leakwarden-revoke | api | settings | provider


def kind_for(rule_id: str, rule: Rule | None = None) -> Kind:
    """The credential kind of a finding, from its rule's ``credential`` table or, without one,
    from the rule itself."""
    cred = rule.credential if rule is not None else {}
    description = rule.description if rule is not None else f"A credential found by rule {rule_id}."
    url = rule.url if rule is not None else ""
    remediation = rule.remediation if rule is not None else "Rotate it with its issuer."
    method = cred.get("revoke_method", "provider")
    new_url = cred.get("new_url", url)
    revoke = cred.get("revoke", "")
    if method == "leakwarden-revoke":
        revoke = f"{LEAKWARDEN_REVOKE} {revoke}".strip()
    return Kind(cred.get("kind", "provider"), cred.get("grants", description),
                cred.get("lifetime", "Depends on the issuer."),
                # The rule's remediation is a whole sequence ("delete the key, create a new one"):
                # it belongs after the replacement, in the revoke step, never in step 1.
                cred.get("new", f"Create a new credential with its issuer{': ' + new_url if new_url else ''}, "
                                "keeping the old one working until step 3."), new_url,
                revoke or f"Once nothing uses the old one, revoke or delete it as its issuer documents"
                          f"{': ' + url if url else ''}. The rule's advice: {remediation}", method)
