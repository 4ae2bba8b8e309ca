#!/usr/bin/env node
/*
 * Screenshot the running app in headless Chromium (playwright-core, system Chromium).
 *
 *   node tests/frontend/screenshot.js URL out.png [--login user:pass] [--hash '#/admin/users']
 *        [--width 1440 --height 900] [--steps steps.js] [--reload] [--full-page] [--strict]
 *
 *   --login user:pass  sign in through the real login form first
 *   --hash H           then navigate to this hash route (e.g. '#/admin/invites')
 *   --steps FILE       a CommonJS module `module.exports = async (page, helpers) => {...}` run before
 *                      the screenshot (click buttons, fill forms, ...)
 *   --reload           reload once before the screenshot and report whether Babel was fetched again
 *                      (it should not be: the compiled app is cached in localStorage)
 *   --strict           exit 3 if the page logged console errors or CSP violations
 *
 * Prints console errors, CSP violations, failed requests, the loader's compile-cache status and the
 * /vendor files fetched. Chromium gets a fresh user-data dir each run and only talks to URL's host.
 * Env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(msg) {
  if (msg) console.error('screenshot: ' + msg);
  console.error("usage: node tests/frontend/screenshot.js URL out.png [--login user:pass] [--hash '#/admin/users'] [--width 1440 --height 900] [--steps steps.js] [--reload] [--full-page] [--strict]");
  process.exit(2);
}

const argv = process.argv.slice(2);
const positional = [];
const opts = { width: 1440, height: 900 };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => { if (i + 1 >= argv.length) usage(a + ' needs a value'); return argv[++i]; };
  if (a === '--login') opts.login = next();
  else if (a === '--hash') opts.hash = next();
  else if (a === '--width') opts.width = parseInt(next(), 10);
  else if (a === '--height') opts.height = parseInt(next(), 10);
  else if (a === '--steps') opts.steps = path.resolve(next());
  else if (a === '--reload') opts.reload = true;
  else if (a === '--full-page') opts.fullPage = true;
  else if (a === '--strict') opts.strict = true;
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage('unknown option ' + a);
  else positional.push(a);
}
if (positional.length !== 2) usage('need URL and output file');
const [url, out] = positional;

let chromium;
try { ({ chromium } = require('playwright-core')); } catch (e) { usage('playwright-core is not installed: run `npm install` at the repository root'); }

const { CHROMIUM_ARGS: ARGS } = require('./harness');

(async () => {
  const t0 = Date.now();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vcrm-chromium-'));
  const origin = new URL(url).origin;
  const consoleErrors = [];
  const csp = [];
  const failed = [];
  const vendorFetches = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ARGS,
      viewport: { width: opts.width, height: opts.height },
      deviceScaleFactor: 1,
    });
    // Keep the browser on this host only.
    await context.route('**/*', route => {
      const u = route.request().url();
      if (u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
      failed.push('blocked off-host request ' + u);
      return route.abort();
    });
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', e => {
        window.__cspViolations.push((e.effectiveDirective || e.violatedDirective) + ' blocked ' + (e.blockedURI || 'inline') + (e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : ''));
      });
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('console', m => {
      if (m.type() === 'error') consoleErrors.push(m.text());
      if (/Content.Security.Policy/i.test(m.text())) csp.push('console: ' + m.text());
    });
    page.on('pageerror', e => consoleErrors.push('uncaught: ' + (e.stack || e.message)));
    page.on('requestfailed', r => failed.push(r.method() + ' ' + r.url() + ' ' + (r.failure() && r.failure().errorText)));
    page.on('response', r => { if (r.status() >= 400) failed.push(r.status() + ' ' + r.request().method() + ' ' + r.url()); });
    page.on('request', r => { if (new URL(r.url()).pathname.startsWith('/vendor/')) vendorFetches.push(new URL(r.url()).pathname); });

    const collectCsp = async () => {
      try { (await page.evaluate(() => window.__cspViolations || [])).forEach(v => { if (!csp.includes(v)) csp.push(v); }); } catch (e) { /* navigating */ }
    };

    await page.goto(url, { waitUntil: 'networkidle', timeout: 30000 });
    await page.waitForSelector('#root > :not(.boot)', { timeout: 20000 });
    const boot1 = await page.evaluate(() => window.__vcrmBoot || null);
    await collectCsp();

    if (opts.login) {
      const i = opts.login.indexOf(':');
      if (i < 0) usage('--login expects user:pass');
      const [user, pass] = [opts.login.slice(0, i), opts.login.slice(i + 1)];
      if (!(await page.$('input[name="username"]')) || !(await page.$('input[name="password"]'))) {
        await page.evaluate(() => { window.location.hash = '#/login'; });
      }
      await page.waitForSelector('input[name="password"]', { timeout: 10000 });
      await page.fill('input[name="username"]', user);
      await page.fill('input[name="password"]', pass);
      await page.press('input[name="password"]', 'Enter');
      try {
        await page.waitForSelector('.sidebar', { timeout: 10000 });
      } catch (e) {
        const msg = await page.evaluate(() => (document.querySelector('.form-error') || {}).textContent || document.body.innerText.slice(0, 300));
        throw new Error('login failed: ' + msg);
      }
    }
    if (opts.hash) {
      await page.evaluate(h => { window.location.hash = h; }, opts.hash);
      await page.waitForLoadState('networkidle');
    }
    let reloadInfo = null;
    if (opts.reload) {
      const before = vendorFetches.length;
      await page.reload({ waitUntil: 'networkidle' });
      await page.waitForSelector('#root > :not(.boot)', { timeout: 20000 });
      const fetched = vendorFetches.slice(before);
      reloadInfo = { boot: await page.evaluate(() => window.__vcrmBoot || null), vendor: fetched, babelFetched: fetched.some(p => /babel/.test(p)) };
    }
    if (opts.steps) {
      const steps = require(opts.steps);
      await steps(page, { origin, wait: ms => page.waitForTimeout(ms) });
      await page.waitForLoadState('networkidle');
    }
    await page.waitForTimeout(250); // let entry animations settle
    await collectCsp();
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    await page.screenshot({ path: out, fullPage: !!opts.fullPage });

    const hash = await page.evaluate(() => window.location.hash);
    console.log('screenshot: saved ' + out + ' (' + opts.width + 'x' + opts.height + ', ' + hash + ') in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s');
    if (boot1) console.log('screenshot: first load compile cache: ' + boot1.cache + (boot1.compileMs != null ? ', compiled in ' + boot1.compileMs + ' ms' : '') + (boot1.babelMs != null ? ', Babel fetched in ' + boot1.babelMs + ' ms' : ''));
    console.log('screenshot: /vendor fetched: ' + (vendorFetches.length ? Array.from(new Set(vendorFetches)).join(', ') : 'none'));
    if (reloadInfo) console.log('screenshot: after reload compile cache: ' + (reloadInfo.boot && reloadInfo.boot.cache) + '; Babel fetched on reload: ' + (reloadInfo.babelFetched ? 'YES' : 'no') + '; vendor on reload: ' + (reloadInfo.vendor.join(', ') || 'none (HTTP cache)'));
    console.log('screenshot: console errors: ' + consoleErrors.length);
    consoleErrors.forEach(e => console.log('  - ' + e));
    console.log('screenshot: CSP violations: ' + csp.length);
    csp.forEach(e => console.log('  - ' + e));
    if (failed.length) { console.log('screenshot: failed or 4xx/5xx requests: ' + failed.length); failed.forEach(e => console.log('  - ' + e)); }
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(opts.strict && (consoleErrors.length || csp.length) ? 3 : 0);
  } catch (e) {
    console.error('screenshot: FAIL: ' + (e && e.message || e));
    consoleErrors.forEach(x => console.error('  console: ' + x));
    csp.forEach(x => console.error('  csp: ' + x));
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }
})();
