"""Rules as data: loading rule packs, expanding their example templates, checking examples."""
