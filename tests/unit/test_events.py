"""Online event clustering: features, state round-trip, determinism, seeds."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from newsflow_tools.evaluation import data

from newsflow import events as ev


def _seeds() -> list[tuple[str, str]]:
    seeds = data.load_seeds()
    assert len(seeds) == 5, "the 5 seed files are in tests/fixtures/seeds"
    return seeds


def _cluster_seeds(params: ev.ClusterParams | None = None):
    store = ev.InMemoryEventStore()
    cl = ev.EventClusterer(store, params)
    t0 = datetime(2024, 12, 7, 8, tzinfo=UTC)
    out = []
    for i, (name, text) in enumerate(_seeds()):
        f = ev.featurize(None, text, t0 + timedelta(hours=3 * i))
        out.append(cl.assign(i + 1, f, source=name))
    return store, cl, out


def test_featurize_extracts_names_places_facts():
    f = ev.featurize(
        "Magnitude 6.1 earthquake hits Sumatra",
        "A magnitude 6.1 earthquake struck Sumatra in Indonesia on May 3, 2013, killing 23 people."
        "\nPresident Susilo Bambang Yudhoyono visited Padang.",
        None,
    )
    assert "Indonesia" in f.places
    assert "susilo bambang yudhoyono" in f.names
    assert "year:2013" in f.facts and "date:5-3" in f.facts
    assert any(k.startswith("6.1") for k in f.facts)
    assert "earthquake" in f.terms


def test_seeds_form_one_event():
    store, _, assignments = _cluster_seeds()
    assert len({a.event_id for a in assignments}) == 1
    (state,) = store.all_states()
    assert state.article_count == 5 and len(state.sources) == 5
    assert assignments[0].created and not any(a.created for a in assignments[1:])


def test_event_descriptions():
    store, cl, _ = _cluster_seeds()
    (state,) = store.all_states()
    headline = ev.representative_headline(state, cl.docfreq)
    assert headline in {m["title"] for m in state.members}
    assert ev.event_summary(state, cl.docfreq)
    kw = ev.event_keywords(state, cl.docfreq)
    assert kw and all(isinstance(k, str) for k in kw)
    places = ev.event_places(state)
    assert "Syria" in places or "Damascus" in places


def test_event_state_json_round_trip():
    store, _, _ = _cluster_seeds()
    (state,) = store.all_states()
    again = ev.EventState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    assert again.first_time is not None and again.first_time.tzinfo is not None


def test_docfreq_round_trip():
    df = ev.DocFreq()
    df.update(["t:a", "t:b", "t:a"])
    df.update(["t:a"])
    assert df["t:a"] == 2 and df.n_docs == 2 and df.dirty == {"t:a", "t:b"}
    back = ev.DocFreq.from_dict(json.loads(json.dumps(df.to_dict())))
    assert back.idf("t:b") == df.idf("t:b") > df.idf("t:a")


def test_assignments_are_deterministic():
    first = [(a.event_id, a.similarity, a.created) for a in _cluster_seeds()[2]]
    second = [(a.event_id, a.similarity, a.created) for a in _cluster_seeds()[2]]
    assert first == second


def test_distinct_events_stay_apart_and_time_decay():
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    a = cl.assign(1, ev.featurize("Tara Reid enters rehab", "Actress Tara Reid checked into "
                                  "Promises Treatment Center in Malibu, her rep said.", t0))  # fmt: skip
    b = cl.assign(2, ev.featurize("Lindsay Lohan checks into Betty Ford", "Lindsay Lohan "
                                  "checked into the Betty Ford Center in Rancho Mirage on May 3, 2013.",
                                  t0 + timedelta(hours=1)))  # fmt: skip
    assert a.created and b.created and a.event_id != b.event_id


def test_candidates_come_from_the_index():
    store = ev.InMemoryEventStore()
    cl = ev.EventClusterer(store)
    f = ev.featurize("Quake hits Chile", "A strong earthquake hit Santiago, Chile.", None)
    cl.assign(1, f)
    keys = cl.index_keys(f)
    assert store.candidates(keys) == {1: len(set(keys))}
    assert store.candidates(["e:unrelated"]) == {}


def _near_copy_pair(gap: timedelta) -> list[ev.ArticleFeatures]:
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    text = "Flooding closed the Harlow bridge on Tuesday; 40 homes in Ashby were evacuated."
    return [
        ev.featurize("Floods close Harlow bridge", text, t0),
        ev.featurize("Harlow bridge closed by floods", text + " Crews worked overnight.", t0 + gap),
    ]


def test_pair_similarity_decays_with_the_time_gap_down_to_the_floor():
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    for f in _near_copy_pair(timedelta(0)):
        cl.docfreq.update(f.keys())
    same_day = cl.pair_similarities(_near_copy_pair(timedelta(hours=1)))[0, 1]
    three_days = cl.pair_similarities(_near_copy_pair(timedelta(hours=72)))[0, 1]
    a_month = cl.pair_similarities(_near_copy_pair(timedelta(days=30)))[0, 1]
    assert same_day > 0.5
    assert three_days == pytest.approx(same_day * 0.5 / 0.5 ** (1 / 72), rel=1e-6)
    assert a_month == pytest.approx(three_days, rel=1e-6)  # 0.5 ** 10 is below the floor 0.5
    no_decay = ev.EventClusterer(ev.InMemoryEventStore(), ev.ClusterParams(half_life_hours=None))
    no_decay.docfreq = cl.docfreq
    assert no_decay.pair_similarities(_near_copy_pair(timedelta(days=30)))[0, 1] > a_month


def test_year_conflict_lowers_pair_similarity():
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    base = "A magnitude 6.1 earthquake struck Sumatra, killing 23 people, officials said."
    f08 = ev.featurize("Quake hits Sumatra", base + " It was the strongest since 2008.", None)
    f08b = ev.featurize("Sumatra quake", base + " The quake of 2008 was stronger.", None)
    f13 = ev.featurize("Quake hits Sumatra", base + " It was the strongest since 2013.", None)
    for f in (f08, f08b, f13):
        cl.docfreq.update(f.keys())
    sim = cl.pair_similarities([f08, f08b, f13])
    assert sim[0, 2] < sim[0, 1]


def test_features_json_round_trip():
    f = ev.featurize("Quake hits Chile", "A strong earthquake hit Santiago, Chile, on May 3, 2013.",
                     datetime(2013, 5, 3, 12, tzinfo=UTC))  # fmt: skip
    back = ev.ArticleFeatures.from_json(json.loads(json.dumps(f.to_json())))
    assert back.places == f.places and back.published_at == f.published_at
    assert back.names.keys() == f.names.keys() and back.facts.keys() == f.facts.keys()


@pytest.mark.skipif(not data.ecbplus_available(), reason=data.skip_reason("ecbplus"))
def test_arrivals_move_earlier_articles_and_keep_the_store_consistent():
    """ECB+ dev topics 5 and 35 (two look-alike events each) in a shuffled order: later
    arrivals move earlier articles; memberships, states and retired events stay consistent.
    (Clustering quality is measured on the whole split by ``make eval``.)"""
    docs = data.load_split("dev", {5, 35})
    order = list(range(len(docs)))
    import random

    random.Random(33).shuffle(order)
    store = ev.InMemoryEventStore()
    cl = ev.EventClusterer(store)
    moves, retired, created = 0, set(), 0
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    for i in order:
        a = cl.assign(i, ev.featurize(docs[i].title, docs[i].text, t0))
        moves += len(a.moves)
        retired.update(a.retired)
        created += a.events_created
        for m in a.moves:
            assert store.event_of(m.article_id) == m.to_event != m.from_event
    assert moves > 0
    live = {s.event_id: s for s in store.all_states()}
    members: dict[int, list[int]] = {}
    for aid, (eid, sim) in store.memberships.items():
        members.setdefault(eid, []).append(aid)
        assert 0.0 <= sim <= 1.0
    assert set(members) == set(live)  # every live event has members, no member in a retired one
    for eid, ms in members.items():
        assert live[eid].article_count == len(ms)
    assert retired == set(store.merged_into)
    # every event started is counted, also one a group of earlier members split off into
    assert created == len(live) + len(retired)
    for dest in store.merged_into.values():
        assert dest is None or dest in live or dest in store.merged_into


def test_headline_is_a_real_title_when_one_exists():
    """Derived titles (first sentences) head an event only when no member has a real one, even
    when a derived one is closer to the centroid."""
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    text = ("Flooding closed the Harlow bridge on Tuesday and 40 homes in Ashby were evacuated, "
            "the Harlow council said. Crews worked overnight on the bridge.")  # fmt: skip
    for i in range(3):
        f = ev.featurize(None, f"{text} Update {i}.", t0 + timedelta(hours=i))
        assert f.title_derived
        cl.assign(i + 1, f)
    real = ev.featurize("Storm damage reported", text, t0 + timedelta(hours=4))
    assert not real.title_derived
    cl.assign(9, real)
    (state,) = cl.store.all_states()
    assert state.article_count == 4
    assert ev.representative_headline(state, cl.docfreq) == "Storm damage reported"
    assert ev.event_summary(state, cl.docfreq) == real.lead


def test_a_real_title_after_the_members_kept_still_heads_the_event():
    """The state keeps the titles of max_members_kept members: the 51st, the only one with
    a real title, was never looked at and a derived first sentence stayed the headline."""
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    text = ("Flooding closed the Harlow bridge on Tuesday and 40 homes in Ashby were evacuated, "
            "the Harlow council said. Crews worked overnight on the bridge.")  # fmt: skip
    kept = cl.params.max_members_kept
    members = [
        ev.Member(i, ev.featurize(None, f"{text} Update {i}.", t0 + timedelta(hours=i)), None)
        for i in range(kept + 1)
    ]
    members.append(
        ev.Member(99, ev.featurize("Storm damage reported", text, t0 + timedelta(days=3)), None)
    )
    state = cl.build_state(1, members)
    assert len(state.members) == kept and state.article_count == kept + 2
    assert ev.representative_headline(state, cl.docfreq) == "Storm damage reported"


def test_placement_evidence_names_the_shared_people_places_and_dates():
    store = ev.InMemoryEventStore()
    cl = ev.EventClusterer(store)
    t0 = datetime(2013, 5, 3, tzinfo=UTC)
    a = ev.featurize("Magnitude 6.1 earthquake hits Sumatra", "A magnitude 6.1 earthquake struck "
                     "Sumatra in Indonesia on May 3, 2013. President Susilo Bambang Yudhoyono "
                     "visited Padang.", t0)  # fmt: skip
    b = ev.featurize("Yudhoyono visits quake zone", "President Susilo Bambang Yudhoyono flew to "
                     "Padang after the magnitude 6.1 earthquake of May 3 in Sumatra, Indonesia.",
                     t0 + timedelta(hours=2))  # fmt: skip
    first, second = cl.assign(1, a), cl.assign(2, b)
    assert second.event_id == first.event_id
    why = store.evidence[2]
    assert "Indonesia" in why["places"] and "yudhoyono" in why["names"]
    assert "May 3" in why["dates"] and any(n.startswith("6.1") for n in why["numbers"])
    assert store.evidence[1] == {}
    reasons = [p.reason for _, _, _, p in store.history]
    assert reasons[0].startswith("first article of a new event")
    assert reasons[1].startswith("closest event: average similarity")


def test_person_names_are_not_taken_for_cities():
    f = ev.featurize(
        "Michael Jackson's doctor in court",
        "Conrad Murray, the doctor of Michael Jackson, appeared in court in Los Angeles. "
        "Jackson died in 2009. Lawyers for Vincent Chase met in Lens, France.",
    )
    assert "Los Angeles" in f.places and "France" in f.places
    assert "Jackson" not in f.places and "Vincent" not in f.places
    assert "jackson" in f.names and "michael jackson" in f.names


def test_an_article_revives_the_event_it_was_taken_out_of():
    store = ev.InMemoryEventStore()
    cl = ev.EventClusterer(store)
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    (first,) = _near_copy_pair(timedelta(0))[:1]
    a = cl.assign(1, first)
    store.retire(a.event_id, None)  # what taking its only article out does
    del store.memberships[1]
    other = ev.featurize("Election results in Norway", "Voters in Oslo chose a new council.", t0)
    b = cl.assign(2, other)
    assert b.event_id != a.event_id
    again = cl.assign(1, first, previous_event=a.event_id)
    assert again.event_id == a.event_id and again.created
    assert a.event_id not in store.merged_into
    merged = cl.assign(3, other, previous_event=b.event_id)  # b is live: no revival involved
    assert merged.event_id == b.event_id


def test_pair_similarities_are_the_same_on_the_dense_and_the_sparse_path(monkeypatch):
    from newsflow.events import clusterer

    cl = ev.EventClusterer(ev.InMemoryEventStore())
    t0 = datetime(2024, 12, 7, 8, tzinfo=UTC)
    feats = [ev.featurize(None, text, t0 + timedelta(hours=i)) for i, (_, text) in
             enumerate(_seeds())]  # fmt: skip
    for f in feats:
        cl.docfreq.update(f.keys())
    dense = cl.pair_similarities(feats)
    monkeypatch.setattr(clusterer, "DENSE_PAIR_CELLS", 0)
    sparse = cl.pair_similarities(feats)
    assert dense.shape == (5, 5) and 0.1 < dense[0, 1] < 1.0
    assert sparse == pytest.approx(dense, abs=1e-12)


def test_centroid_similarities_match_one_at_a_time():
    """The vectorised article-to-centroid similarities equal the dictionary computation."""
    store, cl, _ = _cluster_seeds()
    extra = ev.featurize("Tara Reid enters rehab", "Actress Tara Reid checked into Promises "
                         "Treatment Center in Malibu in 2008, her rep said.",
                         datetime(2024, 12, 8, tzinfo=UTC))  # fmt: skip
    cl.assign(99, extra)
    states = store.load(sorted(store.states))
    f = ev.featurize(None, _seeds()[2][1], datetime(2024, 12, 7, tzinfo=UTC))
    ordered = [states[e] for e in sorted(states)]
    assert len(ordered) == 2
    assert cl.similarities(f, ordered) == pytest.approx(
        [cl.similarity(f, st) for st in ordered], abs=1e-9
    )


def _two_groups_of_three(within_facts: float, cross_facts: float):
    """Pair similarities of two groups of three (0-2, 3-5) that average-link and the cohesion
    rule would merge (link 0.4 against a cohesion of 0.5), and facts cosines: ``within_facts``
    inside each group, ``cross_facts`` between them, 1 on the diagonal."""
    import numpy as np

    same = np.add.outer(np.arange(6) // 3, np.arange(6) // 3) % 2 == 0
    sim = np.where(same, 0.5, 0.4)
    facts = np.where(same, within_facts, cross_facts)
    np.fill_diagonal(sim, 1.0)
    np.fill_diagonal(facts, 1.0)
    return sim, facts


def test_groups_whose_facts_centroids_differ_stay_apart():
    from newsflow.events.grouping import cohesive_average_link as link

    sim, facts = _two_groups_of_three(0.3, 0.0)
    assert link(sim, 0.18, 0.55, 3) == [[0, 1, 2, 3, 4, 5]]
    assert link(sim, 0.18, 0.55, 3, facts, 0.05) == [[0, 1, 2], [3, 4, 5]]
    # without facts on one side there is nothing to contradict
    facts[3:, :] = facts[:, 3:] = 0.0
    assert link(sim, 0.18, 0.55, 3, facts, 0.05) == [[0, 1, 2, 3, 4, 5]]


def test_the_facts_rule_compares_centroids_built_up_by_merges():
    """Each group's centroid is |c|^2 = 3 + 6 x 0.3 = 4.8 after its merges; cross-group facts
    cosines of 0.0213 sum to 0.192 over 9 pairs: a centroid cosine of exactly 0.04."""
    from newsflow.events.grouping import cohesive_average_link as link

    sim, facts = _two_groups_of_three(0.3, 0.192 / 9)
    assert link(sim, 0.18, 0.55, 3, facts, 0.041) == [[0, 1, 2], [3, 4, 5]]
    assert link(sim, 0.18, 0.55, 3, facts, 0.039) == [[0, 1, 2, 3, 4, 5]]


def test_pair_matrices_give_the_facts_cosines_alone():
    cl = ev.EventClusterer(ev.InMemoryEventStore())
    quake = "A magnitude 6.1 earthquake on May 3 killed 23 people in Sumatra."
    feats = [
        ev.featurize("Sumatra quake", quake, None),
        ev.featurize("Quake in Sumatra", "Officials said " + quake, None),
        ev.featurize("Storm", "A storm hit the coast of Sumatra, officials said.", None),
    ]
    for f in feats:
        cl.docfreq.update(f.keys())
    sim, facts = cl._pair_matrices(feats)
    assert facts[0, 1] == pytest.approx(1.0) and facts[0, 0] == pytest.approx(1.0)
    assert facts[2, 2] == 0.0 and facts[0, 2] == 0.0  # the storm states no facts
    assert (sim == cl.pair_similarities(feats)).all()


def test_place_names_starting_with_new_and_written_abbreviated():
    f = ev.featurize(
        "Climber dies on a mountain",
        "New Zealand police said the climber fell on Mt Cook. A witness from New York saw "
        "the fall from Mount Cook's lower slopes. New rules for climbers start with the new "
        "season in May.",
    )
    assert "New Zealand" in f.places and "New York" in f.places
    assert "York" not in f.places  # the city in England
    assert "new zealand" in f.names and "mount cook" in f.names and "mt cook" not in f.names
    assert "new rules" not in f.names


def test_a_city_name_the_article_writes_in_lower_case_is_not_a_place():
    f = ev.featurize(
        "Strike called",
        "The Union said on Monday that the union would strike. Police said the police were "
        "ready. The strike began in Toronto.",
    )
    assert "Toronto" in f.places
    assert "Union" not in f.places and "Police" not in f.places


def test_what_featurize_gives_is_pinned_to_the_features_version() -> None:
    """Memberships keep the features they were clustered with; only a bumped FEATURES_VERSION
    makes the clustering job re-featurise them (events.store.refeaturize). So any change to
    what featurize() gives (code, word lists, the gazetteer's data) must come with a bump:
    then pin the new digest here beside the new version."""
    seeds = data.load_seeds()
    blob = json.dumps(
        [ev.featurize(text.strip().split("\n", 1)[0], text, None).to_json() for _, text in seeds],
        sort_keys=True,
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    assert (ev.FEATURES_VERSION, digest) == (2, "32c7716507d72098"), (
        "featurize() gives other features than those pinned for this FEATURES_VERSION: bump it "
        "(stored memberships are then re-featurised) and pin the new digest with it"
    )
