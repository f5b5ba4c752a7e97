"""The grouping step of a neighbourhood re-clustering (:class:`.clusterer.EventClusterer`):
average-link agglomeration with the cohesion and facts rules, then a second look at small
fragments. Pure functions of a pairwise similarity matrix."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def attach_small_groups(
    groups: list[list[int]], sim: NDArray[np.float64], max_size: int, threshold: float
) -> list[list[int]]:
    """Merge each group of at most ``max_size`` members (smallest first; ties: first index)
    into the group with the highest average-link similarity, when it reaches ``threshold``.
    A fragment split off on thin evidence rejoins its event; two large look-alike events are
    never merged by this step."""
    groups = [list(g) for g in groups]
    while True:
        small = sorted(
            (g for g in range(len(groups)) if len(groups[g]) <= max_size),
            key=lambda g: (len(groups[g]), groups[g][0]),
        )
        for g in small:
            best, best_sim = -1, threshold
            for h in range(len(groups)):
                if h == g:
                    continue
                s = float(sim[np.ix_(groups[g], groups[h])].mean())
                tie = s == best_sim and (best < 0 or groups[h][0] < groups[best][0])
                if s > best_sim or tie:
                    best, best_sim = h, s
            if best >= 0:
                groups[best] = sorted(groups[best] + groups[g])
                del groups[g]
                break
        else:
            return sorted(groups, key=lambda g: g[0])


def cohesive_average_link(
    sim: NDArray[np.float64],
    threshold: float,
    ratio: float,
    min_size: int,
    facts_cos: NDArray[np.float64] | None = None,
    facts_min: float = 0.0,
) -> list[list[int]]:
    """Average-link agglomerative clustering cut at ``threshold``, where two groups of at
    least ``min_size`` members each may merge only if their link is at least ``ratio`` times
    the cohesion of the tighter group and, given ``facts_cos`` (the pairs' cosines of the facts
    channel alone), the cosine of their facts centroids is at least ``facts_min`` (when both
    state facts). Merges the best allowed pair first (ties: lowest indices); groups of indices,
    each sorted, in order of their first index."""
    n = sim.shape[0]
    link = sim.astype(float).copy()  # average link between live groups; -inf elsewhere
    np.fill_diagonal(link, -np.inf)
    cand = link.copy()  # link, with the pairs the cohesion rule refused set to -inf
    size = np.ones(n)
    inner = np.zeros(n)  # sum of similarities over the pairs inside each group
    members: list[list[int]] = [[i] for i in range(n)]
    # dot products of the groups' facts centroids (sums of their members' unit facts vectors)
    fdot = facts_cos.copy() if facts_cos is not None and facts_min > 0 else None
    while True:
        flat = int(np.argmax(cand))
        i, j = divmod(flat, n)
        if cand[i, j] < threshold:
            break
        i, j = min(i, j), max(i, j)
        if size[i] >= min_size and size[j] >= min_size:
            cohesion = min(
                inner[i] / (size[i] * (size[i] - 1) / 2), inner[j] / (size[j] * (size[j] - 1) / 2)
            )
            if link[i, j] < ratio * cohesion:
                cand[i, j] = cand[j, i] = -np.inf  # until one of them changes
                continue
            # a group without facts has a zero centroid: nothing to contradict
            if fdot is not None and fdot[i, j] < facts_min * math.sqrt(fdot[i, i] * fdot[j, j]):
                cand[i, j] = cand[j, i] = -np.inf
                continue
        inner[i] += inner[j] + link[i, j] * size[i] * size[j]
        row = (link[i, :] * size[i] + link[j, :] * size[j]) / (size[i] + size[j])
        link[i, :] = link[:, i] = row
        link[j, :] = link[:, j] = -np.inf
        link[i, i] = -np.inf
        cand[i, :] = cand[:, i] = link[i, :]
        cand[j, :] = cand[:, j] = -np.inf
        size[i] += size[j]
        members[i] = sorted(members[i] + members[j])
        members[j] = []
        if fdot is not None:  # the merged centroid is the sum of the two
            row_f = fdot[i, :] + fdot[j, :]
            row_f[i] += row_f[j]  # |c_i + c_j|^2 = c_i.c_i + 2 c_i.c_j + c_j.c_j
            fdot[i, :] = fdot[:, i] = row_f  # (j's row is dead, as in link)
    return sorted((m for m in members if m), key=lambda g: g[0])
