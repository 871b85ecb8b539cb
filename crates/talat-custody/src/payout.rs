//! Building a withdrawal's transaction: coin selection over the hot wallet's confirmed outputs
//! (largest first, skipping those a signed withdrawal already spends), the network fee from a
//! fee rate and the transaction's size, change back to the hot wallet. Pure: the outputs and
//! the rate are arguments.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use std::str::FromStr;

/// Outputs below this are not worth creating (Bitcoin Core's dust limit for P2WPKH is 294
/// units at its default relay fee; this keeps a margin): such change goes to the fee instead.
pub const DUST_CHANGE_UNITS: u64 = 1_000;
/// Most inputs one withdrawal spends (a transaction stays well inside standard size).
pub const MAX_INPUTS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utxo {
    pub txid: String,
    pub vout: u32,
    pub units: u64,
}

impl Utxo {
    pub fn outpoint(&self) -> String {
        format!("{}:{}", self.txid, self.vout)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub inputs: Vec<Utxo>,
    pub send_units: u64,
    pub change_units: u64,
    pub fee_units: u64,
}

/// Virtual size of a transaction with `inputs` P2WPKH inputs and `outputs` SegWit outputs,
/// rounded up (10.5 vB overhead, 68 vB an input, 31 vB an output; witness bytes count ¼).
pub fn vsize(inputs: usize, outputs: usize) -> u64 {
    (21 + 136 * inputs as u64 + 62 * outputs as u64).div_ceil(2)
}

/// Chooses inputs for sending `send_units` at `fee_rate` units per vB. `Err` when the hot
/// wallet's spendable outputs do not cover it (the withdrawal waits for a top-up).
pub fn plan(utxos: &[Utxo], reserved: &[String], send_units: u64, fee_rate: u64) -> Result<Plan, String> {
    assert!(send_units > 0, "a withdrawal sends something");
    let mut free: Vec<&Utxo> = utxos.iter().filter(|u| !reserved.contains(&u.outpoint())).collect();
    free.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.outpoint().cmp(&b.outpoint())));
    let mut chosen = Vec::new();
    let mut total: u64 = 0;
    for u in free.into_iter().take(MAX_INPUTS) {
        chosen.push(u.clone());
        total = total.checked_add(u.units).ok_or("input total overflows")?;
        let fee = vsize(chosen.len(), 2) * fee_rate;
        if total >= send_units.saturating_add(fee) {
            let change = total - send_units - fee;
            if change < DUST_CHANGE_UNITS {
                let fee = total - send_units;
                return Ok(Plan { inputs: chosen, send_units, change_units: 0, fee_units: fee });
            }
            return Ok(Plan { inputs: chosen, send_units, change_units: change, fee_units: fee });
        }
    }
    Err(format!("the hot wallet's spendable outputs ({total} units in {} outputs) do not cover {send_units} units and the network fee", chosen.len()))
}

/// The unsigned transaction of a plan and the outputs its inputs spend (for signing).
pub fn build(plan: &Plan, destination: ScriptBuf, hot: ScriptBuf) -> Result<(Transaction, Vec<TxOut>), String> {
    let mut input = Vec::with_capacity(plan.inputs.len());
    let mut prevouts = Vec::with_capacity(plan.inputs.len());
    for u in &plan.inputs {
        let txid = Txid::from_str(&u.txid).map_err(|e| format!("txid {}: {e}", u.txid))?;
        input.push(TxIn {
            previous_output: OutPoint { txid, vout: u.vout },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        });
        prevouts.push(crate::hot::output(hot.clone(), u.units));
    }
    let mut output = vec![crate::hot::output(destination, plan.send_units)];
    if plan.change_units > 0 {
        output.push(crate::hot::output(hot, plan.change_units));
    }
    Ok((Transaction { version: Version::TWO, lock_time: LockTime::ZERO, input, output }, prevouts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utxo(n: u8, units: u64) -> Utxo {
        Utxo { txid: format!("{n:02x}").repeat(32), vout: 0, units }
    }

    #[test]
    fn picks_largest_first_and_returns_change() {
        let utxos = [utxo(1, 50_000), utxo(2, 1_000_000), utxo(3, 300_000)];
        let p = plan(&utxos, &[], 600_000, 10).unwrap();
        assert_eq!(p.inputs, vec![utxo(2, 1_000_000)]);
        assert_eq!(p.fee_units, vsize(1, 2) * 10);
        assert_eq!(p.send_units + p.change_units + p.fee_units, 1_000_000, "nothing is created or lost");
    }

    #[test]
    fn skips_reserved_outputs_and_refuses_what_it_cannot_cover() {
        let utxos = [utxo(1, 500_000), utxo(2, 500_000)];
        let reserved = vec![utxo(2, 0).outpoint()];
        assert!(plan(&utxos, &reserved, 600_000, 10).is_err(), "the reserved output is not spendable");
        let p = plan(&utxos, &[], 600_000, 10).unwrap();
        assert_eq!(p.inputs.len(), 2);
    }

    #[test]
    fn dust_change_goes_to_the_fee() {
        let fee = vsize(1, 2) * 10;
        let p = plan(&[utxo(1, 100_000 + fee + 500)], &[], 100_000, 10).unwrap();
        assert_eq!((p.change_units, p.fee_units), (0, fee + 500));
    }

    #[test]
    fn the_built_transaction_spends_the_plan() {
        let p = plan(&[utxo(1, 1_000_000)], &[], 400_000, 10).unwrap();
        let (tx, prevouts) = build(&p, ScriptBuf::new(), ScriptBuf::new()).unwrap();
        assert_eq!((tx.input.len(), tx.output.len(), prevouts.len()), (1, 2, 1));
        assert_eq!(tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>() + p.fee_units, 1_000_000);
    }
}
