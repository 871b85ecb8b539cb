//! `talat promptpay`: prints the Thai QR payload (exchange-domain §3.1) for one PromptPay target,
//! static or for an amount. The rules live in `talat_funds::promptpay`; this reads the flags.

use clap::{ArgGroup, Args};
use std::process::ExitCode;
use talat_funds::promptpay::{self, Payload, Target};

#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).args(["mobile", "id", "ewallet", "bank", "biller"])))]
pub struct PromptpayArgs {
    /// A Thai mobile number: 081-234-5678, or +66 81 234 5678.
    #[arg(long)]
    mobile: Option<String>,
    /// A national ID or tax ID, 13 digits.
    #[arg(long)]
    id: Option<String>,
    /// An e-wallet ID, 15 digits.
    #[arg(long)]
    ewallet: Option<String>,
    /// A bank account as BANK-CODE/ACCOUNT, such as 014/1234567890 (dashes in the account are ignored).
    #[arg(long)]
    bank: Option<String>,
    /// A bill payment's biller ID (tax ID and 2-digit suffix); needs --ref1.
    #[arg(long, requires = "ref1")]
    biller: Option<String>,
    /// Ref1 of a bill payment (the customer code): upper-case letters and digits, at most 20.
    #[arg(long)]
    ref1: Option<String>,
    /// Ref2 of a bill payment (the deposit-intent id): upper-case letters and digits, at most 20.
    #[arg(long)]
    ref2: Option<String>,
    /// The amount in THB, at most two decimals (1500.00); without it the QR is static.
    #[arg(long)]
    amount: Option<String>,
}

/// Prints the payload and a newline; bad input is a usage error (exit code 2, like clap's own).
pub fn run(args: PromptpayArgs) -> ExitCode {
    match payload(args).and_then(|p| promptpay::generate(&p).map_err(|e| e.to_string())) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talat promptpay: {error}");
            ExitCode::from(2)
        }
    }
}

fn payload(args: PromptpayArgs) -> Result<Payload, String> {
    let amount_satang = match args.amount.as_deref() {
        None => None,
        Some(text) => Some(talat_funds::parse_thb(text).ok_or_else(|| format!("--amount {text:?}: expected THB with at most two decimals, such as 1500.00"))?),
    };
    // clap's group has made sure exactly one target was given. A Ref without --biller is
    // checked here: clap drops a `requires` whose argument conflicts with one given.
    if args.biller.is_none() && (args.ref1.is_some() || args.ref2.is_some()) {
        return Err("--ref1 and --ref2 belong to a bill payment: give --biller, not another target".into());
    }
    let target = if let Some(number) = args.mobile {
        Target::Mobile(promptpay::mobile_proxy(&number).map_err(|e| e.to_string())?)
    } else if let Some(id) = args.id {
        Target::NationalId(id)
    } else if let Some(id) = args.ewallet {
        Target::EWallet(id)
    } else if let Some(bank) = args.bank {
        let (code, account) = bank.split_once('/').ok_or_else(|| format!("--bank {bank:?}: expected BANK-CODE/ACCOUNT, such as 014/1234567890"))?;
        Target::BankAccount { bank: code.trim().to_string(), account: account.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect() }
    } else if let Some(biller_id) = args.biller {
        Target::BillPayment { biller_id, ref1: args.ref1.unwrap_or_default(), ref2: args.ref2 }
    } else {
        return Err("name one target: --mobile, --id, --ewallet, --bank or --biller".into());
    };
    Ok(Payload { target, amount_satang })
}
