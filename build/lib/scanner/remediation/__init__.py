"""Remediation plans for leaked credentials: rotate, replace, revoke, then (maybe) rewrite history."""
