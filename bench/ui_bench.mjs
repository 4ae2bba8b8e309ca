#!/usr/bin/env node
/*
 * UI benchmark of the fundraising grid in headless Chromium (playwright-core, /usr/bin/chromium,
 * the flags the browser tests use). It starts nothing itself: point it at a server that already
 * holds a 10,000-investor x 40-column grid.
 *
 * Getting one (about 5 s; ports 8810-8819 are the ones to use by hand):
 *
 *   D=$(mktemp -d)
 *   .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); import grid_bench; grid_bench.setup('$D', 10000)"
 *   CRM_DATA_DIR=$D CRM_PORT=8812 CRM_GET_RATE_LIMIT_PER_MIN=0 CRM_LOGIN_RATE_LIMIT_PER_MIN=0 \
 *     .venv/bin/python -m backend.server &
 *   node bench/ui_bench.mjs http://127.0.0.1:8812            # user bench / "bench password 1"
 *
 *   node bench/ui_bench.mjs BASE_URL [USERNAME] [PASSWORD]   (or BENCH_USER, BENCH_PASSWORD; RUNS=3)
 *
 * Measures, per run (median of RUNS, default 3):
 *   - cold load: a fresh browser context (empty localStorage: Babel is fetched and compiles the app)
 *   - warm load: a reload in that context (the compiled app comes from localStorage)
 *   each as first paint, first contentful paint and time-to-interactive: grid rows rendered and a
 *   pointer-down on a cell selecting it (measured inside the page from navigation start);
 *   - scrolling all 10,000 rows: the page scrolls the grid programmatically, one step per animation
 *     frame, and records requestAnimationFrame deltas (p50, p95, max).
 * Targets: warm <= 1.5 s, cold <= 3 s, scroll p95 frame <= 33 ms. Exit status 1 if one is missed.
 */
import { chromium } from 'playwright-core';

const [base, userArg, passArg] = process.argv.slice(2);
if (!base) { console.error('usage: node bench/ui_bench.mjs BASE_URL [USERNAME] [PASSWORD]'); process.exit(2); }
const USER = userArg || process.env.BENCH_USER || 'bench';
const PASSWORD = passArg || process.env.BENCH_PASSWORD || 'bench password 1';
const RUNS = Math.max(1, parseInt(process.env.RUNS || '3', 10));
const SCROLL_STEP = parseInt(process.env.SCROLL_STEP || '408', 10); // px per frame: 12 rows
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TARGETS = { warm: 1500, cold: 3000, scrollP95: 33 };

const median = xs => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const pct = (xs, p) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = x => (x === null || x === undefined ? '—' : Math.round(x) + ' ms');

// Inside the page, from navigation start: when grid rows first exist, and when a pointer-down on a
// cell has made it the active cell (the grid is interactive).
function probe() {
  window.__bench = { rowsAt: null, interactiveAt: null };
  const check = () => {
    const cell = document.querySelector('.gv-row[data-r="2"] .gv-cell[data-c="1"]');
    if (!cell || window.__bench.rowsAt !== null) return;
    window.__bench.rowsAt = performance.now();
    const rect = cell.getBoundingClientRect();
    cell.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, cancelable: true, button: 0, pointerType: 'mouse', clientX: rect.left + 5, clientY: rect.top + 5 }));
    window.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, button: 0, pointerType: 'mouse' }));
    const wait = () => {
      const el = document.querySelector('.gv-row[data-r="2"] .gv-cell[data-c="1"]');
      if (el && el.classList.contains('is-active')) window.__bench.interactiveAt = performance.now();
      else requestAnimationFrame(wait);
    };
    requestAnimationFrame(wait);
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
}

async function timings(page) {
  await page.waitForFunction(() => window.__bench && window.__bench.interactiveAt !== null, null, { timeout: 60000 });
  return page.evaluate(() => {
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
    return { fp: paint['first-paint'], fcp: paint['first-contentful-paint'], rows: window.__bench.rowsAt, tti: window.__bench.interactiveAt,
      cache: window.__vcrmBoot && window.__vcrmBoot.cache, compileMs: window.__vcrmBoot && window.__vcrmBoot.compileMs,
      gridRows: Number(document.querySelector('.gv-scroll').getAttribute('data-rows')) };
  });
}

