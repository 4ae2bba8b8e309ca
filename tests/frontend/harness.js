/*
 * What every browser script shares: the Chromium flags this closed network needs, the first-run
 * setup that creates the admin through the real UI, signing in through the login form, and the
 * script's opening and closing:
 *
 *   const h = require('./harness').open('browser_x', { usage: 'BASE_URL OUT_DIR', shotDelay: 250 });
 *   h.run(async () => { ... h.watch(page, 'admin'); h.step('...'); await h.shot(page, 'name'); ... });
 *   h.runBrowser(async (browser) => { ... });   // the same, with Chromium launched and closed
 *
 * `open` reads BASE_URL and OUT_DIR (and any further arguments, in `args`), creates OUT_DIR, and
 * returns `step` (a progress line), `watch` (console errors, page errors and failed requests of
 * a page become problems, unless the script's `allow(kind, text, request)` says they are
 * expected), `shot` (a screenshot into OUT_DIR), `expect`, and `run`, which prints
 * '<name>: PASS' (what conftest.run_browser_script waits for) or FAIL with every problem and exits 1.
 */
'use strict';

const fs = require('fs');
const path = require('path');

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's network refuses.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery';

// Fill and submit the first-run setup screen; resolves once the account is created.
async function createFirstAdmin(page, base, username, email, password) {
  await page.goto(base + '/');
  await page.getByRole('button', { name: 'Create admin account' }).waitFor({ timeout: 20000 });
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create admin account' }).click();
}

// Sign in through the real login form at `path` (default the grid); resolves once the app's frame is up.
async function signIn(page, base, username, password, path) {
  await page.goto(base + '/#' + (path || '/grid'));
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.sidebar').waitFor();
}

function open(name, { usage = 'BASE_URL OUT_DIR', shotPrefix = '', shotDelay = 0 } = {}) {
  const [base, outDir, ...args] = process.argv.slice(2);
  if (!base || !outDir) { console.error(`usage: ${name}.js ${usage}`); process.exit(2); }
  fs.mkdirSync(outDir, { recursive: true });
  const problems = [];
  const step = msg => console.log(`${name}: ${msg}`);

  function watch(page, who, allow = () => false) {
    page.on('console', m => {
      if (m.type() === 'error' && !allow('console', m.text())) problems.push(`${who} console error: ${m.text()}`);
    });
    page.on('pageerror', e => problems.push(`${who} page error: ${e.message}`));
    page.on('requestfailed', r => {
      const err = (r.failure() && r.failure().errorText) || '';
      if (!allow('request', err, r)) problems.push(`${who} request failed: ${r.url()} ${err}`);
    });
  }

  async function shot(page, file, opts) {
    if (shotDelay) await page.waitForTimeout(shotDelay); // let entrance animations finish
    await page.screenshot({ path: path.join(outDir, shotPrefix + file + '.png'), ...(opts || {}) });
  }

  function expect(cond, msg) { if (!cond) throw new Error(msg); }

  function run(body) {
    body().then(summary => {
      if (problems.length) {
        console.error(`${name}: FAIL\n  ` + problems.join('\n  '));
        process.exit(1);
      }
      console.log(`${name}: PASS` + (summary ? ' ' + summary : ''));
    }).catch(e => {
      console.error(`${name}: FAIL ` + (e && e.stack || e));
      if (problems.length) console.error('  ' + problems.join('\n  '));
      process.exit(1);
    });
  }

  // `run` with a headless Chromium launched for the body and closed after it, however it ends.
  function runBrowser(body) {
    run(async () => {
      const { chromium } = require('playwright-core');
      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
      try {
        return await body(browser);
      } finally {
        await browser.close();
      }
    });
  }

  return { base, outDir, args, problems, step, watch, shot, expect, run, runBrowser };
}

module.exports = { CHROMIUM_ARGS, PASSWORD, createFirstAdmin, signIn, open };
