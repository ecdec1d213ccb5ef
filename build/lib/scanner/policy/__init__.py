"""Policies decide what a finding means for a run: block, warn, or let it through."""
