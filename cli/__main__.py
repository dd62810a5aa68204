"""``python -m cli`` runs the ``tinyemu`` command."""

from cli.app import main

main()
