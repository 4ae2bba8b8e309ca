#!/usr/bin/env node
/*
 * The data pages end-to-end in real headless Chromium against a running server (BASE_URL, fresh
 * data): first-run setup -> the grid's welcome panel -> #/import: the Airtable fixture CSV through
 * the file input, the preview (300 rows, Fund I detected as a fund; Primary Contact, Email and Phone
 * as one person per row in Contacts, switched to plain columns and back), the Deck column skipped,
 * the automation opt-in unchecked, the import with its progress UI, the result (300 created, 300
 * people, funds right after Status, the 50 Passed investors still on Main) -> the same file again:
 * 0 created, 0 updated, 300 unchanged (the skip is remembered) -> an edited export: the review lists
 * each changed investor's cells old -> new (20, then all 56) and the new Status option, imported
 * with the rules opted in (the newly Passed move to the graveyard) -> cents in a fund column show
 * in the grid ($12,500.50, beside $250,000) -> Export CSV downloads the grid -> Settings ->
 * Backups: back up now, verify (✓) -> an investor archived through the API comes back from
 * Admin -> Archive -> an investor added after the backup -> Restore… shows the preview (1 removed),
 * RESTORE typed, the page reloads, the grid has the backup's 300 investors -> Admin -> Activity
 * shows backups and audit entries -> the audit log filtered by action shows only that action.
 * Screenshots at 1440x900 (and 1280x720 for the main screens). Fails on any CSP violation or
 * console error.
 *
 *   node tests/frontend/browser_data.js http://127.0.0.1:PORT OUT_DIR [CSV]
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const gridPage = require('./grid_page');
const { PASSWORD, createFirstAdmin } = harness;
const { base, outDir, args, problems, step, watch: watchPage, shot, expect, runBrowser } =
  harness.open('browser_data', { usage: 'BASE_URL OUT_DIR [CSV]', shotDelay: 250 });
const CSV = args[0] || path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'airtable_investors.csv');
const LATE = 'Post-Backup Partners';
const { waitCell } = gridPage(base, expect);
const allowed = { reloading: false };
// The reload after a restore cancels whatever read was in flight, and changing the mapping aborts
// the preview it supersedes: those are the test, not faults.
const watch = (page, who) => watchPage(page, who, (kind, text, r) => kind === 'request' && /ERR_ABORTED/.test(text)
  && ((allowed.reloading && r.method() === 'GET') || /\/import\/preview/.test(r.url())));

const squash = s => String(s || '').replace(/\s+/g, ' ').trim();
async function textOf(locator) { return squash(await locator.innerText()); }
// The import summary as {rows, new, updated, unchanged, 'new columns', encoding}.
async function summaryOf(page) {
  const segs = (await page.locator('.imp-summary .imp-seg').allInnerTexts()).map(squash);
  const out = { text: segs.join(' · ') };
  segs.forEach(s => { const m = /^([\d,]+) (.+)$/.exec(s); if (m) out[m[2].replace(/^(row|new column|problem)s?$/, '$1s')] = Number(m[1].replace(/,/g, '')); else out.encoding = s; });
  return out;
}
async function dismissToasts(page) {
  while (await page.locator('.toast .icon-btn').count()) await page.locator('.toast .icon-btn').first().click({ timeout: 1000 }).catch(() => {});
}
async function at1280(page, name, fn) {
  await dismissToasts(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  if (fn) await fn();
  await shot(page, name);
  await page.setViewportSize({ width: 1440, height: 900 });
}

runBrowser(async (browser) => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await ctx.addInitScript(() => document.addEventListener('securitypolicyviolation',
    e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
  const page = await ctx.newPage();
  watch(page, 'admin');
  const sidebar = page.locator('aside.sidebar');

  // --- first admin through the setup screen, then the grid's welcome panel leads to #/import
  await createFirstAdmin(page, base, 'jane', 'jane@northwind.vc', PASSWORD);
  await page.getByRole('button', { name: /Import from Airtable CSV/ }).click();
  await page.getByRole('heading', { name: 'Import & export', level: 1 }).waitFor();
  expect(/#\/import$/.test(page.url()), 'the welcome panel did not open #/import: ' + page.url());
  const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const headers = { Authorization: 'Bearer ' + token };
  step('admin created; the welcome panel opened the import page');

  // Remember whether the progress UI ever appeared (a 97 KB upload on localhost is quick).
  await page.evaluate(() => {
    window.__impSeen = { progress: false, processing: false };
    new MutationObserver(() => {
      const p = document.querySelector('.imp-progress');
      if (p) { window.__impSeen.progress = true; if (/Processing/.test(p.textContent)) window.__impSeen.processing = true; }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });

  // --- preview
  await page.locator('input[type="file"][aria-label="CSV file to import"]').setInputFiles(CSV);
  const summary = page.locator('.imp-summary');
  await summary.getByText('300 rows').waitFor();
  let sum = await summaryOf(page);
  expect(sum.rows === 300 && sum.new === 300 && sum.updated === 0 && sum.unchanged === 0 && /^UTF-8/.test(sum.encoding) && !sum.problems, 'first preview summary reads: ' + sum.text);
  const rowOf = header => page.locator('table.imp-map tbody tr').filter({ has: page.locator('.imp-hname', { hasText: new RegExp('^' + header + '$') }) });
  const fund = await textOf(rowOf('Fund I').locator('td').nth(1));
  expect(fund === 'Fund', 'Fund I is detected as ' + fund);
  expect((await rowOf('Fund I').locator('.imp-type').first().getAttribute('title')).length > 10, 'the detected type has no reason tooltip');
  expect(await rowOf('Name').locator('.imp-key').count() === 1, 'Name is not marked as the key');
  const newCols = sum['new columns'];
  step('preview: ' + sum.text + ' · Fund I detected as ' + fund);

  // --- the contact columns are one person per row in Contacts; plain columns are one click away
  const people = page.locator('.imp-people');
  expect(/One person per row goes to Contacts/.test(await textOf(people)) && /Person 1: Primary Contact, Email, Phone/.test(await textOf(people))
    && /300 new people/.test(await textOf(people)),
    'the people strip reads: ' + await textOf(people));
  for (const [header, label] of [['Primary Contact', 'Person 1 · Name'], ['Email', 'Person 1 · Email'], ['Phone', 'Person 1 · Phone']]) {
    const chosen = await page.getByLabel('Import ' + header + ' into').evaluate(s => s.options[s.selectedIndex].textContent);
    expect(chosen === label, header + ' goes to "' + chosen + '", not ' + label);
  }
  expect(/Contacts/.test(await textOf(rowOf('Email').locator('td').nth(3))), 'the Email row does not say it goes to Contacts');
  await people.getByRole('button', { name: 'Keep them as plain columns' }).click();
  await page.waitForFunction(n => {
    const s = document.querySelector('.imp-summary');
    return s && !s.classList.contains('is-stale') && Array.from(s.querySelectorAll('.imp-seg')).some(x => x.textContent.trim() === (n + 3) + ' new columns');
  }, newCols);
  expect(/New column “Email”/.test(await page.getByLabel('Import Email into').evaluate(s => s.options[s.selectedIndex].textContent)),
    'with people off, Email does not go to a new column');
  expect(/imported as plain columns/.test(await textOf(page.locator('.imp-people'))), 'the off state is not explained');
  await page.locator('.imp-people').getByRole('button', { name: 'Import them as people' }).click();
  await page.locator('.imp-people', { hasText: 'Person 1: Primary Contact, Email, Phone' }).waitFor();
  await page.waitForFunction(n => Array.from(document.querySelectorAll('.imp-summary:not(.is-stale) .imp-seg')).some(x => x.textContent.trim() === n + ' new columns'), newCols);
  step('people: Primary Contact, Email and Phone are Person 1 in Contacts; plain columns and back');

  await page.getByLabel('Import Deck into').selectOption('skip');
  await page.waitForFunction(n => {
    const s = document.querySelector('.imp-summary');
    return s && !s.classList.contains('is-stale') && Array.from(s.querySelectorAll('.imp-seg')).some(x => x.textContent.trim() === (n - 1) + ' new columns');
  }, newCols);
  expect(await rowOf('Deck').evaluate(tr => tr.classList.contains('is-dim')), 'the Deck row does not look skipped');
  expect(/Not imported/.test(await textOf(rowOf('Deck'))), 'the Deck row does not say it is not imported');
  sum = await summaryOf(page);
  await dismissToasts(page);
  await shot(page, 'data-01-import-preview');
  await at1280(page, 'data-01b-import-preview-1280');
  await rowOf('Deck').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('.content').scrollBy(0, 200));
  await shot(page, 'data-01c-import-mapping');
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
  step('Deck skipped: ' + sum.text);

  // --- automation rules: an explained opt-in, off by default
  const runRules = page.getByLabel('Run automation rules on the imported investors');
  expect(!(await runRules.isChecked()), 'the automation opt-in starts checked');
  expect(/no investor changes list/.test(await textOf(page.locator('.imp-rules'))), 'the opt-in does not say what off means');

  // --- import with progress, then the result
  const importBtn = page.locator('.imp-actionbar').getByRole('button', { name: /^Import/ });
  expect(/Import 300 rows/.test(await textOf(importBtn)), 'the import button reads ' + await textOf(importBtn));
  await importBtn.click();
  const result = page.locator('.imp-result');
  await result.waitFor({ timeout: 60000 });
  const res1 = await textOf(result);
  expect(/Import complete/.test(res1) && /300 Created/.test(res1) && /0 Updated/.test(res1) && new RegExp((newCols - 1) + ' New columns').test(res1), 'result reads: ' + res1);
  expect(!/\bDeck\b/.test(await textOf(result.locator('.imp-result-cols'))), 'Deck became a column although it was skipped');
  const seen = await page.evaluate(() => window.__impSeen);
  expect(seen.progress, 'the upload/processing progress UI never appeared');
  expect(/Automation rules did not run/.test(res1) && /300 people added to Contacts/.test(res1), 'the result does not name the people and rules: ' + res1);
  await shot(page, 'data-02-import-done');
  step('imported: ' + res1.slice(0, 120) + '… (progress UI seen: ' + JSON.stringify(seen) + ')');
  const apiGet = async url => (await (await ctx.request.get(base + url, { headers })).json()).data;
  let grid = await apiGet('/api/fundraising/grid');
  const colNames = grid.columns.map(c => c.name);
  expect(colNames.slice(0, 6).join() === 'Name,List,Status,Fund I,Fund II,Fund III', 'the columns start ' + colNames.slice(0, 8).join(', '));
  const contactsId = grid.columns.find(c => c.type === 'contacts').id;
  const personCount = () => grid.rows.reduce((n, r) => n + (r.values[contactsId] || []).length, 0);
  expect(personCount() === 300 && !colNames.includes('Email'), 'people after the import: ' + personCount() + ', columns ' + colNames.join(', '));
  let lists = await apiGet('/api/fundraising/lists');
  expect(lists.graveyard === 0 && lists.main === 300, 'the import moved investors between lists: ' + JSON.stringify(lists));
  step('300 people in Contacts, funds right after Status, lists untouched: ' + JSON.stringify(lists));

  // --- the same file again changes nothing (and the Deck skip is remembered)
  await page.getByRole('button', { name: 'Import another file' }).click();
  await page.locator('input[type="file"][aria-label="CSV file to import"]').setInputFiles(CSV);
  await summary.getByText('300 unchanged').waitFor();
  await page.waitForFunction(() => !document.querySelector('.imp-summary.is-stale'));
  sum = await summaryOf(page);
  expect(sum.rows === 300 && sum.new === 0 && sum.updated === 0 && sum.unchanged === 300 && sum['new columns'] === 0, 'second preview reads: ' + sum.text);
  expect(/last import/.test(await textOf(page.locator('.imp-memory'))), 'the remembered skip is not shown');
  expect(/Nobody new/.test(await textOf(page.locator('.imp-people'))), 'the re-import would add people: ' + await textOf(page.locator('.imp-people')));
  await page.locator('.imp-actionbar').getByRole('button', { name: /^Import/ }).click();
  await result.waitFor({ timeout: 60000 });
  const res2 = await textOf(result);
  expect(/0 Created/.test(res2) && /0 Updated/.test(res2) && /300 Unchanged/.test(res2) && /Already up to date/.test(res2), 'second result reads: ' + res2);
  grid = await apiGet('/api/fundraising/grid');
  expect(personCount() === 300, 'the second import changed the number of people to ' + personCount());
  step('imported again: 0 created, 0 updated, 300 unchanged, still 300 people');

  // --- an edited export: what changes is listed before anything is written
  const edited = path.join(outDir, 'airtable_investors_edited.csv');
  const original = fs.readFileSync(CSV, 'utf8');
  const COMMITTED_ROW = /^([^\n",]+),Committed,/gm;  // a row's Name (unquoted), then its Status
  const committed = (original.match(COMMITTED_ROW) || []).length;
  fs.writeFileSync(edited, original.replace(COMMITTED_ROW, '$1,Passed,')
    .replace('Jasper Capital,Not Contacted,', 'Jasper Capital,Term Sheet,').replace('"$12,500.50"', () => '"$12,750.25"')
    .replace('john.novak@tundra.com,+1 (512) 555-9711', 'John.Novak@Tundra.com,+1 (512) 555-0000'));
  await page.getByRole('button', { name: 'Import another file' }).click();
  await page.locator('input[type="file"][aria-label="CSV file to import"]').setInputFiles(edited);
  const review = page.locator('.imp-review');
  await review.waitFor();
  sum = await summaryOf(page);
  const changed = committed + 1;
  expect(sum.updated === changed && sum.new === 0, 'the edited file previews as ' + sum.text + ' (expected ' + changed + ' updated)');
  expect(await review.locator('.imp-change').count() === 20, 'the review does not start with 20 investors');
  const jasperChange = review.locator('.imp-change', { hasText: 'Jasper Capital' });
  const jasperText = await textOf(jasperChange);
  expect(/Status Not Contacted Term Sheet/.test(jasperText) && /Fund III \$12,500\.50 \$12,750\.25/.test(jasperText), 'Jasper\'s change reads: ' + jasperText);
  expect(await jasperChange.locator('.imp-val.is-old', { hasText: 'Not Contacted' }).count() === 1, 'the old value is not marked as old');
  const tundra = await textOf(review.locator('.imp-change', { hasText: 'Tundra Partners Inc.' }));
  expect(/John Novak · phone \+1 \(512\) 555-9711 \+1 \(512\) 555-0000/.test(tundra) && !/New person/.test(tundra), 'Tundra\'s change reads: ' + tundra);
  expect(/Status.*Term Sheet/.test(await textOf(review.locator('.imp-option-list li', { hasText: 'Status' }))), 'the new Status option is not listed');
  await dismissToasts(page);
  await review.evaluate(el => { el.scrollIntoView({ block: 'start' }); document.querySelector('.content').scrollBy(0, -16); });
  await shot(page, 'data-01d-import-review');
  await review.getByRole('button', { name: 'Show ' + (changed - 20) + ' more' }).click();
  expect(await review.locator('.imp-change').count() === changed, 'show more does not list every changed investor');
  expect(new RegExp(changed + ' of ' + changed + ' changed investors shown').test(await textOf(review.locator('.imp-changes-foot'))), 'the review foot reads: ' + await textOf(review.locator('.imp-changes-foot')));
  step('review: ' + changed + ' changed investors (20 shown, then all), old -> new per cell, Term Sheet as a new option');

  // --- opted in, the rules move the investors the file newly marks Passed
  await runRules.check();
  expect(/Automation rules will run/.test(await textOf(page.locator('.imp-actionbar-text'))), 'the action bar does not say the rules will run');
  await page.locator('.imp-actionbar').getByRole('button', { name: /^Import/ }).click();
  await result.waitFor({ timeout: 60000 });
  const res3 = await textOf(result);
  expect(new RegExp(changed + ' Updated').test(res3) && new RegExp('Automation rules changed ' + committed + ' investors').test(res3), 'third result reads: ' + res3);
  lists = await apiGet('/api/fundraising/lists');
  expect(lists.graveyard === committed, 'after the opted-in import the graveyard has ' + JSON.stringify(lists) + ', expected ' + committed);
  grid = await apiGet('/api/fundraising/grid');
  const tundraRow = grid.rows.find(r => r.values[grid.columns[0].id] === 'Tundra Partners Inc.');
  const john = tundraRow.values[contactsId];
  expect(personCount() === 300 && john.length === 1 && john[0].phone === '+1 (512) 555-0000', 'Tundra\'s people: ' + JSON.stringify(john));
  step('opted-in import: ' + committed + ' newly Passed investors moved to the graveyard; the 50 already Passed stayed; John Novak updated, not added');

  // --- cents in a whole-dollar fund column show in the grid, whole amounts stay whole
  let resp = await ctx.request.post(base + '/api/fundraising/columns', { headers, data: { name: 'Fund IV', type: 'fund' } });
  expect(resp.status() === 201, 'creating Fund IV answered ' + resp.status());
  resp = await ctx.request.post(base + '/api/fundraising/import', { headers: { ...headers, 'Content-Type': 'text/csv' },
    data: Buffer.from('Name,Fund IV\r\nJasper Capital,"$12,500.50"\r\nTundra Partners Inc.,"$250,000"\r\n') });
  expect(resp.ok(), 'importing Fund IV answered ' + resp.status() + ': ' + await resp.text());
  const cols = await apiGet('/api/fundraising/columns');
  const fund4 = cols.findIndex(c => c.name === 'Fund IV');
  expect(fund4 === 6, 'Fund IV sits at ' + fund4 + ', not after Fund III');
  const rowIndex = name => grid.rows.findIndex(r => r.values[grid.columns[0].id] === name);
  await page.getByRole('button', { name: 'Open the grid' }).click();
  await waitCell(page, rowIndex('Jasper Capital'), fund4, '$12,500.50', 15000);
  await waitCell(page, rowIndex('Tundra Partners Inc.'), fund4, '$250,000');
  await waitCell(page, rowIndex('Jasper Capital'), cols.findIndex(c => c.name === 'Fund I'), '$50,000');
  await dismissToasts(page);
  await shot(page, 'data-08-grid-funds');
  step('grid: Fund IV reads $12,500.50 and $250,000, Fund I $50,000; funds on the first screen');
  await page.goto(base + '/#/import');
  await page.getByRole('heading', { name: 'Import & export', level: 1 }).waitFor();

  // --- export CSV through the UI (fetched with the token, saved from a Blob)
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.imp-export').getByRole('button', { name: 'Download CSV' }).click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const lines = csv.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  expect(/^venture-crm-grid-.*\.csv$/.test(download.suggestedFilename()), 'download named ' + download.suggestedFilename());
  expect(lines[0].startsWith('Name,') && !/Deck/.test(lines[0]), 'export header: ' + lines[0].slice(0, 120));
  expect(csv.includes('Jasper Capital'), 'the export lacks Jasper Capital');
  step('exported ' + download.suggestedFilename() + ' (' + csv.length.toLocaleString() + ' chars)');

  // --- Settings -> Backups: back up now, verify
  await sidebar.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  expect(/#\/settings(\/backups)?$/.test(page.url()), 'Settings did not open on Backups: ' + page.url());
  await page.locator('.bk-table tbody tr:not(.skeleton-row)').first().waitFor();
  await page.getByLabel('Backup note').fill('After the Airtable import');
  await page.getByRole('button', { name: 'Back up now' }).click();
  await page.locator('.toast', { hasText: 'Backup taken' }).waitFor();
  const backupRow = page.locator('.bk-table tbody tr', { hasText: 'After the Airtable import' });
  await backupRow.waitFor();
  expect(/Manual/.test(await textOf(backupRow)) && /300 investors/.test(await textOf(backupRow)) && /Not verified/.test(await textOf(backupRow)), 'backup row reads: ' + await textOf(backupRow));
  await backupRow.getByRole('button', { name: 'Verify' }).click();
  await backupRow.locator('.bk-verify.is-ok').waitFor();
  const title = await backupRow.locator('.bk-verify').getAttribute('title');
  expect(/✓ Checksum matches/.test(title) && /✓ SQLite integrity check/.test(title), 'verify tooltip reads: ' + title);
  await dismissToasts(page);
  await shot(page, 'data-03-backups');
  await at1280(page, 'data-03b-backups-1280');
  step('backed up and verified: ' + await textOf(backupRow));

  // --- archive an investor through the API; Admin -> Archive brings it back
  grid = await apiGet('/api/fundraising/grid');
  const nameCol = grid.columns.find(c => c.name === 'Name').id;
  const jasper = grid.rows.find(r => r.values[nameCol] === 'Jasper Capital');
  expect(jasper, 'Jasper Capital is not in the grid');
  let r = await ctx.request.delete(base + '/api/fundraising/rows/' + jasper.id, { headers });
  expect(r.ok(), 'archiving answered ' + r.status());
  const probability = grid.columns.find(c => c.name === 'Probability');
  r = await ctx.request.delete(base + '/api/fundraising/columns/' + probability.id, { headers });
  expect(r.ok(), 'archiving a column answered ' + r.status());
  r = await ctx.request.post(base + '/api/fundraising/views', { headers, data: { name: 'Old Fund I pipeline', shared: true } });
  expect(r.status() === 201, 'creating a view answered ' + r.status() + ': ' + await r.text());
  r = await ctx.request.delete(base + '/api/fundraising/views/' + (await r.json()).data.id, { headers });
  expect(r.ok(), 'archiving a view answered ' + r.status());
  const rules = (await (await ctx.request.get(base + '/api/fundraising/automations', { headers })).json()).data;
  r = await ctx.request.delete(base + '/api/fundraising/automations/' + rules[rules.length - 1].id, { headers });
  expect(r.ok(), 'archiving a rule answered ' + r.status());
  await sidebar.getByRole('link', { name: 'Admin' }).click();
  await page.locator('.tabs').getByRole('link', { name: 'Archive' }).click();
  const arcItem = page.locator('.arc-item', { hasText: 'Jasper Capital' });
  await arcItem.waitFor();
  expect(/Archived by jane/.test(await textOf(arcItem)), 'archive item reads: ' + await textOf(arcItem));
  await shot(page, 'data-05-archive');
  await page.locator('.arc-item', { hasText: 'Old Fund I pipeline' }).waitFor();
  expect(await page.locator('.arc-section').count() === 4, 'expected investors, columns, views and rules in the archive');
  await arcItem.getByRole('button', { name: 'Restore Jasper Capital' }).click();
  await page.locator('.toast', { hasText: 'Restored “Jasper Capital”' }).waitFor();
  await arcItem.waitFor({ state: 'detached' });
  await page.locator('.arc-item', { hasText: 'Probability' }).getByRole('button', { name: 'Restore Probability' }).click();
  await page.locator('.toast', { hasText: 'Restored “Probability”' }).waitFor();
  await page.locator('.arc-item', { hasText: 'Probability' }).waitFor({ state: 'detached' });
  const back = await (await ctx.request.get(base + '/api/fundraising/rows/' + jasper.id, { headers })).json();
  expect(back.data && !back.data.archived_at, 'Jasper Capital is still archived on the server');
  const restored = await apiGet('/api/fundraising/columns');
  expect(restored.some(c => c.name === 'Probability'), 'the Probability column did not come back');
  step('archived an investor, a column, a view and a rule through the API; restored the investor and the column from Admin -> Archive');

  // --- an investor added after the backup; the restore preview says it goes away
  r = await ctx.request.post(base + '/api/fundraising/rows', { headers, data: { values: { Name: LATE } } });
  expect(r.status() === 201, 'creating ' + LATE + ' answered ' + r.status());
  await sidebar.getByRole('link', { name: 'Settings' }).click();
  await backupRow.waitFor();
  await backupRow.getByRole('button', { name: 'Restore…' }).click();
  const dialog = page.getByRole('dialog', { name: /Restore the backup from/ });
  await dialog.locator('.bk-impact').waitFor();
  const impact = await textOf(dialog.locator('.bk-impact'));
  expect(/1 investor will be removed/.test(impact) && impact.includes(LATE) && /0 investors brought back/.test(impact), 'restore impact reads: ' + impact);
  const invRow = await textOf(dialog.locator('.bk-counts tbody tr', { hasText: 'Investors' }));
  expect(/Investors 300 301 −1/.test(invRow), 'investor counts read: ' + invRow);
  const restoreBtn = dialog.getByRole('button', { name: 'Restore this backup' });
  expect(await restoreBtn.isDisabled(), 'restore is possible before typing RESTORE');
  await dialog.getByLabel('Type RESTORE to confirm').fill('RESTORE');
  await dismissToasts(page);
  await shot(page, 'data-04-restore-preview');
  await at1280(page, 'data-04b-restore-preview-1280');
  step('restore preview: ' + impact);
  allowed.reloading = true;
  await Promise.all([page.waitForEvent('load', { timeout: 30000 }), restoreBtn.click()]);
  await page.locator('.bk-restored').waitFor({ timeout: 20000 });
  allowed.reloading = false;
  await page.locator('.bk-restored-count', { hasText: '300 investors' }).waitFor();
  await page.locator('.bk-table tbody tr', { hasText: 'Before restore' }).waitFor();
  step('restored and reloaded: ' + await textOf(page.locator('.bk-restored .co-text')));
  await page.locator('.bk-restored').getByRole('button', { name: 'Open the grid' }).click();
  await page.locator('.gp-count', { hasText: '300 investors' }).waitFor({ timeout: 20000 });
  expect(await page.getByText(LATE).count() === 0, LATE + ' is still in the grid after the restore');
  step('the grid shows the backup\'s ' + await textOf(page.locator('.gp-count')));

  // --- Admin -> Activity: backups and audit entries in one timeline
  await sidebar.getByRole('link', { name: 'Admin' }).click();
  await page.locator('.tabs').getByRole('link', { name: 'Activity' }).click();
  const acts = page.locator('.act-item');
  await acts.first().waitFor();
  // Automation runs can push older entries past the first page: load older ones until the import shows.
  for (let i = 0; i < 10 && !(await page.locator('.act-item.act-audit', { hasText: 'imported a CSV' }).count()); i++) {
    const older = page.getByRole('button', { name: 'Load older' });
    if (!(await older.count())) break;
    await older.click();
    await page.waitForFunction(() => !document.querySelector('.act-card .btn.is-pending'));
  }
  await page.locator('.act-item.act-backup', { hasText: 'took a manual backup' }).first().waitFor();
  await page.locator('.act-item.act-backup', { hasText: 'took a backup before restoring' }).first().waitFor();
  await page.locator('.act-item.act-audit', { hasText: 'restored a backup' }).first().waitFor();
  await page.locator('.act-item.act-audit', { hasText: 'imported a CSV' }).first().waitFor();
  expect(/Today/.test(await textOf(page.locator('.act-day-head').first())), 'the first day group is not Today');
  await page.evaluate(() => document.querySelector('.content').scrollTo(0, 0));
  await shot(page, 'data-06-activity');
  await page.getByRole('group', { name: 'Show activity from' }).getByRole('button', { name: /^Backups/ }).click();
  const sources = await page.locator('.act-item').evaluateAll(els => els.map(e => e.className));
  expect(sources.length >= 2 && sources.every(c => /act-backup/.test(c)), 'the Backups filter shows ' + sources.join(' | '));
  await at1280(page, 'data-06b-activity-1280');
  step('activity: backups and audit entries; the Backups filter shows only backups (' + sources.length + ')');

  // --- the audit log filtered by action
  await page.locator('.tabs').getByRole('link', { name: 'Audit log' }).click();
  await page.locator('.aud-table tbody tr').first().waitFor();
  const before = await page.locator('.aud-table tbody tr').count();
  await page.getByLabel('Action', { exact: true }).fill('import.completed');
  await page.getByLabel('Action', { exact: true }).press('Enter');
  await page.waitForFunction(() => {
    const rows = Array.from(document.querySelectorAll('.aud-table tbody tr'));
    return rows.length > 0 && rows.every(tr => /import\.completed/.test(tr.textContent));
  });
  const actions = await page.locator('.aud-table tbody tr td:nth-child(3)').allInnerTexts();
  expect(actions.length >= 1 && actions.every(a => a.trim() === 'import.completed'), 'filtered actions: ' + actions.join(', '));
  await shot(page, 'data-07-audit-filter');
  await page.getByLabel('Entity type').selectOption('investor');
  await page.getByText('No events match these filters').waitFor();
  await page.getByRole('button', { name: /^Clear/ }).click();
  await page.waitForFunction(n => document.querySelectorAll('.aud-table tbody tr').length >= n, Math.min(before, 50));
  step('audit log: action filter shows only ' + actions.length + ' import.completed rows; clearing brings back the rest');

});
