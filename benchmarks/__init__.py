"""Scripts that measure cmhash's speed and quality and print (or write) their tables.

Run them as modules from the repository root, with cmhash installed (``bash scripts/setup.sh``)
or ``PYTHONPATH=src``; every script takes ``--help``:

    python -m benchmarks.speed.eval_speed --repeats 1
    python -m benchmarks.results.results_table --records-only
    python -m benchmarks.studies.mith_ablation --variants defaults

- ``speed/``: how fast — evaluation, search, training, encoding, imports, threads.
- ``results/``: the results tables of docs/results.md, from the runs recorded in ``records/``.
- ``studies/``: why a method does what it does — ablations, validation grids, code statistics.

Scripts that read the named datasets take ``--data-root`` (default: ``$CMHASH_DATA_ROOT``, as
the ``cmhash`` command).  They use only cmhash's public API; the validation protocol of
`cmhash run` is :mod:`cmhash.validation_protocol` and MITH's hash parts are
:mod:`cmhash.methods.mith_diagnostics`.  ``records/`` holds the committed run records.
"""
