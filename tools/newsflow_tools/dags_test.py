"""``airflow dags test`` for several DAGs, one after the other, in one process (``make run``).

Each DAG goes through Airflow's own command (the CLI's ``dags test``, parsed and run as
``airflow`` would), but Airflow's start, the DAG folder's bundle and the task stack's imports
(great-expectations above all) are paid once instead of once per DAG. A DAG run that fails
stops the sequence with Airflow's own error (``DagRun failed``).

Usage: ``python -m newsflow_tools.dags_test [--db-migrate] DAG_ID [DAG_ID ...]`` in Airflow's
environment (:func:`newsflow_tools.airflow_local.build_env`); ``--db-migrate`` runs ``airflow db
migrate`` first, in the same process."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

DONE = "newsflow dags test:"  # the line that reports each DAG, read by newsflow_tools.demo


def main(argv: Sequence[str]) -> None:
    migrate = "--db-migrate" in argv
    dag_ids = [a for a in argv if a != "--db-migrate"]
    if not dag_ids:
        raise SystemExit("usage: python -m newsflow_tools.dags_test [--db-migrate] DAG_ID ...")
    # as airflow's own entry point (airflow.__main__): configuration first, then the CLI
    from airflow import configuration  # noqa: F401
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    write_default_airflow_configuration_if_needed()
    parser = cli_parser.get_parser()
    if migrate:
        started = time.monotonic()
        args = parser.parse_args(["db", "migrate"])
        args.func(args)
        print(f"{DONE} airflow db migrate done in {time.monotonic() - started:.1f}s", flush=True)
    for dag_id in dag_ids:
        started = time.monotonic()
        args = parser.parse_args(["dags", "test", dag_id])
        args.func(args)
        print(f"{DONE} {dag_id} done in {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
