#!/usr/bin/env node
/*
 * Settings -> Digest as an admin sets the daily digest up, in real headless Chromium against a
 * running server that mails through a real SMTP server (tests/test_frontend_digest.py starts
 * both and names them in DIGEST_BROWSER_CONFIG): the digest is off; the preview renders the
 * email (the same subject the API previews); turn it on, pick the hour, zone and order, save;
 * send a test email to an admin; Send now (confirmed) reaches every active admin, and the Sent
 * log lists both. Screenshots at 1440x900, 820x1180 and 390x844; nothing scrolls sideways on the
 * phone. Zero console errors.
 *
 *   DIGEST_BROWSER_CONFIG=cfg.json node tests/frontend/browser_digest.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const fs = require('fs');

const harness = require('./harness');
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_digest', { shotPrefix: 'digest-', shotDelay: 250 });
const { newContext, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.DIGEST_BROWSER_CONFIG || '', 'utf8'));
const t0 = Date.now();

const signIn = (page, path) => harness.signIn(page, base, cfg.username, cfg.password, path);
const smtpCount = () => JSON.parse(fs.readFileSync(cfg.smtpLog, 'utf8') || '[]').length;
const waitSmtp = async (n) => {
  for (let i = 0; i < 100 && smtpCount() < n; i++) await new Promise(r => setTimeout(r, 100));
  return smtpCount();
};
const logRows = page => page.locator('.dg-table tbody tr[data-send]');

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, '/settings');
  await page.locator('.tabs').getByRole('link', { name: 'Digest' }).click();
  await page.waitForFunction(() => location.hash === '#/settings/digest');
  await page.getByRole('heading', { name: 'Daily digest' }).waitFor();
  const toggle = page.getByRole('switch', { name: 'Send the daily digest' });
  expect((await toggle.getAttribute('aria-checked')) === 'false', 'the digest is on by default');
  expect(/SMTP/.test(await page.locator('[data-transport="smtp"]').innerText()) && /Ready/.test(await page.locator('[data-transport="smtp"]').innerText()),
    'SMTP is not shown as ready');

  /* ---------------- the preview renders the email ---------------- */
  await page.locator('.dg-mail').waitFor();
  const subject = (await page.locator('.dg-mail-subject').innerText()).trim();
  expect(subject === cfg.subject, 'the preview subject "' + subject + '" is not the API\'s "' + cfg.subject + '"');
  // The email renders in a sandboxed frame (no scripts): read what it shows from the page.
  await page.waitForFunction(name => {
    const f = document.querySelector('iframe.dg-frame');
    return f && f.contentDocument && f.contentDocument.body && f.contentDocument.body.innerText.includes(name);
  }, cfg.investor);
  expect(/Structured summary/.test(await page.locator('.dg-mail-meta').innerText()), 'the narrative source is not shown');
  await page.getByRole('tab', { name: 'Plain text' }).click();
  expect((await page.locator('.dg-text').innerText()).includes(cfg.investor), 'the plain text part does not name the investor');
  await page.getByRole('tab', { name: 'Email' }).click();
  await page.locator('iframe.dg-frame').waitFor();
  await shot(page, '01-preview');
  step('the preview renders the email (' + subject + '), HTML and plain text, naming ' + cfg.investor);

  /* ---------------- turn it on at an hour, in a zone, Gmail first ---------------- */
  await toggle.click();
  await page.waitForFunction(() => document.querySelector('[role="switch"]').getAttribute('aria-checked') === 'true');
  await page.getByText('The daily digest is on.').waitFor();
  await page.getByLabel('Send at').selectOption(String(cfg.hour));
  await page.getByLabel('Time zone').selectOption(cfg.zone);
  await page.getByLabel('Send through').selectOption('gmail');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByText('Digest schedule saved.').waitFor();
  const session = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const policy = await (await ctx.request.get(base + '/api/admin/digest/policy', { headers: { Authorization: 'Bearer ' + session } })).json();
  expect(policy.data.enabled && policy.data.hour === cfg.hour && policy.data.timezone === cfg.zone && policy.data.transport === 'gmail',
    'the server holds ' + JSON.stringify(policy.data));
  expect(/Next digest|within a minute/.test(await page.locator('.dg-state').innerText()), 'the next send time is not shown');
  step('turned the digest on at ' + String(cfg.hour).padStart(2, '0') + ':00 ' + cfg.zone + ', Gmail first: the server holds it');

  /* ---------------- a test email, then Send now ---------------- */
  await page.getByRole('button', { name: 'Send test email' }).click();
  await page.getByText(/Test email sent to/).waitFor();
  expect(await waitSmtp(1) === 1, 'the test email did not reach the SMTP server');
  await page.getByRole('button', { name: 'Send now' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(/active admin/).waitFor();
  await shot(page, '02-confirm');
  await dialog.getByRole('button', { name: 'Send now' }).click();
  await page.getByText(/Digest sent to 2 admins/).waitFor();
  expect(await waitSmtp(2) === 2, 'Send now did not reach the SMTP server');
  await page.waitForFunction(() => document.querySelectorAll('.dg-table tbody tr[data-send]').length === 2);
  expect(/Sent now/.test(await logRows(page).nth(0).innerText()) && /Test email/.test(await logRows(page).nth(1).innerText()),
    'the log does not list Send now then the test email');
  expect(/2 admins/.test(await logRows(page).nth(0).innerText()), 'the log does not say it went to both admins');
  await page.locator('#dg-log-title').scrollIntoViewIfNeeded();
  await shot(page, '03-log');
  step('a test email and Send now reached the SMTP server (Gmail not set up: SMTP took over); the log lists both');

  /* ---------------- tablet and phone ---------------- */
  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/settings/digest');
    await p.getByRole('heading', { name: 'Daily digest' }).waitFor();
    await p.locator('.dg-mail').waitFor();
    await p.waitForTimeout(400);
    await p.screenshot({ path: require('path').join(process.argv[3], 'digest-' + label + '-01-top.png') });
    await p.locator('.dg-preview').scrollIntoViewIfNeeded();
    await p.screenshot({ path: require('path').join(process.argv[3], 'digest-' + label + '-02-preview.png') });
    await p.locator('#dg-log-title').scrollIntoViewIfNeeded();
    await p.screenshot({ path: require('path').join(process.argv[3], 'digest-' + label + '-03-log.png') });
    if (label === 'phone') await phoneOverflow(p, 'Settings -> Digest', { stillPage: true });
    step(label + ' screenshots taken' + (label === 'phone' ? '; nothing scrolls sideways' : ''));
  });
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