async function scrollFrames(page) {
  return page.evaluate(step => new Promise(resolve => {
    const el = document.querySelector('.gv-scroll');
    el.scrollTop = 0;
    const deltas = [];
    let last = null;
    const frame = t => {
      if (last !== null) deltas.push(t - last);
      last = t;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
        // one more frame to let the last rows render, then check they are the last investors
        requestAnimationFrame(() => resolve({ deltas, rendered: document.querySelectorAll('.gv-row').length, bottom: el.scrollTop }));
        return;
      }
      el.scrollTop += step;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }), SCROLL_STEP);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
try {
  const login = await (await fetch(base + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: USER, password: PASSWORD }) })).json();
  if (!login.token) throw new Error('could not sign in as ' + USER + ': ' + JSON.stringify(login));
  const grid = await fetch(base + '/api/fundraising/grid?shape=compact', { headers: { Authorization: 'Bearer ' + login.token, 'Accept-Encoding': 'gzip' } });
  const wireBytes = Number(grid.headers.get('content-length')) || null;   // gzip, as the browser receives it
  const gridBytes = (await grid.arrayBuffer()).byteLength;                  // fetch hands back the JSON unzipped
  const cold = [], warm = [], scrolls = [];
  let shape = null;
  for (let run = 0; run < RUNS; run++) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(t => { if (!localStorage.getItem('vcrm.token')) localStorage.setItem('vcrm.token', t); }, login.token);
    await ctx.addInitScript(probe);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(base + '/#/grid');
    const c = await timings(page);
    if (c.cache !== 'miss') throw new Error('the cold run found a compiled app in localStorage');
    cold.push(c);
    await page.reload();
    const w = await timings(page);
    if (w.cache !== 'hit') throw new Error('the warm run compiled the app again');
    warm.push(w);
    shape = w;
    const s = await scrollFrames(page);
    scrolls.push(s);
    if (errors.length) throw new Error('the page logged errors: ' + errors.join(' | '));
    await ctx.close();
  }
  const pick = (list, k) => median(list.map(x => x[k]));
  const deltas = scrolls.flatMap(s => s.deltas);
  const result = {
    cold: { fp: pick(cold, 'fp'), fcp: pick(cold, 'fcp'), rows: pick(cold, 'rows'), tti: pick(cold, 'tti'), compileMs: pick(cold, 'compileMs') },
    warm: { fp: pick(warm, 'fp'), fcp: pick(warm, 'fcp'), rows: pick(warm, 'rows'), tti: pick(warm, 'tti') },
    scroll: { frames: deltas.length, p50: pct(deltas, 0.5), p95: pct(deltas, 0.95), max: Math.max(...deltas), stepPx: SCROLL_STEP },
  };
  console.log(`ui_bench: ${shape.gridRows.toLocaleString()} investors in the grid view, compact grid ${(gridBytes / 1e6).toFixed(1)} MB of JSON${wireBytes ? ', ' + (wireBytes / 1e6).toFixed(1) + ' MB gzipped on the wire' : ''}, ${RUNS} run(s), medians`);
  console.log(`  cold (Babel compiles, ${ms(result.cold.compileMs)}): first paint ${ms(result.cold.fp)} · first contentful paint ${ms(result.cold.fcp)} · rows rendered ${ms(result.cold.rows)} · interactive ${ms(result.cold.tti)}   (target <= ${TARGETS.cold} ms)`);
  console.log(`  warm (compiled app cached):  first paint ${ms(result.warm.fp)} · first contentful paint ${ms(result.warm.fcp)} · rows rendered ${ms(result.warm.rows)} · interactive ${ms(result.warm.tti)}   (target <= ${TARGETS.warm} ms)`);
  console.log(`  scroll through all rows (${result.scroll.stepPx} px/frame, ${result.scroll.frames} frames): p50 ${result.scroll.p50.toFixed(1)} ms · p95 ${result.scroll.p95.toFixed(1)} ms · max ${result.scroll.max.toFixed(1)} ms   (target p95 <= ${TARGETS.scrollP95} ms)`);
  console.log('ui_bench: ' + JSON.stringify(result));
  const missed = [];
  if (result.cold.tti > TARGETS.cold) missed.push('cold load');
  if (result.warm.tti > TARGETS.warm) missed.push('warm load');
  if (result.scroll.p95 > TARGETS.scrollP95) missed.push('scroll p95');
  console.log(missed.length ? 'ui_bench: MISSED ' + missed.join(', ') : 'ui_bench: all targets met');
  process.exitCode = missed.length ? 1 : 0;
} finally {
  await browser.close();
}
