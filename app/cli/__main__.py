"""``python -m app.cli``: the ``ris3`` command line."""
from . import main

main()
