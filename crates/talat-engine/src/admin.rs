//! Listing, market configuration and account administration commands.

use crate::book::Book;
use crate::{Checked, Engine, MarketState, UserHot, UserState};
use talat_core::market::MAX_ASSET_CODE_BYTES;
use talat_core::money::{BPS_ONE, FEE_PPM_ONE, MAX_AMOUNT, MAX_PRICE, MAX_QTY};
use talat_core::{AssetId, AssetSpec, Event, MarketId, MarketSpec, RejectReason, TierLimits, TradingMode, UserId};

/// Largest decimal scale of an asset or a price (10^18 still fits comfortably in u64 math).
const MAX_SCALE: u8 = 18;
/// Highest fee rate the engine accepts: 10 %.
const MAX_FEE_PPM: u32 = (FEE_PPM_ONE / 10) as u32;
/// The notional divisor must stay small enough that price × qty sums remain exact in u128.
const MAX_NOTIONAL_DIVISOR_EXP: u32 = 30;

fn valid_asset_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= MAX_ASSET_CODE_BYTES && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Engine {
    pub(crate) fn list_asset(&mut self, spec: &AssetSpec, out: &mut Vec<Event>) -> Checked<()> {
        if !valid_asset_code(&spec.code) || spec.scale > MAX_SCALE {
            return Err(RejectReason::InvalidParameter);
        }
        if self.asset_by_code.contains_key(&spec.code) {
            return Err(RejectReason::AlreadyListed);
        }
        if self.assets.len() >= self.config.max_assets as usize {
            return Err(RejectReason::InvalidParameter);
        }
        let asset = AssetId(self.assets.len() as u16);
        self.assets.push(spec.clone());
        self.asset_by_code.insert(spec.code.clone(), asset);
        self.ledger.add_asset();
        out.push(Event::AssetListed { asset });
        Ok(())
    }

    pub(crate) fn list_market(&mut self, spec: &MarketSpec, out: &mut Vec<Event>) -> Checked<()> {
        let base = *self.asset_by_code.get(&spec.base).ok_or(RejectReason::UnknownAsset)?;
        let quote = *self.asset_by_code.get(&spec.quote).ok_or(RejectReason::UnknownAsset)?;
        if base == quote || spec.symbol != format!("{}_{}", spec.base, spec.quote) {
            return Err(RejectReason::InvalidParameter);
        }
        if self.market_by_symbol.contains_key(&spec.symbol) {
            return Err(RejectReason::AlreadyListed);
        }
        if self.markets.len() >= self.config.max_markets as usize {
            return Err(RejectReason::InvalidParameter);
        }
        if spec.price_scale > MAX_SCALE || spec.price_step == 0 || spec.price_step > MAX_PRICE {
            return Err(RejectReason::InvalidRate);
        }
        if spec.qty_step == 0 || spec.qty_step > MAX_QTY || spec.min_quote.0 > MAX_AMOUNT {
            return Err(RejectReason::InvalidAmount);
        }
        check_fees(spec.maker_fee_ppm, spec.taker_fee_ppm)?;
        check_band(spec.band_bps)?;
        if let Some(open) = spec.opening_price {
            if open.0 > MAX_PRICE || !spec.is_on_price_grid(open) {
                return Err(RejectReason::InvalidRate);
            }
        }
        let (base_scale, quote_scale) = (self.assets[base.index()].scale, self.assets[quote.index()].scale);
        let exp = (spec.price_scale as u32 + base_scale as u32).checked_sub(quote_scale as u32);
        if exp.is_none_or(|e| e > MAX_NOTIONAL_DIVISOR_EXP) {
            // Quote amounts would need more decimals than the quote asset books.
            return Err(RejectReason::InvalidParameter);
        }
        let notional_divisor = Engine::notional_divisor(base_scale, quote_scale, spec.price_scale).expect("exponent checked above");
        let market = MarketId(self.markets.len() as u16);
        self.markets.push(MarketState::new(spec.clone(), base, quote, notional_divisor, None, Book::new(spec.price_step)));
        self.market_by_symbol.insert(spec.symbol.clone(), market);
        out.push(Event::MarketListed { market });
        Ok(())
    }

    pub(crate) fn set_market_mode(&mut self, market: MarketId, mode: TradingMode, out: &mut Vec<Event>) -> Checked<()> {
        self.market(market)?;
        self.change_mode(market, mode, out);
        self.fire_overdue(out);
        Ok(())
    }

    pub(crate) fn set_maintenance(&mut self, on: bool, out: &mut Vec<Event>) -> Checked<()> {
        self.maintenance = on;
        out.push(Event::MaintenanceChanged { on });
        self.fire_overdue(out);
        Ok(())
    }

    pub(crate) fn set_fees(&mut self, market: MarketId, maker_fee_ppm: u32, taker_fee_ppm: u32, out: &mut Vec<Event>) -> Checked<()> {
        self.market(market)?;
        check_fees(maker_fee_ppm, taker_fee_ppm)?;
        let spec = &mut self.markets[market.index()].spec;
        spec.maker_fee_ppm = maker_fee_ppm;
        spec.taker_fee_ppm = taker_fee_ppm;
        out.push(Event::FeesChanged { market, maker_fee_ppm, taker_fee_ppm });
        Ok(())
    }

    pub(crate) fn set_band(&mut self, market: MarketId, band_bps: u32, out: &mut Vec<Event>) -> Checked<()> {
        self.market(market)?;
        check_band(band_bps)?;
        let m = &mut self.markets[market.index()];
        m.spec.band_bps = band_bps;
        m.refresh_band();
        out.push(Event::BandChanged { market, band_bps });
        Ok(())
    }

    pub(crate) fn create_user(&mut self, out: &mut Vec<Event>) -> Checked<()> {
        if self.users.len() >= self.config.max_users as usize {
            return Err(RejectReason::InvalidParameter);
        }
        let user = UserId(self.users.len() as u32);
        let state = UserState { stp_group: user, limits: TierLimits::default(), withdrawn_today: (0, 0) };
        self.users_hot.push(UserHot::of(&state));
        self.users.push(state);
        self.ledger.add_user();
        out.push(Event::UserCreated { user });
        Ok(())
    }

    /// Merges the two users' self-trade-prevention groups; the merged group is named by its
    /// lowest user id. Rare staff action, so a linear pass over users is fine.
    pub(crate) fn link_accounts(&mut self, a: UserId, b: UserId, out: &mut Vec<Event>) -> Checked<()> {
        let group_a = self.user(a)?.stp_group;
        let group_b = self.user(b)?.stp_group;
        if a == b {
            return Err(RejectReason::InvalidParameter);
        }
        let merged = group_a.min(group_b);
        for (u, hot) in self.users.iter_mut().zip(self.users_hot.iter_mut()) {
            if u.stp_group == group_a || u.stp_group == group_b {
                u.stp_group = merged;
                hot.stp_group = merged;
            }
        }
        out.push(Event::AccountsLinked { a, b });
        Ok(())
    }

    pub(crate) fn set_tier_limits(&mut self, user: UserId, limits: &TierLimits, out: &mut Vec<Event>) -> Checked<()> {
        self.user(user)?;
        if let Some(budget) = limits.daily_withdrawal {
            self.asset(budget.valued_in)?;
            if budget.amount.0 > MAX_AMOUNT {
                return Err(RejectReason::InvalidParameter);
            }
        }
        let limits = limits.clone();
        self.users_hot[user.index()].can_trade = limits.can_trade;
        self.users[user.index()].limits = limits;
        out.push(Event::TierLimitsSet { user });
        Ok(())
    }
}

fn check_fees(maker_fee_ppm: u32, taker_fee_ppm: u32) -> Checked<()> {
    if maker_fee_ppm > MAX_FEE_PPM || taker_fee_ppm > MAX_FEE_PPM {
        return Err(RejectReason::InvalidParameter);
    }
    Ok(())
}

/// Zero disables the band; otherwise at most ±100 %.
fn check_band(band_bps: u32) -> Checked<()> {
    if band_bps as u64 > BPS_ONE {
        return Err(RejectReason::InvalidParameter);
    }
    Ok(())
}
