#!/usr/bin/env node
/*
 * jsdom render check of the app page as a running server serves it (node 20, CommonJS): the
 * shell frontend/index.html assembled with frontend/app/ by the server.
 *
 *   node tests/frontend/render_check.js http://127.0.0.1:PORT [--verbose]
 *
 * Static checks:
 *   - every <script src="/vendor/..." integrity="sha384-..."> and the loader's BABEL_SRC/BABEL_SRI
 *     constant match the sha384 of the vendored file on disk (and frontend/vendor/README.md);
 *   - every executable inline <script> and every <style> carries the response's CSP nonce (read
 *     back as the placeholder __CSP_NONCE__ below), which the app source itself never contains;
 *   - no inline style="" or on*="" attributes in the static HTML; the JSX block is not text/babel,
 *     does not contain "</script" or the nonce placeholder.
 * Dynamic checks (the vendored React/ReactDOM/Babel are served from disk; fetch is stubbed):
 *   1. setup_required=true, empty storage: Babel is fetched once, the first-run setup screen
 *      renders, the compiled app lands in localStorage["vcrm.jsx.<hash>"], and submitting the
 *      form registers and opens the app frame.
 *   2. setup_required=false, the storage of run 1 (minus the token): Babel is NOT fetched (compile
 *      cache hit), the login screen renders, 429 shows the Retry-After countdown, 401 shows an
 *      inline error, a good login opens the app frame, and #/admin/users lists the users.
 * Exits non-zero with a clear message on the first failure; the whole check has a 20 s budget.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..', '..');
const FRONTEND = path.join(ROOT, 'frontend');
const ORIGIN = 'http://127.0.0.1:8790';
const NONCE = 'cmVuZGVyLWNoZWNrLW5vbmNl';
const BUDGET_MS = 20000;
const VERBOSE = process.argv.includes('--verbose');
const started = Date.now();

function fail(msg) {
  console.error('render_check: FAIL: ' + msg);
  process.exit(1);
}
function ok(msg) { console.log('render_check: ok   ' + msg); }
function note(msg) { if (VERBOSE) console.log('render_check:      ' + msg); }

const budget = setTimeout(() => fail('timed out after ' + BUDGET_MS / 1000 + ' s (the app never reached the expected screen)'), BUDGET_MS);

let jsdom;
try { jsdom = require('jsdom'); } catch (e) { fail('jsdom is not installed: run `npm install` at the repository root'); }
const { JSDOM, VirtualConsole, requestInterceptor } = jsdom;

const sri = buf => 'sha384-' + crypto.createHash('sha384').update(buf).digest('base64');

/* ------------------------------------------------------------------ static checks */
// The page as served, with this response's nonce turned back into the placeholder the checks name.
async function fetchPage() {
  const base = process.argv.slice(2).find(a => /^https?:\/\//.test(a));
  if (!base) fail('usage: node tests/frontend/render_check.js http://127.0.0.1:PORT (the page is checked as a running server serves it)');
  const res = await fetch(base.replace(/\/$/, '') + '/');
  if (res.status !== 200) fail('GET / answered ' + res.status);
  const nonce = ((res.headers.get('content-security-policy') || '').match(/'nonce-([^']+)'/) || [])[1];
  if (!nonce) fail('the served page carries no CSP nonce');
  return (await res.text()).split(nonce).join('__CSP_NONCE__');
}

(async () => {
const rawHtml = await fetchPage();
const srcMatch = rawHtml.match(/<script\b([^>]*)\bid="app-source"[^>]*>([\s\S]*?)<\/script>/i);
if (!srcMatch) fail('index.html has no <script id="app-source"> block');
if (!/type="text\/x-venture-jsx"/.test(srcMatch[0].slice(0, 120))) fail('the app-source block must be type="text/x-venture-jsx" (never text/babel)');
const appSource = srcMatch[2];
if (/__CSP_NONCE__/.test(appSource)) fail('the JSX source contains the nonce placeholder: the server would change it per response and defeat the compile cache');
if (/<!--/.test(appSource)) fail('the JSX source contains "<!--", which changes how HTML parses a script element');
const staticHtml = rawHtml.replace(srcMatch[0], '<script type="text/x-venture-jsx" id="app-source"></script>');
if (/text\/babel/.test(staticHtml)) fail('index.html still has a text/babel script; Babel\'s auto-runner must never see the app');

{
  const styleAttr = staticHtml.match(/<[a-z][^>]*\sstyle\s*=/i);
  if (styleAttr) fail('static HTML has an inline style attribute (blocked by the CSP): ' + styleAttr[0]);
  const handler = staticHtml.match(/<[a-z][^>]*\son[a-z]+\s*=/i);
  if (handler) fail('static HTML has an inline event handler attribute (blocked by the CSP): ' + handler[0]);
  const tags = staticHtml.match(/<(script|style)\b[^>]*>/gi) || [];
  for (const tag of tags) {
    if (/^<script/i.test(tag) && /\bsrc=/.test(tag)) continue;
    if (/type="text\/x-venture-jsx"/.test(tag)) continue;
    if (!/\bnonce="__CSP_NONCE__"/.test(tag)) fail('inline ' + tag + ' lacks nonce="__CSP_NONCE__"');
  }
  if ((staticHtml.match(/<style\b/gi) || []).length !== 1) fail('expected exactly one <style> block in index.html');
  ok('CSP hygiene: ' + tags.length + ' script/style tags; inline ones carry the nonce placeholder; no style="" or on*="" attributes');
}

const vendorReadme = fs.existsSync(path.join(FRONTEND, 'vendor', 'README.md')) ? fs.readFileSync(path.join(FRONTEND, 'vendor', 'README.md'), 'utf8') : '';
const vendorFiles = {};
function checkSri(src, integrity, where) {
  if (!src.startsWith('/vendor/')) fail(where + ': ' + src + ' is not a same-origin /vendor/ path');
  const file = path.join(FRONTEND, src);
  if (!fs.existsSync(file)) fail(where + ': ' + src + ' does not exist on disk (' + file + ')');
  const want = sri(fs.readFileSync(file));
  if (integrity !== want) fail(where + ': integrity of ' + src + ' is ' + integrity + ' but the file on disk hashes to ' + want);
  if (vendorReadme && !vendorReadme.includes(want)) fail('frontend/vendor/README.md does not list ' + want + ' for ' + src);
  vendorFiles[src] = file;
}
{
  const scripts = staticHtml.match(/<script\b[^>]*\bsrc="[^"]*"[^>]*>/gi) || [];
  if (scripts.length < 2) fail('expected the React and ReactDOM <script src> tags');
  for (const tag of scripts) {
    const src = (tag.match(/\bsrc="([^"]*)"/) || [])[1];
    const integrity = (tag.match(/\bintegrity="([^"]*)"/) || [])[1];
    if (!integrity) fail(tag + ' has no integrity attribute');
    if (!/\bcrossorigin="anonymous"/.test(tag)) fail(tag + ' lacks crossorigin="anonymous"');
    checkSri(src, integrity, '<script src>');
  }
  const babelSrc = (staticHtml.match(/BABEL_SRC\s*=\s*'([^']+)'/) || [])[1];
  const babelSri = (staticHtml.match(/BABEL_SRI\s*=\s*'([^']+)'/) || [])[1];
  if (!babelSrc || !babelSri) fail('the loader must define BABEL_SRC and BABEL_SRI constants');
  checkSri(babelSrc, babelSri, 'loader BABEL_SRI');
  const allSri = staticHtml.match(/sha384-[A-Za-z0-9+/=]+/g) || [];
  if (allSri.length !== scripts.length + 1) fail('found ' + allSri.length + ' sha384 values in index.html; expected ' + (scripts.length + 1));
  ok('SRI: ' + Object.keys(vendorFiles).length + ' vendored files match their integrity hashes (' + Object.keys(vendorFiles).join(', ') + ')');
}

/* ------------------------------------------------------------------ fake API */
const ADMIN = { id: 'a1f0c3de-0000-4000-8000-000000000001', username: 'admin', email: 'admin@example.com', role: 'admin', is_active: true, created_at: '2024-05-01T09:00:00Z', last_login_at: null };
const MEMBER = { id: 'b2e1d4ef-0000-4000-8000-000000000002', username: 'member1', email: 'member1@example.com', role: 'member', is_active: true, created_at: '2024-05-02T09:00:00Z', last_login_at: '2024-05-03T10:00:00Z' };

function makeApi(setupRequired, log) {
  const json = (status, body, headers) => new Response(JSON.stringify(body), { status, headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}) });
  return async function fetchStub(input, init) {
    init = init || {};
    const url = new URL(typeof input === 'string' ? input : input.url, ORIGIN);
    const method = (init.method || 'GET').toUpperCase();
    const headers = init.headers || {};
    const auth = headers.Authorization || headers.authorization || '';
    const body = init.body ? JSON.parse(init.body) : null;
    log.push(method + ' ' + url.pathname);
    const route = method + ' ' + url.pathname;
    switch (route) {
      case 'GET /api/bootstrap/status': return json(200, { data: { setup_required: setupRequired } });
      case 'GET /api/health': return json(200, { data: { status: 'ok', version: '0.0.0-test' } });
      case 'POST /api/auth/register':
        if (!setupRequired) return json(403, { error: 'setup is complete' });
        return json(201, { token: 'tok-admin', user: Object.assign({}, ADMIN, { username: body.username, email: body.email }) });
      case 'POST /api/auth/login':
        if (body.username === 'hammer') return json(429, { error: 'too many login attempts' }, { 'Retry-After': '7' });
        if ((body.username === 'admin' || body.username === 'admin@example.com') && body.password === 'correct horse battery') return json(200, { token: 'tok-admin', user: ADMIN });
        return json(401, { error: 'invalid username or password' });
      case 'GET /api/auth/me':
        return auth === 'Bearer tok-admin' ? json(200, { data: ADMIN }) : json(401, { error: 'authentication required' });
      case 'GET /api/users':
        return auth === 'Bearer tok-admin' ? json(200, { data: [ADMIN, MEMBER] }) : json(401, { error: 'authentication required' });
      default:
        return json(404, { error: 'no route ' + route + ' in the render-check stub' });
    }
  };
}

/* ------------------------------------------------------------------ harness */
function load({ setupRequired, storage }) {
  const requests = [];
  const apiLog = [];
  const problems = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('error', (...a) => problems.push('console.error: ' + a.map(String).join(' ')));
  virtualConsole.on('jsdomError', e => {
    const m = String(e && (e.stack || e.message) || e);
    if (/Could not parse CSS stylesheet/i.test(m)) { note('jsdom CSS parser: ' + m.split('\n')[0]); return; }
    if (/Not implemented/i.test(m)) { note('jsdom: ' + m.split('\n')[0]); return; }
    problems.push('jsdom error: ' + m);
  });
  if (VERBOSE) virtualConsole.on('log', (...a) => note('page: ' + a.join(' ')));

  const html = rawHtml.replace(/__CSP_NONCE__/g, NONCE);
  const dom = new JSDOM(html, {
    url: ORIGIN + '/',
    runScripts: 'dangerously',
    pretendToBeVisual: true,
    virtualConsole,
    resources: {
      interceptors: [
        requestInterceptor(request => {
          const u = new URL(request.url);
          requests.push(u.pathname);
          if (u.origin === ORIGIN && vendorFiles[u.pathname]) {
            return new Response(fs.readFileSync(vendorFiles[u.pathname]), { status: 200, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
          }
          return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
        }),
      ],
    },
    beforeParse(window) {
      for (const [k, v] of Object.entries(storage || {})) window.localStorage.setItem(k, v);
      window.fetch = makeApi(setupRequired, apiLog);
    },
  });
  return { dom, window: dom.window, requests, apiLog, problems };
}

function waitFor(ctx, what, pred, ms = 10000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    (function tick() {
      let v;
      try { v = pred(); } catch (e) { v = null; }
      if (v) return resolve(v);
      if (ctx.problems.length) return reject(new Error('while waiting for ' + what + ':\n  ' + ctx.problems.join('\n  ')));
      const errPanel = ctx.window.document.querySelector('.boot-error');
      if (errPanel) return reject(new Error('the app showed its error panel while waiting for ' + what + ':\n' + errPanel.textContent + (ctx.problems.length ? '\n  ' + ctx.problems.join('\n  ') : '')));
      if (Date.now() - t0 > ms) {
        const text = ctx.window.document.body ? ctx.window.document.body.textContent.replace(/\s+/g, ' ').slice(0, 400) : '(no body)';
        return reject(new Error('gave up waiting for ' + what + ' after ' + ms + ' ms. Page text: "' + text + '"'));
      }
      setTimeout(tick, 20);
    })();
  });
}

const text = w => w.document.body.textContent.replace(/\s+/g, ' ');
const $ = (w, sel) => w.document.querySelector(sel);

function type(w, el, value) {
  const setter = Object.getOwnPropertyDescriptor(w.HTMLInputElement.prototype, 'value').set;
  setter.call(el, value);
  el.dispatchEvent(new w.Event('input', { bubbles: true }));
}
function submit(w, form) {
  const btn = form.querySelector('button[type="submit"]');
  if (!btn) throw new Error('form has no submit button');
  btn.click();
}
function storageOf(w) {
  const out = {};
  for (let i = 0; i < w.localStorage.length; i++) { const k = w.localStorage.key(i); out[k] = w.localStorage.getItem(k); }
  return out;
}

async function main() {
  /* ---- run 1: first-run setup, cold cache ---- */
  const t1 = Date.now();
  const r1 = load({ setupRequired: true, storage: {} });
  const w1 = r1.window;
  await waitFor(r1, 'the first-run setup screen', () => /Create the admin account/.test(text(w1)) && $(w1, 'input[name="confirm"]'));
  for (const name of ['username', 'email', 'password', 'confirm']) if (!$(w1, 'input[name="' + name + '"]')) fail('setup screen lacks the ' + name + ' input');
  if (!/First-run setup/.test(text(w1))) fail('setup screen lacks its "First-run setup" label');
  const babelPath = Object.keys(vendorFiles).find(p => /babel/.test(p));
  const babelLoads1 = r1.requests.filter(p => p === babelPath).length;
  if (babelLoads1 !== 1) fail('cold load should fetch Babel exactly once; fetched it ' + babelLoads1 + ' times');
  if (w1.__vcrmBoot.cache !== 'miss') fail('cold load should report a compile-cache miss, got ' + w1.__vcrmBoot.cache);
  const cacheKeys = Object.keys(storageOf(w1)).filter(k => k.startsWith('vcrm.jsx.'));
  if (cacheKeys.length !== 1) fail('expected one vcrm.jsx.* compile-cache entry after the first load, found ' + JSON.stringify(cacheKeys));
  ok('setup screen rendered on a cold load (' + (Date.now() - t1) + ' ms; Babel fetched once, compiled in ' + w1.__vcrmBoot.compileMs + ' ms, cached as ' + cacheKeys[0] + ')');

  // Client-side validation, then a real submission.
  const form1 = $(w1, 'form');
  submit(w1, form1);
  await waitFor(r1, 'inline validation errors', () => /Choose a username/.test(text(w1)) && /valid email/.test(text(w1)), 3000);
  type(w1, $(w1, 'input[name="username"]'), 'jane');
  type(w1, $(w1, 'input[name="email"]'), 'jane@example.com');
  type(w1, $(w1, 'input[name="password"]'), 'a long passphrase');
  type(w1, $(w1, 'input[name="confirm"]'), 'a long passphrase');
  submit(w1, form1);
  await waitFor(r1, 'the app frame after registering', () => /Fundraising grid/.test(text(w1)) && $(w1, '.sidebar'));
  if (w1.localStorage.getItem('vcrm.token') !== 'tok-admin') fail('registration did not store the token in localStorage["vcrm.token"]');
  if (!r1.apiLog.includes('POST /api/auth/register')) fail('setup did not POST /api/auth/register');
  if (!/#\/grid$/.test(w1.location.hash)) fail('after setup the URL should be #/grid, got ' + w1.location.hash);
  for (const label of ['Grid', 'Import & export', 'Communications', 'Pipeline', 'Dashboard', 'Settings', 'Admin']) {
    if (!Array.from(w1.document.querySelectorAll('.nav-item')).some(a => a.textContent.trim() === label)) fail('sidebar lacks the ' + label + ' item');
  }
  ok('setup form validates inline, registers, stores vcrm.token and opens the app frame with the full sidebar');
  const storage = storageOf(w1);
  delete storage['vcrm.token'];
  w1.close();

  /* ---- run 2: login, warm cache ---- */
  const t2 = Date.now();
  const r2 = load({ setupRequired: false, storage });
  const w2 = r2.window;
  await waitFor(r2, 'the login screen', () => /Sign in/.test(text(w2)) && /Username or email/.test(text(w2)) && $(w2, 'input[name="password"]'));
  if (r2.requests.some(p => /babel/.test(p))) fail('warm load fetched Babel; the compile cache was not used');
  if (w2.__vcrmBoot.cache !== 'hit') fail('warm load should report a compile-cache hit, got ' + w2.__vcrmBoot.cache);
  if (typeof w2.Babel !== 'undefined') fail('warm load defined window.Babel; it should never run Babel');
  if (!/#\/login$/.test(w2.location.hash)) fail('signed-out users should land on #/login, got ' + w2.location.hash);
  ok('login screen rendered on a warm load (' + (Date.now() - t2) + ' ms; compile cache hit, Babel not fetched)');

  const form2 = $(w2, 'form');
  const user = $(w2, 'input[name="username"]');
  const pass = $(w2, 'input[name="password"]');
  type(w2, user, 'hammer'); type(w2, pass, 'whatever1');
  submit(w2, form2);
  await waitFor(r2, 'the rate-limit message', () => /Too many attempts, try again in [67] s/.test(text(w2)), 3000);
  const btn = form2.querySelector('button[type="submit"]');
  if (!btn.disabled) fail('the sign-in button should be disabled during the Retry-After countdown');
  ok('429 shows "Too many attempts, try again in N s" from Retry-After and disables the button');

  // Rather than wait out the 7 s countdown, check the 401 path and a good login in a third warm instance.
  w2.close();
  const r3 = load({ setupRequired: false, storage });
  const w3 = r3.window;
  await waitFor(r3, 'the login screen (third load)', () => $(w3, 'input[name="password"]') && /Sign in/.test(text(w3)));
  if (r3.requests.some(p => /babel/.test(p))) fail('third load fetched Babel');
  const form3 = $(w3, 'form');
  type(w3, $(w3, 'input[name="username"]'), 'admin'); type(w3, $(w3, 'input[name="password"]'), 'wrong password');
  submit(w3, form3);
  await waitFor(r3, 'the 401 error', () => /invalid username or password/i.test(text(w3)), 3000);
  ok('401 shows the server\'s message inline');
  type(w3, $(w3, 'input[name="username"]'), 'admin@example.com'); type(w3, $(w3, 'input[name="password"]'), 'correct horse battery');
  submit(w3, form3);
  await waitFor(r3, 'the app frame after login', () => /Fundraising grid/.test(text(w3)) && $(w3, '.user-btn'));
  if (w3.localStorage.getItem('vcrm.token') !== 'tok-admin') fail('login did not store the token');
  w3.location.hash = '#/admin/users';
  await waitFor(r3, 'the Admin → Users table', () => /member1@example\.com/.test(text(w3)) && $(w3, 'table'));
  for (const tab of ['Users', 'Invites', 'Service tokens', 'Audit log', 'Security']) {
    if (!Array.from(w3.document.querySelectorAll('.tab')).some(a => a.textContent.trim() === tab)) fail('admin page lacks the ' + tab + ' tab');
  }
  const authed = r3.apiLog.filter(l => l === 'GET /api/users').length;
  if (!authed) fail('the users tab did not call GET /api/users');
  ok('login opens the app frame; #/admin/users lists users with all five admin tabs');
  w3.close();

  clearTimeout(budget);
  console.log('render_check: PASS in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
  process.exit(0);
}

await main();
})().catch(e => fail(e && e.message ? e.message : String(e)));
