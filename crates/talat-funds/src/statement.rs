//! Bank statements into bank lines: ISO 20022 camt.053 (BkToCstmrStmt) XML and a simple CSV.
//! The statement is the truth about the segregated account: every credit and debit on it, and
//! its opening and closing balances.
//!
//! # camt.053
//!
//! [`parse_camt053`] reads versions 001.02 to 001.08 and later (`Document/BkToCstmrStmt/Stmt`;
//! exactly one `Stmt`, i.e. one account, per document):
//!
//! * the account is `Acct/Id/IBAN`, else `Acct/Id/Othr/Id`; an `Acct/Ccy` must be THB;
//! * the balances are the `Bal` whose `Tp/CdOrPrtry/Cd` is `OPBD` (opening) and `CLBD`
//!   (closing), both required: `Amt` (with `Ccy="THB"`), `CdtDbtInd` (`DBIT` = negative) and
//!   `Dt/Dt` (or the date of `Dt/DtTm`); the statement's date is the closing balance's;
//! * each `Ntry` booked (`Sts` = `BOOK`, or `Sts/Cd` = `BOOK` from 001.07 on; pending and
//!   information-only entries are skipped) becomes a [`BankLine`]: `Amt` (THB), `CdtDbtInd`,
//!   `BookgDt/Dt` (or `BookgDt/DtTm`'s date), and the reference `AcctSvcrRef`, else `NtryRef`,
//!   else the one transaction's `Refs/AcctSvcrRef`;
//! * the details come from `NtryDtls/TxDtls` when the entry has exactly one: the counterparty
//!   is `RltdPties/Dbtr` for a credit and `RltdPties/Cdtr` for a debit (`Pty/Nm` from 001.08 on,
//!   `Nm` before), its account `DbtrAcct`/`CdtrAcct` `Id/Othr/Id` or `Id/IBAN`; **Ref1** is
//!   `RmtInf/Strd/CdtrRefInf/Ref` and **Ref2** is `RmtInf/Strd/AddtlRmtInf` (the first of each);
//!   the description is the `RmtInf/Ustrd` lines joined by a space, else `AddtlTxInf`, else the
//!   entry's `AddtlNtryInf`. A batch booking (several `TxDtls`) keeps only the entry's own facts:
//!   which transaction's payer would be a guess, so matching sends it to staff.
//!
//! Text is trimmed and an empty element counts as absent. Amounts are decimals with at most two
//! places, read exactly into satang. Errors: not well-formed XML is [`StatementError::NotXml`],
//! a well-formed document of another kind (or without the parts above) is
//! [`StatementError::NotCamt053`], another currency [`StatementError::NotThb`], an entry that
//! cannot be read [`StatementError::BadLine`] with the entry's 1-based position among the
//! `Ntry` elements, more than [`MAX_LINES`] entries [`StatementError::TooLarge`]. A `DOCTYPE` is
//! refused (camt.053 has none, and it is how entity tricks start).
//!
//! [`to_camt053`] writes camt.053.001.08 that [`parse_camt053`] reads back identically: the
//! account as `Othr/Id`, the counterparty as `Pty/Nm`, Ref1 and Ref2 as above, the description
//! as one `Ustrd`. The tests and the fake bank produce their statements with it.
//!
//! # CSV
//!
//! [`parse_csv`] and [`to_csv`] use this simple format (RFC 4180 quoting, UTF-8, an optional
//! byte-order mark, fields trimmed, an empty field counting as absent):
//!
//! ```text
//! account,date,type,reference,amount,counterparty_name,counterparty_account,ref1,ref2,description
//! 123-4-56789-0,2025-01-01,opening,,1000.00,,,,,
//! 123-4-56789-0,2025-01-01,credit,BK0001,1500.00,SOMCHAI JAIDEE,9876543210,U00012345,DEP20250101A1,QR payment
//! 123-4-56789-0,2025-01-01,closing,,2500.00,,,,,
//! ```
//!
//! * every row names the same account; `date` is `YYYY-MM-DD` (a line's booking date; the
//!   closing row's date is the statement's);
//! * `type` is `opening` or `closing` (the balances: exactly one of each, `reference` empty, the
//!   amount may be negative, the other columns are left empty) or `credit` or `debit` (a line:
//!   `reference` required, the amount unsigned);
//! * amounts are THB decimals with at most two places, no thousands separators.
//!
//! A bad row is [`StatementError::BadLine`] with its 1-based line in the file (the header
//! counts: it is usually line 1); a missing balance row is reported at the line after the last.

use crate::{format_thb, parse_thb, Satang};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use talat_core::calendar;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Credit,
    Debit,
}

/// One booked entry of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// The bank's own unique reference for the entry (camt.053 `AcctSvcrRef`, else `NtryRef`):
    /// the key a line enters the exchange by, exactly once.
    pub reference: String,
    /// Booking date, `YYYY-MM-DD`.
    pub booked_on: String,
    pub direction: Direction,
    pub amount_satang: Satang,
    /// The other party: the payer of a credit, the payee of a debit.
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    /// Thai QR bill-payment references (tag 30): Ref1 = customer code, Ref2 = deposit-intent id
    /// or, on a debit, the withdrawal id the payout file carried.
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    /// Free text (`AddtlNtryInf` / `Ustrd`).
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The account the statement is for (IBAN or `Othr/Id`).
    pub account: String,
    /// The statement's date (`YYYY-MM-DD`; the closing balance's date).
    pub date: String,
    /// Opening and closing booked balances, signed (a debit balance is negative).
    pub opening_balance_satang: i64,
    pub closing_balance_satang: i64,
    pub lines: Vec<BankLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the statement is not well-formed XML: {0}")]
    NotXml(String),
    #[error("the statement is not a camt.053 bank-to-customer statement: {0}")]
    NotCamt053(String),
    #[error("line {line}: {message}")]
    BadLine { line: usize, message: String },
    #[error("the statement's currency is {0}, not THB")]
    NotThb(String),
    #[error("the statement has {0} entries; at most {max} are read at once", max = MAX_LINES)]
    TooLarge(usize),
}

/// The most entries read from one file: a bound on memory and on one import's transaction.
pub const MAX_LINES: usize = 20_000;

/// Deeper than any camt.053 element (a party's postal address is about ten levels down):
/// deeper input is refused rather than followed.
const MAX_DEPTH: usize = 32;
/// Elements kept for one child of `Stmt` (one entry, say): a batch booking of a thousand
/// transactions fits, a runaway one does not.
const MAX_NODES: usize = 50_000;
/// The header [`parse_csv`] expects and [`to_csv`] writes.
const CSV_HEADER: [&str; 10] = ["account", "date", "type", "reference", "amount", "counterparty_name", "counterparty_account", "ref1", "ref2", "description"];

