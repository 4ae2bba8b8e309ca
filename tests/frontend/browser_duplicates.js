#!/usr/bin/env node
/*
 * Duplicates in real headless Chromium against a running server seeded by
 * tests/test_frontend_duplicates.py (named in DUPLICATES_CONFIG): the list shows the likely pairs
 * with score and reasons; Dismiss takes one away; Review opens the side-by-side merge with the
 * commitment conflict marked; picking the merged row's amount and Merge archives it (the server
 * says so); Undo in the toast unmerges; the investor panel hints "Possible duplicate" with Review. Screenshots at 1440x900, 820x1180 and 390x844; nothing
 * scrolls sideways on the phone. Zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_duplicates', { shotPrefix: 'duplicates-', shotDelay: 250 });
const { newContext, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.DUPLICATES_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  // The first answer says a whole comparison is still running (as after a start on a large
  // grid, where it takes seconds): the server's own answer with ready false and its progress.
  let answers = 0;
  await page.route(/\/api\/fundraising\/duplicates\?limit=/, async (route) => {
    if (answers++ > 0) return route.continue();
    const resp = await route.fetch();
    const body = await resp.json();
    await route.fulfill({ response: resp, json: { ...body, data: [], total: 0, ready: false, progress: { done: 1200, total: 5000 } } });
  });
  await signIn(page, '/duplicates');
  await page.getByRole('heading', { name: 'Duplicates' }).waitFor();
  const bar = page.getByRole('progressbar', { name: 'Comparing investors' });
  await bar.waitFor();
  expect(/Comparing 5,000 investors/.test(await bar.innerText()) && await bar.getAttribute('aria-valuenow') === '24',
    'the progress reads ' + await bar.innerText());
  await shot(page, '00-comparing');
  const items = page.locator('.dup-item');
  await items.first().waitFor();  // asked again by itself, now ready
  expect(await bar.count() === 0, 'the progress bar stays after the comparison is done');
  expect(/Showing 2 of 2/.test(await page.locator('.dup-card .table-foot').innerText()), 'the foot does not count the pairs');
  step('while the grid is compared the screen shows how far, then fills in by itself');
  expect(await page.locator('.dup-item', { hasText: 'Acme Capital LLC' }).count() === 1, 'the Acme pair is not listed');
  expect(await page.locator('.dup-item', { hasText: 'Orchard Trust' }).count() === 1, 'the Orchard pair is not listed');
  await shot(page, '01-list');
  await page.getByRole('button', { name: 'Refresh the list' }).click();
  await page.locator('.dup-card .table-foot', { hasText: 'Showing 2 of 2' }).waitFor();
  expect(await items.count() === 2, 'Refresh did not list the two pairs again');
  step('the list shows both pairs with their scores and reasons; Refresh reads them again');

  await page.locator('.dup-item', { hasText: 'Orchard Trust' }).getByRole('button', { name: 'Dismiss' }).click();
  await page.locator('.dup-item', { hasText: 'Orchard Trust' }).waitFor({ state: 'detached' });
  step('Dismiss takes a pair away');

  await page.locator('.dup-item', { hasText: 'Acme Capital LLC' }).getByRole('button', { name: 'Review' }).click();
  await page.getByRole('heading', { name: 'Review a merge' }).waitFor();
  const conflict = page.locator('.dup-grid.conflict', { hasText: 'Fund III' });
  await conflict.waitFor();
  await shot(page, '02-review');
  const session = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const get = async (p) => (await (await ctx.request.get(base + p, { headers: { Authorization: 'Bearer ' + session } })).json()).data;
  const head = await page.locator('.dup-grid-head').innerText();
  const mergedId = head.includes('Merge away: Acme Capital LLC') ? cfg.a : cfg.b;
  const survivorId = mergedId === cfg.a ? cfg.b : cfg.a;
  // the amount of the row that goes away
  const amount = mergedId === cfg.a ? '100,000' : '250,000';
  await conflict.locator('.dup-choice', { hasText: amount }).click();
  step('the review shows both sides, the commitment conflict marked; picked ' + amount);

  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await page.locator('.toast', { hasText: 'Merged' }).waitFor();
  await shot(page, '03-merged');
  const merged = await get('/api/fundraising/rows/' + mergedId);
  const survivor = await get('/api/fundraising/rows/' + survivorId);
  expect(!!merged.archived_at, 'the merged row is not archived');
  expect(survivor.values[cfg.fund] === Number(amount.replace(/,/g, '')), 'the survivor did not take the chosen amount: ' + JSON.stringify(survivor.values));
  step('Merge archived the other row; the survivor has the chosen amount');

  await page.locator('.toast', { hasText: 'Merged' }).getByRole('button', { name: 'Undo' }).click();
  await page.locator('.toast', { hasText: 'Unmerged' }).waitFor();
  const back = await get('/api/fundraising/rows/' + mergedId);
  expect(!back.archived_at, 'Undo did not bring the merged row back');
  step('Undo unmerged: both investors are back');

  await page.locator('.sidebar').getByRole('link', { name: 'Grid' }).click();
  const nameCell = page.locator('.gv-cell[data-c="0"]', { hasText: 'Acme Capital LLC' });
  await nameCell.click();
  await page.keyboard.press('Space');
  const panel = page.getByRole('dialog', { name: 'Investor: Acme Capital LLC' });
  await panel.waitFor();
  const hint = panel.locator('.panel-dup-hint');
  await hint.waitFor();
  expect(/Possible duplicate: Acme Capital\b/.test(await hint.innerText()), 'the hint reads ' + await hint.innerText());
  await shot(page, '04-panel-hint');
  await hint.getByRole('link', { name: 'Review' }).click();
  await page.getByRole('heading', { name: 'Review a merge' }).waitFor();
  step('the investor panel says "Possible duplicate: Acme Capital" and Review opens the merge');

  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/duplicates');
    await p.locator('.dup-item').first().waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'duplicates-' + label + '.png') });
    if (label === 'phone') await phoneOverflow(p, 'Duplicates', { stillPage: true });
    await p.locator('.dup-item').first().getByRole('button', { name: 'Review' }).click();
    await p.getByRole('heading', { name: 'Review a merge' }).waitFor();
    await p.locator('.dup-grid.conflict').first().waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'duplicates-review-' + label + '.png') });
    if (label === 'phone') await phoneOverflow(p, 'Review a merge', { stillPage: true });
  });
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
});
