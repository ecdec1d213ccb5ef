"""One module per command. Each defines ``register(subparsers)``; heavy imports wait for ``run``."""
