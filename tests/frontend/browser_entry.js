#!/usr/bin/env node
/*
 * Entering data as someone from Airtable does, in real headless Chromium against a running server
 * (BASE_URL, fresh data): dates typed straight into a cell in every accepted form (no Enter first),
 * each previewed before it is saved and stored as the day meant; an implausible year refused in
 * the editor and by the server; a paste of "1.5m" into a fund column stored as 1,500,000 (the
 * same rules as typing). Zero console errors.
 *
 *   node tests/frontend/browser_entry.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const { chromium } = require('playwright-core');

const harness = require('./harness');
const { CHROMIUM_ARGS: ARGS, PASSWORD, createFirstAdmin } = harness;
const { base, step, watch, shot, expect, run } = harness.open('browser_entry', { shotPrefix: 'entry-', shotDelay: 200 });
const { cellSel, newContext, apiFor, columnIndex, selectCell, waitCell, waitServer, paste } = require('./grid_page')(base, expect);
const t0 = Date.now();
let reloading = false;

const pad = n => String(n).padStart(2, '0');
const isoDay = d => d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
const plusDays = n => { const d = new Date(); d.setHours(12, 0, 0, 0); d.setDate(d.getDate() + n); return isoDay(d); };

run(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  try {
    const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    // A reload cancels the long-poll and any read in flight: that is the reload, not a fault.
    watch(page, 'ann', (kind, text, r) => kind === 'request' && reloading && /ERR_ABORTED/.test(text) && r.method() === 'GET');
    await createFirstAdmin(page, base, 'ann', 'ann@northwind.vc', PASSWORD);
    await page.getByRole('button', { name: /Start from scratch/ }).click({ timeout: 15000 });
    await page.locator('[data-editor] input').waitFor();
    await page.keyboard.type('Halcyon Family Office');
    await page.keyboard.press('Enter');
    await waitCell(page, 0, 0, 'Halcyon Family Office');
    const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
    const api = apiFor(ctx, token);
    const rowId = (await api.get('/api/fundraising/grid')).rows[0].id;
    const cols = await api.get('/api/fundraising/columns');
    const lastId = cols.find(c => c.name === 'Last Contact').id;
    const cLast = await columnIndex(api, 'Last Contact');
    step('first investor typed in');

    /* ---------------- dates typed straight into the cell ---------------- */
    const year = new Date().getFullYear();
    const forms = [
      ['12/15/2026', '2026-12-15', 'Dec 15, 2026'],
      ['2026-06-14', '2026-06-14', 'Jun 14, 2026'],
      ['6/14/2026', '2026-06-14', 'Jun 14, 2026'],  // over an existing date: replaced, not mangled
      ['June 14, 2026', '2026-06-14', 'Jun 14, 2026'],
      ['Jan 5, 2027', '2027-01-05', 'Jan 5, 2027'],
      ['Jan 5', year + '-01-05', null],
      ['tomorrow', plusDays(1), null],
      ['+7d', plusDays(7), null],
      ['12/15/26', '2026-12-15', 'Dec 15, 2026'],
    ];
    for (const [typed, stored, shown] of forms) {
      await selectCell(page, 0, cLast);
      await page.keyboard.type(typed);  // no Enter first: the first keystroke starts the editor
      const input = page.locator('[data-editor] input');
      await input.waitFor();
      expect(await input.inputValue() === typed, 'the editor holds ' + JSON.stringify(await input.inputValue()) + ' after typing ' + typed);
      const reading = page.locator('.ce-date-reading');
      await page.waitForFunction(() => { const el = document.querySelector('.ce-date-reading'); return el && /\d{4}/.test(el.textContent); });
      const said = (await reading.innerText()).trim();
      const [y, m, d] = stored.split('-').map(Number);
      const expectLabel = new Date(y, m - 1, d).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
      expect(said.includes(expectLabel), 'typing ' + typed + ' previews "' + said + '", expected ' + expectLabel);
      if (typed === '12/15/2026') await shot(page, '01-date-preview');
      await page.keyboard.press('Enter');
      await waitServer(api, rowId, lastId, stored, 'the date typed as ' + JSON.stringify(typed));
      if (shown) await waitCell(page, 0, cLast, shown);
    }
    step('dates typed straight into a cell, previewed and stored: ' + forms.map(f => f[0]).join(' · '));

    // An implausible year: the editor says so and keeps the text; nothing is saved.
    await selectCell(page, 0, cLast);
    await page.keyboard.type('0026-06-14');
    await page.locator('.ce-date-reading.is-error', { hasText: 'outside 1900' }).waitFor();
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-editor] input').inputValue() === '0026-06-14', 'the refused date was not kept in the editor');
    await shot(page, '02-date-refused');
    await page.keyboard.press('Escape');
    await waitServer(api, rowId, lastId, '2026-12-15', 'the refused year left the date alone');
    // The server refuses it too, naming the column (any client, not only this page).
    const r = await ctx.request.fetch(base + '/api/fundraising/rows/' + rowId, { method: 'PATCH', headers: { Authorization: 'Bearer ' + token },
      data: { values: { [lastId]: '0614-06-14' } } });
    const body = await r.json();
    expect(r.status() === 400 && /Last Contact/.test(body.error) && /1900/.test(body.error), 'the server took year 614: ' + r.status() + ' ' + JSON.stringify(body));
    step('year 0026 refused in the editor (kept for fixing) and year 614 by the server, naming the column');

    // The calendar is a convenience: clicking a day saves it.
    await selectCell(page, 0, cLast);
    await page.keyboard.press('Enter');
    await page.locator('.ce-cal').waitFor();
    await page.getByRole('button', { name: /December 20, 2026/ }).click();
    await waitServer(api, rowId, lastId, '2026-12-20', 'the day clicked in the calendar');
    step('a day clicked in the calendar is saved');

    /* ---------------- paste follows typing's rules ---------------- */
    await api.post('/api/fundraising/columns', { name: 'Fund II', type: 'fund', options: {} });
    reloading = true;
    await page.reload();
    await page.locator(cellSel(0, 0)).waitFor();
    reloading = false;
    const fund = (await api.get('/api/fundraising/columns')).find(c => c.name === 'Fund II');
    const cFund = await columnIndex(api, 'Fund II');
    await selectCell(page, 0, cFund);
    await paste(page, '1.5m');
    await page.locator('.toast', { hasText: 'Pasted 1 cell' }).waitFor();
    await waitServer(api, rowId, fund.id, 1500000, 'the pasted "1.5m"');
    await selectCell(page, 0, cLast);
    await paste(page, 'tomorrow');
    await waitServer(api, rowId, lastId, plusDays(1), 'the pasted "tomorrow"');
    step('a paste of "1.5m" stored 1,500,000 and a pasted "tomorrow" the person\'s tomorrow');
  } finally {
    await browser.close();
  }
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
