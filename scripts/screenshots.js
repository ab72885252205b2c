#!/usr/bin/env node
/**
 * Screenshots of the explorer's views for docs/ and the README:
 *   npm start   (in another shell; the demo data on an empty database)
 *   node scripts/screenshots.js [http://localhost:4000]
 * The story of the README: DPO and SimPO runs on the value-gap (synthetic) preference data.
 */
/* global fetch */
const path = require('node:path');
const { chromium } = require('playwright-core');

const base = (process.argv[2] ?? 'http://localhost:4000').replace(/\/+$/, '');
const out = path.join(__dirname, '..', 'docs');

async function main() {
  const query =
    '{ runs(first: 200, filter: { algorithm: ["dpo", "simpo"], stageDataset: ["synth-support", "synth-oppose"] }) { nodes { id } } }';
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const runs = (await res.json()).data.runs.nodes.map((r) => r.id).join(',');
  const shots = [
    ['runs', `?view=runs&runs=${runs}&f.algorithm=dpo,%20simpo&f.preferenceData=synth`],
    ['trajectories', `?view=trajectories&runs=${runs}&topic=immigration&color=algorithm`],
    ['groups', `?view=groups&runs=${runs}&group=ALGORITHM,DATASET&topic=immigration`],
    ['attribution', `?view=attribution&runs=${runs}`],
    ['driftmap', `?view=driftmap&runs=${runs}`],
    ['effects', `?view=effects&runs=${runs}`],
  ];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    for (const [name, search] of shots) {
      await page.goto(`${base}/${search}`);
      await page.waitForSelector(name === 'runs' ? 'tbody tr' : 'figure.chart .plot[data-drawn-ms]', { timeout: 30_000 });
      await page.screenshot({ path: path.join(out, `explorer-${name}.png`) });
      process.stdout.write(`docs/explorer-${name}.png\n`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
