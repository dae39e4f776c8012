// The console in a real browser (run.sh starts the stack; this drives Debian's Chromium through
// playwright-core). Every wait is bounded and waits for a condition, never a fixed time.
//   node console_browser.mjs SCRATCH CONSOLE_URL SIM_URL CTL SIM_GRPC ADDRESS OUT_DIR CHROMIUM
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const [scratch, consoleUrl, simUrl, ctl, simGrpc, address, outDir, chromiumPath] = process.argv.slice(2);
const require = createRequire(scratch + "/package.json");
const { chromium } = require("playwright-core");

const fail = (msg) => { console.error("console browser test: FAILED: " + msg); process.exitCode = 1; };
const since = (t) => ((Date.now() - t) / 1000).toFixed(2) + " s";
// Our orders open at the simulator and our trades there: its truth API, not the console's word.
const simCount = (cmd, tokens = []) => Number(execFileSync(ctl, ["--sim", simGrpc, cmd, "--address", address,
  ...tokens.flatMap((t) => ["--token", t])]).toString().trim().split("=")[1]);
async function until(what, bound_ms, fn, every_ms = 100) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > bound_ms) throw new Error(`${what}: not within ${bound_ms / 1000} s`);
    await new Promise((r) => setTimeout(r, every_ms));
  }
}

const markets = (await (await fetch(simUrl + "/markets")).json()).data;
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("dialog", (d) => d.accept());  // the page asks before every action: the operator says yes
  await page.goto(consoleUrl, { waitUntil: "domcontentloaded" });

  // 1. Every market of the stack, by slug, with our bid and ask at the market's tick precision.
  await until("the websocket feed", 15000, async () => (await page.textContent("#feed")) === "live");
  for (const m of markets) {
    const digits = String(m.minimum_tick_size).split(".")[1]?.length ?? 0;
    const priceRe = new RegExp(`^\\d\\.\\d{${digits}}$`);
    const card = `.market[data-slug="${m.market_slug}"]`;
    await until(`market ${m.market_slug} with our quotes`, 30000, async () => {
      const bids = await page.$$eval(`${card} [data-our-bid]`, (els) => els.map((e) => e.textContent));
      const asks = await page.$$eval(`${card} [data-our-ask]`, (els) => els.map((e) => e.textContent));
      return bids.some((b) => priceRe.test(b)) && asks.some((a) => priceRe.test(a));
    });
    console.log(`console browser test: ${m.market_slug}: our quotes shown at ${digits} decimals`);
  }

  // 2. A fill at the simulator is on the page within 2 s of the simulator having it: the trade's
  //    own id, not a count (a count read between the two could already include it).
  const simTradeIds = () => execFileSync(ctl, ["--sim", simGrpc, "sim-fills", "--address", address, "--ids"])
    .toString().trim().split("\n").slice(1);
  const known = new Set(simTradeIds());
  let fresh = [];
  const waitStart = Date.now();
  const filledAt = await until("a fill at the simulator (its takers trade against our quotes)", 120000, async () => {
    fresh = simTradeIds().filter((id) => !known.has(id));
    return fresh.length > 0 ? Date.now() : 0;
  }, 50);
  await until(`trade ${fresh[0]} on the page`, 2000, async () =>
    (await page.$$eval("#fills tr[data-trade-id]", (rows) => rows.map((r) => r.dataset.tradeId)))
      .some((id) => fresh.includes(id)), 50);
  console.log(`console browser test: a fill reached the page ${since(filledAt)} after the simulator had it ` +
              `(waited ${since(waitStart)} for the fill)`);
  mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: outDir + "/console.png", fullPage: true });
  console.log(`console browser test: screenshot ${outDir}/console.png`);

  // 3. Pause (confirmed) one market: its orders leave the simulator while the others' stay;
  //    Resume brings them back.
  const paused = markets[0];
  const card = `.market[data-slug="${paused.market_slug}"]`;
  const tokens = paused.tokens.map((t) => t.token_id);
  const others = markets.slice(1).flatMap((m) => m.tokens.map((t) => t.token_id));
  if (!(simCount("sim-open", tokens) > 0 && simCount("sim-open", others) > 0)) {
    throw new Error(`expected our orders open in ${paused.market_slug} and elsewhere`);
  }
  await page.click(`${card} button[data-action="pause"]`);
  await until(`${paused.market_slug}'s orders cancelled at the simulator after Pause`, 15000,
              async () => simCount("sim-open", tokens) === 0);
  if (!(simCount("sim-open", others) > 0)) throw new Error("Pause of one market took the others' orders too");
  await until("the page showing the market paused", 5000,
              async () => (await page.$(`${card} button[data-action="resume"]`)) !== null);
  await page.click(`${card} button[data-action="resume"]`);
  await until(`${paused.market_slug} quoted again after Resume`, 20000, async () => simCount("sim-open", tokens) > 0);
  console.log(`console browser test: Pause took ${paused.market_slug}'s orders off the simulator (the others stayed); ` +
              "Resume brought them back");

  // 4. Kill (confirmed) empties our orders at the simulator, and the page says so.
  const open = simCount("sim-open");
  if (!(open > 0)) throw new Error(`expected our orders open at the simulator before the kill, found ${open}`);
  const killAt = Date.now();
  await page.click("#kill");
  await until("our orders cancelled at the simulator after Kill", 15000, async () => simCount("sim-open") === 0);
  console.log(`console browser test: Kill emptied our ${open} orders at the simulator in ${since(killAt)}`);
  await until("the page showing KILLED", 5000, async () => (await page.textContent("#kill-state")).startsWith("KILLED"));
  await page.screenshot({ path: outDir + "/console-killed.png", fullPage: true });
  if (consoleErrors.length) fail("page errors: " + consoleErrors.join("; "));
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
