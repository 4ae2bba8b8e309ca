#!/usr/bin/env node
/*
 * Follow-up drafts as the team uses them, in real headless Chromium against a running server
 * with ann's Gmail (the emulator) connected and a local model (the LLM stub); set up by
 * tests/test_frontend_drafts.py, which names what to look for in DRAFTS_BROWSER_CONFIG:
 * ann opens an investor's panel, "Draft follow-up" shows a loading state and then the model's
 * suggestion (badge, To chips, subject, body); she edits the body and saves it as a Gmail draft:
 * the success state links to Gmail, and the panel lists it under "Drafts saved in Gmail". In
 * Communications a conversation drafts a threaded reply ("Re:"). Ben, whose mailbox is not
 * connected, is told so: Save is disabled, Copy text copies the body and "Open in mail app" is a
 * mailto: link with the recipients, subject and body. Nothing anywhere says "Send".
 * Screenshots at 1440x900, 820x1180 and 390x844 (a bottom sheet). Zero console errors.
 *
 *   DRAFTS_BROWSER_CONFIG=cfg.json node tests/frontend/browser_drafts.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const fs = require('fs');

const harness = require('./harness');
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_drafts', { shotPrefix: 'drafts-', shotDelay: 250 });
const { newContext, phoneOverflow } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.DRAFTS_BROWSER_CONFIG || '', 'utf8'));
const t0 = Date.now();

const signIn = (page, who, path) => harness.signIn(page, base, who, cfg.password, path);
const panelOf = page => page.getByRole('dialog', { name: 'Investor: ' + cfg.investor });
const dialogOf = page => page.getByRole('dialog', { name: /^Draft (follow-up|saved)$/ });
const SEND = /\bsend\b/i;

// Open the investor's panel from a copied link, its Email section in view.
async function openPanel(page) {
  await page.goto(base + '/#/grid?investor=' + encodeURIComponent(cfg.investorId));
  const panel = panelOf(page);
  await panel.waitFor();
  const mail = panel.getByRole('region', { name: 'Email with this investor' });
  await mail.locator('.rp-mail-row').first().waitFor();
  await mail.evaluate(el => el.scrollIntoView({ block: 'start' }));
  return { panel, mail };
}

// The suggestion has arrived: the badge, and the body as the model wrote it.
async function suggested(dialog, badge) {
  await dialog.locator('.fu-badge', { hasText: badge || 'Suggested by the local model' }).waitFor({ timeout: 15000 });
  const body = dialog.getByLabel('Message');
  await body.waitFor();
  return body;
}

async function noSend(dialog, what) {
  const text = await dialog.innerText();
  const labels = await dialog.locator('button, a').evaluateAll(els => els.map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || '')).join(' '));
  expect(!SEND.test(text.replace(cfg.suggestion.body, '')) && !SEND.test(labels), what + ' says "Send": ' + (text.match(/.{0,40}\bsend\b.{0,40}/i) || labels.match(/.{0,40}\bsend\b.{0,40}/i) || [''])[0]);
}

runBrowser(async (browser) => {
  /* ---------------- ann, desktop: the panel, a suggestion, edited, saved ---------------- */
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, cfg.username);
  step('signed in as ' + cfg.username + ' (' + cfg.mailbox + ', connected)');
  const nameCell = page.locator('.gv-cell[data-c="0"]', { hasText: cfg.investor });
  await nameCell.click();
  await page.keyboard.press('Space');
  const panel = panelOf(page);
  await panel.waitFor();
  const mail = panel.getByRole('region', { name: 'Email with this investor' });
  await mail.locator('.rp-mail-row').first().waitFor();
  await mail.getByRole('button', { name: 'Draft follow-up' }).click();
  const dialog = dialogOf(page);
  await dialog.waitFor();
  await dialog.locator('.fu-loading', { hasText: 'Drafting a follow-up' }).waitFor();
  await shot(page, '01-loading');
  const body = await suggested(dialog);
  const text = await body.inputValue();
  expect(text === cfg.suggestion.body, 'the body is not the model\'s suggestion: ' + JSON.stringify(text.slice(0, 120)));
  expect(await dialog.getByLabel('Subject').inputValue() === cfg.suggestion.subject, 'the subject is not the model\'s');
  const chip = dialog.getByRole('group', { name: 'To' }).getByRole('button', { name: new RegExp(cfg.person) });
  expect(await chip.first().getAttribute('aria-pressed') === 'true', cfg.person + ' is not chosen as the recipient');
  const chips = await dialog.locator('.fu-chip').count();
  expect(await dialog.getByRole('button', { name: 'Save as Gmail draft' }).isEnabled(), 'Save as Gmail draft is disabled for a connected mailbox');
  await noSend(dialog, 'the follow-up dialog');
  await page.waitForTimeout(150);
  await shot(page, '02-suggestion');
  step('Draft follow-up: a loading state, then the local model\'s suggestion to ' + cfg.person + ' (' + chips + ' people to choose from)');

  await body.fill(text + '\n\n' + cfg.edit);
  await dialog.getByRole('button', { name: 'Save as Gmail draft' }).click();
  await dialog.locator('.fu-done', { hasText: 'Saved to your Gmail drafts' }).waitFor();
  const open = dialog.getByRole('link', { name: 'Open in Gmail' });
  const href = await open.getAttribute('href');
  expect(href.startsWith('https://mail.google.com/mail/u/' + cfg.mailbox + '/'), 'Open in Gmail goes to ' + href);
  expect(await open.getAttribute('target') === '_blank', 'Open in Gmail does not open a new tab');
  await noSend(dialog, 'the saved state');
  await shot(page, '03-saved');
  step('edited the body and saved it as a Gmail draft: "Open in Gmail" -> ' + href);

  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
  const list = mail.getByRole('region', { name: 'Drafts saved in Gmail' });
  await list.locator('.fu-item', { hasText: cfg.suggestion.subject }).waitFor();
  const item = (await list.locator('.fu-item').first().innerText()).replace(/\s+/g, ' ');
  expect(/admin/.test(item) && /Open in Gmail/.test(item), 'the listed draft reads "' + item + '"');
  await mail.evaluate(el => el.scrollIntoView({ block: 'start' }));
  await shot(page, '04-panel-drafts');
  step('the panel lists it under "Drafts saved in Gmail": ' + item);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });

  /* ---------------- Communications: a threaded reply ---------------- */
  await page.goto(base + '/#/communications?investor=' + encodeURIComponent(cfg.investorId));
  const thread = page.locator('.cm-thread', { has: page.locator('.cm-subject', { hasText: cfg.thread }) }).first();
  await thread.locator('.cm-thread-row').click();
  await thread.locator('.mail-msg').first().waitFor();
  await thread.getByRole('button', { name: 'Draft follow-up' }).click();
  const reply = dialogOf(page);
  await suggested(reply);
  const subject = await reply.getByLabel('Subject').inputValue();
  expect(subject === 'Re: ' + cfg.thread, 'the reply\'s subject is "' + subject + '"');
  expect(/reply to/.test(await reply.locator('.modal-head p').innerText()), 'the dialog does not say it replies to the conversation');
  await shot(page, '05-thread-reply');
  await reply.getByRole('button', { name: 'Save as Gmail draft' }).click();
  await reply.locator('.fu-done', { hasText: 'inside the conversation' }).waitFor();
  await shot(page, '06-thread-saved');
  await reply.getByRole('button', { name: 'Done' }).click();
  step('a conversation in Communications drafted a reply "' + subject + '", saved inside the conversation');
  await ctx.close();

  /* ---------------- ann on a tablet and a phone ---------------- */
  for (const [label, viewport, extra] of [['tablet', { width: 820, height: 1180 }, {}], ['phone', { width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
    const c = await newContext(browser, { viewport, ...extra });
    const p = await c.newPage();
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, cfg.username);
    const { mail: m } = await openPanel(p);
    await m.getByRole('region', { name: 'Drafts saved in Gmail' }).locator('.fu-item').nth(1).waitFor();
    await shot(p, label + '-01-panel');
    await m.getByRole('button', { name: 'Draft follow-up' }).click();
    const dlg = dialogOf(p);
    await suggested(dlg);
    await p.waitForTimeout(200);
    await shot(p, label + '-02-dialog');
    const box = await dlg.boundingBox();
    expect(box.x >= 0 && box.x + box.width <= viewport.width + 1, 'the dialog is ' + Math.round(box.width) + ' px wide at x ' + Math.round(box.x) + ' on a ' + viewport.width + ' px ' + label);
    const save = await dlg.getByRole('button', { name: 'Save as Gmail draft' }).boundingBox();
    expect(save && save.y + save.height <= viewport.height + 1, 'Save as Gmail draft is below the fold on the ' + label);
    if (label === 'phone') {
      expect(Math.abs(box.y + box.height - viewport.height) <= 1, 'the phone dialog is not a bottom sheet (it ends at ' + Math.round(box.y + box.height) + ')');
      await dlg.getByLabel('Message').evaluate(el => el.scrollIntoView({ block: 'end' }));
      await shot(p, 'phone-03-dialog-foot');
    }
    await p.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    if (label === 'phone') await phoneOverflow(p, 'the grid with the investor panel');
    // A conversation's button, where it sits.
    await p.goto(base + '/#/communications?investor=' + encodeURIComponent(cfg.investorId));
    const th = p.locator('.cm-thread', { has: p.locator('.cm-subject', { hasText: cfg.thread }) }).first();
    await th.locator('.cm-thread-row').click();
    await th.getByRole('button', { name: 'Draft follow-up' }).waitFor();
    await th.locator('.cm-thread-row').evaluate(el => { const c = document.querySelector('.content'); c.scrollTop += el.getBoundingClientRect().top - 70; });
    await shot(p, label + '-04-thread');
    if (label === 'phone') await phoneOverflow(p, 'an open conversation with its Draft follow-up button');
    await c.close();
    step(label + ' ' + viewport.width + 'x' + viewport.height + ': the panel with its drafts and the dialog' + (label === 'phone' ? ' as a bottom sheet' : '') + ', Save in view');
  }

  /* ---------------- ben: no connected mailbox, copy or mailto ---------------- */
  for (const [label, viewport, extra] of [['desktop', { width: 1440, height: 900 }, {}], ['phone', { width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
    const c = await newContext(browser, { viewport, ...extra });
    await c.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const p = await c.newPage();
    watch(p, cfg.member + ' (' + label + ')');
    await signIn(p, cfg.member);
    const { mail: m } = await openPanel(p);
    await m.getByRole('button', { name: 'Draft follow-up' }).click();
    const dlg = dialogOf(p);
    const bodyField = await suggested(dlg, 'Template');  // the model is down for ben
    expect(/answered 503/.test(await dlg.locator('.fu-reason').innerText()), 'the dialog does not say why the template was used');
    await dlg.locator('.callout', { hasText: 'Your Gmail isn’t connected' }).waitFor();
    expect(await dlg.getByRole('link', { name: 'Connect it in Settings → Email' }).getAttribute('href') === '#/settings/email', 'no link to Settings -> Email');
    expect(!(await dlg.getByRole('button', { name: 'Save as Gmail draft' }).isEnabled()), 'Save as Gmail draft is enabled without a mailbox');
    const mailto = await dlg.getByRole('link', { name: 'Open in mail app' }).getAttribute('href');
    const want = 'mailto:' + cfg.personEmail + '?subject=' + encodeURIComponent(await dlg.getByLabel('Subject').inputValue()) + '&body=' + encodeURIComponent(await bodyField.inputValue());
    expect(mailto === want, 'the mailto: link is ' + mailto.slice(0, 160) + '…, expected ' + want.slice(0, 160) + '…');
    await dlg.getByRole('button', { name: 'Copy text' }).click();
    await dlg.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await p.evaluate(() => navigator.clipboard.readText().catch(() => null));
    const shown = await bodyField.inputValue();
    expect(/^Hi Emily,/.test(shown) && /Ben Okafor\s*$/.test(shown), 'the template body reads ' + JSON.stringify(shown));
    expect(copied === null || copied === shown, 'Copy text copied ' + JSON.stringify(String(copied).slice(0, 80)));
    await noSend(dlg, 'the no-Gmail dialog');
    await p.waitForTimeout(150);
    await shot(p, 'nogmail-' + label);
    if (label === 'phone') {
      await dlg.getByLabel('Message').evaluate(el => el.scrollIntoView({ block: 'end' }));
      await shot(p, 'nogmail-phone-foot');
    }
    await c.close();
    step(cfg.member + ' (' + label + ', no mailbox, model down): the template, told to connect the mailbox, Save disabled, Copy text copied the body, "Open in mail app" is ' + mailto.slice(0, 60) + '…');
  }
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
