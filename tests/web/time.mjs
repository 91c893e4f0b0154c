// The timeline, playback and "as known on" in a real browser (Debian's Chromium, driven by
// playwright-core), against a running sightmap: `node tests/web/time.mjs BASE ARTIFACT_DIR`.
// tests/web_map.rs starts the server (with the write token `time-admin`) and runs this; it
// exits non-zero on the first failure.

import { launch } from './browser.mjs';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

const base = process.argv[2];
const artifacts = process.argv[3] || 'target/web-artifacts';
mkdirSync(artifacts, { recursive: true });
const auth = { 'Content-Type': 'application/json', Authorization: 'Bearer time-admin' };

async function send(method, path, body) {
  const reply = await fetch(`${base}${path}`, { method, headers: auth, body: JSON.stringify(body) });
  const text = await reply.text();
  assert.ok(reply.ok, `${method} ${path}: ${reply.status} ${text}`);
  return JSON.parse(text);
}

const source = [{ name: 'a resident', type: 'civilian', stance: 'asserts' }];
const at = (lat, lon, kind, from, to) => ({ kind, description: `${kind} seen`, lat, lon, precision: 'place', observed: { from, to }, sources: source });
// Three nights: Rasht (14 June), Astara (15 June), Lahijan (16 June), and a report observed
// over the whole of 14 to 16 June.
const rasht = await send('POST', '/api/reports', at(37.27611, 49.58862, 'strike', '2025-06-14T01:00:00Z', '2025-06-14T01:00:00Z'));
const astara = await send('POST', '/api/reports', at(38.43084, 48.86994, 'drone', '2025-06-15T21:00:00Z', '2025-06-15T21:30:00Z'));
const lahijan = await send('POST', '/api/reports', at(37.2071, 50.0041, 'sound', '2025-06-16T22:00:00Z', '2025-06-16T22:00:00Z'));
await send('POST', '/api/reports', at(37.5, 49.0, 'sound', '2025-06-14T00:00:00Z', '2025-06-17T00:00:00Z'));
// A moment to cite, then Rasht is confirmed.
await new Promise((r) => setTimeout(r, 1100));
const cited = `${new Date().toISOString().slice(0, 19)}Z`;
await new Promise((r) => setTimeout(r, 1100));
await send('PATCH', `/api/reports/${rasht.id}`, { status: 'confirmed' });

const browser = await launch();
// The viewer is in Tehran: the bins and labels are in UTC+03:30.
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Tehran' });
const page = await context.newPage();
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('pageerror', (e) => errors.push(String(e)));
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

async function ready() {
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('timeline-chart').dataset.bins > 0, null, { timeout: 15000 });
}
const listed = () => page.$$eval('#list li', (lis) => lis.map((li) => li.dataset.id).sort());

// The timeline shows the reports in view by observation time, in the viewer's zone.
await page.goto(`${base}/?lat=37.8&lon=49.2&z=6.5`);
await ready();
assert.match(await page.textContent('#timeline-zone'), /UTC\+03:30/);
const chart = await page.$eval('#timeline-chart', (c) => ({ ...c.dataset }));
assert.equal(chart.matched, '4');
assert.ok((await page.$$('#timeline-chart rect')).length >= 4, 'bars drawn');
await page.waitForFunction(() => document.querySelectorAll('#list li').length === 4);
await page.screenshot({ path: `${artifacts}/time-1-timeline.png` });

// Brushing the day of 15 June (local) filters the list and the map, and the URL holds it.
const box = await page.locator('#timeline-chart').boundingBox();
const xOf = (iso) => page.evaluate((t) => {
  const tl = window.sightmap.timeline;
  return tl.x(Date.parse(t) / 1000, document.getElementById('timeline-chart').clientWidth);
}, iso);
const x0 = await xOf('2025-06-15T12:00:00Z');
const x1 = await xOf('2025-06-16T12:00:00Z');
await page.mouse.move(box.x + x0, box.y + 40);
await page.mouse.down();
await page.mouse.move(box.x + (x0 + x1) / 2, box.y + 40, { steps: 4 });
await page.mouse.move(box.x + x1, box.y + 40, { steps: 4 });
await page.mouse.up();
await page.waitForFunction(() => new URL(location.href).searchParams.get('since'));
const brushed = new URL(page.url());
const since = Date.parse(brushed.searchParams.get('since'));
const until = Date.parse(brushed.searchParams.get('until'));
assert.ok(Math.abs(since - Date.parse('2025-06-15T12:00:00Z')) < 3 * 3600e3, `since ${brushed.searchParams.get('since')}`);
assert.ok(Math.abs(until - Date.parse('2025-06-16T12:00:00Z')) < 3 * 3600e3, `until ${brushed.searchParams.get('until')}`);
// Astara (15 June, 21:00) and the three-day report are in the span; Rasht and Lahijan not.
await page.waitForFunction((ids) => {
  const shown = [...document.querySelectorAll('#list li')].map((li) => li.dataset.id);
  return shown.length === 2 && shown.includes(ids[0]);
}, [astara.id], { timeout: 10000 });
const onMap = await page.evaluate(async () => (await window.sightmap.map.getSource('reports').getData()).features.map((f) => f.properties.id));
assert.ok(onMap.includes(astara.id) && !onMap.includes(rasht.id) && !onMap.includes(lahijan.id), `map: ${onMap}`);
await page.screenshot({ path: `${artifacts}/time-2-brushed.png` });
// The brushed link opens the same span.
const again = await context.newPage();
await again.goto(brushed.toString());
await again.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30000 });
await again.waitForFunction(() => document.querySelectorAll('#list li').length === 2, null, { timeout: 10000 });
await again.close();

