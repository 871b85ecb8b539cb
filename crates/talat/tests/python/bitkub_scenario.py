#!/usr/bin/env python3
"""Drives a talat server through the real PyPI client `bitkub-python` 0.2.0.

Usage: bitkub_scenario.py [BASE_URL API_KEY API_SECRET] [--keep-going]
       (or TALAT_BASE_URL, TALAT_API_KEY, TALAT_API_SECRET in the environment;
       TALAT_SCENARIO_KEEP_GOING=1 is the same as --keep-going)

Every step calls the client's own methods (so its own signing, paths and error handling are what
is tested), checks the content of the answer, and prints one line. The first failing step
prints FAIL with what was expected and what came back, and the script exits 1; with
--keep-going it runs every step and exits 1 at the end if any failed (for diagnosis).

Known gaps: my-order-history and order-info of a closed order come from the query store; when
the server refuses them the step prints a WARNING line instead of failing. When it answers, the
answer is checked like any other.
"""

import json
import os
import sys
import time
import traceback
from decimal import Decimal, ROUND_DOWN, ROUND_UP

import requests
from bitkub import BitkubAPIException, BitkubException, Client

SYMBOL = "BTC_THB"
LEGACY_SYMBOL = "THB_BTC"
MARKETS = ["BTC_THB", "ETH_THB", "USDT_THB", "XRP_THB", "ADA_THB", "DOGE_THB", "SOL_THB", "KUB_THB", "LTC_THB"]
# Unique per run: the server treats a client id seen recently as a retry of that order.
RUN = f"{int(time.time() * 1000):x}"
CLIENT_BID = f"py-{RUN}-bid"
CLIENT_ASK = f"py-{RUN}-ask"
CLIENT_TAKE = f"py-{RUN}-take"
CLIENT_MARKET = f"py-{RUN}-market"
BID_THB = 1000  # THB a resting bid spends
ASK_BTC = Decimal("0.001")  # BTC a resting ask sells
TAKE_THB = 1000  # THB the marketable bid spends
CLOCK_TOLERANCE_MS = 30_000


class StepFailed(Exception):
    pass


class KnownGap(Exception):
    pass


def check(condition, message, got=None):
    if not condition:
        if got is not None:
            message = f"{message}; got {short(got)}"
        raise StepFailed(message)


def short(value, limit=600):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def dec(value, what):
    """A JSON number or decimal string as an exact Decimal."""
    check(is_number(value) or isinstance(value, str), f"{what} should be a number or a decimal string", value)
    try:
        d = Decimal(str(value))
    except Exception:
        raise StepFailed(f"{what} is not a decimal: {value!r}")
    check(d.is_finite(), f"{what} is not finite", value)
    return d


def num(value, what):
    """A JSON number (the documented v3 shape of balances, wallet and place results)."""
    check(is_number(value), f"{what} should be a JSON number", value)
    return Decimal(str(value))


def text_dec(value, what):
    """A decimal carried as a JSON string (the documented shape of ticker, bids, open orders)."""
    check(isinstance(value, str), f"{what} should be a decimal string", value)
    return dec(value, what)


def v3_ok(response, what):
    check(isinstance(response, dict), f"{what}: expected a {{\"error\":0,\"result\":…}} object", response)
    check(response.get("error") == 0, f"{what}: expected error 0", response)
    check("result" in response, f"{what}: the envelope has no result", response)
    return response["result"]


def now_ms():
    return int(time.time() * 1000)


