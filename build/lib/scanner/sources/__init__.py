"""Sources produce bytes to scan: files, stdin, the staged diff, commit ranges, all of history."""
