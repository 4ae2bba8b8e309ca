#!/usr/bin/env node
/*
 * Settings -> Search as an admin, in real headless Chromium against a running server whose index
 * holds the notes tests/test_frontend_search_admin.py wrote (named in SEARCH_ADMIN_CONFIG): the
 * index is up to date with its chunk count, Rebuild (confirmed) runs in the background and ends
 * up to date again, and the server's status says everything was written again. Screenshots at
 * 1440x900, 820x1180 and 390x844; nothing scrolls sideways on the phone. Zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_search_admin', { shotPrefix: 'search-admin-', shotDelay: 250 });
const { newContext, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.SEARCH_ADMIN_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, '/settings');
  await page.locator('.tabs').getByRole('link', { name: 'Search' }).click();
  await page.getByRole('heading', { name: 'Search index' }).waitFor();
  await page.getByText('Up to date').waitFor();
  const chunks = Number((await page.locator('[data-stat="chunks"]').innerText()).replace(/,/g, ''));
  expect(chunks === cfg.chunks, 'the screen shows ' + chunks + ' chunks, the server ' + cfg.chunks);
  await shot(page, '01-up-to-date');
  step('Settings -> Search: up to date with ' + chunks + ' chunks');
  await page.getByRole('button', { name: 'Rebuild the index' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rebuild' }).click();
  await page.getByText(/Rebuilding the search index/).waitFor();
  const session = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  await page.getByText('Up to date').waitFor({ timeout: 60000 }).catch(async e => {  // say where the rebuild stood
    const now = await (await ctx.request.get(base + '/api/admin/search/status', { headers: { Authorization: 'Bearer ' + session } })).text();
    throw new Error('the rebuild did not end up to date in 60 s; the server says ' + now + '\n' + e.message);
  });
  const status = (await (await ctx.request.get(base + '/api/admin/search/status', { headers: { Authorization: 'Bearer ' + session } })).json()).data;
  expect(status.written >= cfg.written + cfg.chunks, 'the rebuild did not write the index again: ' + JSON.stringify(status));
  await shot(page, '02-rebuilt');
  step('Rebuild ran in the background and ended up to date (' + status.written + ' chunks written in all)');
  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/settings/search');
    await p.getByRole('heading', { name: 'Search index' }).waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'search-admin-' + label + '.png') });
    if (label === 'phone') await phoneOverflow(p, 'Settings -> Search', { stillPage: true });
  });
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
});