/// Reads a camt.053 statement (see the module documentation for what is read from where).
pub fn parse_camt053(xml: &str) -> Result<Statement, StatementError> {
    // Two passes: a syntax error late in the file must be NotXml even when the reading would
    // have stopped earlier on what it found, so the whole document is checked first.
    check_well_formed(xml)?;
    let mut reader = Reader::from_str(xml);
    let mut walk = Walk::default();
    loop {
        match reader.read_event().map_err(not_xml)? {
            Event::Start(element) => walk.start(&element)?,
            Event::Empty(element) => {
                walk.start(&element)?;
                walk.end()?;
            }
            Event::End(_) => walk.end()?,
            Event::Text(text) => walk.text(&text.xml10_content().map_err(not_xml)?),
            Event::CData(text) => walk.text(&text.xml10_content().map_err(not_xml)?),
            Event::GeneralRef(reference) => walk.text(&resolve(&reference)?),
            Event::DocType(_) => return Err(StatementError::NotCamt053("a document type declaration (DOCTYPE); camt.053 has none".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    walk.finish()
}

/// Well-formedness, as far as this reader needs it: the reader's own checks (matching end tags,
/// syntax), attributes, entities, one root element and no text outside it.
fn check_well_formed(xml: &str) -> Result<(), StatementError> {
    let mut reader = Reader::from_str(xml);
    let (mut depth, mut roots) = (0usize, 0usize);
    loop {
        let event = reader.read_event().map_err(not_xml)?;
        if depth == 0 {
            match &event {
                Event::Start(_) | Event::Empty(_) => roots += 1,
                Event::Text(text) if !text.xml10_content().map_err(not_xml)?.trim().is_empty() => return Err(not_xml("text outside the root element")),
                Event::CData(_) | Event::GeneralRef(_) => return Err(not_xml("text outside the root element")),
                _ => {}
            }
            if roots > 1 {
                return Err(not_xml("a second root element"));
            }
        }
        match event {
            Event::Start(element) => {
                attributes(&element)?;
                depth += 1;
            }
            Event::Empty(element) => {
                attributes(&element)?;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::GeneralRef(reference) => {
                resolve(&reference)?;
            }
            Event::Eof if depth > 0 => return Err(not_xml("the document ends inside an element")),
            Event::Eof if roots == 0 => return Err(not_xml("no root element")),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn not_xml(error: impl std::fmt::Display) -> StatementError {
    StatementError::NotXml(error.to_string())
}

/// `&amp;` and the other four predefined entities, and character references; XML without a
/// DTD defines no others.
fn resolve(reference: &BytesRef) -> Result<String, StatementError> {
    if let Some(c) = reference.resolve_char_ref().map_err(not_xml)? {
        return Ok(c.to_string());
    }
    let name = reference.decode().map_err(not_xml)?;
    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string).ok_or_else(|| not_xml(format!("unknown entity &{name};")))
}

/// One element kept in memory: its local name, its `Ccy` attribute (the only attribute read),
/// its text and its children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    ccy: Option<String>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first element down `path` (each step the first child of that name).
    fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`; an empty element counts as absent.
    fn text(&self, path: &[&str]) -> Option<&str> {
        self.at(path).map(|n| n.text.trim()).filter(|t| !t.is_empty())
    }
}

/// The streaming walk over the document. Only one child of `Stmt` (an `Acct`, a `Bal`, an
/// `Ntry`) is held in memory at a time, as a tree; it is read when it closes, then dropped.
#[derive(Default)]
struct Walk {
    /// Local names of the open elements, the root first.
    open: Vec<String>,
    /// The tree being built under `Stmt`, innermost open element last; empty when none is.
    building: Vec<Node>,
    nodes: usize,
    statements: usize,
    /// `Ntry` elements seen, kept or not.
    entries: usize,
    parts: Parts,
}

impl Walk {
    fn start(&mut self, element: &BytesStart) -> Result<(), StatementError> {
        let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        let (ccy, namespace) = attributes(element)?;
        let depth = self.open.len();
        if depth >= MAX_DEPTH {
            return Err(StatementError::NotCamt053(format!("elements nested deeper than {MAX_DEPTH}")));
        }
        match depth {
            0 => check_root(&name, namespace)?,
            1 if name != "BkToCstmrStmt" => return Err(StatementError::NotCamt053(format!("<{name}> where BkToCstmrStmt belongs"))),
            2 if name == "Stmt" => {
                self.statements += 1;
                if self.statements > 1 {
                    return Err(StatementError::NotCamt053("several statements (Stmt) in one document; one account per file is read".into()));
                }
            }
            _ => {}
        }
        self.keep(depth, name.clone(), ccy)?;
        self.open.push(name);
        Ok(())
    }

    /// Starts or extends the tree of a child of `Stmt`, past [`MAX_LINES`] entries only counting.
    fn keep(&mut self, depth: usize, name: String, ccy: Option<String>) -> Result<(), StatementError> {
        let under_statement = depth == 3 && self.open.get(2).is_some_and(|n| n == "Stmt");
        if under_statement && name == "Ntry" {
            self.entries += 1;
            if self.entries > MAX_LINES {
                return Ok(());
            }
        }
        if !under_statement && self.building.is_empty() {
            return Ok(());
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            let message = format!("more than {MAX_NODES} elements in one part of the statement");
            return Err(match self.building.first() {
                Some(part) if part.name == "Ntry" => StatementError::BadLine { line: self.entries, message: format!("entry {}: {message}", self.entries) },
                _ => StatementError::NotCamt053(message),
            });
        }
        self.building.push(Node { name, ccy, ..Node::default() });
        Ok(())
    }

    fn end(&mut self) -> Result<(), StatementError> {
        // The first pass has checked that the end tag's name is the open element's.
        self.open.pop();
        let Some(node) = self.building.pop() else { return Ok(()) };
        match self.building.last_mut() {
            Some(parent) => parent.children.push(node),
            None => {
                self.nodes = 0;
                self.parts.take(&node, self.entries)?;
            }
        }
        Ok(())
    }

    /// Text counts only inside the part being read.
    fn text(&mut self, text: &str) {
        if let Some(node) = self.building.last_mut() {
            node.text.push_str(text);
        }
    }

    fn finish(self) -> Result<Statement, StatementError> {
        if self.statements == 0 {
            return Err(StatementError::NotCamt053("no statement (BkToCstmrStmt/Stmt)".into()));
        }
        if self.entries > MAX_LINES {
            return Err(StatementError::TooLarge(self.entries));
        }
        self.parts.finish()
    }
}

fn check_root(name: &str, namespace: Option<String>) -> Result<(), StatementError> {
    if name != "Document" {
        return Err(StatementError::NotCamt053(format!("the root element is <{name}>, not <Document>")));
    }
    match namespace {
        Some(ns) if !ns.contains("camt.053.") => Err(StatementError::NotCamt053(format!("the document's namespace is {ns}"))),
        _ => Ok(()),
    }
}

/// Every attribute checked (well-formedness), the `Ccy` value and the namespace the element's
/// own prefix is bound to (only meaningful on the root).
fn attributes(element: &BytesStart) -> Result<(Option<String>, Option<String>), StatementError> {
    let prefix = element.name().prefix().map(|p| String::from_utf8_lossy(p.as_ref()).into_owned());
    let namespace_key = prefix.map_or_else(|| "xmlns".to_string(), |p| format!("xmlns:{p}"));
    let (mut ccy, mut namespace) = (None, None);
    for attribute in element.attributes() {
        let attribute = attribute.map_err(not_xml)?;
        let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(not_xml)?;
        let key = attribute.key.as_ref();
        if key == b"Ccy" {
            ccy = Some(value.trim().to_string());
        } else if key == namespace_key.as_bytes() {
            namespace = Some(value.into_owned());
        }
    }
    Ok((ccy, namespace))
}

/// What the statement's parts have given so far.
#[derive(Default)]
struct Parts {
    account: Option<String>,
    opening: Option<Balance>,
    closing: Option<Balance>,
    lines: Vec<BankLine>,
}

struct Balance {
    satang: i64,
    date: String,
}

impl Parts {
    /// Reads one closed child of `Stmt`; `entries` is the count of `Ntry` so far, this one's
    /// position when it is one.
    fn take(&mut self, node: &Node, entries: usize) -> Result<(), StatementError> {
        match node.name.as_str() {
            "Acct" => self.account = Some(account_of(node)?),
            "Bal" => self.balance(node)?,
            "Ntry" => self.lines.extend(entry_line(node, entries)?),
            _ => {}
        }
        Ok(())
    }

    fn balance(&mut self, node: &Node) -> Result<(), StatementError> {
        let (slot, kind) = match node.text(&["Tp", "CdOrPrtry", "Cd"]) {
            Some("OPBD") => (&mut self.opening, "opening"),
            Some("CLBD") => (&mut self.closing, "closing"),
            _ => return Ok(()),
        };
        if slot.is_some() {
            return Err(StatementError::NotCamt053(format!("two {kind} balances")));
        }
        let bad = |message: String| StatementError::NotCamt053(format!("the {kind} balance: {message}"));
        let satang = thb_amount(node.child("Amt"), &bad)?;
        let satang = match credit_or_debit(node, &bad)? {
            Direction::Credit => i64::try_from(satang).ok(),
            Direction::Debit => 0i64.checked_sub_unsigned(satang),
        };
        let satang = satang.ok_or_else(|| bad("the amount is out of range".into()))?;
        *slot = Some(Balance { satang, date: date_of(node.child("Dt"), &bad)? });
        Ok(())
    }

    fn finish(self) -> Result<Statement, StatementError> {
        let missing = |what: &str| StatementError::NotCamt053(format!("no {what}"));
        let account = self.account.ok_or_else(|| missing("account (Stmt/Acct/Id)"))?;
        let opening = self.opening.ok_or_else(|| missing("opening booked balance (Bal OPBD)"))?;
        let closing = self.closing.ok_or_else(|| missing("closing booked balance (Bal CLBD)"))?;
        Ok(Statement { account, date: closing.date, opening_balance_satang: opening.satang, closing_balance_satang: closing.satang, lines: self.lines })
    }
}

fn account_of(acct: &Node) -> Result<String, StatementError> {
    if let Some(ccy) = acct.text(&["Ccy"]).filter(|c| *c != "THB") {
        return Err(StatementError::NotThb(ccy.to_string()));
    }
    let id = acct.text(&["Id", "IBAN"]).or_else(|| acct.text(&["Id", "Othr", "Id"]));
    id.map(str::to_string).ok_or_else(|| StatementError::NotCamt053("the account (Acct/Id) has neither IBAN nor Othr/Id".into()))
}

/// An `Amt` in THB, exactly; another currency is [`StatementError::NotThb`] wherever it is.
fn thb_amount(amount: Option<&Node>, bad: &dyn Fn(String) -> StatementError) -> Result<Satang, StatementError> {
    let amount = amount.ok_or_else(|| bad("no amount (Amt)".into()))?;
    match amount.ccy.as_deref() {
        Some("THB") => {}
        Some(other) => return Err(StatementError::NotThb(other.to_string())),
        None => return Err(bad("the amount has no currency (Ccy)".into())),
    }
    parse_thb(&amount.text).ok_or_else(|| bad(format!("amount {:?} is not a decimal with at most two places", amount.text.trim())))
}

fn credit_or_debit(node: &Node, bad: &dyn Fn(String) -> StatementError) -> Result<Direction, StatementError> {
    match node.text(&["CdtDbtInd"]) {
        Some("CRDT") => Ok(Direction::Credit),
        Some("DBIT") => Ok(Direction::Debit),
        other => Err(bad(format!("CdtDbtInd {:?} is neither CRDT nor DBIT", other.unwrap_or_default()))),
    }
}

/// `Dt`, or the date part of `DtTm`, as `YYYY-MM-DD`.
fn date_of(node: Option<&Node>, bad: &dyn Fn(String) -> StatementError) -> Result<String, StatementError> {
    let node = node.ok_or_else(|| bad("no date".into()))?;
    let text = node.text(&["Dt"]).or_else(|| node.text(&["DtTm"]).and_then(|t| t.get(..10))).unwrap_or_default();
    if is_iso_date(text) {
        Ok(text.to_string())
    } else {
        Err(bad(format!("date {text:?} is not a YYYY-MM-DD date")))
    }
}

fn is_iso_date(text: &str) -> bool {
    match calendar::split_iso_date(text) {
        Some((year, month, day)) => calendar::is_date(year as i32, month as u8, day as u8),
        None => false,
    }
}

/// The line of one `Ntry` (its 1-based position is `index`), or `None` when it is not booked.
fn entry_line(entry: &Node, index: usize) -> Result<Option<BankLine>, StatementError> {
    let bad = |message: String| StatementError::BadLine { line: index, message: format!("entry {index}: {message}") };
    let status = entry.text(&["Sts", "Cd"]).or_else(|| entry.text(&["Sts"])).ok_or_else(|| bad("no status (Sts)".into()))?;
    if status != "BOOK" {
        return Ok(None);
    }
    let amount_satang = thb_amount(entry.child("Amt"), &bad)?;
    let direction = credit_or_debit(entry, &bad)?;
    let booked_on = date_of(entry.child("BookgDt"), &bad)?;
    let transaction = only_transaction(entry);
    let reference = entry
        .text(&["AcctSvcrRef"])
        .or_else(|| entry.text(&["NtryRef"]))
        .or_else(|| transaction.and_then(|t| t.text(&["Refs", "AcctSvcrRef"])))
        .ok_or_else(|| bad("no reference (AcctSvcrRef or NtryRef)".into()))?;
    let mut line = BankLine {
        reference: reference.to_string(),
        booked_on,
        direction,
        amount_satang,
        counterparty_name: None,
        counterparty_account: None,
        ref1: None,
        ref2: None,
        description: String::new(),
    };
    if let Some(transaction) = transaction {
        read_details(&mut line, transaction);
    }
    if line.description.is_empty() {
        line.description = entry.text(&["AddtlNtryInf"]).unwrap_or_default().to_string();
    }
    Ok(Some(line))
}

/// The entry's transaction details when there is exactly one `TxDtls`.
fn only_transaction(entry: &Node) -> Option<&Node> {
    let mut transactions = entry.all("NtryDtls").flat_map(|d| d.all("TxDtls"));
    let first = transactions.next()?;
    transactions.next().is_none().then_some(first)
}

fn read_details(line: &mut BankLine, tx: &Node) {
    let (party, account) = match line.direction {
        Direction::Credit => ("Dbtr", "DbtrAcct"),
        Direction::Debit => ("Cdtr", "CdtrAcct"),
    };
    let owned = |text: Option<&str>| text.map(str::to_string);
    line.counterparty_name = owned(tx.text(&["RltdPties", party, "Pty", "Nm"]).or_else(|| tx.text(&["RltdPties", party, "Nm"])));
    line.counterparty_account = owned(tx.text(&["RltdPties", account, "Id", "Othr", "Id"]).or_else(|| tx.text(&["RltdPties", account, "Id", "IBAN"])));
    let Some(remittance) = tx.child("RmtInf") else {
        line.description = tx.text(&["AddtlTxInf"]).unwrap_or_default().to_string();
        return;
    };
    line.ref1 = owned(remittance.all("Strd").find_map(|s| s.text(&["CdtrRefInf", "Ref"])));
    line.ref2 = owned(remittance.all("Strd").find_map(|s| s.text(&["AddtlRmtInf"])));
    let unstructured: Vec<&str> = remittance.all("Ustrd").filter_map(|u| u.text(&[])).collect();
    line.description = if unstructured.is_empty() { tx.text(&["AddtlTxInf"]).unwrap_or_default().to_string() } else { unstructured.join(" ") };
}

/// Writes the statement as camt.053.001.08, which [`parse_camt053`] reads back identically
/// (text trimmed, `Some("")` written as absent). Amounts beyond 13 whole digits of THB, and the
/// control characters XML 1.0 cannot carry, do not come back.
pub fn to_camt053(s: &Statement) -> String {
    let mut x = XmlOut::default();
    x.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.open_with("Document", " xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"");
    x.open("BkToCstmrStmt");
    let created = format!("{}T00:00:00", s.date);
    x.open("GrpHdr");
    x.leaf("MsgId", &format!("STMT-{}", s.date));
    x.leaf("CreDtTm", &created);
    x.close("GrpHdr");
    x.open("Stmt");
    x.leaf("Id", &format!("{}-{}", s.account, s.date));
    x.leaf("CreDtTm", &created);
    x.open("Acct");
    x.open("Id");
    x.open("Othr");
    x.leaf("Id", &s.account);
    x.close("Othr");
    x.close("Id");
    x.leaf("Ccy", "THB");
    x.close("Acct");
    write_balance(&mut x, "OPBD", s.opening_balance_satang, &s.date);
    write_balance(&mut x, "CLBD", s.closing_balance_satang, &s.date);
    for line in &s.lines {
        write_entry(&mut x, line);
    }
    x.close("Stmt");
    x.close("BkToCstmrStmt");
    x.close("Document");
    x.out
}

fn write_balance(x: &mut XmlOut, code: &str, satang: i64, date: &str) {
    x.open("Bal");
    x.open("Tp");
    x.open("CdOrPrtry");
    x.leaf("Cd", code);
    x.close("CdOrPrtry");
    x.close("Tp");
    x.amount(satang.unsigned_abs());
    x.leaf("CdtDbtInd", if satang < 0 { "DBIT" } else { "CRDT" });
    x.open("Dt");
    x.leaf("Dt", date);
    x.close("Dt");
    x.close("Bal");
}

fn write_entry(x: &mut XmlOut, line: &BankLine) {
    let credit = line.direction == Direction::Credit;
    x.open("Ntry");
    x.amount(line.amount_satang);
    x.leaf("CdtDbtInd", if credit { "CRDT" } else { "DBIT" });
    x.open("Sts");
    x.leaf("Cd", "BOOK");
    x.close("Sts");
    x.open("BookgDt");
    x.leaf("Dt", &line.booked_on);
    x.close("BookgDt");
    x.leaf("AcctSvcrRef", &line.reference);
    // Mandatory in the schema: a payment, received or issued credit transfer.
    x.open("BkTxCd");
    x.open("Domn");
    x.leaf("Cd", "PMNT");
    x.open("Fmly");
    x.leaf("Cd", if credit { "RCDT" } else { "ICDT" });
    x.leaf("SubFmlyCd", "OTHR");
    x.close("Fmly");
    x.close("Domn");
    x.close("BkTxCd");
    write_details(x, line, credit);
    x.close("Ntry");
}

fn write_details(x: &mut XmlOut, line: &BankLine, credit: bool) {
    let (name, account) = (present(&line.counterparty_name), present(&line.counterparty_account));
    let (ref1, ref2) = (present(&line.ref1), present(&line.ref2));
    let description = Some(line.description.trim()).filter(|d| !d.is_empty());
    if [name, account, ref1, ref2, description].iter().all(Option::is_none) {
        return;
    }
    x.open("NtryDtls");
    x.open("TxDtls");
    if name.is_some() || account.is_some() {
        let (party, party_account) = if credit { ("Dbtr", "DbtrAcct") } else { ("Cdtr", "CdtrAcct") };
        x.open("RltdPties");
        if let Some(name) = name {
            x.open(party);
            x.open("Pty");
            x.leaf("Nm", name);
            x.close("Pty");
            x.close(party);
        }
        if let Some(account) = account {
            x.open(party_account);
            x.open("Id");
            x.open("Othr");
            x.leaf("Id", account);
            x.close("Othr");
            x.close("Id");
            x.close(party_account);
        }
        x.close("RltdPties");
    }
    if ref1.is_some() || ref2.is_some() || description.is_some() {
        write_remittance(x, description, ref1, ref2);
    }
    x.close("TxDtls");
    x.close("NtryDtls");
}

/// Trimmed and not empty, as the reader will see it.
fn present(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn write_remittance(x: &mut XmlOut, description: Option<&str>, ref1: Option<&str>, ref2: Option<&str>) {
    x.open("RmtInf");
    if let Some(description) = description {
        x.leaf("Ustrd", description);
    }
    if ref1.is_some() || ref2.is_some() {
        x.open("Strd");
        if let Some(ref1) = ref1 {
            x.open("CdtrRefInf");
            x.leaf("Ref", ref1);
            x.close("CdtrRefInf");
        }
        if let Some(ref2) = ref2 {
            x.leaf("AddtlRmtInf", ref2);
        }
        x.close("Strd");
    }
    x.close("RmtInf");
}

/// An indented XML writer for elements without attributes (and `Amt`'s one).
#[derive(Default)]
struct XmlOut {
    out: String,
    depth: usize,
}

impl XmlOut {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.open_with(name, "");
    }

    fn open_with(&mut self, name: &str, attributes: &str) {
        self.indent();
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "<{name}{attributes}>");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        let _ = write!(self.out, "<{name}>");
        push_escaped(&mut self.out, text);
        let _ = writeln!(self.out, "</{name}>");
    }

    fn amount(&mut self, satang: Satang) {
        self.indent();
        let _ = writeln!(self.out, "<Amt Ccy=\"THB\">{}</Amt>", format_thb(satang));
    }
}

/// Text as XML 1.0 content: the five special characters as entities, `\r` as a character
/// reference (a parser turns a raw one into `\n`), and the control characters XML 1.0 cannot
/// carry at all (nor as references) left out.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Reads the CSV format of the module documentation.
pub fn parse_csv(text: &str) -> Result<Statement, StatementError> {
    // Spreadsheets like to begin a UTF-8 file with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows = CsvRows::default();
    let mut last_line = 0;
    let mut header_read = false;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => return Err(bad_row(error.position().map_or(last_line + 1, csv_line), error.to_string())),
        }
        let line = record.position().map_or(last_line + 1, csv_line);
        last_line = line;
        if header_read {
            rows.row(&record, line)?;
        } else {
            check_header(&record, line)?;
            header_read = true;
        }
    }
    if !header_read {
        return Err(bad_row(1, "the file is empty: expected the header".into()));
    }
    rows.finish(last_line + 1)
}

fn csv_line(position: &csv::Position) -> usize {
    usize::try_from(position.line()).unwrap_or(usize::MAX)
}

fn bad_row(line: usize, message: String) -> StatementError {
    StatementError::BadLine { line, message }
}

fn check_header(record: &csv::StringRecord, line: usize) -> Result<(), StatementError> {
    let same = record.len() == CSV_HEADER.len() && record.iter().zip(CSV_HEADER).all(|(found, wanted)| found.eq_ignore_ascii_case(wanted));
    if same {
        Ok(())
    } else {
        Err(bad_row(line, format!("the header must be {}", CSV_HEADER.join(","))))
    }
}

/// What the CSV rows have given so far.
#[derive(Default)]
struct CsvRows {
    account: Option<String>,
    opening: Option<i64>,
    closing: Option<Balance>,
    lines: Vec<BankLine>,
    /// Credit and debit rows, kept or not: past [`MAX_LINES`] they are only counted.
    entries: usize,
}

impl CsvRows {
    fn row(&mut self, record: &csv::StringRecord, line: usize) -> Result<(), StatementError> {
        let bad = |message: String| bad_row(line, message);
        if record.len() != CSV_HEADER.len() {
            return Err(bad(format!("expected {} fields, found {}", CSV_HEADER.len(), record.len())));
        }
        let field = |index: usize| record.get(index).unwrap_or_default();
        let kind = field(2).to_ascii_lowercase();
        if kind == "credit" || kind == "debit" {
            self.entries += 1;
            if self.entries > MAX_LINES {
                return Ok(());
            }
        }
        self.check_account(field(0), &bad)?;
        let date = field(1);
        if !is_iso_date(date) {
            return Err(bad(format!("date {date:?} is not a YYYY-MM-DD date")));
        }
        match kind.as_str() {
            "opening" | "closing" => self.balance_row(&kind, date, field(3), field(4), &bad),
            "credit" | "debit" => {
                let direction = if kind == "credit" { Direction::Credit } else { Direction::Debit };
                self.lines.push(csv_line_of(record, direction, &bad)?);
                Ok(())
            }
            _ => Err(bad(format!("type {:?} must be opening, closing, credit or debit", field(2)))),
        }
    }

    fn check_account(&mut self, account: &str, bad: &dyn Fn(String) -> StatementError) -> Result<(), StatementError> {
        match &self.account {
            _ if account.is_empty() => Err(bad("no account".into())),
            Some(first) if first != account => Err(bad(format!("account {account:?} is not {first:?}, the account of the rows above"))),
            Some(_) => Ok(()),
            None => {
                self.account = Some(account.to_string());
                Ok(())
            }
        }
    }

    fn balance_row(&mut self, kind: &str, date: &str, reference: &str, amount: &str, bad: &dyn Fn(String) -> StatementError) -> Result<(), StatementError> {
        if !reference.is_empty() {
            return Err(bad(format!("the reference of the {kind} row must be empty")));
        }
        let satang = parse_signed_thb(amount).ok_or_else(|| bad(format!("amount {amount:?} is not a THB decimal with at most two places")))?;
        let taken =
            if kind == "opening" { self.opening.replace(satang).is_some() } else { self.closing.replace(Balance { satang, date: date.to_string() }).is_some() };
        if taken {
            return Err(bad(format!("a second {kind} row")));
        }
        Ok(())
    }

    /// `next_line` is where a missing balance row would have been.
    fn finish(self, next_line: usize) -> Result<Statement, StatementError> {
        if self.entries > MAX_LINES {
            return Err(StatementError::TooLarge(self.entries));
        }
        let missing = |kind: &str| bad_row(next_line, format!("the file has no {kind} row"));
        let opening = self.opening.ok_or_else(|| missing("opening"))?;
        let closing = self.closing.ok_or_else(|| missing("closing"))?;
        // A file with both balance rows has an account: every row has one.
        let account = self.account.unwrap_or_default();
        Ok(Statement { account, date: closing.date, opening_balance_satang: opening, closing_balance_satang: closing.satang, lines: self.lines })
    }
}

/// A credit or debit row (already known to have ten fields and a valid date).
fn csv_line_of(record: &csv::StringRecord, direction: Direction, bad: &dyn Fn(String) -> StatementError) -> Result<BankLine, StatementError> {
    let field = |index: usize| record.get(index).unwrap_or_default();
    let optional = |index: usize| Some(field(index)).filter(|f| !f.is_empty()).map(str::to_string);
    if field(3).is_empty() {
        return Err(bad("no reference".into()));
    }
    let amount_satang = parse_thb(field(4)).ok_or_else(|| bad(format!("amount {:?} is not an unsigned THB decimal with at most two places", field(4))))?;
    Ok(BankLine {
        reference: field(3).to_string(),
        booked_on: field(1).to_string(),
        direction,
        amount_satang,
        counterparty_name: optional(5),
        counterparty_account: optional(6),
        ref1: optional(7),
        ref2: optional(8),
        description: field(9).to_string(),
    })
}

/// A THB decimal with an optional leading `-`.
fn parse_signed_thb(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(magnitude) => 0i64.checked_sub_unsigned(parse_thb(magnitude)?),
        None => i64::try_from(parse_thb(text)?).ok(),
    }
}

fn format_signed_thb(satang: i64) -> String {
    let magnitude = format_thb(satang.unsigned_abs());
    if satang < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// Writes the statement in the CSV format of the module documentation, which [`parse_csv`]
/// reads back identically (fields trimmed, `Some("")` written as empty, hence absent).
pub fn to_csv(s: &Statement) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<[String; 10]> = Vec::with_capacity(s.lines.len() + 2);
    let balance = |kind: &str, satang: i64| [&s.account, &s.date, kind, "", &format_signed_thb(satang), "", "", "", "", ""].map(str::to_string);
    rows.push(balance("opening", s.opening_balance_satang));
    for line in &s.lines {
        let kind = if line.direction == Direction::Credit { "credit" } else { "debit" };
        let optional = |text: &Option<String>| text.as_deref().unwrap_or_default().to_string();
        rows.push([
            s.account.clone(),
            line.booked_on.clone(),
            kind.to_string(),
            line.reference.clone(),
            format_thb(line.amount_satang),
            optional(&line.counterparty_name),
            optional(&line.counterparty_account),
            optional(&line.ref1),
            optional(&line.ref2),
            line.description.clone(),
        ]);
    }
    rows.push(balance("closing", s.closing_balance_satang));
    // Writing CSV into memory cannot fail: no I/O, and every record has the header's length.
    writer.write_record(CSV_HEADER).expect("CSV into memory");
    for row in &rows {
        writer.write_record(row).expect("CSV into memory");
    }
    let bytes = writer.into_inner().expect("CSV into memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A statement in the older shape (001.02: `Sts` as text, `Dbtr/Nm`), with what real files
    /// carry around the facts: another balance type, a pending entry, a batch booking, entities.
    const KBANK_STYLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>KB20250101</MsgId><CreDtTm>2025-01-02T06:00:00+07:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <Acct><Id><IBAN>TH00KASI1234567890</IBAN></Id><Ccy>THB</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="THB">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-12-31</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="THB">1000</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2025-01-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="THB">500.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><DtTm>2025-01-01T23:59:59+07:00</DtTm></Dt></Bal>
      <Ntry>
        <NtryRef>N1</NtryRef>
        <Amt Ccy="THB">1500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><DtTm>2025-01-01T10:15:00+07:00</DtTm></BookgDt>
        <AcctSvcrRef> KB-0001 </AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties>
            <Dbtr><Nm>นาย สมชาย ใจดี</Nm></Dbtr><DbtrAcct><Id><Othr><Id>123-4-56789-0</Id></Othr></Id></DbtrAcct>
            <Cdtr><Nm>TALAT CO LTD</Nm></Cdtr>
          </RltdPties>
          <RmtInf>
            <Ustrd>PROMPTPAY</Ustrd><Ustrd>BILL PAYMENT</Ustrd>
            <Strd><CdtrRefInf><Ref>U00012345</Ref></CdtrRefInf><AddtlRmtInf>DEP20250101A1</AddtlRmtInf></Strd>
          </RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="THB">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
        <BookgDt><Dt>2025-01-01</Dt></BookgDt><AcctSvcrRef>KB-0002</AcctSvcrRef>
      </Ntry>
      <Ntry>
        <NtryRef>KB-0003</NtryRef><Amt Ccy="THB">2000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2025-01-01</Dt></BookgDt>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Nm>TALAT CO LTD</Nm></Dbtr><Cdtr><Nm>SMITH &amp; SONS &#x0E01;</Nm></Cdtr><CdtrAcct><Id><IBAN>GB00X</IBAN></Id></CdtrAcct></RltdPties>
          <AddtlTxInf><![CDATA[PAYOUT <W123>]]></AddtlTxInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <!-- a batch booking: two transactions, so no single payer -->
      <Ntry>
        <Amt Ccy="THB">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-01-01</Dt></BookgDt><AcctSvcrRef>KB-0004</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><RltdPties><Dbtr><Nm>A</Nm></Dbtr></RltdPties></TxDtls>
          <TxDtls><RltdPties><Dbtr><Nm>B</Nm></Dbtr></RltdPties></TxDtls>
        </NtryDtls>
        <AddtlNtryInf>BATCH 2</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#;

    fn line(reference: &str, direction: Direction, amount_satang: Satang) -> BankLine {
        BankLine {
            reference: reference.into(),
            booked_on: "2025-01-01".into(),
            direction,
            amount_satang,
            counterparty_name: None,
            counterparty_account: None,
            ref1: None,
            ref2: None,
            description: String::new(),
        }
    }

    #[test]
    fn reads_an_older_camt053_with_what_real_files_carry() {
        let s = parse_camt053(KBANK_STYLE).unwrap();
        assert_eq!((s.account.as_str(), s.date.as_str()), ("TH00KASI1234567890", "2025-01-01"));
        assert_eq!((s.opening_balance_satang, s.closing_balance_satang), (-100_000, 50_050));
        let deposit = BankLine {
            counterparty_name: Some("นาย สมชาย ใจดี".into()),
            counterparty_account: Some("123-4-56789-0".into()),
            ref1: Some("U00012345".into()),
            ref2: Some("DEP20250101A1".into()),
            description: "PROMPTPAY BILL PAYMENT".into(),
            ..line("KB-0001", Direction::Credit, 150_000)
        };
        let payout = BankLine {
            counterparty_name: Some("SMITH & SONS ก".into()),
            counterparty_account: Some("GB00X".into()),
            description: "PAYOUT <W123>".into(),
            ..line("KB-0003", Direction::Debit, 200_000)
        };
        let batch = BankLine { description: "BATCH 2".into(), ..line("KB-0004", Direction::Credit, 1_000) };
        assert_eq!(s.lines, vec![deposit, payout, batch]);
    }

    #[test]
    fn reads_a_prefixed_namespace() {
        let xml = to_camt053(&sample()).replace("<Document xmlns=", "<c:Document xmlns:c=").replace("</Document>", "</c:Document>");
        // Only the root is prefixed here, so the rest is in no namespace: names are read locally.
        assert_eq!(parse_camt053(&xml).unwrap(), sample());
    }

    fn sample() -> Statement {
        Statement {
            account: "123-4-56789-0".into(),
            date: "2025-01-01".into(),
            opening_balance_satang: 100_000,
            closing_balance_satang: -50,
            lines: vec![
                BankLine { counterparty_name: Some("Somchai <&> \"Jaidee\"".into()), ref2: Some("DEP1".into()), ..line("R1", Direction::Credit, 150_000) },
                BankLine { description: "a\r\nb\tc".into(), ..line("R2", Direction::Debit, 250_050) },
            ],
        }
    }

    /// The document on few lines: each line trimmed (the samples' text has no line breaks
    /// that matter), so that tests can replace fragments without minding indentation.
    fn compact(xml: &str) -> String {
        xml.lines().map(str::trim).collect()
    }

    #[test]
    fn writes_escaped_camt053_that_reads_back() {
        let xml = to_camt053(&sample());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"));
        assert!(xml.contains("<Nm>Somchai &lt;&amp;&gt; &quot;Jaidee&quot;</Nm>"), "{xml}");
        assert!(compact(&xml).contains("<Amt Ccy=\"THB\">0.50</Amt><CdtDbtInd>DBIT</CdtDbtInd>"), "{xml}");
        assert_eq!(parse_camt053(&xml).unwrap(), sample());
    }

    #[test]
    fn control_characters_xml_cannot_carry_are_left_out() {
        let mut s = sample();
        s.lines[0].description = "a\u{1}b\u{FFFF}c".into();
        let back = parse_camt053(&to_camt053(&s)).unwrap();
        assert_eq!(back.lines[0].description, "abc");
    }

    fn not_xml(xml: &str) {
        assert!(matches!(parse_camt053(xml), Err(StatementError::NotXml(_))), "{xml}: {:?}", parse_camt053(xml));
    }

    fn not_camt(xml: &str, needle: &str) {
        match parse_camt053(xml) {
            Err(StatementError::NotCamt053(message)) => assert!(message.contains(needle), "{message} lacks {needle}"),
            other => panic!("{xml}: {other:?}"),
        }
    }

    #[test]
    fn malformed_xml_is_not_xml() {
        for xml in
            ["", "   ", "not xml at all", "<Document>", "<Document><a></b></Document>", "<a/><b/>", "<a>&bogus;</a>", "<a x=\"1\" x=\"2\"/>", "<a>", "<a/>tail"]
        {
            not_xml(xml);
        }
    }

    const CAMT08: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

    #[test]
    fn other_documents_are_not_camt053() {
        not_camt("<html><body/></html>", "<html>");
        not_camt("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"><CstmrCdtTrfInitn/></Document>", "pain.001");
        not_camt(&format!("<Document xmlns=\"{CAMT08}\"><BkToCstmrDbtCdtNtfctn/></Document>"), "BkToCstmrStmt");
        not_camt(&format!("<Document xmlns=\"{CAMT08}\"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>"), "no statement");
        not_camt(&format!("<Document xmlns=\"{CAMT08}\"><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document>"), "account");
        not_camt(&format!("<Document xmlns=\"{CAMT08}\"><BkToCstmrStmt><Stmt/><Stmt/></BkToCstmrStmt></Document>"), "several");
        not_camt("<!DOCTYPE Document [<!ENTITY x \"y\">]><Document/>", "DOCTYPE");
        let xml = compact(&to_camt053(&sample()));
        not_camt(&xml.replace("<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>"), "closing");
        not_camt(&xml.replace("<Cd>OPBD</Cd>", "<Cd>CLBD</Cd>"), "two closing");
        not_camt(&xml.replace("<Amt Ccy=\"THB\">1000.00</Amt>", "<Amt Ccy=\"THB\">1,000.00</Amt>"), "opening balance");
        not_camt(&xml.replace("<Dt>2025-01-01</Dt></Dt>", "<Dt>2025-02-30</Dt></Dt>"), "date");
        let deep = format!("<Document xmlns=\"{CAMT08}\"><BkToCstmrStmt>{}{}</BkToCstmrStmt></Document>", "<a>".repeat(40), "</a>".repeat(40));
        not_camt(&deep, "deeper");
    }

    #[test]
    fn another_currency_is_not_thb() {
        let xml = to_camt053(&sample());
        assert_eq!(parse_camt053(&xml.replace("<Amt Ccy=\"THB\">1500.00</Amt>", "<Amt Ccy=\"USD\">1500.00</Amt>")), Err(StatementError::NotThb("USD".into())));
        assert_eq!(parse_camt053(&xml.replace("<Ccy>THB</Ccy>", "<Ccy>EUR</Ccy>")), Err(StatementError::NotThb("EUR".into())));
    }

    fn bad_line(xml: &str) -> (usize, String) {
        match parse_camt053(xml) {
            Err(StatementError::BadLine { line, message }) => (line, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unreadable_entry_is_a_bad_line_at_its_position() {
        let xml = compact(&to_camt053(&sample()));
        let (line, message) = bad_line(&xml.replace("<Amt Ccy=\"THB\">2500.50</Amt>", ""));
        assert_eq!(line, 2);
        assert!(message.contains("no amount"), "{message}");
        let (line, message) = bad_line(&xml.replace("<AcctSvcrRef>R1</AcctSvcrRef>", ""));
        assert_eq!(line, 1);
        assert!(message.contains("no reference"), "{message}");
        for (from, to, needle) in [
            ("<Amt Ccy=\"THB\">1500.00</Amt>", "<Amt Ccy=\"THB\">1500.001</Amt>", "two places"),
            ("<Amt Ccy=\"THB\">1500.00</Amt>", "<Amt>1500.00</Amt>", "currency"),
            ("<CdtDbtInd>CRDT</CdtDbtInd><Sts>", "<CdtDbtInd>CR</CdtDbtInd><Sts>", "CdtDbtInd"),
            ("<Sts><Cd>BOOK</Cd></Sts>", "", "status"),
            ("<Dt>2025-01-01</Dt></BookgDt>", "<Dt>1/1/2025</Dt></BookgDt>", "date"),
        ] {
            assert!(xml.contains(from), "{from}");
            let (line, message) = bad_line(&xml.replacen(from, to, 1));
            assert_eq!(line, 1, "{message}");
            assert!(message.contains(needle), "{message} lacks {needle}");
        }
    }

    fn statement_of(lines: usize) -> Statement {
        Statement { lines: (0..lines).map(|i| line(&format!("R{i}"), Direction::Credit, 100)).collect(), ..sample() }
    }

    #[test]
    fn more_than_max_lines_is_too_large() {
        let at_limit = statement_of(MAX_LINES);
        assert_eq!(parse_camt053(&to_camt053(&at_limit)).unwrap().lines.len(), MAX_LINES);
        assert_eq!(parse_csv(&to_csv(&at_limit)).unwrap().lines.len(), MAX_LINES);
        let over = statement_of(MAX_LINES + 5);
        assert_eq!(parse_camt053(&to_camt053(&over)), Err(StatementError::TooLarge(MAX_LINES + 5)));
        assert_eq!(parse_csv(&to_csv(&over)), Err(StatementError::TooLarge(MAX_LINES + 5)));
    }

    const HEADER: &str = "account,date,type,reference,amount,counterparty_name,counterparty_account,ref1,ref2,description";

    #[test]
    fn reads_the_documented_csv() {
        let text = format!(
            "\u{feff}{HEADER}\n\
             123-4-56789-0,2025-01-01,opening,,-1000.00,,,,,\n\
             123-4-56789-0,2025-01-01,Credit,BK0001,1500,\"JAIDEE, SOMCHAI\",9876543210,U00012345,DEP20250101A1,\"QR \"\"payment\"\"\"\n\
             \n\
             123-4-56789-0 , 2025-01-01 , debit , BK0002 , 0.5 ,,,,,\n\
             123-4-56789-0,2025-01-01,closing,,499.50,,,,,\n"
        );
        let s = parse_csv(&text).unwrap();
        assert_eq!(
            (s.account.as_str(), s.date.as_str(), s.opening_balance_satang, s.closing_balance_satang),
            ("123-4-56789-0", "2025-01-01", -100_000, 49_950)
        );
        let credit = BankLine {
            counterparty_name: Some("JAIDEE, SOMCHAI".into()),
            counterparty_account: Some("9876543210".into()),
            ref1: Some("U00012345".into()),
            ref2: Some("DEP20250101A1".into()),
            description: "QR \"payment\"".into(),
            ..line("BK0001", Direction::Credit, 150_000)
        };
        assert_eq!(s.lines, vec![credit, line("BK0002", Direction::Debit, 50)]);
    }

    fn csv_bad_line(rows: &[&str]) -> (usize, String) {
        let text = std::iter::once(HEADER).chain(rows.iter().copied()).collect::<Vec<_>>().join("\n");
        match parse_csv(&text) {
            Err(StatementError::BadLine { line, message }) => (line, message),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn bad_csv_rows_name_their_file_line() {
        const OPEN: &str = "A,2025-01-01,opening,,1.00,,,,,";
        const CLOSE: &str = "A,2025-01-01,closing,,1.00,,,,,";
        let cases: [(&[&str], usize, &str); 13] = [
            (&[OPEN, "A,2025-01-01,credit,R1,1.234,,,,,", CLOSE], 3, "amount"),
            (&[OPEN, "A,2025-01-01,credit,R1,-1.00,,,,,", CLOSE], 3, "unsigned"),
            (&[OPEN, "A,2025-01-01,credit,,1.00,,,,,", CLOSE], 3, "reference"),
            (&[OPEN, "A,2025-13-01,credit,R1,1.00,,,,,", CLOSE], 3, "date"),
            (&[OPEN, "A,2025-01-01,refund,R1,1.00,,,,,", CLOSE], 3, "type"),
            (&[OPEN, "B,2025-01-01,credit,R1,1.00,,,,,", CLOSE], 3, "account"),
            (&[OPEN, ",2025-01-01,credit,R1,1.00,,,,,", CLOSE], 3, "no account"),
            (&[OPEN, "A,2025-01-01,credit,R1,1.00", CLOSE], 3, "10 fields"),
            (&[OPEN, "A,2025-01-01,credit,R1,\"1.00\n\",,,,,", "A,2025-01-01,credit,R2,x,,,,,", CLOSE], 5, "amount"),
            (&[OPEN, OPEN, CLOSE], 3, "second opening"),
            (&[OPEN, "A,2025-01-01,closing,R9,1.00,,,,,"], 3, "must be empty"),
            (&[OPEN], 3, "no closing"),
            (&[CLOSE, "A,2025-01-01,credit,R1,1.00,,,,,"], 4, "no opening"),
        ];
        for (rows, want_line, needle) in cases {
            let (line, message) = csv_bad_line(rows);
            assert_eq!(line, want_line, "{rows:?}: {message}");
            assert!(message.contains(needle), "{message} lacks {needle}");
        }
        assert_eq!(parse_csv(""), Err(StatementError::BadLine { line: 1, message: "the file is empty: expected the header".into() }));
        assert!(matches!(parse_csv("account,date\nA,2025-01-01"), Err(StatementError::BadLine { line: 1, .. })));
    }

    #[test]
    fn writes_the_documented_csv() {
        let csv = to_csv(&sample());
        let mut rows = csv.lines();
        assert_eq!(rows.next(), Some(HEADER));
        assert_eq!(rows.next(), Some("123-4-56789-0,2025-01-01,opening,,1000.00,,,,,"));
        assert_eq!(rows.next(), Some("123-4-56789-0,2025-01-01,credit,R1,1500.00,\"Somchai <&> \"\"Jaidee\"\"\",,,DEP1,"));
        assert!(csv.ends_with("123-4-56789-0,2025-01-01,closing,,-0.50,,,,,\n"), "{csv}");
        assert_eq!(parse_csv(&csv).unwrap(), sample());
    }

    /// Text as both formats carry it: trimmed, not empty; Thai, XML's and CSV's specials, line breaks.
    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9ก-ฮะ-ู่-๋ &<>\"',.;/()\r\n\t-]{1,24}".prop_filter("trimmed", |s| s.trim() == s && !s.is_empty())
    }

    fn date() -> impl Strategy<Value = String> {
        (1970..2100i32, 1..=12u8, 1..=28u8).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
    }

    const BOUND: i64 = 1_000_000_000_000_000;

    fn bank_line() -> impl Strategy<Value = BankLine> {
        let direction = prop_oneof![Just(Direction::Credit), Just(Direction::Debit)];
        let optional = || proptest::option::of(text());
        (text(), date(), direction, 0..BOUND as u64, optional(), optional(), optional(), optional(), prop_oneof![Just(String::new()), text()]).prop_map(
            |(reference, booked_on, direction, amount_satang, counterparty_name, counterparty_account, ref1, ref2, description)| BankLine {
                reference,
                booked_on,
                direction,
                amount_satang,
                counterparty_name,
                counterparty_account,
                ref1,
                ref2,
                description,
            },
        )
    }

    fn statement() -> impl Strategy<Value = Statement> {
        (text(), date(), -BOUND + 1..BOUND, -BOUND + 1..BOUND, proptest::collection::vec(bank_line(), 0..6)).prop_map(
            |(account, date, opening_balance_satang, closing_balance_satang, lines)| Statement {
                account,
                date,
                opening_balance_satang,
                closing_balance_satang,
                lines,
            },
        )
    }

    proptest! {
        #[test]
        fn camt053_round_trips(s in statement()) {
            prop_assert_eq!(parse_camt053(&to_camt053(&s)).unwrap(), s);
        }

        #[test]
        fn csv_round_trips(s in statement()) {
            prop_assert_eq!(parse_csv(&to_csv(&s)).unwrap(), s);
        }

        #[test]
        fn parsers_never_panic(text in "\\PC{0,300}") {
            let _ = parse_camt053(&text);
            let _ = parse_csv(&text);
        }
    }
}

/// The fuzz target: the camt.053 and CSV statement readers and the bank callback on any input,
/// and on a valid statement with bytes changed or cut: a statement or an error, never a panic.
/// `TALAT_FUZZ_CASES` sets the cases (`scripts/fuzz` runs many).
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig { cases: std::env::var("TALAT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), ..ProptestConfig::default() }
    }

    fn sample() -> Statement {
        let line = BankLine {
            reference: "KB1".into(),
            booked_on: "2026-12-06".into(),
            direction: Direction::Credit,
            amount_satang: 150_000,
            counterparty_name: Some("นาย สมชาย ใจดี".into()),
            counterparty_account: Some("1234567890".into()),
            ref1: Some("U00000001".into()),
            ref2: Some("DEP1".into()),
            description: "QR".into(),
        };
        Statement { account: "1".into(), date: "2026-12-06".into(), opening_balance_satang: 0, closing_balance_satang: 150_000, lines: vec![line] }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_text_parses_or_is_refused(text in "\\PC{0,800}", bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = parse_camt053(&text);
            let _ = parse_csv(&text);
            let _ = crate::callback::verify_and_parse(b"k", &bytes, Some(&crate::callback::sign(b"k", &bytes)));
        }

        #[test]
        fn damaged_statements_parse_or_are_refused(at in any::<usize>(), ch in any::<char>(), cut in any::<usize>()) {
            for text in [to_camt053(&sample()), to_csv(&sample())] {
                let mut chars: Vec<char> = text.chars().collect();
                let i = at % chars.len();
                chars[i] = ch;
                chars.truncate(cut % (chars.len() + 1));
                let damaged: String = chars.into_iter().collect();
                let _ = parse_camt053(&damaged);
                let _ = parse_csv(&damaged);
            }
        }
    }
}
