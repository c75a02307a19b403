"""Small integer flow toolkit for paper assembly: lower-bounded circulations solved with Dinic's
max-flow, or with successive shortest paths when edges carry a cost.

Pure Python, no I/O. A `Network` is a fixed topology; solvers work on a *copy* of its capacity list,
so one network can be reused for many capacity settings (edge e and e ^ 1 are a forward/reverse pair).
"""
from __future__ import annotations

from collections import deque

INF = 1 << 40


class Network:
    """Directed graph whose edges carry [lo, hi] bounds and a cost, prepared as a circulation problem.

    Lower bounds are removed the standard way: each edge keeps capacity hi - lo, and a super source
    `ss` / super sink `tt` carry the imbalance. A feasible circulation exists exactly when the max flow
    from ss to tt equals `need` (after `close()`).
    """

    def __init__(self, n_nodes: int):
        """Create an empty network on nodes 0..n_nodes-1 (ss and tt are added after them)."""
        self.ss, self.tt = n_nodes, n_nodes + 1
        self.adj: list[list[int]] = [[] for _ in range(n_nodes + 2)]
        self.to: list[int] = []
        self.cap: list[int] = []
        self.cost: list[int] = []
        self.lo: list[int] = []
        self.need = 0
        self._excess = [0] * n_nodes

    def add(self, u: int, v: int, lo: int, hi: int, cost: int = 0) -> int:
        """Add edge u -> v with bounds [lo, hi] and unit cost; returns its edge id (for flow())."""
        e = len(self.to)
        self.to += (v, u)
        self.cap += (hi - lo, 0)
        self.cost += (cost, -cost)
        self.lo += (lo, 0)
        self.adj[u].append(e)
        self.adj[v].append(e + 1)
        self._excess[v] += lo
        self._excess[u] -= lo
        return e

    def close(self) -> None:
        """Add the super source/sink edges that stand for the lower bounds; call once, after add()."""
        for v, b in enumerate(self._excess):
            if b > 0:
                self.add_raw(self.ss, v, b)
                self.need += b
            elif b < 0:
                self.add_raw(v, self.tt, -b)

    def add_raw(self, u: int, v: int, cap: int) -> None:
        """Add a plain edge (no lower bound, no cost) without touching the imbalance bookkeeping."""
        e = len(self.to)
        self.to += (v, u)
        self.cap += (cap, 0)
        self.cost += (0, 0)
        self.lo += (0, 0)
        self.adj[u].append(e)
        self.adj[v].append(e + 1)

    def flow(self, cap: list[int], e: int) -> int:
        """Flow on edge e in a solved capacity list `cap` (lower bound plus what was pushed)."""
        return self.lo[e] + cap[e ^ 1]

    def reachable(self, cap: list[int]) -> set[int]:
        """Nodes reachable from ss through edges with residual capacity in `cap` (the min-cut side)."""
        seen, queue = {self.ss}, [self.ss]
        for u in queue:
            for e in self.adj[u]:
                v = self.to[e]
                if cap[e] > 0 and v not in seen:
                    seen.add(v)
                    queue.append(v)
        return seen


def circulate(net: Network, cap: list[int]) -> bool:
    """Solve the circulation in place on `cap` with Dinic; returns True when every bound can be met."""
    return max_flow(net.adj, net.to, cap, net.ss, net.tt, net.need) == net.need


def circulate_min_cost(net: Network, cap: list[int]) -> bool:
    """Solve the circulation in place on `cap` at least total cost; returns True when feasible."""
    flow, _ = min_cost_flow(net.adj, net.to, cap, net.cost, net.ss, net.tt)
    return flow == net.need


def max_flow(adj: list[list[int]], to: list[int], cap: list[int], s: int, t: int, limit: int = INF) -> int:
    """Dinic's algorithm: push up to `limit` units from s to t, updating `cap`; returns the flow value."""
    total = 0
    while total < limit:
        level = _levels(adj, to, cap, s)
        if level[t] < 0:
            break
        pushed = _push(s, t, limit - total, adj, to, cap, level, [0] * len(adj))
        if not pushed:
            break
        total += pushed
    return total


def _levels(adj: list[list[int]], to: list[int], cap: list[int], s: int) -> list[int]:
    """BFS distances from s over residual edges (-1 = unreachable)."""
    level = [-1] * len(adj)
    level[s] = 0
    queue = [s]
    for u in queue:
        nxt = level[u] + 1
        for e in adj[u]:
            v = to[e]
            if cap[e] > 0 and level[v] < 0:
                level[v] = nxt
                queue.append(v)
    return level


def _push(u: int, t: int, f: int, adj, to, cap, level, it) -> int:
    """Blocking-flow DFS: push up to f units from u towards t along the level graph; returns pushed."""
    if u == t:
        return f
    pushed, lst, nxt = 0, adj[u], level[u] + 1
    i = it[u]
    while i < len(lst):
        e = lst[i]
        v = to[e]
        if cap[e] > 0 and level[v] == nxt:
            d = _push(v, t, min(f - pushed, cap[e]), adj, to, cap, level, it)
            if d:
                cap[e] -= d
                cap[e ^ 1] += d
                pushed += d
                if pushed == f:
                    it[u] = i
                    return pushed
        i += 1
    it[u] = i
    return pushed


def min_cost_flow(adj, to, cap, cost, s: int, t: int) -> tuple[int, int]:
    """Successive shortest paths (SPFA) from s to t on `cap`; returns (max flow, its least cost).

    Costs may be negative only on reverse edges (initial residual graph has no negative cycle)."""
    flow = total = 0
    while True:
        dist, prev = _shortest(adj, to, cap, cost, s)
        if dist[t] >= INF:
            return flow, total
        d, v = INF, t
        while v != s:
            e = prev[v]
            d = min(d, cap[e])
            v = to[e ^ 1]
        v = t
        while v != s:
            e = prev[v]
            cap[e] -= d
            cap[e ^ 1] += d
            v = to[e ^ 1]
        flow += d
        total += d * dist[t]


def _shortest(adj, to, cap, cost, s: int) -> tuple[list[int], list[int]]:
    """Bellman-Ford (queue based) distances and predecessor edges from s over residual edges."""
    n = len(adj)
    dist, prev, queued = [INF] * n, [-1] * n, [False] * n
    dist[s] = 0
    queue = deque([s])
    while queue:
        u = queue.popleft()
        queued[u] = False
        for e in adj[u]:
            v = to[e]
            if cap[e] > 0 and dist[u] + cost[e] < dist[v]:
                dist[v] = dist[u] + cost[e]
                prev[v] = e
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
    return dist, prev
