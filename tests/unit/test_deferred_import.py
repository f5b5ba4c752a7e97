"""Modules great-expectations imports but the suite never uses are imported at first use
(``validate.defer_import``): nothing runs before, everything works after."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsflow.validate import DeferredModule, defer_import

PKG = "nfdeferpkg"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A package with a heavy submodule and a heavy top-level module, each recording its runs
    in ``nfdeferpkg.RUNS``; the heavy submodule reaches itself through a stand-in while it runs."""
    pkg = tmp_path / PKG
    pkg.mkdir()
    (pkg / "__init__.py").write_text("RUNS = []\nHOLDER = {}\n")
    (pkg / "heavy.py").write_text(
        "import nfdeferpkg\n"
        "nfdeferpkg.RUNS.append('heavy')\n"
        "VALUE = 42\n"
        "# a module of the package that got the stand-in earlier uses it while this one runs\n"
        "SEEN = nfdeferpkg.HOLDER['heavy'].VALUE if 'heavy' in nfdeferpkg.HOLDER else None\n"
    )
    (tmp_path / "nfdefertop.py").write_text(
        "import nfdeferpkg\nnfdeferpkg.RUNS.append('top')\nNAME = 'top'\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith(("nfdeferpkg", "nfdefertop"))]:
            del sys.modules[name]


def test_a_deferred_submodule_runs_at_its_first_attribute(package: Path) -> None:
    pkg = importlib.import_module(PKG)
    defer_import(f"{PKG}.heavy")
    from nfdeferpkg import heavy  # what great-expectations does: `from scipy import stats`

    assert isinstance(heavy, DeferredModule)
    assert pkg.RUNS == []
    assert heavy.VALUE == 42
    assert pkg.RUNS == ["heavy"]
    real = sys.modules[f"{PKG}.heavy"]
    assert not isinstance(real, DeferredModule) and pkg.heavy is real
    assert heavy.VALUE == 42 and pkg.RUNS == ["heavy"]  # once


def test_an_import_statement_does_not_run_a_deferred_module(package: Path) -> None:
    pkg = importlib.import_module(PKG)
    defer_import("nfdefertop")
    import nfdefertop  # what great-expectations does: `import altair as alt`

    assert isinstance(nfdefertop, DeferredModule) and pkg.RUNS == []
    assert nfdefertop.NAME == "top" and pkg.RUNS == ["top"]


def test_a_module_reaching_its_stand_in_while_it_runs_does_not_deadlock(package: Path) -> None:
    pkg = importlib.import_module(PKG)
    defer_import(f"{PKG}.heavy")
    pkg.HOLDER["heavy"] = sys.modules[f"{PKG}.heavy"]
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(pkg.HOLDER["heavy"].SEEN), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert seen == [42]


def test_imported_or_missing_modules_are_left_alone(package: Path) -> None:
    pkg = importlib.import_module(PKG)
    defer_import(PKG)
    assert sys.modules[PKG] is pkg
    defer_import("nfdefer_not_installed")
    defer_import(f"{PKG}.not_there")
    assert "nfdefer_not_installed" not in sys.modules
    assert f"{PKG}.not_there" not in sys.modules
