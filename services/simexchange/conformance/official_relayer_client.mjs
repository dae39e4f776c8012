// Drives the simulator's relayer with Polymarket's official relayer client
// (@polymarket/builder-relayer-client), unchanged: derive the deposit wallet, deploy it, merge a
// full set through it, poll until mined, read the result on the simulator's chain (JSON-RPC) and
// list the builder's transactions. Run by run_relayer.sh, which installs the client into a
// scratch folder (never committed) and starts the simulator.
//   node official_relayer_client.mjs SCRATCH_DIR HOST CLOBMAKERCTL SIM_GRPC BUILDER_KEY BUILDER_SECRET BUILDER_PASSPHRASE
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const [scratch, host, ctl, simGrpc, builderKey, builderSecret, builderPassphrase] = process.argv.slice(2);
const require = createRequire(path.join(scratch, "package.json"));
const { RelayClient } = require("@polymarket/builder-relayer-client");
const { BuilderConfig } = require("@polymarket/builder-signing-sdk");
const viem = require("viem");
const { polygon } = require("viem/chains");
const { privateKeyToAccount } = require("viem/accounts");

// A public Hardhat/Anvil test key: never real funds.
const owner = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const chain = viem.defineChain({ ...polygon, rpcUrls: { default: { http: [`${host}/rpc`] } } });
const publicClient = viem.createPublicClient({ chain, transport: viem.http() });
const signer = viem.createWalletClient({ account: owner, chain, transport: viem.http() });
const builder = new BuilderConfig({
  localBuilderCreds: { key: builderKey, secret: builderSecret, passphrase: builderPassphrase },
});
const client = new RelayClient(host, 137, signer, builder, undefined, { chain });
// What the official packages name these contracts (deposit-wallets-spec.md s1, s6).
const CTF = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045";
const PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB";
const COLLATERAL_ADAPTER = "0xAdA100Db00Ca00073811820692005400218FcE1f";

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
const balanceOf = (wallet, token) =>
  publicClient.readContract({
    address: CTF,
    abi: viem.parseAbi(["function balanceOf(address owner, uint256 id) view returns (uint256)"]),
    functionName: "balanceOf",
    args: [wallet, BigInt(token)],
  });

const markets = await (await fetch(`${host}/markets`)).json();
const market = markets.data[0];
const [yes, no] = market.tokens.map((t) => t.token_id);
let wallet;
const ids = [];

await check("deriveDepositWalletAddress (beacon from the factory, code from the chain)", async () => {
  wallet = await client.deriveDepositWalletAddress();
  expect(viem.isAddress(wallet), `not an address: ${wallet}`);
  expect((await client.getDeployed(wallet, "WALLET")) === false, "deployed before WALLET-CREATE");
  return wallet;
});
await check("deployDepositWallet then wait() until mined", async () => {
  const response = await client.deployDepositWallet();
  expect(response.state === "STATE_NEW", `state ${response.state}`);
  ids.push(response.transactionID);
  const tx = await response.wait();
  expect(tx !== undefined, "failed or timed out");
  expect(tx.type === "WALLET-CREATE", `type ${tx.type}`);
  expect((await client.getDeployed(wallet, "WALLET")) === true, "not deployed after mining");
  expect((await client.deriveDepositWalletAddress()) === wallet, "the derivation changed after deployment");
  return tx.state;
});
// The wallet holds a full set of 20 on the simulator's chain and exchange.
for (const token of [yes, no]) {
  execFileSync(ctl, ["--sim", simGrpc, "sim-credit", "--address", wallet, "--token", token, "--tokens", "20"]);
}
await check("executeDepositWalletBatch: mergePositions through the CollateralAdapter, mined", async () => {
  const before = await balanceOf(wallet, yes);
  const data = viem.encodeFunctionData({
    abi: viem.parseAbi([
      "function mergePositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)",
    ]),
    functionName: "mergePositions",
    args: [PUSD, viem.zeroHash, market.condition_id, [1n, 2n], 10_000_000n],
  });
  const deadline = String(Math.floor(Date.now() / 1000) + 240);
  const response = await client.executeDepositWalletBatch([{ target: COLLATERAL_ADAPTER, value: "0", data }], wallet, deadline);
  ids.push(response.transactionID);
  const tx = await response.wait();
  expect(tx !== undefined, "failed or timed out");
  expect(tx.proxyAddress.toLowerCase() === wallet.toLowerCase(), `proxyAddress ${tx.proxyAddress}`);
  expect(/^0x[0-9a-f]{64}$/.test(tx.transactionHash), `hash ${tx.transactionHash}`);
  const afterYes = await balanceOf(wallet, yes);
  const afterNo = await balanceOf(wallet, no);
  expect(before - afterYes === 10_000_000n && afterNo === afterYes, `YES ${before} -> ${afterYes}, NO ${afterNo}`);
  return `${tx.state}, YES ${before} -> ${afterYes}`;
});
await check("getNonce(owner, WALLET) moved on", async () => {
  const nonce = await client.getNonce(owner.address, "WALLET");
  expect(nonce.nonce === "1", `nonce ${JSON.stringify(nonce)}`);
  return nonce.nonce;
});
await check("getTransactions (builder-authenticated) lists both", async () => {
  const txs = await client.getTransactions();
  for (const id of ids) expect(txs.some((t) => t.transactionID === id), `missing ${id}`);
  return `${txs.length} transactions`;
});
await check("a builder with a wrong secret is refused", async () => {
  const wrong = new RelayClient(host, 137, signer,
    new BuilderConfig({ localBuilderCreds: { key: builderKey, secret: "d3Jvbmctc2VjcmV0", passphrase: builderPassphrase } }),
    undefined, { chain });
  let refused = false;
  try {
    const r = await wrong.getTransactions();
    refused = !Array.isArray(r);
  } catch {
    refused = true;
  }
  expect(refused, "accepted");
});

console.log(`relayer conformance: ${passed} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
