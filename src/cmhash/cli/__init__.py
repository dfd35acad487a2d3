"""The ``cmhash`` command: a thin layer over library calls (see :mod:`cmhash.cli.main`)."""
