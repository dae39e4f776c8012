// Helper of bench/sign-vs-official: generates order intents and signs them with Polymarket's
// official TypeScript client (@polymarket/clob-client-v2), in the clobmaker-sign line format.
//   node official-sign.mjs gen COUNT SEED SCRATCH_DIR > intents.jsonl
//   node official-sign.mjs sign SCRATCH_DIR          < intents.jsonl > official.jsonl
// The official client is installed by the caller into SCRATCH_DIR (never committed).
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import path from "node:path";

const mode = process.argv[2];

// Deterministic generator (mulberry32) so a run can be replayed from its seed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(r, bytes) {
  let s = "0x";
  for (let i = 0; i < bytes; i++) s += Math.floor(r() * 256).toString(16).padStart(2, "0");
  return s;
}

async function generate(count, seed, scratch) {
  const { Wallet } = await import(pathToFileURL(path.join(scratch, "node_modules/@ethersproject/wallet/lib/index.js")).href);
  const r = rng(seed);
  const ticks = [["0.1", 1], ["0.01", 2], ["0.005", 3], ["0.0025", 4], ["0.001", 3], ["0.0001", 4]];
  const out = [];
  const keys = Array.from({ length: 50 }, () => hex(r, 32));
  const addresses = keys.map((k) => new Wallet(k).address);
  for (let i = 0; i < count; i++) {
    const which = Math.floor(r() * keys.length);
    const key = keys[which];
    const address = addresses[which];
    const version = [1, 2, 2, 2, 3][Math.floor(r() * 5)];
    const [tick, dp] = ticks[Math.floor(r() * ticks.length)];
    const tickUnits = Math.round(parseFloat(tick) * 10000);
    const steps = 10000 / tickUnits - 1;
    const priceUnits = tickUnits * (1 + Math.floor(r() * steps));
    const price = (priceUnits / 10000).toFixed(dp).replace(/0+$/, "").replace(/\.$/, "");
    const size = (Math.floor(r() * 500000) / 100 + 0.01).toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
    const sigType = version === 1 ? Math.floor(r() * 3) : Math.floor(r() * 4);
    const funder = hex(r, 20);
    const maker = sigType === 0 ? address : funder;
    const signer = sigType === 3 ? funder : address;
    const intent = {
      private_key: key, chain_id: r() < 0.8 ? 137 : 80002, neg_risk: r() < 0.5, tick_size: tick,
      side: r() < 0.5 ? "BUY" : "SELL", price, size,
      token_id: BigInt(hex(r, 31)).toString(), signature_type: sigType, maker, signer,
      salt: String(Math.floor(r() * 1e12)), expiration: r() < 0.7 ? "0" : String(1800000000 + Math.floor(r() * 1e8)),
    };
    if (version === 1) {
      intent.fee_rate_bps = r() < 0.7 ? "0" : String(Math.floor(r() * 200));
      intent.nonce = r() < 0.8 ? "0" : String(Math.floor(r() * 1000));
    } else {
      intent.version = version;
      intent.timestamp = String(1780000000000 + Math.floor(r() * 1e10));
      intent.metadata = r() < 0.6 ? "0x" + "00".repeat(32) : hex(r, 32);
      intent.builder = r() < 0.6 ? "0x" + "00".repeat(32) : hex(r, 32);
    }
    out.push(JSON.stringify(intent));
  }
  process.stdout.write(out.join("\n") + "\n");
}

async function sign(scratch) {
  const dist = path.join(scratch, "node_modules/@polymarket/clob-client-v2/dist");
  const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
  const { ExchangeOrderBuilderV2 } = await load("order-utils/exchangeOrderBuilderV2.js");
  const { ExchangeOrderBuilderV1 } = await load("order-utils/exchangeOrderBuilderV1.js");
  const { getOrderRawAmounts } = await load("order-builder/helpers/getOrderRawAmounts.js");
  const { ROUNDING_CONFIG } = await load("order-builder/helpers/roundingConfig.js");
  const { getContractConfig } = await load("config.js");
  const { Wallet } = await import(pathToFileURL(path.join(scratch, "node_modules/@ethersproject/wallet/lib/index.js")).href);
  const { parseUnits } = await import(pathToFileURL(path.join(scratch, "node_modules/viem/_esm/index.js")).href);

  const lines = [];
  for await (const line of createInterface({ input: process.stdin })) if (line.trim()) lines.push(line);
  const wallets = new Map();
  const results = [];
  const start = process.hrtime.bigint();
  for (const line of lines) {
    const x = JSON.parse(line);
    try {
      const version = x.version ?? 1;
      let w = wallets.get(x.private_key);
      if (!w) { w = new Wallet(x.private_key); wallets.set(x.private_key, w); }
      const { rawMakerAmt, rawTakerAmt } = getOrderRawAmounts(x.side, parseFloat(x.size), parseFloat(x.price), ROUNDING_CONFIG[x.tick_size]);
      const makerAmount = parseUnits(rawMakerAmt.toString(), 6).toString();
      const takerAmount = parseUnits(rawTakerAmt.toString(), 6).toString();
      const c = getContractConfig(x.chain_id);
      const exchange = version === 1 ? (x.neg_risk ? c.negRiskExchange : c.exchange)
                     : version === 3 ? c.exchangeV3 : (x.neg_risk ? c.negRiskExchangeV2 : c.exchangeV2);
      let builder, data;
      if (version === 1) {
        builder = new ExchangeOrderBuilderV1(exchange, x.chain_id, w, () => x.salt);
        data = { maker: x.maker, taker: "0x0000000000000000000000000000000000000000", tokenId: x.token_id, makerAmount, takerAmount,
                 side: x.side, feeRateBps: x.fee_rate_bps, nonce: x.nonce, signer: x.signer, expiration: x.expiration, signatureType: x.signature_type };
      } else {
        builder = new ExchangeOrderBuilderV2(exchange, x.chain_id, w, () => x.salt, String(version));
        data = { maker: x.maker, signer: x.signer, tokenId: x.token_id, makerAmount, takerAmount, side: x.side, signatureType: x.signature_type,
                 timestamp: x.timestamp, metadata: x.metadata, builder: x.builder, expiration: x.expiration };
      }
      const order = await builder.buildOrder(data);
      const typed = builder.buildOrderTypedData(order);
      const orderHash = builder.buildOrderHash(typed);
      const signature = await builder.buildOrderSignature(typed);
      results.push(JSON.stringify({ maker_amount: makerAmount, taker_amount: takerAmount, exchange, order_hash: orderHash, signature }));
    } catch (e) {
      results.push(JSON.stringify({ error: String(e.message ?? e) }));
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(results.join("\n") + "\n");
  process.stderr.write(`official_seconds=${seconds.toFixed(3)} official_orders=${lines.length}\n`);
}

if (mode === "gen") await generate(parseInt(process.argv[3] ?? "1000", 10), parseInt(process.argv[4] ?? "1", 10), process.argv[5]);
else if (mode === "sign") await sign(process.argv[3]);
else { process.stderr.write("usage: official-sign.mjs gen COUNT SEED SCRATCH_DIR | sign SCRATCH_DIR\n"); process.exit(2); }
