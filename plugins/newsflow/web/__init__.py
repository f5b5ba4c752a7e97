"""The News view: a read-only web view of the news database, served inside Airflow.

Airflow's API server mounts :func:`newsflow.web.app.create_app` (registered by the plugin
module ``plugins/newsflow_web_plugin.py``) under ``/newsflow`` and shows it in its navigation
as "News". It lives in the library, not in the plugin module, so that the integration tests
run it against any database without an Airflow server.
"""
