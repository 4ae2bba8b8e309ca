#!/usr/bin/env node
/*
 * The Automations page end-to-end in real headless Chromium against a running server (BASE_URL,
 * fresh data): first-run setup -> two investors through the API (one quiet for 45 days, one in a
 * Meeting) -> #/automations lists the two default rules as readable sentences -> the editor's
 * FilterBuilder builds "When Status is Meeting -> move to Longshot" (trigger Both), after showing
 * inline errors for an incomplete rule -> "Run scheduled rules now" toasts the result -> the run log
 * shows the quiet investor moved to Follow-up and the Meeting investor to Longshot -> a rule is
 * switched off and another deleted. Screenshots at 1440x900 and 1280x720. Fails on any CSP
 * violation or console error.
 *
 *   node tests/frontend/browser_automations.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const { chromium } = require('playwright-core');

const harness = require('./harness');
const { CHROMIUM_ARGS: ARGS, PASSWORD, createFirstAdmin } = harness;
const { base, problems, step, watch: watchPage, shot, expect, run } = harness.open('browser_automations', { shotDelay: 250 });
const watch = (page, who) => watchPage(page, who);
const QUIET = 'Quiet Harbor Capital';
const MEETING = 'Meridian Family Office';
const RULE = 'Meetings go to Longshot';

async function textOf(locator) { return (await locator.innerText()).replace(/\s+/g, ' ').trim(); }

function daysAgo(n) { return new Date(Date.now() - n * 86400e3).toISOString().slice(0, 10); }

run(async () => {
  const t0 = Date.now();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(() => document.addEventListener('securitypolicyviolation',
      e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
    const page = await ctx.newPage();
    watch(page, 'admin');

    // --- first admin through the setup screen
    await createFirstAdmin(page, base, 'jane', 'jane@northwind.vc', PASSWORD);
    await page.locator('aside.sidebar').getByText('Automations').waitFor();
    step('first admin created; Automations is in the navigation');

    // --- two investors through the API, with the browser's own session. The server's scheduler
    // first runs 5 s after start-up, then every CRM_AUTOMATION_INTERVAL_SECONDS: create them after
    // that first run so that this test's "Run scheduled rules now" is the one that moves them.
    await page.waitForTimeout(Math.max(0, 6500 - (Date.now() - t0)));
    const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
    expect(token, 'no token in localStorage after setup');
    const headers = { Authorization: 'Bearer ' + token };
    for (const values of [{ Name: QUIET, 'Last Contact': daysAgo(45) }, { Name: MEETING, Status: 'Meeting' }]) {
      const r = await ctx.request.post(base + '/api/fundraising/rows', { headers, data: { values } });
      expect(r.status() === 201 || r.status() === 200, 'creating ' + values.Name + ' answered ' + r.status() + ': ' + await r.text());
    }
    step('created two investors through the API');

    // --- the page: default rules as sentences, list counts
    await page.locator('aside.sidebar').getByRole('link', { name: 'Automations' }).click();
    await page.getByRole('heading', { name: 'Automations', level: 1 }).waitFor();
    const rules = page.locator('li.rule');
    await rules.filter({ hasText: 'Passed investors move to the graveyard' }).waitFor();
    const passed = await textOf(rules.filter({ hasText: 'Passed investors move to the graveyard' }).locator('.sentence'));
    expect(/When Status is Passed/.test(passed) && /move to Graveyard/.test(passed), 'default rule 1 reads: ' + passed);
    const quiet = await textOf(rules.filter({ hasText: 'No contact for 30 days' }).locator('.sentence'));
    expect(/When Last Contact is before 30 days ago and List is Main/.test(quiet) && /move to Follow-up/.test(quiet), 'default rule 2 reads: ' + quiet);
    expect(/Scheduled/.test(await textOf(rules.filter({ hasText: 'No contact for 30 days' }))), 'default rule 2 has no Scheduled badge');
    const mainCard = page.locator('.list-card', { hasText: 'Main' });
    await page.waitForFunction(() => { const c = document.querySelector('.list-card .lc-count'); return c && c.textContent.trim() === '2'; });
    expect((await textOf(mainCard.locator('.lc-count'))) === '2', 'Main does not count 2 investors');
    await page.getByText('No runs yet').waitFor();
    expect((await page.evaluate(() => document.title)).startsWith('Automations'), 'page title is not Automations');
    await shot(page, 'automations-01-list');
    step('default rules listed: "' + passed + '" | "' + quiet + '"');

    // --- the editor: inline errors first, then the FilterBuilder
    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New automation rule' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await dialog.getByText('Choose a field.').waitFor();
    await dialog.getByText('Choose the list to move investors to.').waitFor();
    step('an incomplete rule shows inline errors instead of saving');

    await dialog.getByLabel('Name', { exact: true }).fill(RULE);
    await dialog.getByRole('radio', { name: /^Both/ }).check();
    await dialog.getByLabel('Field', { exact: true }).selectOption({ label: 'Status' });
    const ops = await dialog.getByLabel('Comparison', { exact: true }).locator('option').allInnerTexts();
    expect(ops.includes('is') && ops.includes('is any of') && ops.includes('is empty') && !ops.includes('<'), 'Status offers operators ' + ops.join(', '));
    await dialog.getByLabel('Value', { exact: true }).selectOption('Meeting');
    // A nested group appears, takes a condition, and goes away again.
    await dialog.getByRole('button', { name: 'Add condition group' }).click();
    const group = dialog.getByRole('group', { name: 'Condition group' });
    await group.waitFor();
    await group.getByLabel('Field', { exact: true }).selectOption({ label: 'Last Contact' });
    await group.getByLabel('Comparison', { exact: true }).selectOption('is_within_last');
    await group.getByLabel('Number of days').fill('14');
    await dialog.locator('.list-choice', { hasText: 'Longshot' }).click();
    const preview = await textOf(dialog.locator('.rule-preview'));
    expect(/When Status is Meeting and \(Last Contact is within the last 14 days\)/.test(preview), 'preview with a group reads: ' + preview);
    await shot(page, 'automations-02b-editor-group');
    await dialog.getByRole('button', { name: 'Remove this condition group' }).click();
    await dialog.locator('.fb-group.is-nested').waitFor({ state: 'detached' });
    const preview2 = await textOf(dialog.locator('.rule-preview'));
    expect(/When Status is Meeting move to Longshot/.test(preview2), 'preview reads: ' + preview2);
    await shot(page, 'automations-02-editor');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: 'Rule “' + RULE + '” created.' }).waitFor();
    const mine = rules.filter({ hasText: RULE });
    await mine.waitFor();
    const mineText = await textOf(mine.locator('.sentence'));
    expect(/When Status is Meeting/.test(mineText) && /move to Longshot/.test(mineText), 'new rule reads: ' + mineText);
    expect(/Both/.test(await textOf(mine.locator('.rule-badges'))), 'new rule has no Both badge');
    step('created "' + mineText + '" through the FilterBuilder');

    // --- run the scheduled rules now
    await page.getByRole('button', { name: 'Run scheduled rules now' }).click();
    const toast = page.locator('.toast', { hasText: 'Checked 2 investors' });
    await toast.waitFor();
    const toastText = await textOf(toast);
    expect(/Checked 2 investors · 2 moved/.test(toastText), 'toast reads: ' + toastText);
    step('run toast: ' + toastText);

    // --- the run log shows both moves; the cards follow
    const runRows = page.locator('.run-table tbody tr');
    const quietRun = runRows.filter({ hasText: QUIET });
    const meetingRun = runRows.filter({ hasText: MEETING });
    await quietRun.first().waitFor();
    await meetingRun.first().waitFor();
    const q = await textOf(quietRun.first());
    const m = await textOf(meetingRun.first());
    expect(/No contact for 30 days/.test(q) && /List:\s*Main\s*Follow-up/.test(q) && /Manual run/.test(q) && /Applied/.test(q), 'quiet investor run reads: ' + q);
    expect(new RegExp(RULE).test(m) && /List:\s*Main\s*Longshot/.test(m) && /Manual run/.test(m) && /Applied/.test(m), 'meeting investor run reads: ' + m);
    await page.waitForFunction(() => {
      const n = name => { const c = Array.from(document.querySelectorAll('.list-card')).find(x => x.querySelector('.lc-name').textContent === name); return c && c.querySelector('.lc-count').textContent.trim(); };
      return n('Main') === '0' && n('Follow-up') === '1' && n('Longshot') === '1';
    });
    await page.locator('#run-log-title').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('.content').scrollTo(0, 10000));
    await page.waitForTimeout(150);
    await shot(page, 'automations-03-log');
    step('run log: "' + q + '" | "' + m + '"');

    // --- switch a rule off (keyboard), then delete one through its menu
    const sw = page.getByRole('switch', { name: 'Enable ' + RULE });
    expect(await sw.getAttribute('aria-checked') === 'true', 'the new rule is not on');
    await sw.focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(name => { const s = document.querySelector('button[role="switch"][aria-label="Enable ' + name + '"]'); return s && s.getAttribute('aria-checked') === 'false'; }, RULE);
    await mine.getByText('Disabled').waitFor();
    const listed = await (await ctx.request.get(base + '/api/fundraising/automations', { headers })).json();
    expect(listed.data.find(r => r.name === RULE).enabled === false, 'the server still has the rule enabled');
    step('switched "' + RULE + '" off with the keyboard; the server agrees');

    await mine.getByRole('button', { name: 'Actions for ' + RULE }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete “' + RULE + '”?' });
    await confirm.getByRole('button', { name: 'Delete rule' }).click();
    await confirm.waitFor({ state: 'detached' });
    await mine.waitFor({ state: 'detached' });
    expect(await rules.count() === 2, 'expected the two default rules after deleting');
    step('deleted "' + RULE + '" after confirming');

    // --- the smaller laptop size
    while (await page.locator('.toast .icon-btn').count()) await page.locator('.toast .icon-btn').first().click({ timeout: 1000 }).catch(() => {});
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
    await page.waitForTimeout(100);
    await shot(page, 'automations-04-list-1280');
    await rules.filter({ hasText: 'No contact for 30 days' }).getByRole('button', { name: 'No contact for 30 days: move to follow-up', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit rule' });
    await edit.waitFor();
    await shot(page, 'automations-05-edit-1280');
    await page.keyboard.press('Escape');
    await edit.waitFor({ state: 'detached' });
    step('1280x720 screenshots taken; Escape closes the editor');
  } finally {
    await browser.close();
  }
});
