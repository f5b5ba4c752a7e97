"""Development and operations tooling around newsflow: ``make run`` (the demo), ``make up``
(a local Airflow), ``make bench`` and ``make eval``.

Kept outside ``plugins/`` on purpose: Airflow imports every module of its plugins folder in
every process, and none of this is needed to run a task.
"""
