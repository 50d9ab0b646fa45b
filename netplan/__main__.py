"""``python -m netplan`` runs the command-line tool."""

from netplan.cli import main

if __name__ == "__main__":
    main()
