// Drives simexchange with Polymarket's official TypeScript client (@polymarket/clob-client-v2),
// unchanged, and reports every check. Run by run.sh, which installs the client into a scratch
// folder (never committed) and starts the simulator.
//   node official_client.mjs SCRATCH_DIR HOST
import path from "node:path";
import { pathToFileURL } from "node:url";

const [scratch, host] = process.argv.slice(2);
const lib = await import(pathToFileURL(path.join(scratch, "node_modules/@polymarket/clob-client-v2/dist/index.js")).href);
const { Wallet } = await import(pathToFileURL(path.join(scratch, "node_modules/@ethersproject/wallet/lib/index.js")).href);
const { ClobClient, Side, OrderType } = lib;

// Public Hardhat/Anvil test keys: never real funds.
const wallet = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const other = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const chain = 137;
let failures = 0;
let passed = 0;
const check = async (name, fn) => {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`ok ${name}${detail ? ` (${detail})` : ""}`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
  }
};
const expect = (cond, what) => {
  if (!cond) throw new Error(what);
};

const l1 = new ClobClient({ host, chain, signer: wallet, throwOnError: true });
let creds;
let client;
let token;
let market;
let askPrice;
const ids = [];

await check("health /ok", async () => { await l1.getOk(); });
await check("GET /version is 2", async () => { const v = await l1.getVersion(); expect(v === 2, `version ${v}`); return `v${v}`; });
await check("API key through L1 (createOrDeriveApiKey)", async () => {
  creds = await l1.createOrDeriveApiKey();
  expect(creds?.key && creds?.secret && creds?.passphrase, "no credentials");
  client = new ClobClient({ host, chain, signer: wallet, creds, throwOnError: true });
  return creds.key;
});
await check("markets, tick size, neg risk, book", async () => {
  const markets = await client.getMarkets();
  market = markets.data[0];
  token = market.tokens[0].token_id;
  const tick = await client.getTickSize(token);
  expect(tick === "0.01", `tick ${tick}`);
  const negRisk = await client.getNegRisk(token);
  expect(negRisk === false, "neg risk");
  const book = await client.getOrderBook(token);
  expect(book.asks.length > 0, "empty book");
  askPrice = parseFloat(book.asks[book.asks.length - 1].price);  // best ask is last
  return `best ask ${askPrice}`;
});
await check("post-only GTC order (createAndPostOrder)", async () => {
  const r = await client.createAndPostOrder({ tokenID: token, price: 0.3, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  expect(r.success && r.orderID, JSON.stringify(r));
  ids.push(r.orderID);
  return r.status;
});
await check("order by id and open orders", async () => {
  const o = await client.getOrder(ids[0]);
  expect(o.id === ids[0] && o.status === "LIVE", JSON.stringify(o));
  const open = await client.getOpenOrders({ asset_id: token });
  expect(open.some((x) => x.id === ids[0]), "not listed");
  return `${open.length} open`;
});
await check("batch post (postOrders)", async () => {
  const a = await client.createOrder({ tokenID: token, price: 0.29, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false });
  const b = await client.createOrder({ tokenID: token, price: 0.28, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false });
  const r = await client.postOrders([{ order: a, orderType: OrderType.GTC }, { order: b, orderType: OrderType.GTC }], true);
  expect(r.length === 2 && r.every((x) => x.success && x.orderID), JSON.stringify(r));
  ids.push(r[0].orderID, r[1].orderID);
});
await check("post-only crossing is refused", async () => {
  try {
    await client.createAndPostOrder({ tokenID: token, price: askPrice, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  } catch (e) {
    expect(String(e.message).includes("crosses book"), e.message);
    return "refused";
  }
  throw new Error("accepted a crossing post-only order");
});
await check("heartbeats", async () => {
  const first = await client.postHeartbeat("");
  expect(first.heartbeat_id, JSON.stringify(first));
  const next = await client.postHeartbeat(first.heartbeat_id);
  expect(next.heartbeat_id && next.heartbeat_id !== first.heartbeat_id, JSON.stringify(next));
});
await check("order scoring", async () => {
  const one = await client.isOrderScoring({ order_id: ids[0] });
  expect(typeof one.scoring === "boolean", JSON.stringify(one));
  const many = await client.areOrdersScoring({ orderIds: ids });
  expect(Object.keys(many).length === ids.length, JSON.stringify(many));
});
await check("balance and allowance", async () => {
  const b = await client.getBalanceAllowance({ asset_type: "COLLATERAL" });
  expect(BigInt(b.balance) > 0n, JSON.stringify(b));
  return `balance ${b.balance}`;
});
await check("cancel one and many", async () => {
  const one = await client.cancelOrder({ orderID: ids[0] });
  expect(one.canceled.includes(ids[0]), JSON.stringify(one));
  const many = await client.cancelOrders([ids[1]]);
  expect(many.canceled.includes(ids[1]), JSON.stringify(many));
});
await check("cancel market orders and cancel all", async () => {
  const r = await client.cancelMarketOrders({ market: market.condition_id });
  expect(r.canceled.includes(ids[2]), JSON.stringify(r));
  await client.createAndPostOrder({ tokenID: token, price: 0.2, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  const all = await client.cancelAll();
  expect(all.canceled.length === 1, JSON.stringify(all));
});
await check("marketable FOK order trades and shows in trades", async () => {
  const r = await client.createAndPostOrder({ tokenID: token, price: askPrice, size: 5, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.FOK);
  expect(r.success && r.status === "matched", JSON.stringify(r));
  const trades = await client.getTrades({ asset_id: token }, true);
  expect(trades.length >= 1, "no trades");
  return `${trades.length} trade(s)`;
});
await check("clob market info carries the fee schedule (fd) and the delays", async () => {
  const info = await client.getClobMarketInfo(market.condition_id);
  expect(info?.fd && typeof info.fd.r === "number" && typeof info.fd.e === "number", JSON.stringify(info));
  expect(typeof info.sd === "number" && typeof info.itode === "boolean", JSON.stringify(info));
  return `fd r=${info.fd.r} e=${info.fd.e}`;
});
await check("order by id of a cancelled order answers nothing (200 null)", async () => {
  const o = await client.getOrder(ids[0]);
  expect(o === null || o === "" || o === undefined, JSON.stringify(o));
});
await check("bad L2 credentials are refused", async () => {
  const bad = new ClobClient({ host, chain, signer: wallet, creds: { ...creds, passphrase: "wrong" }, throwOnError: true });
  try {
    await bad.getOpenOrders();
  } catch (e) {
    return "refused";
  }
  throw new Error("accepted a bad passphrase");
});
await check("foreign signatures are refused", async () => {
  const foreign = new ClobClient({ host, chain, signer: other, creds, throwOnError: true });
  try {
    await foreign.createAndPostOrder({ tokenID: token, price: 0.3, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  } catch (e) {
    return "refused";
  }
  throw new Error("accepted an order signed by another wallet");
});
await check("POLY_1271: a deposit wallet's order (ERC-7739 signature) rests under the wallet", async () => {
  // The key's deposit wallet (beacon), as @polymarket/builder-relayer-client 0.0.10's
  // deriveDepositWalletAddress() derives it against the simulator (common/wallet agrees).
  const depositWallet = "0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50";
  const c1271 = new ClobClient({ host, chain, signer: wallet, creds, signatureType: 3, funderAddress: depositWallet, throwOnError: true });
  const r = await c1271.createAndPostOrder({ tokenID: token, price: 0.25, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  expect(r.success && r.orderID, JSON.stringify(r));
  const o = await client.getOrder(r.orderID);
  expect(o && o.maker_address?.toLowerCase() === depositWallet.toLowerCase(), JSON.stringify(o));
  await client.cancelOrder({ orderID: r.orderID });
  return r.status;
});
await check("POLY_1271 with a maker that is not the key's wallet is refused", async () => {
  const c1271 = new ClobClient({ host, chain, signer: wallet, creds, signatureType: 3, funderAddress: other.address, throwOnError: true });
  try {
    await c1271.createAndPostOrder({ tokenID: token, price: 0.25, size: 10, side: Side.BUY }, { tickSize: "0.01", negRisk: false }, OrderType.GTC, true);
  } catch (e) {
    expect(String(e.message).includes("invalid signature"), e.message);
    return "refused";
  }
  throw new Error("accepted an order for another owner's wallet");
});
console.log(`${passed} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