// Playback steps a 6-hour window through the span: the reports drawn change step by step.
await page.selectOption('#play-window', '21600');
// The normal speed: a step lasts long enough to be sampled several times on a loaded machine.
await page.selectOption('#play-speed', '700');
await page.evaluate(() => window.sightmap.timeline.setBrush([Date.parse('2025-06-13T21:00:00Z') / 1000, Date.parse('2025-06-17T03:00:00Z') / 1000]));
await page.waitForFunction(() => document.querySelectorAll('#list li').length === 4, null, { timeout: 10000 });
await page.click('#play');
await page.waitForFunction(() => window.sightmap.timeline.playing, null, { timeout: 10000 });
const seen = new Map();
const deadline = Date.now() + 40000;
while (Date.now() < deadline) {
  const step = await page.evaluate(() => {
    const m = window.sightmap.map;
    const tl = window.sightmap.timeline;
    if (!tl.playing) return null;
    // Until the worker has loaded the playback data, what is drawn cannot be read yet.
    if (!m.isSourceLoaded('playback')) return { start: tl.playing.start, paused: tl.playing.paused, ids: null };
    const ids = m.querySourceFeatures('playback', { filter: m.getFilter('playback-points') }).map((f) => f.properties.id);
    return { start: tl.playing.start, paused: tl.playing.paused, ids: [...new Set(ids)].sort() };
  });
  if (!step) break;
  if (step.ids) seen.set(step.start, [...new Set([...(seen.get(step.start) || []), ...step.ids])].sort());
  if (step.paused) break;
  await page.waitForTimeout(60);
}
const windows = [...seen.entries()].sort((a, b) => a[0] - b[0]);
assert.ok(windows.length >= 8, `played ${windows.length} windows`);
const holding = (id) => windows.filter(([, ids]) => ids.includes(id)).map(([s]) => s);
// Rasht (14 June 01:00 UTC) shows in its window and fades out after three more; Lahijan only
// from its own window on.
const rashtWindow = Math.floor(Date.parse('2025-06-14T01:00:00Z') / 1000 / 21600) * 21600;
assert.ok(holding(rasht.id).includes(rashtWindow), `Rasht in its window: ${holding(rasht.id)}`);
assert.ok(holding(rasht.id).every((s) => s >= rashtWindow && s <= rashtWindow + 3 * 21600), `Rasht fades: ${holding(rasht.id)}`);
assert.ok(holding(lahijan.id).every((s) => s >= Date.parse('2025-06-16T18:00:00Z') / 1000), `Lahijan: ${holding(lahijan.id)}`);
assert.ok(new Set(windows.map(([, ids]) => ids.join())).size >= 3, 'what is drawn changes as the window moves');
await page.screenshot({ path: `${artifacts}/time-3-playing.png` });
// A click anywhere pauses.
await page.click('#play');
await page.waitForFunction(() => window.sightmap.timeline.playing && !window.sightmap.timeline.playing.paused);
await page.mouse.click(box.x + 200, box.y - 200);
await page.waitForFunction(() => window.sightmap.timeline.playing.paused);
const pausedAt = await page.evaluate(() => window.sightmap.timeline.playing.start);
await page.waitForTimeout(700);
assert.equal(await page.evaluate(() => window.sightmap.timeline.playing.start), pausedAt, 'paused');
await page.click('#play-stop');

// A cited link opens the map as it was: the banner says so, Rasht is still unverified, and a
// link leads to the present.
await page.goto(`${base}/?lat=37.8&lon=49.2&z=6.5&as_of=${cited}`);
await ready();
assert.ok(await page.isVisible('#as-of-banner'));
assert.match(await page.textContent('#as-of-banner'), new RegExp(cited));
await page.waitForFunction(() => document.querySelectorAll('#list li').length === 4, null, { timeout: 10000 });
const rashtThen = await page.$eval(`#list li[data-id="${rasht.id}"]`, (li) => li.textContent);
assert.match(rashtThen, /^unverified/);
await page.screenshot({ path: `${artifacts}/time-4-as-of.png` });
await page.click('#as-of-present');
await page.waitForFunction(() => !new URL(location.href).searchParams.get('as_of'));
await ready();
assert.ok(await page.isHidden('#as-of-banner'));
await page.waitForFunction((id) => document.querySelector(`#list li[data-id="${id}"]`)?.textContent.startsWith('confirmed'), rasht.id, { timeout: 10000 });

assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
await browser.close();
console.log('timeline, playback and as_of: all checks passed');
