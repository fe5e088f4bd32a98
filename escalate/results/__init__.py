"""Results on disk: the column schema, Parquet parts and manifest, reading, locking, repair.

:mod:`~escalate.results.schema` (the one column schema),
:mod:`~escalate.results.arrow` (kernel output to Arrow tables),
:mod:`~escalate.results.store` (layout, checksummed atomic writes, the manifest),
:mod:`~escalate.results.read` (:func:`~escalate.results.read.read_results`),
:mod:`~escalate.results.lock` (one job per directory),
:mod:`~escalate.results.variants` (a sweep's table of variants),
:mod:`~escalate.results.repair` and :mod:`~escalate.results.errors`.
"""
