//! The pipeline: executed commands in, alerts, circuit-breaker actions and daily tape audits
//! out. The same [`Monitor`] runs live (fed by a journal follower off the matching path) and on a
//! replayed journal; given the same commands from the same starting state it raises the same
//! alerts, because every instant it uses is a sequenced command's.

use crate::alert::Alert;
use crate::audit::{round_unit, DayCounts, TapeAudit};
use crate::breaker::{Action, Breaker};
use crate::config::{ConfigError, SurveillanceConfig};
use crate::detectors::front_running::StaffFrontRunning;
use crate::detectors::{self, Ctx, Detector};
use crate::links::LinkGraph;
use crate::tape::{Fact, Tape};
use std::collections::BTreeMap;
use talat_core::calendar::bangkok_days as bangkok_day;
use talat_core::{Applied, MarketId};

/// What one step of the monitor produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub alerts: Vec<Alert>,
    pub actions: Vec<Action>,
    pub audits: Vec<TapeAudit>,
}

impl Output {
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.actions.is_empty() && self.audits.is_empty()
    }

    pub fn append(&mut self, mut other: Output) {
        self.alerts.append(&mut other.alerts);
        self.actions.append(&mut other.actions);
        self.audits.append(&mut other.audits);
    }
}

pub struct Monitor {
    config: SurveillanceConfig,
    tape: Tape,
    links: LinkGraph,
    detectors: Vec<Box<dyn Detector + Send>>,
    front_running: StaffFrontRunning,
    breaker: Breaker,
    days: BTreeMap<MarketId, DayCounts>,
    last_seq: u64,
    last_ts_ms: u64,
    commands: u64,
}

impl Monitor {
    /// A monitor with every detector; refuses a configuration with a bad field.
    pub fn new(config: SurveillanceConfig) -> Result<Monitor, ConfigError> {
        config.validate()?;
        Ok(Monitor {
            config,
            tape: Tape::new(),
            links: LinkGraph::new(),
            detectors: detectors::all(),
            front_running: StaffFrontRunning::default(),
            breaker: Breaker::default(),
            days: BTreeMap::new(),
            last_seq: 0,
            last_ts_ms: 0,
            commands: 0,
        })
    }

    /// Starts from an engine's state (markets and resting books), for a monitor that begins
    /// mid-stream.
    pub fn seed(&mut self, engine: &talat_engine::Engine) {
        self.tape.seed(engine);
        self.last_seq = engine.last_seq();
        self.last_ts_ms = engine.last_ts_ms();
        for (id, m) in self.tape.markets() {
            self.breaker.on_mode(*id, m.info.mode);
        }
    }

    pub fn config(&self) -> &SurveillanceConfig {
        &self.config
    }

    pub fn links_mut(&mut self) -> &mut LinkGraph {
        &mut self.links
    }

    pub fn links(&self) -> &LinkGraph {
        &self.links
    }

    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn commands_seen(&self) -> u64 {
        self.commands
    }

    /// One executed command.
    pub fn observe(&mut self, applied: &Applied) -> Output {
        let mut output = Output::default();
        let ts_ms = applied.input.ts_ms.max(self.last_ts_ms);
        self.last_seq = applied.input.seq;
        self.last_ts_ms = ts_ms;
        self.commands += 1;
        let facts = self.tape.apply(applied);
        let ctx = Ctx { tape: &self.tape, links: &self.links, config: &self.config, seq: self.last_seq, ts_ms };
        for detector in self.detectors.iter_mut() {
            detector.on_time(&ctx, &mut output.alerts);
        }
        for fact in &facts {
            for detector in self.detectors.iter_mut() {
                detector.on_fact(&ctx, fact, &mut output.alerts);
            }
            self.front_running.on_fact(&ctx, fact, &mut output.alerts);
            match fact {
                Fact::Trade { market, trade, .. } => {
                    if let Some(action) = self.breaker.on_trade(&self.config.breaker, *market, trade.ts_ms, trade.price) {
                        output.actions.push(action);
                    }
                    let day = bangkok_day(trade.ts_ms);
                    let (scale, step, symbol) =
                        self.tape.market(*market).map_or((8, 1, String::new()), |m| (m.info.qty_scale, m.info.qty_step, m.info.symbol.clone()));
                    let counts = self.days.entry(*market).or_insert_with(|| DayCounts { day, ..DayCounts::default() });
                    if counts.day != day {
                        let done = std::mem::replace(counts, DayCounts { day, ..DayCounts::default() });
                        output.audits.push(done.report(
                            &symbol,
                            round_unit(scale, step),
                            step,
                            self.config.audit.min_trades,
                            self.config.audit.benford_chi2_reject,
                        ));
                    }
                    counts.add(trade.qty, round_unit(scale, step));
                }
                Fact::ModeChanged { market, mode } => self.breaker.on_mode(*market, *mode),
                _ => {}
            }
        }
        output.actions.append(&mut self.breaker.tick(&self.config.breaker, ts_ms));
        output
    }

    /// Wall-clock time passed with no command (a halted market sends none): only the circuit
    /// breaker's stages move on a tick; detectors move on sequenced time alone.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Action> {
        self.breaker.tick(&self.config.breaker, now_ms.max(self.last_ts_ms))
    }

    /// A listing announcement for the asset `code`, recorded at `ts_ms`.
    pub fn announce_listing(&mut self, code: &str, ts_ms: u64) -> Result<Vec<Alert>, String> {
        let asset = self
            .tape
            .markets()
            .find(|(_, m)| m.info.symbol.split('_').next() == Some(code))
            .map(|(_, m)| m.info.base)
            .ok_or_else(|| format!("no market trades the asset {code}"))?;
        let ctx = Ctx { tape: &self.tape, links: &self.links, config: &self.config, seq: self.last_seq, ts_ms: ts_ms.max(self.last_ts_ms) };
        let mut alerts = Vec::new();
        self.front_running.announce(&ctx, asset, &mut alerts);
        Ok(alerts)
    }

    /// Today's audits so far, one per market that traded.
    pub fn audit_so_far(&self) -> Vec<TapeAudit> {
        self.days
            .iter()
            .filter_map(|(id, counts)| {
                let m = self.tape.market(*id)?;
                let unit = round_unit(m.info.qty_scale, m.info.qty_step);
                Some(counts.report(&m.info.symbol, unit, m.info.qty_step, self.config.audit.min_trades, self.config.audit.benford_chi2_reject))
            })
            .collect()
    }
}
