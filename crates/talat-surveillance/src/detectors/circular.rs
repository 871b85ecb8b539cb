//! Circular trading: goods going round a small group (A sells to B, B to C, C back to A) so
//! that volume prints while nobody's position changes. The trade graph of each market (seller →
//! buyer) is kept for the window; each new trade looks for a cycle through it. A cycle counts
//! when it went round at least `min_laps` times, it is most of each member's trading, and no
//! member's position changed much.

use super::{bps, pct, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind};
use crate::tape::Fact;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use talat_core::{MarketId, UserId};

/// An account trading with more distinct counterparties than this in the window is a market
/// maker or a busy taker, not a member of a small closed group; the search does not go through
/// it (this also bounds the search).
pub const MAX_COUNTERPARTIES: usize = 32;
/// Trades kept per market for the window.
const PER_MARKET_MAX: usize = 1_000_000;

#[derive(Default)]
struct Graph {
    trades: VecDeque<(u64, UserId, UserId, u64)>,
    /// (seller, buyer) → (trades, quantity).
    edges: BTreeMap<(UserId, UserId), (u32, u128)>,
    out: BTreeMap<UserId, BTreeSet<UserId>>,
    counterparties: BTreeMap<UserId, BTreeMap<UserId, u32>>,
    volume: BTreeMap<UserId, u128>,
}

impl Graph {
    fn add(&mut self, ts_ms: u64, seller: UserId, buyer: UserId, qty: u64) {
        self.trades.push_back((ts_ms, seller, buyer, qty));
        let edge = self.edges.entry((seller, buyer)).or_default();
        edge.0 += 1;
        edge.1 += u128::from(qty);
        self.out.entry(seller).or_default().insert(buyer);
        *self.counterparties.entry(seller).or_default().entry(buyer).or_default() += 1;
        *self.counterparties.entry(buyer).or_default().entry(seller).or_default() += 1;
        *self.volume.entry(seller).or_default() += u128::from(qty);
        *self.volume.entry(buyer).or_default() += u128::from(qty);
    }

    fn expire(&mut self, before_ts_ms: u64) {
        while self.trades.len() > PER_MARKET_MAX || self.trades.front().is_some_and(|t| t.0 < before_ts_ms) {
            let (_, seller, buyer, qty) = self.trades.pop_front().expect("checked non-empty");
            if let Some(edge) = self.edges.get_mut(&(seller, buyer)) {
                edge.0 -= 1;
                edge.1 -= u128::from(qty);
                if edge.0 == 0 {
                    self.edges.remove(&(seller, buyer));
                    if let Some(out) = self.out.get_mut(&seller) {
                        out.remove(&buyer);
                    }
                }
            }
            for (a, b) in [(seller, buyer), (buyer, seller)] {
                if let Some(map) = self.counterparties.get_mut(&a) {
                    if let Some(n) = map.get_mut(&b) {
                        *n -= 1;
                        if *n == 0 {
                            map.remove(&b);
                        }
                    }
                    if map.is_empty() {
                        self.counterparties.remove(&a);
                    }
                }
            }
            for user in [seller, buyer] {
                if let Some(v) = self.volume.get_mut(&user) {
                    *v -= u128::from(qty);
                    if *v == 0 {
                        self.volume.remove(&user);
                    }
                }
            }
        }
    }

    fn small_circle(&self, user: UserId) -> bool {
        self.counterparties.get(&user).is_some_and(|c| c.len() <= MAX_COUNTERPARTIES)
    }

    /// Trades from `seller` to `buyer` in the window.
    fn laps(&self, seller: UserId, buyer: UserId) -> u32 {
        self.edges.get(&(seller, buyer)).map_or(0, |edge| edge.0)
    }

    /// Paths buyer → … → seller of 2 to `max_edges` edges through small-circle accounts, every
    /// edge (the closing one too) carrying at least `min_laps` trades. A cycle with a thinner
    /// edge went round fewer times than `min_laps` and is dropped anyway; not walking such edges
    /// keeps the search to the pairs that trade with each other again and again (under
    /// `talat loadgen`'s random pairs, almost none).
    fn paths_back(&self, from: UserId, to: UserId, max_edges: usize, min_laps: u32) -> Vec<Vec<UserId>> {
        let mut found = Vec::new();
        let mut path = vec![from];
        self.walk(to, max_edges, min_laps, &mut path, &mut found);
        found
    }

    fn walk(&self, to: UserId, max_edges: usize, min_laps: u32, path: &mut Vec<UserId>, found: &mut Vec<Vec<UserId>>) {
        let here = *path.last().expect("the path starts with its origin");
        let Some(next) = self.out.get(&here) else { return };
        if path.len() >= max_edges {
            // No room for another edge: only the closing one counts, and a set holds it at most
            // once. The same finding as the loop below, without visiting every counterparty at
            // the deepest level (the bulk of the search: up to MAX_COUNTERPARTIES^max_edges).
            if path.len() >= 2 && next.contains(&to) && self.laps(here, to) >= min_laps {
                found.push(path.clone());
            }
            return;
        }
        for &n in next {
            if self.laps(here, n) < min_laps {
                continue;
            }
            if n == to && path.len() >= 2 {
                found.push(path.clone());
            } else if n != to && !path.contains(&n) && path.len() < max_edges && self.small_circle(n) {
                path.push(n);
                self.walk(to, max_edges, min_laps, path, found);
                path.pop();
            }
        }
    }
}

#[derive(Default)]
pub struct Circular {
    graphs: BTreeMap<MarketId, Graph>,
    alerted_at: BTreeMap<(MarketId, Vec<UserId>), u64>,
}

