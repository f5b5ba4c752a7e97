"""Rules of the code base that a reviewer would otherwise have to remember.

* Every SQL statement lives in ``sql/`` (``grep sql/`` finds every read and write of a
  table): no string literal, f-string or concatenation reaches ``execute()``, ``copy()`` or
  ``executemany()`` outside the db module, in the runtime package and the tools (the benches
  included), not even wrapped in ``psycopg.sql.SQL(...)``: a statement that must name an object
  composes the text of a query file with ``sql.Identifier`` (``bench.env.with_identifiers``).
* No module of the runtime package is much over 600 lines.
* No section banners (``# ------``): module boundaries instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "plugins" / "newsflow"
CHECKED = [
    p
    for root in (PACKAGE, REPO / "tools" / "newsflow_tools")
    for p in sorted(root.rglob("*.py"))
    if (p.name != "db.py" or p.parent != PACKAGE)
]
SQL_CALLS = {"execute", "executemany", "copy"}


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) or _is_literal(node.right)
    if isinstance(node, ast.Call) and _called(node) == "SQL":
        return bool(node.args) and _is_literal(node.args[0])
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "format"
        and _is_literal(
            node.func.value  # type: ignore[attr-defined]
        )
    )


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _literal_sql_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and node.args
            and _is_literal(node.args[0])
        ):
            found.append(f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(REPO)))
def test_no_sql_literal_reaches_execute(path: Path) -> None:
    assert _literal_sql_calls(path) == [], "SQL belongs in sql/queries/<owner>/<name>.sql"


def test_the_rule_catches_what_it_should(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(conn, t, q):\n"
        "    conn.execute('SELECT 1')\n"
        "    conn.execute(f'SELECT * FROM {t}')\n"
        "    conn.cursor().copy('COPY x FROM STDIN')\n"
        "    conn.execute('SELECT ' + t)\n"
        "    conn.execute(q)\n"  # a variable: loaded from sql/ (db.sql)
        "    conn.execute(sql.SQL('DROP DATABASE {}').format(sql.Identifier(t)))\n"
        "    conn.execute(SQL('ANALYZE ' + t))\n"
        "    conn.execute(sql.SQL(db.sql('bench/x')).format(name=sql.Identifier(t)))\n"
    )
    assert [line.rsplit(":", 1)[1] for line in _literal_sql_calls(bad)] == [
        "2",
        "3",
        "4",
        "5",
        "7",
        "8",
    ]


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_runtime_modules_stay_small_and_without_banners(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 650, f"{path.name}: split it along its responsibilities"
    assert "# -----" not in text and "# =====" not in text, "a module boundary, not a banner"