class Scenario:
    def __init__(self, base_url, api_key, api_secret, keep_going):
        self.base_url = base_url
        self.api_key = api_key
        self.api_secret = api_secret
        self.client = Client(api_key, api_secret, base_url=base_url)
        self.keep_going = keep_going
        self.failures = []
        self.warnings = []
        self.passed = 0
        # State carried between steps.
        self.best_bid = None
        self.best_ask = None
        self.bid_rate = None
        self.ask_rate = None
        self.bid_id = None
        self.ask_id = None
        self.start_balances = None
        self.wallet_thb = None

    def step(self, name, fn):
        try:
            detail = fn()
        except KnownGap as gap:
            print(f"WARNING {name}: known gap: {gap}", flush=True)
            self.warnings.append(name)
            return
        except Exception as e:
            if isinstance(e, StepFailed):
                message = str(e)
            elif isinstance(e, BitkubAPIException):
                message = f"the client raised BitkubAPIException code {e.code}: {e.message}"
            elif isinstance(e, BitkubException):
                message = f"the client raised BitkubException (transport/HTTP): {e.message}"
            elif isinstance(e, requests.exceptions.ConnectionError):
                message = (f"the connection failed: {e}. The server closed (or refused) a keep-alive connection "
                           f"the client's session was reusing; it must survive every request, including a GET "
                           f"carrying a body (bitkub-python sends {{}} on every GET)")
            else:
                message = f"unexpected {type(e).__name__}: {e}\n{traceback.format_exc()}"
            print(f"FAIL {name}: {message}", flush=True)
            self.failures.append(name)
            if not self.keep_going:
                print(f"scenario stopped at step '{name}' ({self.passed} steps passed before it)", flush=True)
                sys.exit(1)
            return
        self.passed += 1
        print(f"ok   {name}" + (f": {detail}" if detail else ""), flush=True)

    # ---- helpers ---------------------------------------------------------------------------

    def expect_api_error(self, code, call, what):
        try:
            response = call()
        except BitkubAPIException as e:
            check(e.code == code, f"{what}: expected BitkubAPIException code {code}, got code {e.code} ({e.message})")
            check(isinstance(e.message, str) and e.message, f"{what}: the error carries no message", e.message)
            return e
        except BitkubException as e:
            raise StepFailed(f"{what}: expected an HTTP 2xx answer with {{\"error\":{code}}} (BitkubAPIException), "
                             f"but the client raised its transport exception: {e.message}")
        raise StepFailed(f"{what}: expected BitkubAPIException code {code}, but the call succeeded", response)

    def balances(self):
        result = v3_ok(self.client.fetch_balances(), "balances")
        check(isinstance(result, dict), "balances: result should be an object keyed by asset", result)
        out = {}
        for asset, entry in result.items():
            check(isinstance(entry, dict) and "available" in entry and "reserved" in entry,
                  f"balances: {asset} should be {{available, reserved}}", entry)
            out[asset] = (num(entry["available"], f"balances {asset}.available"), num(entry["reserved"], f"balances {asset}.reserved"))
        return out

    def open_orders(self):
        result = v3_ok(self.client.fetch_open_orders(SYMBOL), "my-open-orders")
        check(isinstance(result, list), "my-open-orders: result should be a list", result)
        return result

    def refresh_touch(self):
        """The current best bid and ask, from the ticker (depth has a 10 req/s budget)."""
        t = self.client.fetch_tickers(SYMBOL)
        check(isinstance(t, list) and len(t) == 1, "ticker: expected one entry", t)
        bid, ask = text_dec(t[0].get("highest_bid"), "highest_bid"), text_dec(t[0].get("lowest_ask"), "lowest_ask")
        check(0 < bid < ask, "ticker: the bot's book should have both sides", t)
        self.best_bid, self.best_ask = bid, ask

    # ---- public ----------------------------------------------------------------------------

    def status(self):
        result = self.client.fetch_status()
        check(isinstance(result, list) and len(result) == 2, "status: expected a bare array of two entries", result)
        for entry in result:
            check(set(entry) >= {"name", "status", "message"}, "status: each entry needs name, status, message", entry)
            check(entry["status"] == "ok", "status: every component should be ok", entry)
        return ", ".join(f"{e['name']}={e['status']}" for e in result)

    def servertime(self):
        before = now_ms()
        t = self.client.fetch_server_time()
        after = now_ms()
        check(isinstance(t, int) and not isinstance(t, bool), "servertime: expected a bare JSON integer", t)
        check(t > 10**12, "servertime: expected milliseconds", t)
        check(before - CLOCK_TOLERANCE_MS <= t <= after + CLOCK_TOLERANCE_MS,
              f"servertime: {t} is more than {CLOCK_TOLERANCE_MS} ms from the local clock ({before}..{after})")
        return f"{t} ms (local clock {before - t:+d} ms)"

    def symbols(self):
        result = v3_ok(self.client.fetch_symbols(), "symbols")
        check(isinstance(result, list), "symbols: result should be a list", result)
        by_symbol = {}
        for item in result:
            check(isinstance(item, dict) and isinstance(item.get("id"), int) and isinstance(item.get("symbol"), str)
                  and isinstance(item.get("info"), str), "symbols: each item is {id:int, symbol:str, info:str}", item)
            by_symbol[item["symbol"]] = item
        check(LEGACY_SYMBOL in by_symbol, f"symbols: {LEGACY_SYMBOL} missing", list(by_symbol))
        for m in MARKETS:
            base, quote = m.split("_")
            check(f"{quote}_{base}" in by_symbol, f"symbols: {quote}_{base} missing (legacy quote-first naming)", list(by_symbol))
        typed = self.client.fetch_symbols_typed()
        check(any(s.symbol == LEGACY_SYMBOL and s.id == by_symbol[LEGACY_SYMBOL]["id"] for s in typed.result),
              "symbols (typed model): THB_BTC missing", [s.symbol for s in typed.result])
        return f"{len(result)} markets, {LEGACY_SYMBOL} id {by_symbol[LEGACY_SYMBOL]['id']}"

    def ticker(self):
        result = self.client.fetch_tickers(SYMBOL)
        check(isinstance(result, list) and len(result) == 1, "ticker: expected a bare array with one entry for sym", result)
        t = result[0]
        fields = ["symbol", "base_volume", "high_24_hr", "highest_bid", "last", "low_24_hr", "lowest_ask", "percent_change", "quote_volume"]
        for f in fields:
            check(f in t, f"ticker: field {f} missing", t)
        check(t["symbol"] == SYMBOL, "ticker: wrong symbol", t)
        values = {f: text_dec(t[f], f"ticker {f}") for f in fields if f != "symbol"}
        check(values["last"] > 0, "ticker: last should be positive once the bot traded", t)
        check(values["highest_bid"] > 0 and values["lowest_ask"] > values["highest_bid"], "ticker: expected highest_bid < lowest_ask", t)
        check(values["low_24_hr"] <= values["last"] <= values["high_24_hr"], "ticker: last outside the 24 h range", t)
        check(Decimal(1_000_000) < values["last"] < Decimal(10_000_000), "ticker: BTC last should be near 3,500,000 THB", t)
        every = self.client.fetch_tickers()
        check(isinstance(every, list) and sorted(x.get("symbol") for x in every) == sorted(MARKETS),
              "ticker without sym: expected every market", [x.get("symbol") for x in every] if isinstance(every, list) else every)
        return f"last {t['last']}, bid {t['highest_bid']}, ask {t['lowest_ask']}"

    def depth(self):
        deadline = time.monotonic() + 10
        while True:
            result = v3_ok(self.client.fetch_depth(SYMBOL, 5), "depth")
            check(isinstance(result, dict) and isinstance(result.get("asks"), list) and isinstance(result.get("bids"), list),
                  "depth: result should be {asks:[…], bids:[…]}", result)
            if result["asks"] and result["bids"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check(result["asks"] and result["bids"], "depth: the bot's book should have both sides", result)
        check(len(result["asks"]) <= 5 and len(result["bids"]) <= 5, "depth: lmt=5 not honoured", result)
        for side in ("asks", "bids"):
            for level in result[side]:
                check(isinstance(level, list) and len(level) == 2 and all(is_number(x) for x in level),
                      f"depth: each {side} level is [price, size] as numbers", level)
                check(level[0] > 0 and level[1] > 0, f"depth: non-positive {side} level", level)
        ask_prices = [Decimal(str(l[0])) for l in result["asks"]]
        bid_prices = [Decimal(str(l[0])) for l in result["bids"]]
        check(ask_prices == sorted(ask_prices), "depth: asks should ascend", result["asks"])
        check(bid_prices == sorted(bid_prices, reverse=True), "depth: bids should descend", result["bids"])
        check(bid_prices[0] < ask_prices[0], "depth: the book is crossed", result)
        self.best_bid, self.best_ask = bid_prices[0], ask_prices[0]
        return f"{len(result['bids'])} bid / {len(result['asks'])} ask levels, touch {self.best_bid} / {self.best_ask}"

    def _book_side(self, response, side, what):
        result = v3_ok(response, what)
        check(isinstance(result, list) and result, f"{what}: expected a non-empty list", result)
        check(len(result) <= 5, f"{what}: lmt=5 not honoured", result)
        prices = []
        for o in result:
            check(isinstance(o, dict), f"{what}: each entry is an object", o)
            for f in ("order_id", "price", "side", "size", "timestamp", "volume"):
                check(f in o, f"{what}: field {f} missing", o)
            check(isinstance(o["order_id"], str) and o["order_id"], f"{what}: order_id should be a string", o)
            check(o["side"] == side, f"{what}: side should be {side}", o)
            check(isinstance(o["timestamp"], int) and o["timestamp"] > 10**12, f"{what}: timestamp should be ms", o)
            price, size, volume = text_dec(o["price"], "price"), text_dec(o["size"], "size"), text_dec(o["volume"], "volume")
            check(price > 0 and size > 0, f"{what}: non-positive price or size", o)
            check(abs(price * size - volume) <= Decimal("0.01"), f"{what}: volume should be price × size in THB", o)
            prices.append(price)
        order = sorted(prices, reverse=(side == "buy"))
        check(prices == order, f"{what}: orders are not best first", [o["price"] for o in result])
        return result

    def bids_asks(self):
        bids = self._book_side(self.client.fetch_bids(SYMBOL, 5), "buy", "bids")
        asks = self._book_side(self.client.fetch_asks(SYMBOL, 5), "sell", "asks")
        check(Decimal(bids[0]["price"]) < Decimal(asks[0]["price"]), "bids/asks: best bid should be below best ask",
              [bids[0], asks[0]])
        return f"best bid {bids[0]['price']} ({bids[0]['size']}), best ask {asks[0]['price']} ({asks[0]['size']})"

    def books(self):
        result = v3_ok(self.client.fetch_order_books(SYMBOL, 5), "books (legacy /api/market/books)")
        check(isinstance(result, dict) and isinstance(result.get("bids"), list) and isinstance(result.get("asks"), list),
              "books: result should be {bids, asks}", result)
        check(result["bids"] and result["asks"], "books: both sides should be non-empty", result)
        for side in ("bids", "asks"):
            for row in result[side]:
                check(isinstance(row, list) and len(row) == 5, f"books: each {side} row is [order_id, ts_s, volume, rate, amount]", row)
                order_id, ts, volume, rate, amount = row
                check(isinstance(order_id, str) and order_id, "books: order_id should be a string", row)
                check(isinstance(ts, int) and 10**9 < ts < 10**11, "books: ts should be seconds", row)
                check(all(is_number(x) and x > 0 for x in (volume, rate, amount)), "books: volume, rate, amount are positive numbers", row)
                check(abs(Decimal(str(rate)) * Decimal(str(amount)) - Decimal(str(volume))) <= Decimal("0.01"),
                      "books: volume should be rate × amount", row)
        check(result["bids"][0][3] < result["asks"][0][3], "books: crossed", result)
        return f"{len(result['bids'])} bids / {len(result['asks'])} asks"

    def trades(self):
        deadline = time.monotonic() + 10
        while True:
            result = v3_ok(self.client.fetch_trades(SYMBOL, 5), "trades")
            check(isinstance(result, list), "trades: result should be a list", result)
            if result or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check(result, "trades: the bot should have traded within 10 s", result)
        check(len(result) <= 5, "trades: lmt=5 not honoured", result)
        for row in result:
            check(isinstance(row, list) and len(row) == 4, "trades: each row is [ts_ms, rate, amount, side]", row)
            ts, rate, amount, side = row
            check(isinstance(ts, int) and ts > 10**12, "trades: ts should be milliseconds", row)
            check(abs(ts - now_ms()) < 3_600_000, "trades: ts should be recent", row)
            check(is_number(rate) and rate > 0 and is_number(amount) and amount > 0, "trades: rate and amount are positive numbers", row)
            check(side in ("BUY", "SELL"), "trades: side should be BUY or SELL", row)
        stamps = [r[0] for r in result]
        check(stamps in (sorted(stamps), sorted(stamps, reverse=True)), "trades: rows should be in time order", stamps)
        return f"{len(result)} trades, latest {result[0]}"

    def tradingview(self):
        to_s = now_ms() // 1000 + 60
        from_s = to_s - 3600
        try:
            result = self.client.fetch_trading_view_history(SYMBOL, "1", from_s, to_s)
        except BitkubException as e:
            raise StepFailed(f"GET /tradingview/history?symbol={SYMBOL}&resolution=1&from={from_s}&to={to_s}: "
                             f"expected HTTP 200 {{\"s\":\"ok\"|\"no_data\",\"t\",\"o\",\"h\",\"l\",\"c\",\"v\"}} (reference §8.4); "
                             f"the client raised {e.message}")
        check(isinstance(result, dict) and result.get("s") in ("ok", "no_data"), "tradingview: expected {\"s\":\"ok\"|\"no_data\",…}", result)
        check("error" not in result, "tradingview: the plain object carries no error key (§5)", result)
        if result["s"] == "no_data":
            return "no_data (accepted: no candle yet)"
        arrays = {k: result.get(k) for k in ("t", "o", "h", "l", "c", "v")}
        for k, arr in arrays.items():
            check(isinstance(arr, list), f"tradingview: {k} should be an array", result)
            check(all(is_number(x) for x in arr), f"tradingview: {k} should hold numbers", arr)
        n = len(arrays["t"])
        check(n > 0 and all(len(a) == n for a in arrays.values()), "tradingview: arrays should be non-empty and of one length", result)
        for i in range(n):
            t, o, h, l, c, v = (arrays[k][i] for k in ("t", "o", "h", "l", "c", "v"))
            check(from_s - 60 <= t <= to_s and t % 60 == 0, "tradingview: t should be minute starts in seconds within [from, to]", t)
            check(l <= min(o, c) and max(o, c) <= h and v >= 0, "tradingview: candle should satisfy l <= o,c <= h", [t, o, h, l, c, v])
        check(arrays["t"] == sorted(arrays["t"]), "tradingview: t should ascend", arrays["t"])
        return f"ok, {n} one-minute candles"

    # ---- private ---------------------------------------------------------------------------

    def wallet(self):
        result = v3_ok(self.client.fetch_wallet(), "wallet")
        check(isinstance(result, dict), "wallet: result should be an object keyed by asset", result)
        check("THB" in result, "wallet: THB missing", result)
        for asset, value in result.items():
            num(value, f"wallet {asset}")
            check(value >= 0, f"wallet: {asset} is negative", result)
        for m in MARKETS:
            base = m.split("_")[0]
            check(base in result and result[base] > 0, f"wallet: the demo customer should hold {base}", result)
        check(result["THB"] >= 100_000, "wallet: the demo customer should hold about 1,000,000 THB", result)
        self.wallet_thb = num(result["THB"], "wallet THB")
        return f"THB {result['THB']}, BTC {result['BTC']}"

    def balances_step(self):
        b = self.balances()
        check("THB" in b and "BTC" in b, "balances: THB and BTC expected", b)
        check(b["THB"][0] == self.wallet_thb, f"balances: THB available {b['THB'][0]} differs from wallet {self.wallet_thb}")
        check(all(r == 0 for _, r in b.values()), "balances: nothing should be reserved before the customer trades", b)
        self.start_balances = b
        return f"THB {b['THB'][0]} available / {b['THB'][1]} reserved, BTC {b['BTC'][0]} / {b['BTC'][1]}"

    def user_limits(self):
        result = v3_ok(self.client.fetch_user_limits(), "user limits")
        check(isinstance(result, dict), "limits: result should be an object", result)
        limits, usage = result.get("limits"), result.get("usage")
        check(isinstance(limits, dict) and isinstance(usage, dict), "limits: limits and usage expected", result)
        for kind in ("crypto", "fiat"):
            check(isinstance(limits.get(kind), dict), f"limits.{kind} missing", result)
            for f in ("deposit", "withdraw"):
                num(limits[kind].get(f), f"limits.{kind}.{f}")
            check(isinstance(usage.get(kind), dict), f"usage.{kind} missing", result)
            for f in ("deposit", "withdraw", "deposit_percentage", "withdraw_percentage"):
                num(usage[kind].get(f), f"usage.{kind}.{f}")
        for f in ("deposit_thb_equivalent", "withdraw_thb_equivalent"):
            num(usage["crypto"].get(f), f"usage.crypto.{f}")
        rate = num(result.get("rate"), "rate")
        check(rate > 0, "limits: rate (THB per BTC) should be positive once BTC traded", result)
        return f"fiat {limits['fiat']}, crypto {limits['crypto']}, rate {rate}"

    def fiat(self):
        """The deprecated v3 fiat calls the SDK still has: lists in the v3 paged shape, and a
        withdrawal to an account that is not registered refused with error 48."""
        for what, call in (("fiat accounts", self.client.fetch_fiat_accounts),
                           ("fiat deposit history", self.client.fetch_fiat_deposits),
                           ("fiat withdraw history", self.client.fetch_fiat_withdrawals)):
            response = call()
            result = v3_ok(response, what)
            check(isinstance(result, list), f"{what}: result should be a list", response)
            check(isinstance(response.get("pagination"), dict), f"{what}: pagination expected", response)
        self.expect_api_error(48, lambda: self.client.withdraw_fiat("999999", 100.0), "fiat withdraw to an unknown account")
        return "accounts, deposit and withdraw history listed; a withdrawal to an unknown account refused (48)"

    def trading_credits(self):
        result = v3_ok(self.client.fetch_user_trade_credit(), "trading credits")
        num(result, "trading credits")
        check(result >= 0, "trading credits: negative", result)
        return f"{result}"

    def wstoken(self):
        result = v3_ok(self.client.create_websocket_token(), "wstoken")
        check(isinstance(result, str) and result, "wstoken: result should be a non-empty token string (§10.12)", result)
        return f"token of {len(result)} characters"

    def _check_place(self, response, what, typ, amt, rat, client_id):
        result = v3_ok(response, what)
        check(isinstance(result, dict), f"{what}: result should be an object", result)
        for f in ("id", "typ", "amt", "rat", "fee", "cre", "rec", "ts"):
            check(f in result, f"{what}: field {f} missing", result)
        check(isinstance(result["id"], str) and result["id"], f"{what}: id should be a non-empty string", result)
        check(result["typ"] == typ, f"{what}: typ should be {typ}", result)
        check(num(result["amt"], "amt") == Decimal(str(amt)), f"{what}: amt should echo {amt}", result)
        check(num(result["rat"], "rat") == Decimal(str(rat)), f"{what}: rat should echo {rat}", result)
        fee, cre, rec = num(result["fee"], "fee"), num(result["cre"], "cre"), num(result["rec"], "rec")
        check(fee >= 0 and cre >= 0 and rec > 0, f"{what}: fee, cre >= 0 and rec > 0 expected", result)
        check(isinstance(result["ts"], str) and result["ts"].isdigit(), f"{what}: ts should be a string of seconds", result)
        check(abs(int(result["ts"]) - now_ms() // 1000) <= CLOCK_TOLERANCE_MS // 1000, f"{what}: ts should be now in seconds", result)
        check(result.get("ci") == client_id, f"{what}: ci should echo client_id {client_id!r}", result)
        return result

    def place_resting_bid(self):
        self.refresh_touch()
        # 10% under the best bid: inside the 20% band, far from anything the bot sells at.
        self.bid_rate = int((self.best_bid * Decimal("0.9")).to_integral_value(ROUND_DOWN))
        r = self.client.create_order_buy(SYMBOL, BID_THB, self.bid_rate, "limit", CLIENT_BID)
        result = self._check_place(r, "place-bid", "limit", BID_THB, self.bid_rate, CLIENT_BID)
        expected_rec = Decimal(BID_THB) / Decimal(self.bid_rate)
        check(abs(num(result["rec"], "rec") - expected_rec) <= expected_rec * Decimal("0.01"),
              f"place-bid: rec should be about amt / rat = {expected_rec:.8f} BTC", result)
        self.bid_id = result["id"]
        return f"id {self.bid_id} at {self.bid_rate} for {BID_THB} THB"

    def place_resting_ask(self):
        self.refresh_touch()
        self.ask_rate = int((self.best_ask * Decimal("1.1")).to_integral_value(ROUND_UP))
        r = self.client.create_order_sell(SYMBOL, float(ASK_BTC), self.ask_rate, "limit", CLIENT_ASK)
        result = self._check_place(r, "place-ask", "limit", ASK_BTC, self.ask_rate, CLIENT_ASK)
        expected_rec = ASK_BTC * self.ask_rate
        check(abs(num(result["rec"], "rec") - expected_rec) <= expected_rec * Decimal("0.01"),
              f"place-ask: rec should be about amt × rat = {expected_rec} THB", result)
        self.ask_id = result["id"]
        return f"id {self.ask_id} at {self.ask_rate} for {ASK_BTC} BTC"

    def reserved_after_placing(self):
        b = self.balances()
        thb_avail, thb_res = b["THB"]
        btc_avail, btc_res = b["BTC"]
        start_thb, start_btc = self.start_balances["THB"][0], self.start_balances["BTC"][0]
        check(0 < thb_res <= BID_THB, f"balances: the bid should reserve at most {BID_THB} THB", b["THB"])
        check(thb_avail + thb_res == start_thb, f"balances: THB available + reserved should still be {start_thb}", b["THB"])
        check(btc_res == ASK_BTC, f"balances: the ask should reserve {ASK_BTC} BTC", b["BTC"])
        check(btc_avail + btc_res == start_btc, f"balances: BTC available + reserved should still be {start_btc}", b["BTC"])
        return f"THB reserved {thb_res}, BTC reserved {btc_res}"

    def open_orders_both(self):
        orders = self.open_orders()
        by_id = {o.get("id"): o for o in orders}
        check(self.bid_id in by_id, f"my-open-orders: bid {self.bid_id} missing", orders)
        check(self.ask_id in by_id, f"my-open-orders: ask {self.ask_id} missing", orders)
        check(len(orders) == 2, "my-open-orders: only the two resting orders expected", orders)
        for oid, side, rate, client_id in ((self.bid_id, "buy", self.bid_rate, CLIENT_BID), (self.ask_id, "sell", self.ask_rate, CLIENT_ASK)):
            o = by_id[oid]
            for f in ("id", "side", "type", "rate", "fee", "credit", "amount", "receive", "parent_id", "super_id", "client_id", "ts"):
                check(f in o, f"my-open-orders: field {f} missing", o)
            for f in ("id", "side", "type", "rate", "fee", "credit", "amount", "receive", "parent_id", "super_id", "client_id"):
                check(isinstance(o[f], str), f"my-open-orders: {f} should be a string", o)
            check(o["side"] == side, f"my-open-orders: order {oid} side should be {side}", o)
            check(o["type"] == "limit", f"my-open-orders: order {oid} type should be limit", o)
            check(Decimal(o["rate"]) == rate, f"my-open-orders: order {oid} rate should be {rate}", o)
            check(o["client_id"] == client_id, f"my-open-orders: order {oid} client_id should be {client_id}", o)
            check(isinstance(o["ts"], int) and abs(o["ts"] - now_ms()) < 60_000, f"my-open-orders: ts should be now in ms", o)
        bid_amount = Decimal(by_id[self.bid_id]["amount"])
        check(0 < bid_amount <= BID_THB and BID_THB - bid_amount < Decimal(self.bid_rate) / 10**7,
              f"my-open-orders: the bid's amount is the THB it spends (about {BID_THB})", by_id[self.bid_id])
        check(Decimal(by_id[self.ask_id]["amount"]) == ASK_BTC, f"my-open-orders: the ask's amount is {ASK_BTC} BTC", by_id[self.ask_id])
        return f"bid {self.bid_id} buy@{by_id[self.bid_id]['rate']}, ask {self.ask_id} sell@{by_id[self.ask_id]['rate']}"

    def order_info_bid(self):
        result = v3_ok(self.client.fetch_order_info(SYMBOL, self.bid_id, "buy"), "order-info")
        check(isinstance(result, dict), "order-info: result should be an object", result)
        for f in ("id", "first", "parent", "last", "client_id", "post_only", "amount", "rate", "fee", "credit",
                  "filled", "total", "status", "partial_filled", "remaining", "history"):
            check(f in result, f"order-info: field {f} missing", result)
        check(result["id"] == self.bid_id, f"order-info: id should be {self.bid_id}", result)
        check(result["client_id"] == CLIENT_BID, "order-info: client_id should echo", result)
        check(result["status"] == "unfilled", "order-info: status of a resting order should be unfilled", result)
        check(result["partial_filled"] is False and result["post_only"] is False, "order-info: partial_filled/post_only should be false", result)
        check(dec(result["rate"], "rate") == self.bid_rate, f"order-info: rate should be {self.bid_rate}", result)
        check(dec(result["filled"], "filled") == 0, "order-info: nothing filled yet", result)
        total = dec(result["total"], "total")
        check(0 < total <= BID_THB, f"order-info: total is the THB of the bid (about {BID_THB})", result)
        check(dec(result["remaining"], "remaining") == total, "order-info: remaining should equal total", result)
        check(isinstance(result["history"], list) and not result["history"], "order-info: no fills yet", result)
        return f"status {result['status']}, total {result['total']}, remaining {result['remaining']}"

    def cancel_both(self):
        for oid, side in ((self.bid_id, "buy"), (self.ask_id, "sell")):
            r = self.client.cancel_order(SYMBOL, oid, side)
            check(isinstance(r, dict) and r.get("error") == 0, f"cancel-order {oid}: expected error 0", r)
            check(r.get("result") == {}, f"cancel-order {oid}: expected {{\"error\":0,\"result\":{{}}}} (§10.6)", r)
        return f"cancelled {self.bid_id} (buy) and {self.ask_id} (sell)"

    def open_orders_empty(self):
        orders = self.open_orders()
        check(orders == [], "my-open-orders: expected no open orders after cancelling both", orders)
        b = self.balances()
        check(b["THB"][1] == 0 and b["BTC"][1] == 0, "balances: nothing should stay reserved after cancelling", b)
        check(b["THB"][0] == self.start_balances["THB"][0] and b["BTC"][0] == self.start_balances["BTC"][0],
              "balances: cancelling should restore the starting balances", b)
        return "none open, reservations released"

    def cancel_again(self):
        self.expect_api_error(21, lambda: self.client.cancel_order(SYMBOL, self.bid_id, "buy"), "cancelling an already cancelled order")
        return "code 21"

    def order_history(self):
        # The history is served from a store fed by the engine's events: give it a moment to
        # catch up, and say so when it needed one.
        started = time.monotonic()
        while True:
            try:
                r = self.client.fetch_order_history(SYMBOL, page=1, limit=10)
            except (BitkubAPIException, BitkubException) as e:
                raise KnownGap(f"GET /api/v3/market/my-order-history?sym={SYMBOL}&p=1&lmt=10 refused "
                               f"({describe(e)}); the query store does not serve it yet")
            result = v3_ok(r, "my-order-history")
            check(isinstance(result, list), "my-order-history: result should be a list", result)
            ids = {o.get("order_id") for o in result if isinstance(o, dict)}
            if {self.bid_id, self.ask_id} <= ids or time.monotonic() - started > 5:
                break
            time.sleep(0.1)
        waited_ms = int((time.monotonic() - started) * 1000)
        pagination = r.get("pagination")
        check(isinstance(pagination, dict) and {"page", "last"} <= set(pagination),
              "my-order-history: a pagination object {page, last, next, prev} should sit beside result (§10.8)", r)
        check(pagination["page"] == 1 and isinstance(pagination["last"], int) and pagination["last"] >= 1,
              "my-order-history: pagination page 1 of at least 1", pagination)
        by_id = {o.get("order_id"): o for o in result}
        for oid, side, client_id, rate in ((self.bid_id, "buy", CLIENT_BID, self.bid_rate), (self.ask_id, "sell", CLIENT_ASK, self.ask_rate)):
            check(oid in by_id, f"my-order-history: cancelled order {oid} missing after {waited_ms} ms", result)
            o = by_id[oid]
            for f in ("txn_id", "order_id", "parent_order_id", "super_order_id", "client_id", "taken_by_me", "is_maker",
                      "side", "type", "rate", "fee", "credit", "amount", "ts", "order_closed_at"):
                check(f in o, f"my-order-history: field {f} missing", o)
            check(o["side"] == side and o["type"] == "limit", f"my-order-history: order {oid} should be a {side} limit", o)
            check(o["client_id"] == client_id, f"my-order-history: order {oid} client_id should be {client_id}", o)
            check(dec(o["rate"], "rate") == rate, f"my-order-history: order {oid} rate should be {rate}", o)
            check(isinstance(o["ts"], int) and abs(o["ts"] - now_ms()) < 600_000, "my-order-history: ts should be ms", o)
            check(o["order_closed_at"] is None or isinstance(o["order_closed_at"], int), "my-order-history: order_closed_at is ms or null", o)
        return f"{len(result)} orders, both cancelled ones present" + (f" (after {waited_ms} ms)" if waited_ms >= 100 else "")

    def order_info_cancelled(self):
        started = time.monotonic()
        while True:
            try:
                r = self.client.fetch_order_info(SYMBOL, self.bid_id, "buy")
                break
            except BitkubAPIException as e:
                if e.code != 24 or time.monotonic() - started > 3:
                    raise KnownGap(f"GET /api/v3/market/order-info?sym={SYMBOL}&id={self.bid_id}&sd=buy of a cancelled order "
                                   f"refused ({describe(e)}); closed orders come from the query store, not served yet")
                time.sleep(0.1)
            except BitkubException as e:
                raise KnownGap(f"GET /api/v3/market/order-info of a cancelled order refused ({describe(e)})")
        result = v3_ok(r, "order-info (cancelled)")
        check(result.get("id") == self.bid_id and result.get("status") == "cancelled",
              "order-info: a just-cancelled order should have status cancelled (§10.9)", result)
        check(result.get("client_id") == CLIENT_BID, "order-info: client_id should echo", result)
        return "status cancelled"

    def marketable_bid(self):
        self.refresh_touch()
        before = self.balances()
        # 1% through the best ask: trades at once against the bot's asks.
        rate = int((self.best_ask * Decimal("1.01")).to_integral_value(ROUND_UP))
        r = self.client.create_order_buy(SYMBOL, TAKE_THB, rate, "limit", CLIENT_TAKE)
        result = self._check_place(r, "marketable place-bid", "limit", TAKE_THB, rate, CLIENT_TAKE)
        oid = result["id"]
        open_ids = [o.get("id") for o in self.open_orders()]
        after = self.balances()
        thb_spent = before["THB"][0] - after["THB"][0]
        btc_got = after["BTC"][0] - before["BTC"][0]
        if oid in open_ids:
            # The bot's asks inside the limit were thinner than 1000 THB: what traded must still show.
            check(btc_got > 0, f"marketable bid {oid} rests without having traded at {rate} (best ask {self.best_ask})", after)
        if oid not in open_ids:
            check(after["THB"][1] == 0, "balances: a filled bid should leave nothing reserved", after["THB"])
        check(0 < thb_spent <= TAKE_THB, f"balances: THB should drop by at most {TAKE_THB}", {"before": str(before["THB"]), "after": str(after["THB"])})
        check(btc_got > 0, "balances: BTC should increase", {"before": str(before["BTC"]), "after": str(after["BTC"])})
        paid = thb_spent / btc_got  # effective price including the fee taken from the BTC received
        check(self.best_ask * Decimal("0.99") <= paid <= Decimal(rate) * Decimal("1.01"),
              f"balances: effective price {paid:.2f} should be near the ask {self.best_ask} (limit {rate})")
        trades = v3_ok(self.client.fetch_trades(SYMBOL, 20), "trades")
        check(any(t[3] == "BUY" and Decimal(str(t[1])) <= rate for t in trades), "trades: the customer's BUY should appear", trades)
        state = "partly filled, rest resting" if oid in open_ids else "filled"
        return f"id {oid} {state}: paid {thb_spent} THB for {btc_got} BTC (≈{paid:.2f} THB/BTC incl. fee)"

    def market_bid(self):
        before = self.balances()
        r = self.client.create_order_buy(SYMBOL, 500, 0, "market", CLIENT_MARKET)
        result = v3_ok(r, "market place-bid")
        check(isinstance(result, dict) and isinstance(result.get("id"), str) and result["id"], "market place-bid: id should be a string", result)
        check(result.get("typ") == "market", "market place-bid: typ should be market", result)
        check(num(result.get("amt"), "amt") == 500 and num(result.get("rat"), "rat") == 0, "market place-bid: amt 500, rat 0 expected", result)
        check(result.get("ci") == CLIENT_MARKET, "market place-bid: ci should echo", result)
        check(all(o.get("id") != result["id"] for o in self.open_orders()), "market place-bid: a market order should not rest", None)
        after = self.balances()
        thb_spent = before["THB"][0] - after["THB"][0]
        btc_got = after["BTC"][0] - before["BTC"][0]
        check(0 < thb_spent <= 500 and after["THB"][1] == 0, "balances: a market bid of 500 THB spends at most 500 THB", str(after["THB"]))
        check(btc_got > 0, "balances: BTC should increase", str(after["BTC"]))
        return f"id {result['id']}: paid {thb_spent} THB for {btc_got} BTC"

    # ---- error paths -----------------------------------------------------------------------

    def invalid_symbol(self):
        self.expect_api_error(11, lambda: self.client.create_order_buy("NOPE_THB", 100, 1000, "limit", ""), "place-bid on NOPE_THB")
        self.expect_api_error(11, lambda: self.client.fetch_open_orders("NOPE_THB"), "my-open-orders of NOPE_THB")
        self.expect_api_error(11, lambda: self.client.fetch_depth("NOPE_THB", 5), "depth of NOPE_THB")
        return "code 11 from place-bid, my-open-orders and depth"

    def amount_too_low(self):
        self.refresh_touch()
        rate = int(self.best_bid * Decimal("0.95"))
        e = self.expect_api_error(15, lambda: self.client.create_order_buy(SYMBOL, 5, rate, "limit", ""), "place-bid of 5 THB (minimum 10)")
        check(self.open_orders() == [], "amount too low: nothing should have been placed", None)
        return f"code 15 ({e.message})"

    def bad_signature(self):
        wrong = Client(self.api_key, "0" * len(self.api_secret or "x"), base_url=self.base_url)
        self.expect_api_error(6, wrong.fetch_wallet, "wallet signed with a wrong secret")
        self.expect_api_error(6, lambda: wrong.create_order_buy(SYMBOL, 100, 1000, "limit", ""), "place-bid signed with a wrong secret")
        return "code 6"

    def run(self):
        self.step("status", self.status)
        self.step("servertime", self.servertime)
        self.step("symbols (legacy /api/market/symbols)", self.symbols)
        self.step("ticker BTC_THB", self.ticker)
        self.step("depth", self.depth)
        self.step("bids and asks", self.bids_asks)
        self.step("order books (legacy /api/market/books)", self.books)
        self.step("trades", self.trades)
        self.step("tradingview history", self.tradingview)
        self.step("wallet", self.wallet)
        self.step("balances", self.balances_step)
        self.step("user limits", self.user_limits)
        self.step("trading credits", self.trading_credits)
        self.step("fiat (deprecated v3)", self.fiat)
        self.step("wstoken", self.wstoken)
        self.step("place resting limit bid", self.place_resting_bid)
        self.step("place resting limit ask", self.place_resting_ask)
        self.step("balances reserve the resting orders", self.reserved_after_placing)
        self.step("my-open-orders shows both", self.open_orders_both)
        self.step("order-info of the bid", self.order_info_bid)
        self.step("cancel both", self.cancel_both)
        self.step("open orders empty afterwards", self.open_orders_empty)
        self.step("cancel again is refused", self.cancel_again)
        self.step("my-order-history", self.order_history)
        self.step("order-info of a cancelled order", self.order_info_cancelled)
        self.step("marketable bid trades", self.marketable_bid)
        self.step("market bid trades", self.market_bid)
        self.step("invalid symbol raises code 11", self.invalid_symbol)
        self.step("amount below minimum raises code 15", self.amount_too_low)
        self.step("bad signature raises code 6", self.bad_signature)
        summary = f"{self.passed} steps passed, {len(self.warnings)} known gaps, {len(self.failures)} failed"
        if self.failures:
            print(f"scenario FAILED: {summary}: {', '.join(self.failures)}", flush=True)
            return 1
        print(f"scenario passed: {summary}" + (f" (warnings: {', '.join(self.warnings)})" if self.warnings else ""), flush=True)
        return 0


def describe(e):
    if isinstance(e, BitkubAPIException):
        return f"BitkubAPIException code {e.code}: {e.message}"
    return f"BitkubException: {e.message}"


def main(argv):
    keep_going = "--keep-going" in argv or os.environ.get("TALAT_SCENARIO_KEEP_GOING") == "1"
    args = [a for a in argv if a != "--keep-going"]
    if len(args) == 3:
        base_url, api_key, api_secret = args
    elif not args:
        base_url = os.environ.get("TALAT_BASE_URL")
        api_key = os.environ.get("TALAT_API_KEY")
        api_secret = os.environ.get("TALAT_API_SECRET")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if not (base_url and api_key and api_secret):
        print("need BASE_URL API_KEY API_SECRET as arguments or TALAT_BASE_URL, TALAT_API_KEY, TALAT_API_SECRET", file=sys.stderr)
        return 2
    print(f"bitkub-python scenario against {base_url}", flush=True)
    return Scenario(base_url.rstrip("/"), api_key, api_secret, keep_going).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