impl Detector for Circular {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        let Fact::Trade { market, trade, .. } = fact else { return };
        let config = &ctx.config.circular;
        if trade.buyer == trade.seller {
            return;
        }
        let graph = self.graphs.entry(*market).or_default();
        graph.expire(trade.ts_ms.saturating_sub(config.window_ms));
        graph.add(trade.ts_ms, trade.seller, trade.buyer, trade.qty);
        if !graph.small_circle(trade.seller) || !graph.small_circle(trade.buyer) || graph.laps(trade.seller, trade.buyer) < config.min_laps {
            return;
        }
        // The cycle: seller → buyer → … → seller.
        for back in graph.paths_back(trade.buyer, trade.seller, config.max_group - 1, config.min_laps) {
            let mut cycle = vec![trade.seller];
            cycle.extend(back);
            let n = cycle.len();
            let edge = |i: usize| graph.edges.get(&(cycle[i], cycle[(i + 1) % n])).copied().unwrap_or((0, 0));
            let laps = (0..n).map(|i| edge(i).0).min().unwrap_or(0);
            if laps < config.min_laps {
                continue;
            }
            let mut worst_net_bps = 0;
            let mut least_share_bps = u128::MAX;
            for (i, member) in cycle.iter().enumerate() {
                let sold = edge(i).1;
                let bought = edge((i + n - 1) % n).1;
                let in_cycle = sold + bought;
                worst_net_bps = worst_net_bps.max(bps(sold.abs_diff(bought), in_cycle));
                least_share_bps = least_share_bps.min(bps(in_cycle, graph.volume.get(member).copied().unwrap_or(0)));
            }
            if worst_net_bps > u128::from(config.max_net_bps) || least_share_bps < u128::from(config.min_cycle_share_bps) {
                continue;
            }
            let mut group = cycle.clone();
            group.sort();
            let key = (*market, group.clone());
            if self.alerted_at.get(&key).is_some_and(|&at| at + config.window_ms > trade.ts_ms) {
                continue;
            }
            self.alerted_at.insert(key, trade.ts_ms);
            let from = graph.trades.iter().find(|t| group.contains(&t.1) && group.contains(&t.2)).map_or(trade.ts_ms, |t| t.0);
            let ring: Vec<String> = cycle.iter().chain(std::iter::once(&cycle[0])).map(|u| u.0.to_string()).collect();
            out.push(ctx.alert(Draft {
                kind: DetectorKind::Circular,
                market: *market,
                accounts: group.clone(),
                from_ts_ms: from,
                to_ts_ms: trade.ts_ms,
                summary: format!(
                    "Goods went {laps} time(s) round the cycle {} within {} h; no member's position changed more than {}, and the cycle is at least {} of each member's trading.",
                    ring.join(" → "),
                    config.window_ms / 3_600_000,
                    pct(worst_net_bps),
                    pct(least_share_bps)
                ),
                figures: vec![
                    ("members".into(), n.to_string()),
                    ("laps".into(), laps.to_string()),
                    ("worst_net_bps".into(), worst_net_bps.to_string()),
                    ("least_cycle_share_bps".into(), least_share_bps.to_string()),
                ],
                orders: Vec::new(),
                trades: ctx.trades_of(*market, from, trade.ts_ms, &group).into_iter().filter(|t| group.contains(&t.buyer) && group.contains(&t.seller)).collect(),
            }));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The search as first written: every counterparty visited at every level, the deepest too.
    fn paths_back_visiting_every_edge(graph: &Graph, from: UserId, to: UserId, max_edges: usize) -> Vec<Vec<UserId>> {
        fn walk(graph: &Graph, to: UserId, max_edges: usize, path: &mut Vec<UserId>, found: &mut Vec<Vec<UserId>>) {
            let here = *path.last().expect("non-empty");
            let Some(next) = graph.out.get(&here) else { return };
            for &n in next {
                if n == to && path.len() >= 2 {
                    found.push(path.clone());
                } else if n != to && !path.contains(&n) && path.len() < max_edges && graph.small_circle(n) {
                    path.push(n);
                    walk(graph, to, max_edges, path, found);
                    path.pop();
                }
            }
        }
        let mut found = Vec::new();
        walk(graph, to, max_edges, &mut vec![from], &mut found);
        found
    }

    /// Whether every edge along `path` and its closing edge into `to` carry `min_laps` trades
    /// (the edge from `to` into `path[0]` is the new trade's, checked by the caller).
    fn every_edge_has(graph: &Graph, path: &[UserId], to: UserId, min_laps: u32) -> bool {
        path.windows(2).all(|w| graph.laps(w[0], w[1]) >= min_laps) && graph.laps(*path.last().expect("non-empty"), to) >= min_laps
    }

    proptest! {
        #[test]
        fn the_pruned_search_finds_the_same_paths_in_the_same_order(
            trades in proptest::collection::vec((0u32..10, 0u32..10, 1u64..5), 0..120),
            max_edges in 2usize..6,
            min_laps in 1u32..4,
        ) {
            let mut graph = Graph::default();
            for (i, &(seller, buyer, qty)) in trades.iter().enumerate() {
                if seller != buyer {
                    graph.add(i as u64, UserId(seller), UserId(buyer), qty);
                }
            }
            for from in 0..10 {
                for to in 0..10 {
                    let (from, to) = (UserId(from), UserId(to));
                    let every: Vec<_> = paths_back_visiting_every_edge(&graph, from, to, max_edges).into_iter().filter(|p| every_edge_has(&graph, p, to, min_laps)).collect();
                    prop_assert_eq!(graph.paths_back(from, to, max_edges, min_laps), every);
                }
            }
        }
    }
}
