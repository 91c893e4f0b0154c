// Time from navigation to the first idle frame with the reports drawn, in Debian's Chromium:
// `node tests/web/first-render.mjs BASE_URL`. Used by bench/first-render.sh.
import { launch } from './browser.mjs';

const base = process.argv[2];
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const started = Date.now();
await page.goto(`${base}/?lat=38.5&lon=49.5&z=5.5`);
await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120000 });
await page.waitForFunction(() => {
  const m = window.sightmap.map;
  return m.isSourceLoaded('reports') && m.areTilesLoaded() && m.queryRenderedFeatures({ layers: ['clusters'] }).length > 0;
}, null, { timeout: 120000, polling: 50 });
const ms = Date.now() - started;
const drawn = await page.evaluate(() => window.sightmap.map.queryRenderedFeatures({ layers: ['clusters'] })
  .reduce((n, f) => n + f.properties.point_count, 0));
console.log(`first render: ${ms} ms, ${drawn} reports in the clusters drawn`);
await browser.close();
