"""Entry point for ``python -m compiler``."""

from compiler.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module
    raise SystemExit(main())
