"""The production-path event evaluation (``make eval``) on one small ECB+ topic."""

from __future__ import annotations

import pytest
from newsflow_tools.evaluation import data, events_production

pytestmark = pytest.mark.skipif(not data.ecbplus_available(), reason=data.skip_reason("ecbplus"))


@pytest.mark.slow
def test_production_path_clusters_like_the_harness(db_url: str) -> None:
    docs = data.load_split("dev", {2})
    (result,) = events_production.evaluate_production(docs, lambda _: db_url, seeds=())
    assert 0 < result.n_clustered <= result.n_docs == len(docs)
    lost = result.n_docs - result.n_clustered
    assert lost == result.duplicates + sum(n for _, n in result.quarantined)
    assert result.disagreements == 0
    assert result.b3_production == result.b3_harness_same_docs > 0.5
