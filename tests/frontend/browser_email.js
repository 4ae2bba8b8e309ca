#!/usr/bin/env node
/*
 * Captured mail as the team uses it, in real headless Chromium against a running server whose
 * mailboxes were imported from tests/mailgen.py (tests/test_frontend_email.py sets that up and
 * names what to look for in EMAIL_BROWSER_CONFIG, a JSON file): sign in; open Communications
 * from the sidebar, pick an investor by typing part of its name, open a conversation and a
 * message (its text, and its HTML in a frame sandboxed but for opening links in a new tab, remote images blocked),
 * narrow the list with a word; People: search a person and see their last touch; the grid: open
 * the investor's panel and its Email section; Settings -> Email: approve a proposal (it leaves
 * the pending list) and upload an .mbox through the file input (progress, then the counts).
 * Screenshots of Communications, People and Settings -> Email at 1440x900, 1024x768 and
 * 390x844; no page scrolls sideways on the phone. Zero console errors.
 *
 *   EMAIL_BROWSER_CONFIG=cfg.json node tests/frontend/browser_email.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const fs = require('fs');

const harness = require('./harness');
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_email', { shotPrefix: 'email-', shotDelay: 250 });
const { newContext, phoneOverflow } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.EMAIL_BROWSER_CONFIG || '', 'utf8'));
const t0 = Date.now();

const signIn = (page, path) => harness.signIn(page, base, cfg.username, cfg.password, path);

const overflow = (page, what) => phoneOverflow(page, what, { stillPage: true });

// The list as loaded (not its skeleton, not a page being re-read).
const settled = page => page.waitForFunction(() => document.querySelector('.cm-foot, .cm-page .card .center-state') && !document.querySelector('.cm-list.is-stale'));
const threadCount = page => page.locator('.cm-thread[data-thread]').count();

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page);
  step('signed in as ' + cfg.username);

  /* ---------------- Communications: investor filter, a thread, a message ---------------- */
  await page.locator('.sidebar').getByRole('link', { name: 'Communications' }).click();
  await page.getByRole('heading', { name: 'Communications', level: 1 }).waitFor();
  await page.locator('.cm-group').first().waitFor();
  await settled(page);
  const groupsAll = await page.locator('.cm-group').count();
  const lastGroup = await page.locator('.cm-group').last().locator('h2').innerText();
  expect(groupsAll > 5, 'only ' + groupsAll + ' investor groups on the first page');
  expect(lastGroup === 'Not matched to an investor', 'the last group is "' + lastGroup + '", not the unmatched mail');
  await shot(page, '01-communications');

  const picker = page.getByRole('combobox', { name: 'Investor' });
  await picker.click();
  await picker.pressSequentially(cfg.investor.slice(0, 6), { delay: 40 });
  await page.getByRole('option', { name: cfg.investor }).click();
  await page.waitForFunction(() => /investor=/.test(location.hash));
  await page.waitForFunction(name => {
    const g = [...document.querySelectorAll('.cm-group')];
    return g.length === 1 && g[0].querySelector('h2') && g[0].querySelector('h2').textContent === name && document.querySelector('.cm-foot') && !document.querySelector('.cm-list.is-stale');
  }, cfg.investor);
  const mine = await threadCount(page);
  expect(mine >= 1, cfg.investor + ' has no conversations');
  step('typed "' + cfg.investor.slice(0, 6) + '" and picked ' + cfg.investor + ': ' + mine + ' conversation(s), grouped under it');

  const thread = page.locator('.cm-thread', { has: page.locator('.cm-subject', { hasText: cfg.thread }) });
  await thread.locator('.cm-thread-row').click();
  const msgs = thread.locator('.mail-msg');
  await msgs.first().waitFor();
  const n = await msgs.count();
  expect(n === cfg.threadMessages, 'the conversation shows ' + n + ' messages, expected ' + cfg.threadMessages);
  // The latest message opens by itself: its text, with the quoted history folded away.
  await msgs.last().locator('.mail-pre', { hasText: cfg.replyText }).waitFor();
  // The first one (HTML only) opens in a frame with no scripts and no origin.
  await msgs.first().locator('.mail-msg-head').click();
  const frame = msgs.first().locator('iframe.mail-frame');
  await frame.waitFor();
  // No scripts, no origin: the only power the frame has is opening its links in a new tab.
  expect(await frame.getAttribute('sandbox') === 'allow-popups allow-popups-to-escape-sandbox', 'the message frame\'s sandbox is ' + JSON.stringify(await frame.getAttribute('sandbox')));
  const srcdoc = await frame.getAttribute('srcdoc');
  expect(srcdoc.includes(cfg.htmlText), 'the frame does not hold the message: ' + srcdoc.slice(0, 300));
  expect(!/<script|onclick|javascript:/i.test(srcdoc), 'the frame holds active content: ' + srcdoc);
  await page.frameLocator('.cm-thread.is-open iframe.mail-frame').getByText(cfg.htmlText).waitFor();
  await msgs.first().locator('.mail-blocked', { hasText: 'Remote images blocked' }).waitFor();
  // A link in the letter opens in a new tab (its own page, not the app's), to where it says
  // (the address does not exist offline: the request is what shows where it went).
  const link = page.frameLocator('.cm-thread.is-open iframe.mail-frame').locator('a[href^="https://"]').first();
  const href = await link.getAttribute('href');
  const [tab, asked] = await Promise.all([
    page.context().waitForEvent('page'),
    page.context().waitForEvent('request', r => r.url().startsWith('https://')),
    link.click(),
  ]);
  expect(asked.url() === href && tab !== page, 'the link asked for ' + asked.url() + ', not ' + href);
  await tab.close();
  await msgs.first().locator('.mail-headers dd', { hasText: cfg.personEmail }).waitFor();
  await thread.evaluate(el => { const c = document.querySelector('.content'); c.scrollTop += el.getBoundingClientRect().top - 70; });
  await shot(page, '02-thread');
  step('opened "' + cfg.thread + '": ' + n + ' messages in order, the reply\'s text, the HTML letter in a sandbox="" frame, remote images blocked');

  // Every investor again, then a word: the list narrows to the conversations that have it.
  await page.getByRole('button', { name: /^Show every investor/ }).click();
  await page.waitForFunction(() => !/investor=/.test(location.hash) && document.querySelectorAll('.cm-thread[data-thread]').length > 1 && document.querySelector('.cm-foot') && !document.querySelector('.cm-list.is-stale'));
  const before = await threadCount(page);
  await page.getByLabel('Search mail').fill(cfg.word);
  await page.waitForFunction(([was, subject]) => {
    const rows = [...document.querySelectorAll('.cm-thread[data-thread]')];
    return !document.querySelector('.cm-list.is-stale') && document.querySelector('.cm-foot') && rows.length > 0 && rows.length < was
      && rows.some(r => r.querySelector('.cm-subject').textContent.includes(subject));
  }, [before, cfg.thread]);
  const after = await threadCount(page);
  const groupsAfter = await page.locator('.cm-group').count();
  await shot(page, '03-filtered');
  step('cleared the investor and typed "' + cfg.word + '": ' + before + ' -> ' + after + ' conversations in ' + groupsAfter + ' group(s)');

  /* ---------------- People ---------------- */
  await page.locator('.sidebar').getByRole('link', { name: 'People' }).click();
  await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
  await page.locator('.pe-row').first().waitFor();
  const everyone = await page.locator('.pe-row').count();
  await shot(page, '04-people');
  await page.getByLabel('Search people').fill(cfg.person);
  const prow = page.locator('.pe-row', { hasText: cfg.person });
  await prow.waitFor();
  expect(await page.locator('.pe-row').count() < everyone, 'searching did not narrow the people');
  const touch = (await prow.locator('.pe-c-touch').innerText()).replace(/\s+/g, ' ').trim();
  expect(touch && !/No mail|—/.test(touch), cfg.person + '\'s last touch reads "' + touch + '"');
  expect(await prow.locator('.pe-c-touch .mail-dir').count() === 1, 'the last touch has no direction');
  expect(await prow.getByRole('link', { name: cfg.personEmail }).getAttribute('href') === 'mailto:' + cfg.personEmail, 'the email is not a mailto link');
  await page.getByRole('button', { name: 'Investor' }).click();  // sortable by investor
  await page.locator('th[aria-sort="ascending"]', { hasText: 'Investor' }).waitFor();
  step('People: ' + everyone + ' people; "' + cfg.person + '" found, last touch ' + touch + '; sorted by investor');

  /* ---------------- the investor's panel ---------------- */
  await page.locator('.sidebar').getByRole('link', { name: 'Grid' }).click();
  const nameCell = page.locator('.gv-cell[data-c="0"]', { hasText: cfg.investor });
  await nameCell.click();
  await page.keyboard.press('Space');
  const panel = page.getByRole('dialog', { name: 'Investor: ' + cfg.investor });
  await panel.waitFor();
  const mail = panel.getByRole('region', { name: 'Email with this investor' });
  await mail.locator('.rp-mail-row').first().waitFor();
  // Its relationship signals, from the same mail: a strength level and when they last wrote.
  const signals = mail.getByLabel('Relationship signals');
  await signals.waitFor();
  const strengthShown = await signals.locator('.rp-signal').first().innerText();
  expect(/Very strong|Strong|Medium|Weak|Very weak/.test(strengthShown), 'the panel shows no strength: ' + strengthShown);
  expect(await mail.getByRole('link', { name: 'All mail' }).getAttribute('href') === '#/communications?investor=' + cfg.investorId, 'All mail does not link to the investor\'s mail');
  await mail.locator('.rp-mail-row').first().click();
  await mail.locator('.rp-mail-msg').first().waitFor();
  await mail.evaluate(el => el.scrollIntoView({ block: 'start' }));
  await shot(page, '05-panel');
  step('the grid panel of ' + cfg.investor + ' has an Email section (' + await mail.locator('.rp-mail-row').count() + ' threads); one opened to its messages');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });

  /* ---------------- Settings -> Email: a proposal, an upload ---------------- */
  await page.locator('.sidebar').getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Email' }).click();
  await page.locator('.em-prop').first().waitFor();
  await page.getByText('Gmail sync is off').waitFor();
  await shot(page, '06-settings-email');

  // The admin's setup: the Google key through the file input, then a mailbox by address.
  await page.getByLabel('Service-account key file').setInputFiles(cfg.keyFile);
  await page.locator('.em-key-email', { hasText: cfg.clientEmail }).waitFor();
  await page.getByText('Gmail sync is off').waitFor({ state: 'detached' });
  await page.getByLabel('Mailbox to enrol').fill(cfg.enrol);
  await page.getByRole('button', { name: 'Enrol mailbox' }).click();
  const box = page.locator('tr[data-account="' + cfg.enrol + '"]');
  await box.locator('.pill', { hasText: 'Workspace delegation' }).waitFor();
  const runRow = kind => page.locator('.em-runs tbody tr', { hasText: kind }).filter({ hasText: 'OK' }).first();
  await runRow('Backfill').waitFor({ timeout: 60000 });  // read by polling while the sync runs
  await box.getByRole('button', { name: 'Sync now' }).click();
  await runRow('Incremental').waitFor({ timeout: 60000 });
  const backfill = (await runRow('Backfill').locator('.em-run-counts').innerText()).replace(/\s+/g, ' ');
  step('uploaded the Google key (' + cfg.clientEmail + '), enrolled ' + cfg.enrol + ': backfill ' + backfill + ', then Sync now ran an incremental sync');
  const pendingN = async () => +(await page.locator('.seg-btn.is-on .act-n').innerText()).replace(/\D/g, '');
  const was = await pendingN();
  const first = page.locator('.em-prop').first();
  const pid = await first.getAttribute('data-proposal');
  const summary = await first.locator('.em-prop-summary').innerText();
  await first.getByRole('button', { name: /^Approve:/ }).click();
  await page.locator('[data-proposal="' + pid + '"]').waitFor({ state: 'detached' });
  await page.waitForFunction(w => +(document.querySelector('.seg-btn.is-on .act-n').textContent.replace(/\D/g, '')) === w - 1, was);
  await page.locator('.toast').first().waitFor();
  step('approved "' + summary + '": it left the pending list (' + was + ' -> ' + (was - 1) + ')');

  // A slow link, so the progress is there to see.
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 160 * 1024 });
  await page.getByLabel('Mail file to import').setInputFiles(cfg.mbox);
  await page.locator('.em-drop-name', { hasText: cfg.mbox.split('/').pop() }).waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const bar = page.getByRole('progressbar');
  await bar.waitFor();
  await page.waitForFunction(() => { const b = document.querySelector('[role=progressbar]'); return b && +b.getAttribute('aria-valuenow') > 5; });
  const seen = await page.locator('.em-progress .muted').innerText();
  await page.locator('.em-card.em-import').scrollIntoViewIfNeeded();
  await shot(page, '07-import-progress');
  await page.locator('.em-result').waitFor({ timeout: 90000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const count = async k => +(await page.locator('[data-count="' + k + '"] .imp-stat-n').innerText()).replace(/\D/g, '');
  const got = { messages: await count('messages'), new: await count('new'), matched: await count('matched') };
  expect(got.messages === cfg.mboxMessages, 'the import counted ' + got.messages + ' messages, expected ' + cfg.mboxMessages);
  expect(got.new === cfg.mboxNew, 'the import stored ' + got.new + ' new messages, expected ' + cfg.mboxNew);
  await shot(page, '08-import-result');
  step('uploaded ' + cfg.mbox.split('/').pop() + ' through the file input: progress "' + seen.replace(/\s+/g, ' ') + '", then ' + JSON.stringify(got));
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
  await shot(page, '09-settings-email-after');

  /* ---------------- tablet and phone ---------------- */
  for (const [label, viewport, extra] of [['tablet', { width: 1024, height: 768 }, {}], ['phone', { width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
    const c = await newContext(browser, { viewport, ...extra });
    const p = await c.newPage();
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/communications');
    await p.getByRole('heading', { name: 'Communications', level: 1 }).waitFor();
    await p.locator('.cm-group').first().waitFor();
    await settled(p);
    await shot(p, label + '-01-communications');
    if (label === 'phone') await overflow(p, 'Communications');
    await p.goto(base + '/#/communications?investor=' + encodeURIComponent(cfg.investorId));
    await p.waitForFunction(name => { const g = [...document.querySelectorAll('.cm-group')]; return g.length === 1 && g[0].querySelector('h2') && g[0].querySelector('h2').textContent === name && document.querySelector('.cm-foot') && !document.querySelector('.cm-list.is-stale'); }, cfg.investor);
    const th = p.locator('.cm-thread', { has: p.locator('.cm-subject', { hasText: cfg.thread }) }).first();  // the upload brought a second one
    await th.locator('.cm-thread-row').click();
    await th.locator('.mail-msg').first().locator('.mail-msg-head').click();
    await th.locator('iframe.mail-frame').waitFor();
    await th.locator('.cm-thread-row').evaluate(el => { const c = document.querySelector('.content'); c.scrollTop += el.getBoundingClientRect().top - 70; });
    await shot(p, label + '-02-thread');
    if (label === 'phone') {
      await overflow(p, 'an open conversation');
      await p.getByRole('button', { name: /^Filters/ }).click();
      await p.getByLabel('Direction').waitFor();
      await p.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
      await shot(p, 'phone-03-filters');
      await overflow(p, 'Communications with its filters open');
    }
    await p.goto(base + '/#/people');
    await p.locator('.pe-row').first().waitFor();
    await shot(p, label + '-04-people');
    if (label === 'phone') await overflow(p, 'People');
    await p.goto(base + '/#/settings/email');
    await p.locator('.em-prop, .em-props .table-empty').first().waitFor();
    await shot(p, label + '-05-settings-email');
    const scrollTo = sel => p.evaluate(s => { const c = document.querySelector('.content'); c.scrollTop += document.querySelector(s).getBoundingClientRect().top - 70; }, sel);
    await scrollTo('#em-prop-title');
    await shot(p, label + '-06-settings-proposals');
    await scrollTo('#em-acc-title');
    await shot(p, label + '-07-settings-mailboxes');
    await scrollTo('#em-runs-title');
    await shot(p, label + '-08-settings-runs');
    if (label === 'phone') await overflow(p, 'Settings -> Email');
    await c.close();
    step(label + ' ' + viewport.width + 'x' + viewport.height + ': Communications, a conversation, People and Settings -> Email' + (label === 'phone' ? ', none scrolling sideways' : ''));
  }
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
