#!/usr/bin/env node
/*
 * Settings -> Intake as an admin sets the Matrix bot up, in real headless Chromium against a
 * running server (tests/test_frontend_intake.py starts it with one investor and names it in
 * INTAKE_BROWSER_CONFIG): sign in, open Settings -> Intake (no token yet, an empty history),
 * click "Create the bot's token": the token is shown once with the bot's environment block and
 * run command, and the server holds it named "Matrix intake bot" with exactly intake:match +
 * intake:write. With that token (as the bot would) commit a new investor and a note on the
 * existing one; the history lists both (newest first), then pages with Load more. Clicking the
 * new investor opens the investor panel, whose timeline shows the note "via Matrix", as the
 * admin activity feed does. Screenshots at 1440x900, 820x1180 and 390x844; no page scrolls
 * sideways on the phone. Zero console errors.
 *
 *   INTAKE_BROWSER_CONFIG=cfg.json node tests/frontend/browser_intake.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const fs = require('fs');

const harness = require('./harness');
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_intake', { shotPrefix: 'intake-', shotDelay: 250 });
const { newContext, phoneOverflow } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.INTAKE_BROWSER_CONFIG || '', 'utf8'));
const SCOPES = ['intake:match', 'intake:write'];
const ENV_KEYS = ['MATRIX_HOMESERVER_URL', 'MATRIX_USER_ID', 'MATRIX_PASSWORD', 'MATRIX_ROOM_ID', 'MATRIX_ALLOWED_SENDERS', 'INTAKE_STATE_DIR'];
const t0 = Date.now();

const signIn = (page, path) => harness.signIn(page, base, cfg.username, cfg.password, path);

// The server, as a person (their session) or as the bot (its service token).
function client(ctx, headers) {
  const call = async (method, url, data) => {
    const r = await ctx.request.fetch(base + url, { method, headers, data });
    const body = await r.json().catch(() => null);
    if (r.status() >= 400) throw new Error(method + ' ' + url + ' answered ' + r.status() + ': ' + JSON.stringify(body));
    return body;
  };
  return { get: u => call('GET', u), post: (u, d) => call('POST', u, d) };
}

const historyRows = page => page.locator('.ik-table tbody tr[data-ref]');
const historySettled = page => page.waitForFunction(() => !document.querySelector('.ik-table .skeleton-row') && document.querySelector('.ik-table tbody tr'));
const scrollTo = (page, sel) => page.evaluate(s => { const c = document.querySelector('.content'); c.scrollTop += document.querySelector(s).getBoundingClientRect().top - 70; }, sel);

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, '/settings');
  await page.locator('.tabs').getByRole('link', { name: 'Intake' }).click();
  await page.waitForFunction(() => location.hash === '#/settings/intake');
  await page.getByRole('heading', { name: 'Chat intake' }).waitFor();
  await page.locator('.ik-token-none').waitFor();
  await historySettled(page);
  expect(await page.locator('.ik-table .table-empty').count() === 1, 'the history is not empty on a new server');
  await shot(page, '01-empty');
  step('Settings -> Intake: no bot token yet, an empty history');

  /* ---------------- the bot's token, shown once, with its environment ---------------- */
  await page.getByRole('button', { name: 'Create the bot’s token' }).click();
  const callout = page.locator('.ik-created .callout');
  await callout.waitFor();
  const token = await callout.getByLabel('Value to copy').inputValue();
  expect(/^vcrm_/.test(token), 'the token shown is "' + token + '"');
  const env = await page.getByLabel('Bot environment', { exact: true }).innerText();
  const lines = env.trim().split('\n');
  expect(lines[0] === 'CRM_URL=' + base, 'the environment starts "' + lines[0] + '", not CRM_URL=' + base);
  expect(lines[1] === 'CRM_SERVICE_TOKEN=' + token, 'the environment does not carry the token: ' + lines[1]);
  expect(JSON.stringify(lines.slice(2)) === JSON.stringify(ENV_KEYS.map(k => k + '=')), 'the Matrix lines are ' + JSON.stringify(lines.slice(2)));
  const cmd = await page.getByLabel('Run command', { exact: true }).innerText();
  expect(cmd.trim() === './start.sh intake', 'the run command is "' + cmd + '"');
  await page.locator('.ik-token-row').waitFor();
  expect((await page.locator('.ik-token-row .who-name').innerText()) === 'Matrix intake bot', 'the token card does not name the new token');
  await shot(page, '02-token-created');
  const session = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const me = client(ctx, { Authorization: 'Bearer ' + session });
  const tokens = (await me.get('/api/admin/service-tokens')).data;
  const held = tokens.filter(t => !t.revoked_at && token.startsWith(t.prefix));
  expect(held.length === 1, held.length + ' live tokens match the one shown');
  expect(held[0].name === 'Matrix intake bot', 'the token is named "' + held[0].name + '"');
  expect(JSON.stringify(held[0].scopes.slice().sort()) === JSON.stringify(SCOPES), 'the token has the scopes ' + JSON.stringify(held[0].scopes));
  expect(await page.getByRole('link', { name: /Admin → Service tokens/ }).getAttribute('href') === '#/admin/tokens', 'no link to revoke it');
  step('created the bot token ' + held[0].prefix + '…: shown once with the environment block and run command; the server holds it with ' + held[0].scopes.join(' + '));

  // Revoking stays on Admin -> Service tokens, which lists it (and still mints tokens of any scope).
  await page.getByRole('link', { name: /Admin → Service tokens/ }).click();
  await page.locator('.table tbody tr', { hasText: 'Matrix intake bot' }).getByRole('button', { name: 'Revoke' }).waitFor();
  await page.getByRole('button', { name: 'New token' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Spare intake bot');
  await page.getByRole('dialog').getByRole('button', { name: 'Create token' }).click();
  await page.getByText('Copy the token for “Spare intake bot” now').waitFor();
  await page.locator('.code-line').waitFor();
  const script = (await me.get('/api/admin/service-tokens')).data.find(t => t.name === 'Spare intake bot');
  expect(script && JSON.stringify(script.scopes) === JSON.stringify(SCOPES), 'the Service tokens screen minted ' + JSON.stringify(script));
  await page.goto(base + '/#/settings/intake');
  await page.locator('.ik-token-row').waitFor();
  expect(/1 other token with the same scopes/.test(await page.locator('.ik-token-more').innerText()), 'the intake screen does not count the second intake token');
  step('Admin -> Service tokens lists the bot token with Revoke, and still creates tokens (shown once, with a request to try)');

  /* ---------------- the bot commits with it; the history lists what it filed ---------------- */
  const bot = client(ctx, { 'X-API-Key': token });
  const made = (await bot.post('/api/intake/investor', { name: 'Acme Capital', source: 'matrix_intake', ref: '$evt-acme:matrix.example',
    people: [{ name: 'Jane Doe', email: 'jane@acme.com', title: 'Partner' }], values: { Status: 'Meeting' },
    note: 'Met Jane at SuperReturn. Interested in Fund III, wants the deck.' })).data;
  await new Promise(r => setTimeout(r, 15));
  await bot.post('/api/fundraising/log-communication', { investor_id: cfg.existingId, kind: 'meeting', source: 'matrix_intake',
    ref: '$evt-dunn:matrix.example', summary: 'Coffee with Charles: re-up likely, wants the Q3 letter',
    people: [{ name: 'Pat Lee', email: 'pat@dunnfo.com', title: 'Analyst' }], values: { Status: 'Diligence' } });
  await page.getByRole('button', { name: 'Refresh the history' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.ik-table tbody tr[data-ref]').length === 2);
  const first = historyRows(page).nth(0), second = historyRows(page).nth(1);
  expect((await first.getAttribute('data-ref')) === '$evt-dunn:matrix.example', 'the newest commit is not first');
  expect(/Note/.test(await first.locator('.ik-c-what').innerText()) && /Meeting/.test(await first.locator('.ik-c-what').innerText()), 'the note is not shown as a note (meeting)');
  expect((await first.locator('.ik-c-inv').innerText()).trim() === cfg.existing, 'the note names ' + await first.locator('.ik-c-inv').innerText());
  expect(/Coffee with Charles/.test(await first.locator('.ik-c-sum').innerText()), 'the note has no summary');
  expect(/New investor/.test(await second.locator('.ik-c-what').innerText()), 'the new investor is not shown as one');
  expect(/Met Jane at SuperReturn/.test(await second.locator('.ik-c-sum').innerText()), 'the new investor has no summary');
  for (const row of [first, second]) {
    expect((await row.locator('.ik-c-by').innerText()).trim() === 'Matrix intake bot', 'a commit is not by the bot');
    expect((await row.locator('.ik-c-src').innerText()).trim() === 'via Matrix', 'a commit is not marked via Matrix');
  }
  await scrollTo(page, '#ik-history-title');
  await shot(page, '03-history');
  step('the bot (with the new token) added Acme Capital and a meeting note on ' + cfg.existing + ': the history lists both, newest first, via Matrix');

  // More than a page: Load more brings the rest.
  for (let i = 0; i < 25; i++) {
    await bot.post('/api/fundraising/log-communication', { investor_id: cfg.existingId, kind: 'call', source: 'matrix_intake',
      ref: '$evt-call-' + i + ':matrix.example', summary: 'Follow-up call ' + (i + 1) });
  }
  await page.getByRole('button', { name: 'Refresh the history' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.ik-table tbody tr[data-ref]').length === 25);
  const foot = () => page.locator('.ik-history .table-foot').innerText();
  expect(/Showing 25 of 27/.test(await foot()), 'the foot says "' + await foot() + '"');
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.ik-table tbody tr[data-ref]').length === 27);
  expect((await historyRows(page).nth(26).getAttribute('data-ref')) === '$evt-acme:matrix.example', 'the oldest commit is not last after Load more');
  expect(await page.getByRole('button', { name: 'Load more' }).count() === 0, 'Load more is still offered with everything shown');
  step('27 commits: 25 shown, Load more brought the last 2');

  /* ---------------- the investor panel and the activity feed show the provenance ---------------- */
  await historyRows(page).nth(26).locator('.ik-c-inv a').click();
  const panel = page.getByRole('dialog', { name: 'Investor: Acme Capital' });
  await panel.waitFor();
  const timeline = panel.getByRole('region', { name: 'Interactions with this investor' });
  await timeline.locator('.rp-tl-item').first().waitFor();
  const item = timeline.locator('.rp-tl-item').first();
  expect(/Met Jane at SuperReturn/.test(await item.locator('.rp-tl-summary').innerText()), 'the panel timeline does not show the note');
  expect((await item.locator('.src-badge').innerText()).trim() === 'via Matrix', 'the panel timeline does not say the note came via Matrix');
  expect(/Matrix intake bot/.test(await item.locator('.rp-tl-meta').innerText()), 'the timeline does not say who filed it');
  expect(/jane@acme\.com/.test(await panel.locator('.rp-people').innerText()), 'the panel does not show Jane');
  await timeline.scrollIntoViewIfNeeded();
  await shot(page, '04-panel-provenance');
  step('clicking Acme Capital opened its panel: the timeline shows the note via Matrix, by the Matrix intake bot (made ' + made.id + ')');

  await page.keyboard.press('Escape');
  await page.goto(base + '/#/admin/activity');
  const via = page.locator('.act-item', { has: page.locator('.src-badge.src-matrix_intake') });
  await via.first().waitFor();
  const line = await via.first().locator('.act-line').innerText();
  expect(/Matrix intake bot/.test(line) && /via Matrix/.test(line), 'the activity feed line is "' + line + '"');
  await shot(page, '05-activity');
  step('the admin activity feed marks the bot\'s notes via Matrix: "' + line.replace(/\s+/g, ' ') + '"');

  /* ---------------- tablet and phone ---------------- */
  for (const [label, viewport, extra] of [['tablet', { width: 820, height: 1180 }, { isMobile: true, hasTouch: true }], ['phone', { width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
    const c = await newContext(browser, { viewport, ...extra });
    const p = await c.newPage();
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/settings/intake');
    await p.getByRole('heading', { name: 'Chat intake' }).waitFor();
    await p.locator('.ik-token-row').waitFor();
    await historySettled(p);
    await shot(p, label + '-01-intake');
    if (label === 'phone') {
      await phoneOverflow(p, 'Settings -> Intake');
      await p.getByRole('button', { name: 'Create a new token' }).click();
      await p.locator('.ik-created .callout').waitFor();
      await scrollTo(p, '.ik-created');
      await shot(p, 'phone-02-token-created');
      await phoneOverflow(p, 'Settings -> Intake with a token shown');
    }
    await scrollTo(p, '.ik-setup');
    await shot(p, label + '-03-setup');
    await scrollTo(p, '#ik-history-title');
    await shot(p, label + '-04-history');
    if (label === 'phone') await phoneOverflow(p, 'the intake history');
    await historyRows(p).first().locator('.ik-c-inv a').click();
    const pp = p.getByRole('dialog', { name: 'Investor: ' + cfg.existing });
    await pp.waitFor();
    const tl = pp.getByRole('region', { name: 'Interactions with this investor' });
    await tl.locator('.rp-tl-item').first().waitFor();
    await tl.evaluate(el => el.scrollIntoView());
    await shot(p, label + '-05-panel');
    const badges = await tl.locator('.src-badge.src-matrix_intake').count();
    expect(badges >= 1, 'the ' + label + ' panel shows no via-Matrix badge');
    await c.close();
    step(label + ' ' + viewport.width + 'x' + viewport.height + ': Settings -> Intake, its setup and history, and the panel\'s timeline' + (label === 'phone' ? ', none scrolling sideways' : ''));
  }
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
