#!/usr/bin/env node
/*
 * The Automations page end-to-end in real headless Chromium against a running server (BASE_URL,
 * fresh data): first-run setup -> four investors through the API (one quiet for 45 days, one in a
 * Meeting, a Committed LP quiet for 45 days, one never contacted) -> #/automations lists the two
 * default rules as sentences, the follow-up rule visibly Off -> switching it on shows what it
 * would move (only the quiet investor) before it is on -> the editor's FilterBuilder builds "When
 * Status is Meeting -> move to Longshot", after inline errors for an incomplete rule -> "Run
 * scheduled rules now" previews both moves, per rule, with the lists they go from and to, and
 * changes nothing until confirmed -> confirmed, the run log shows one run with both changes and
 * the list cards follow -> Undo puts both investors back (the cards and the server agree) and the
 * run is marked undone -> a rule is switched off and another deleted. Screenshots at 1440x900 and
 * 1280x720. Fails on any CSP violation or console error.
 *
 *   node tests/frontend/browser_automations.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';

const harness = require('./harness');
const { PASSWORD, createFirstAdmin } = harness;
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_automations', { shotDelay: 250 });
const QUIET = 'Quiet Harbor Capital';
const MEETING = 'Meridian Family Office';
const COMMITTED = 'Cobalt Pension Trust';
const NEVER = 'Northwind Endowment';
const RULE = 'Meetings go to Longshot';
const FOLLOW_UP = 'No contact for 30 days: move to follow-up';

async function textOf(locator) { return (await locator.innerText()).replace(/\s+/g, ' ').trim(); }

function daysAgo(n) { return new Date(Date.now() - n * 86400e3).toISOString().slice(0, 10); }

// The count on each list card, e.g. {Main: '4', 'Follow-up': '0', ...}, once it reads `want`.
async function waitForCounts(page, want) {
  await page.waitForFunction(w => {
    const got = {};
    document.querySelectorAll('.list-card').forEach(c => { got[c.querySelector('.lc-name').textContent] = c.querySelector('.lc-count').textContent.trim(); });
    return Object.keys(w).every(k => got[k] === w[k]);
  }, want);
}

async function dismissToasts(page) {
  while (await page.locator('.toast .icon-btn').count()) await page.locator('.toast .icon-btn').first().click({ timeout: 1000 }).catch(() => {});
}

runBrowser(async (browser) => {
  const t0 = Date.now();
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript(() => document.addEventListener('securitypolicyviolation',
    e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
  const page = await ctx.newPage();
  watch(page, 'admin');

  // --- first admin through the setup screen
  await createFirstAdmin(page, base, 'jane', 'jane@northwind.vc', PASSWORD);
  await page.locator('aside.sidebar').getByText('Automations').waitFor();
  step('first admin created; Automations is in the navigation');

  // --- four investors through the API, after the scheduler's first pass (5 s after start-up)
  // so that every change the page shows is one this script asked for.
  await page.waitForTimeout(Math.max(0, 6500 - (Date.now() - t0)));
  const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  expect(token, 'no token in localStorage after setup');
  const headers = { Authorization: 'Bearer ' + token };
  const ids = {};
  for (const values of [{ Name: QUIET, 'Last Contact': daysAgo(45) }, { Name: MEETING, Status: 'Meeting', 'Last Contact': daysAgo(2) },
    { Name: COMMITTED, Status: 'Committed', 'Last Contact': daysAgo(45) }, { Name: NEVER }]) {
    const r = await ctx.request.post(base + '/api/fundraising/rows', { headers, data: { values } });
    expect(r.status() === 201, 'creating ' + values.Name + ' answered ' + r.status() + ': ' + await r.text());
    ids[values.Name] = (await r.json()).data.id;
  }
  const grid = async () => {
    const g = (await (await ctx.request.get(base + '/api/fundraising/grid', { headers })).json()).data;
    const list = g.columns.find(c => c.name === 'List').id;
    const out = {};
    g.rows.forEach(r => { out[r.values[g.columns.find(c => c.name === 'Name').id]] = r.values[list]; });
    return out;
  };
  step('created four investors through the API');

  // --- the page: default rules as sentences, their on/off state visible
  await page.locator('aside.sidebar').getByRole('link', { name: 'Automations' }).click();
  await page.getByRole('heading', { name: 'Automations', level: 1 }).waitFor();
  const rules = page.locator('li.rule');
  const passedRule = rules.filter({ hasText: 'Passed investors move to the graveyard' });
  const followRule = rules.filter({ hasText: FOLLOW_UP });
  await passedRule.waitFor();
  const passed = await textOf(passedRule.locator('.sentence'));
  expect(/When Status is Passed/.test(passed) && /move to Graveyard/.test(passed), 'default rule 1 reads: ' + passed);
  expect(/Acts when someone changes Status\./.test(await textOf(passedRule.locator('.rule-when'))), 'rule 1 does not say when it acts');
  expect(await passedRule.locator('.switch-state').textContent() === 'On', 'rule 1 is not visibly on');
  const quiet = await textOf(followRule.locator('.sentence'));
  expect(/When Last Contact is not empty and Last Contact is before 30 days ago and List is Main and Status is none of Committed, Soft Circle or Passed/.test(quiet)
    && /move to Follow-up/.test(quiet), 'default rule 2 reads: ' + quiet);
  expect(await followRule.locator('.switch-state').textContent() === 'Off', 'the follow-up rule is not visibly off');
  expect(/Off: changes nothing until you turn it on/.test(await textOf(followRule.locator('.rule-when'))), 'the follow-up rule does not say it is off');
  expect(await page.getByRole('switch', { name: 'Turn ' + FOLLOW_UP + ' on' }).getAttribute('aria-checked') === 'false', 'the follow-up switch is not off');
  await waitForCounts(page, { Main: '4' });
  await page.getByText('No runs yet').waitFor();
  expect((await page.evaluate(() => document.title)).startsWith('Automations'), 'page title is not Automations');
  await dismissToasts(page);
  await shot(page, 'automations-01-list');
  step('default rules listed: "' + passed + '" (On) | "' + quiet + '" (Off)');

  // --- switching the follow-up rule on shows what it would move first
  await page.getByRole('switch', { name: 'Turn ' + FOLLOW_UP + ' on' }).click();
  const enable = page.getByRole('dialog', { name: 'Turn on “' + FOLLOW_UP + '”?' });
  await enable.waitFor();
  await enable.locator('.pv-rule').waitFor();
  const enableText = await textOf(enable);
  expect(enableText.includes(QUIET) && /List:\s*Main\s*Follow-up/.test(enableText), 'enable preview reads: ' + enableText);
  expect(!enableText.includes(COMMITTED) && !enableText.includes(NEVER) && !enableText.includes(MEETING), 'enable preview lists an investor the rule must leave: ' + enableText);
  expect(/runs every hour/.test(enableText), 'enable preview does not say how often it runs: ' + enableText);
  await shot(page, 'automations-02-enable-preview');
  expect(JSON.stringify(await grid()) === JSON.stringify({ [QUIET]: 'main', [MEETING]: 'main', [COMMITTED]: 'main', [NEVER]: 'main' }), 'the enable preview changed the grid');
  await enable.getByRole('button', { name: 'Turn on' }).click();
  await enable.waitFor({ state: 'detached' });
  await page.waitForFunction(name => { const s = document.querySelector('button[role="switch"][aria-label="Turn ' + name + ' off"]'); return s && s.getAttribute('aria-checked') === 'true'; }, FOLLOW_UP);
  expect(await followRule.locator('.switch-state').textContent() === 'On', 'the follow-up rule is not visibly on after confirming');
  step('turning the follow-up rule on previewed only "' + QUIET + '" first');

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
  const previewText = await textOf(dialog.locator('.rule-preview'));
  expect(/When Status is Meeting and \(Last Contact is within the last 14 days\)/.test(previewText), 'preview with a group reads: ' + previewText);
  await shot(page, 'automations-03b-editor-group');
  await dialog.getByRole('button', { name: 'Remove this condition group' }).click();
  await dialog.locator('.fb-group.is-nested').waitFor({ state: 'detached' });
  const preview2 = await textOf(dialog.locator('.rule-preview'));
  expect(/When Status is Meeting move to Longshot/.test(preview2), 'preview reads: ' + preview2);
  await shot(page, 'automations-03-editor');
  await dialog.getByRole('button', { name: 'Create rule' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('.toast', { hasText: 'Rule “' + RULE + '” created.' }).waitFor();
  const mine = rules.filter({ hasText: RULE });
  await mine.waitFor();
  const mineText = await textOf(mine.locator('.sentence'));
  expect(/When Status is Meeting/.test(mineText) && /move to Longshot/.test(mineText), 'new rule reads: ' + mineText);
  expect(/Both/.test(await textOf(mine.locator('.rule-badges'))), 'new rule has no Both badge');
  step('created "' + mineText + '" through the FilterBuilder');

  // --- "Run scheduled rules now" previews first: investors, per rule, from which list to which
  await dismissToasts(page);
  await page.getByRole('button', { name: 'Run scheduled rules now' }).click();
  const pv = page.getByRole('dialog', { name: 'Run scheduled rules now?' });
  await pv.waitFor();
  await pv.locator('.pv-rule').first().waitFor();
  const followSection = pv.getByRole('region', { name: 'Changes by ' + FOLLOW_UP });
  const meetingSection = pv.getByRole('region', { name: 'Changes by ' + RULE });
  const f = await textOf(followSection);
  const m = await textOf(meetingSection);
  expect(f.includes(QUIET) && /List:\s*Main\s*Follow-up/.test(f) && /1 investor/.test(f), 'follow-up preview reads: ' + f);
  expect(m.includes(MEETING) && /List:\s*Main\s*Longshot/.test(m) && /1 investor/.test(m), 'meeting preview reads: ' + m);
  const all = await textOf(pv);
  expect(!all.includes(COMMITTED) && !all.includes(NEVER), 'the preview lists an investor no rule should move: ' + all);
  expect(/Checked 4 investors against 2 scheduled rules/.test(all), 'the preview does not say what it checked: ' + all);
  await shot(page, 'automations-04-run-preview');
  expect(JSON.stringify(await grid()) === JSON.stringify({ [QUIET]: 'main', [MEETING]: 'main', [COMMITTED]: 'main', [NEVER]: 'main' }), 'the preview changed the grid');
  step('preview: "' + f + '" | "' + m + '"; nothing changed yet');

  await pv.getByRole('button', { name: 'Move 2 investors' }).click();
  await pv.waitFor({ state: 'detached' });
  await page.locator('.toast', { hasText: '2 investors moved.' }).waitFor();
  await waitForCounts(page, { Main: '2', 'Follow-up': '1', Longshot: '1' });
  const runGroup = page.locator('li.run-group').first();
  await runGroup.waitFor();
  const g = await textOf(runGroup);
  expect(/Run by jane/.test(g) && /2 changes/.test(g) && g.includes(QUIET) && g.includes(MEETING), 'the run reads: ' + g);
  expect(/List:\s*Main\s*Follow-up/.test(g) && /List:\s*Main\s*Longshot/.test(g), 'the run does not show the moves: ' + g);
  const after = await grid();
  expect(after[QUIET] === 'follow_up' && after[MEETING] === 'longshot' && after[COMMITTED] === 'main' && after[NEVER] === 'main', 'after the run the grid is ' + JSON.stringify(after));
  await page.locator('#run-log-title').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 10000));
  await page.waitForTimeout(150);
  await shot(page, 'automations-05-log');
  step('confirmed: one run, "' + g + '"');

  // --- undo the run as one step
  await dismissToasts(page);
  await runGroup.getByRole('button', { name: 'Undo' }).click();
  const undo = page.getByRole('dialog', { name: 'Undo this run?' });
  await undo.waitFor();
  await undo.getByText('Puts 2 investors back').waitFor();
  const goingBack = await textOf(undo.getByRole('list', { name: 'What goes back' }));
  expect(goingBack.includes(QUIET) && /List:\s*Follow-up\s*Main/.test(goingBack) && goingBack.includes(MEETING) && /List:\s*Longshot\s*Main/.test(goingBack),
    'the undo dialog lists: ' + goingBack);
  await shot(page, 'automations-06-undo');
  await undo.getByRole('button', { name: 'Undo run' }).click();
  await undo.waitFor({ state: 'detached' });
  await page.locator('.toast', { hasText: 'Run undone: 2 investors put back.' }).waitFor();
  await waitForCounts(page, { Main: '4', 'Follow-up': '0', Longshot: '0' });
  await runGroup.locator('.pill', { hasText: 'Undone by jane' }).waitFor();
  expect(await runGroup.getByRole('button', { name: 'Undo' }).count() === 0, 'an undone run still offers Undo');
  const back = await grid();
  expect(JSON.stringify(back) === JSON.stringify({ [QUIET]: 'main', [MEETING]: 'main', [COMMITTED]: 'main', [NEVER]: 'main' }), 'after undo the grid is ' + JSON.stringify(back));
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 10000));
  await page.waitForTimeout(150);
  await shot(page, 'automations-07-undone');
  step('undone: every investor is back on Main; the run is marked undone');

  // --- switch a rule off (keyboard), then delete one through its menu
  const sw = page.getByRole('switch', { name: 'Turn ' + RULE + ' off' });
  expect(await sw.getAttribute('aria-checked') === 'true', 'the new rule is not on');
  await sw.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(name => { const s = document.querySelector('button[role="switch"][aria-label="Turn ' + name + ' on"]'); return s && s.getAttribute('aria-checked') === 'false'; }, RULE);
  expect(await mine.locator('.switch-state').textContent() === 'Off', 'the switched-off rule does not read Off');
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
  await dismissToasts(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
  await page.waitForTimeout(100);
  await shot(page, 'automations-08-list-1280');
  await page.getByRole('button', { name: 'Run scheduled rules now' }).click();
  const pv2 = page.getByRole('dialog', { name: 'Run scheduled rules now?' });
  await pv2.locator('.pv-rule').first().waitFor();
  await shot(page, 'automations-09-run-preview-1280');
  await pv2.getByRole('button', { name: 'Cancel' }).click();
  await pv2.waitFor({ state: 'detached' });
  await followRule.getByRole('button', { name: FOLLOW_UP, exact: true }).click();
  const edit = page.getByRole('dialog', { name: 'Edit rule' });
  await edit.waitFor();
  await shot(page, 'automations-10-edit-1280');
  await page.keyboard.press('Escape');
  await edit.waitFor({ state: 'detached' });
  expect(JSON.stringify(await grid()) === JSON.stringify(back), 'cancelling the second preview changed the grid');
  step('1280x720 screenshots taken; Cancel and Escape change nothing');
});
