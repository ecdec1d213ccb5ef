"""``leakwarden org-audit``: many repositories audited on a Dask cluster.

Needs the ``org`` extra (dask[distributed] and GitPython). Nothing here is imported by the
other commands: the commit hook must not pay for Dask's or GitPython's import.

- ``repos``: what a repository argument names, and getting it onto a worker (GitPython).
- ``wire``: findings as they cross to and from workers and the result cache: redacted.
- ``tasks``: the functions workers run (prepare a repository, scan one commit range).
- ``merge``: commit ranges back into one repository's result; repositories into one report.
- ``results``: the result cache, keyed by each repository's ref tips and the rules' hash.
- ``client``: the cluster, the futures and the progress bar.
"""
