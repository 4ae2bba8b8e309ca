/*
 * The grid page as the browser scripts drive it: cell selectors, selecting a cell with the
 * keyboard, waiting for a cell's text or the server's value, paste and copy events, and a small
 * API client on a browser context (for setting up and for checking what the server stored).
 *
 *   const g = require('./grid_page')(base, expect);
 *   await g.selectCell(page, 0, 3); await page.keyboard.type('1.5m'); await g.waitServer(api, id, colId, 1500000, 'x');
 */
'use strict';

const squash = s => String(s || '').replace(/\s+/g, ' ').trim();
const cellSel = (r, c) => `.gv-row[data-r="${r}"] .gv-cell[data-c="${c}"]`;

module.exports = (base, expect) => {
  async function newContext(browser, opts) {
    const ctx = await browser.newContext(opts);
    await ctx.addInitScript(() => document.addEventListener('securitypolicyviolation',
      e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
    return ctx;
  }

  function apiFor(ctx, token) {
    const headers = { Authorization: 'Bearer ' + token };
    const call = async (method, url, data) => {
      const r = await ctx.request.fetch(base + url, { method, headers, data });
      const body = await r.json().catch(() => null);
      if (r.status() >= 400) throw new Error(method + ' ' + url + ' answered ' + r.status() + ': ' + JSON.stringify(body));
      return body && body.data;
    };
    return { get: u => call('GET', u), post: (u, d) => call('POST', u, d), patch: (u, d) => call('PATCH', u, d),
      del: u => call('DELETE', u) };
  }

  // The grid's columns in display order (the default view shows them all, in server order).
  async function columnIndex(api, name) {
    const cols = await api.get('/api/fundraising/columns');
    const i = cols.findIndex(c => c.name === name);
    expect(i >= 0, 'no column ' + name + ' in ' + cols.map(c => c.name).join(', '));
    return i;
  }

  // Select row r, column c with the keyboard: click the row's Name cell, then arrow right.
  async function selectCell(page, r, c) {
    await page.locator(cellSel(r, 0)).click();
    await page.keyboard.press('Home');
    for (let i = 0; i < c; i++) await page.keyboard.press('ArrowRight');
    await page.locator(cellSel(r, c) + '.is-active').waitFor();
  }

  async function cellText(page, r, c) { return squash(await page.locator(cellSel(r, c)).innerText()); }

  async function waitCell(page, r, c, want, timeout = 5000) {
    await page.waitForFunction(([sel, w]) => {
      const el = document.querySelector(sel);
      if (!el) return false;
      const copy = el.cloneNode(true);
      copy.querySelectorAll('.gv-peer-tag').forEach(t => t.remove());
      return copy.textContent.replace(/\s+/g, ' ').trim() === w;
    }, [cellSel(r, c), want], { timeout });
  }

  async function rowValues(api, id) { return (await api.get('/api/fundraising/rows/' + id)).values; }

  async function waitServer(api, id, colId, want, what) {
    const deadline = Date.now() + 5000;
    let last;
    while (Date.now() < deadline) {
      last = (await rowValues(api, id))[colId];
      if (JSON.stringify(last) === JSON.stringify(want)) return;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(what + ': the server has ' + JSON.stringify(last) + ', expected ' + JSON.stringify(want));
  }

  async function paste(page, text) {
    await page.evaluate(t => {
      const dt = new DataTransfer();
      dt.setData('text/plain', t);
      document.querySelector('.gv-scroll').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, text);
  }

  async function copy(page) {
    return page.evaluate(() => {
      const dt = new DataTransfer();
      document.querySelector('.gv-scroll').dispatchEvent(new ClipboardEvent('copy', { clipboardData: dt, bubbles: true, cancelable: true }));
      return dt.getData('text/plain');
    });
  }

  // What a person meets on a phone: can the page (or its content pane) be dragged sideways? With
  // `stillPage`, also: only the content pane scrolls, the page stays put under the bottom bar.
  // The tablet and phone passes each screen's test makes: a fresh context at each size (touch and
  // mobile on the phone) handed to `body(page, label)`, closed after it however it ends.
  async function atSmallSizes(browser, body) {
    for (const [label, viewport] of [['tablet', { width: 820, height: 1180 }], ['phone', { width: 390, height: 844 }]]) {
      const small = await newContext(browser, { viewport, isMobile: label === 'phone', hasTouch: label === 'phone' });
      try {
        await body(await small.newPage(), label);
      } finally {
        await small.close();
      }
    }
  }

  async function phoneOverflow(page, what, { stillPage = false } = {}) {
    const [moved, culprit] = await page.evaluate(() => {
      const panes = [document.scrollingElement, document.querySelector('.content')].filter(Boolean);
      const out = panes.map(el => { el.scrollLeft = 10000; const x = el.scrollLeft; el.scrollLeft = 0; return x; });
      // The outermost element that sticks out and is not inside its own scroller (for the message).
      const content = document.querySelector('.content');
      const inScroller = el => { for (let p = el.parentElement; p && p !== content && p !== document.body; p = p.parentElement) if (/auto|scroll|hidden|clip/.test(getComputedStyle(p).overflowX)) return true; return false; };
      const wide = [...document.querySelectorAll('.content *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !inScroller(el));
      const top = wide.find(el => !wide.includes(el.parentElement));
      return [Math.max(...out), top ? top.tagName.toLowerCase() + '.' + [...top.classList].join('.') + ' ends at ' + Math.round(top.getBoundingClientRect().right) + ' px' : ''];
    });
    expect(moved <= 1, what + ' scrolls sideways by ' + moved + ' px on a 390 px phone' + (culprit ? ': ' + culprit : ''));
    if (!stillPage) return;
    const down = await page.evaluate(() => document.scrollingElement.scrollHeight - window.innerHeight);
    expect(down <= 1, what + ': the page itself scrolls down by ' + down + ' px (something outside the content pane)');
  }

  return { squash, cellSel, newContext, atSmallSizes, apiFor, columnIndex, selectCell, cellText, waitCell, rowValues, waitServer, paste, copy,
    phoneOverflow };
};
