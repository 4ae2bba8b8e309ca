#!/usr/bin/env node
/*
 * The dashboard in real headless Chromium against a server holding the grid
 * tests/test_frontend_dashboard.py built (its expectations in DASHBOARD_CONFIG): the KPI tiles and
 * the committed-per-fund figure show the server's numbers (graveyard excluded), a fund's bar opens
 * the grid filtered to exactly the investors it counted (the "Dashboard:" chip, the count), the
 * ad-hoc filter clears back to the whole grid, Enter on a focused bar opens it too, and a list's
 * slice opens that list. Screenshots at 1440x900, 820x1180 and 390x844; nothing scrolls sideways
 * on the phone. Zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_dashboard', { shotPrefix: 'dashboard-', shotDelay: 250 });
const { newContext, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.DASHBOARD_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

async function gridCount(page) {
  const el = page.locator('.gp-count');
  await el.waitFor();
  return (await el.innerText()).trim();
}

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, '/dashboard');
  await page.locator('.dash-kpi .kpi-value').first().waitFor();
  const committed = (await page.locator('[data-kpi="Committed"]').innerText()).trim();
  expect(committed === cfg.committed_label, 'the Committed tile shows ' + committed + ', expected ' + cfg.committed_label);
  const overdue = (await page.locator('[data-kpi="Overdue tasks"]').innerText()).trim();
  expect(overdue === String(cfg.overdue), 'the Overdue tile shows ' + overdue + ', expected ' + cfg.overdue);
  const funds = page.locator('section[data-figure="funds"]');
  await expect((await funds.innerText()).includes('graveyard'), 'the committed figure does not say the graveyard is excluded');
  const bar = funds.locator('[data-fund="' + cfg.fund_id + '"]');
  const label = await bar.getAttribute('aria-label');
  expect(label.includes(cfg.fund_committed_label) && label.includes(cfg.fund_investors + ' investors'), 'the fund bar says: ' + label);
  await bar.hover();
  await page.locator('.dash-tip').waitFor();
  expect((await page.locator('.dash-tip').innerText()).includes(cfg.fund_exact), 'the tooltip lacks the exact amount ' + cfg.fund_exact);
  await shot(page, '01-desktop');
  await page.locator('section[data-figure="activity"]').scrollIntoViewIfNeeded();
  await shot(page, '02-desktop-activity', { fullPage: true });
  step('dashboard: committed ' + committed + ', overdue ' + overdue + ', the fund bar and its tooltip');

  await bar.click();
  await page.locator('.gp-adhoc-chip').waitFor();
  const chip = (await page.locator('.gp-adhoc-chip').innerText()).trim();
  expect(chip === 'Dashboard: Committed to ' + cfg.fund_name, 'the chip reads ' + chip);
  const count = await gridCount(page);
  expect(count === cfg.fund_investors + ' of ' + cfg.live, 'the grid shows "' + count + '", expected ' + cfg.fund_investors + ' of ' + cfg.live);
  const names = await page.evaluate(() => window.location.hash);
  expect(names.startsWith('#/grid?filter='), 'the grid URL is ' + names);
  for (const name of cfg.fund_names) await page.locator('.gv-wrap').getByText(name, { exact: true }).first().waitFor();
  await shot(page, '03-grid-from-chart');
  step('a fund bar opens the grid with exactly its ' + cfg.fund_investors + ' investors (' + count + ') under a "' + chip + '" chip');

  await page.getByRole('button', { name: 'Clear' }).first().click();
  await page.locator('.gp-adhoc').waitFor({ state: 'detached' });
  const all = await gridCount(page);
  expect(all === cfg.live + ' investors', 'after Clear the grid shows ' + all);
  step('Clear brings the whole grid back (' + all + ')');

  await page.goto(base + '/#/dashboard');
  await page.locator('section[data-figure="lists"] path[data-list="graveyard"]').waitFor();
  await page.locator('section[data-figure="funds"] [data-fund="' + cfg.fund_id + '"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('.gp-adhoc-chip').waitFor();
  expect(await gridCount(page) === cfg.fund_investors + ' of ' + cfg.live, 'Enter on the focused bar did not open the same investors');
  await page.goto(base + '/#/dashboard');
  await page.locator('section[data-figure="lists"] path[data-list="graveyard"]').click();
  await page.locator('.gp-adhoc-chip').waitFor();
  expect(await gridCount(page) === cfg.graveyard + ' of ' + cfg.live, 'the graveyard slice did not open the graveyard');
  step('Enter on a focused bar and a click on the graveyard slice open their investors');

  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/dashboard');
    await p.locator('.dash-kpi .kpi-value').first().waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'dashboard-' + label + '.png') });
    await p.screenshot({ path: path.join(outDir, 'dashboard-' + label + '-full.png'), fullPage: true });
    if (label === 'phone') await phoneOverflow(p, 'Dashboard', { stillPage: true });
  });
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
});
