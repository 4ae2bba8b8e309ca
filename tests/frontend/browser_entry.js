#!/usr/bin/env node
/*
 * Entering data as someone from Airtable does, in real headless Chromium against a running server
 * (BASE_URL, fresh data): dates typed straight into a cell in every accepted form (no Enter first),
 * each previewed before it is saved and stored as the day meant; an implausible year refused in
 * the editor and by the server; a paste of "1.5m" into a fund column stored as 1,500,000 (the
 * same rules as typing); a multi-line note typed with Shift+Enter, its hidden lines counted, and a
 * taller row height per view; the people editor (focus, a bad email kept and shown, the platform's
 * key names); a right-click archive with Undo; Delete on a whole row asking to archive; Ctrl+End
 * and Ctrl+Home; Insert above / below from the row menu (and another person's insert arriving in
 * place). Zero console errors.
 *
 *   node tests/frontend/browser_entry.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';

const harness = require('./harness');
const { PASSWORD, createFirstAdmin } = harness;
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_entry', { shotPrefix: 'entry-', shotDelay: 200 });
const { cellSel, newContext, apiFor, columnIndex, selectCell, waitCell, waitServer, paste, phoneOverflow } = require('./grid_page')(base, expect);
const t0 = Date.now();
let reloading = false;

const pad = n => String(n).padStart(2, '0');
const isoDay = d => d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
const plusDays = n => { const d = new Date(); d.setHours(12, 0, 0, 0); d.setDate(d.getDate() + n); return isoDay(d); };

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  // A reload cancels the long-poll and any read in flight: that is the reload, not a fault.
  watch(page, 'ann', (kind, text, r) => kind === 'request' && reloading && /ERR_ABORTED/.test(text) && r.method() === 'GET');
  await createFirstAdmin(page, base, 'ann', 'ann@northwind.vc', PASSWORD);
  await page.getByRole('button', { name: /Start from scratch/ }).click({ timeout: 15000 });
  await page.locator('[data-editor] input').waitFor();
  await page.keyboard.type('Halcyon Family Office');
  await page.keyboard.press('Enter');
  await waitCell(page, 0, 0, 'Halcyon Family Office');
  const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const api = apiFor(ctx, token);
  const rowId = (await api.get('/api/fundraising/grid')).rows[0].id;
  const cols = await api.get('/api/fundraising/columns');
  const lastId = cols.find(c => c.name === 'Last Contact').id;
  const cLast = await columnIndex(api, 'Last Contact');
  step('first investor typed in');

  /* ---------------- dates typed straight into the cell ---------------- */
  const year = new Date().getFullYear();
  const forms = [
    ['12/15/2026', '2026-12-15', 'Dec 15, 2026'],
    ['2026-06-14', '2026-06-14', 'Jun 14, 2026'],
    ['6/14/2026', '2026-06-14', 'Jun 14, 2026'],  // over an existing date: replaced, not mangled
    ['June 14, 2026', '2026-06-14', 'Jun 14, 2026'],
    ['Jan 5, 2027', '2027-01-05', 'Jan 5, 2027'],
    ['Jan 5', year + '-01-05', null],
    ['tomorrow', plusDays(1), null],
    ['+7d', plusDays(7), null],
    ['12/15/26', '2026-12-15', 'Dec 15, 2026'],
  ];
  for (const [typed, stored, shown] of forms) {
    await selectCell(page, 0, cLast);
    await page.keyboard.type(typed);  // no Enter first: the first keystroke starts the editor
    const input = page.locator('[data-editor] input');
    await input.waitFor();
    expect(await input.inputValue() === typed, 'the editor holds ' + JSON.stringify(await input.inputValue()) + ' after typing ' + typed);
    const reading = page.locator('.ce-date-reading');
    await page.waitForFunction(() => { const el = document.querySelector('.ce-date-reading'); return el && /\d{4}/.test(el.textContent); });
    const said = (await reading.innerText()).trim();
    const [y, m, d] = stored.split('-').map(Number);
    const expectLabel = new Date(y, m - 1, d).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
    expect(said.includes(expectLabel), 'typing ' + typed + ' previews "' + said + '", expected ' + expectLabel);
    if (typed === '12/15/2026') await shot(page, '01-date-preview');
    await page.keyboard.press('Enter');
    await waitServer(api, rowId, lastId, stored, 'the date typed as ' + JSON.stringify(typed));
    if (shown) await waitCell(page, 0, cLast, shown);
  }
  step('dates typed straight into a cell, previewed and stored: ' + forms.map(f => f[0]).join(' · '));

  // An implausible year: the editor says so and keeps the text; nothing is saved.
  await selectCell(page, 0, cLast);
  await page.keyboard.type('0026-06-14');
  await page.locator('.ce-date-reading.is-error', { hasText: 'outside 1900' }).waitFor();
  await page.keyboard.press('Enter');
  expect(await page.locator('[data-editor] input').inputValue() === '0026-06-14', 'the refused date was not kept in the editor');
  await shot(page, '02-date-refused');
  await page.keyboard.press('Escape');
  await waitServer(api, rowId, lastId, '2026-12-15', 'the refused year left the date alone');
  // The server refuses it too, naming the column (any client, not only this page).
  const r = await ctx.request.fetch(base + '/api/fundraising/rows/' + rowId, { method: 'PATCH', headers: { Authorization: 'Bearer ' + token },
    data: { values: { [lastId]: '0614-06-14' } } });
  const body = await r.json();
  expect(r.status() === 400 && /Last Contact/.test(body.error) && /1900/.test(body.error), 'the server took year 614: ' + r.status() + ' ' + JSON.stringify(body));
  step('year 0026 refused in the editor (kept for fixing) and year 614 by the server, naming the column');

  // The calendar is a convenience: clicking a day saves it.
  await selectCell(page, 0, cLast);
  await page.keyboard.press('Enter');
  await page.locator('.ce-cal').waitFor();
  await page.getByRole('button', { name: /December 20, 2026/ }).click();
  await waitServer(api, rowId, lastId, '2026-12-20', 'the day clicked in the calendar');
  step('a day clicked in the calendar is saved');

  /* ---------------- paste follows typing's rules ---------------- */
  await api.post('/api/fundraising/columns', { name: 'Fund II', type: 'fund', options: {} });
  reloading = true;
  await page.reload();
  await page.locator(cellSel(0, 0)).waitFor();
  reloading = false;
  const fund = (await api.get('/api/fundraising/columns')).find(c => c.name === 'Fund II');
  const cFund = await columnIndex(api, 'Fund II');
  await selectCell(page, 0, cFund);
  await paste(page, '1.5m');
  await page.locator('.toast', { hasText: 'Pasted 1 cell' }).waitFor();
  await waitServer(api, rowId, fund.id, 1500000, 'the pasted "1.5m"');
  await selectCell(page, 0, await columnIndex(api, 'Last Contact'));  // the fund column moved it
  await paste(page, 'tomorrow');
  await waitServer(api, rowId, lastId, plusDays(1), 'the pasted "tomorrow"');
  step('a paste of "1.5m" stored 1,500,000 and a pasted "tomorrow" the person\'s tomorrow');

  /* ---------------- a multi-line note, row heights ---------------- */
  const notesId = cols.find(c => c.name === 'Notes').id;
  const cNotes = await columnIndex(api, 'Notes');
  await selectCell(page, 0, cNotes);
  await page.keyboard.press('Enter');
  await page.locator('[data-editor] textarea').waitFor();
  await page.keyboard.type('Met at SuperReturn.');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('Wants the Q3 letter.');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('Follow up in July.');
  await page.keyboard.press('Enter');
  await waitServer(api, rowId, notesId, 'Met at SuperReturn.\nWants the Q3 letter.\nFollow up in July.', 'the three-line note');
  const more = page.locator(cellSel(0, cNotes) + ' .cv-more-lines');
  await more.waitFor();
  expect(await more.innerText() === '+2', 'a short row counts ' + await more.innerText() + ' hidden lines, expected +2');
  expect((await page.locator(cellSel(0, cNotes) + ' .cv-long').getAttribute('title')).includes('Follow up in July.'), 'the note has no hover preview of its whole text');
  await page.getByRole('button', { name: 'Short rows' }).click();
  await page.getByRole('menuitemradio', { name: /Medium/ }).click();
  await page.waitForFunction(sel => { const el = document.querySelector(sel); return el && el.getBoundingClientRect().height >= 50; }, cellSel(0, cNotes));
  expect(await more.innerText() === '+1', 'a medium row should show two lines and count one more');
  await shot(page, '03-medium-rows');
  let saved = null;
  for (let i = 0; i < 30 && !saved; i++) { saved = (await api.get('/api/fundraising/views')).find(v => v.row_height === 'medium'); if (!saved) await page.waitForTimeout(100); }
  expect(saved, 'the row height was not saved with the view');
  reloading = true;
  await page.reload();
  await page.locator(cellSel(0, 0)).waitFor();
  reloading = false;
  await page.waitForFunction(sel => { const el = document.querySelector(sel); return el && el.getBoundingClientRect().height >= 50; }, cellSel(0, cNotes));
  await page.getByRole('button', { name: 'Medium rows' }).click();
  await page.getByRole('menuitemradio', { name: /Short/ }).click();
  step('a three-line note typed with Shift+Enter shows "+2" (hover shows it all); Medium rows show two lines, saved with the view');

  /* ---------------- the people editor ---------------- */
  const contactsId = cols.find(c => c.type === 'contacts').id;
  const cPeople = await columnIndex(api, cols.find(c => c.type === 'contacts').name);
  await selectCell(page, 0, cPeople);
  await page.keyboard.press('Enter');
  await page.locator('.ce-people').waitFor();
  expect(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('pf-name')), 'the people editor opened without the focus in it');
  await page.keyboard.type('Ann Lee');
  await page.keyboard.press('Tab');  // Title
  await page.keyboard.type('Managing Partner');
  await page.keyboard.press('Tab');  // Email
  await page.keyboard.type('ann@halcyon');
  await page.keyboard.press('Tab');  // Phone: leaving the email shows the problem
  await page.locator('.pf-problem', { hasText: 'Not an email address' }).waitFor();
  expect((await page.locator('.ce-people-foot').innerText()).includes('Ctrl'), 'the hint does not use this platform\'s key name (Ctrl)');
  await page.getByRole('button', { name: 'Done' }).click();
  await shot(page, '04-people-problem');
  expect(await page.locator('.ce-people').count() === 1, 'Done with a bad email closed the editor');
  expect(await page.getByLabel('Name of person 1').inputValue() === 'Ann Lee', 'the edit was thrown away');
  expect(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('pf-email')), 'the bad email did not get the focus');
  await page.keyboard.press('Control+a');
  await page.keyboard.type('ann@halcyon.com');
  await page.keyboard.press('Control+Enter');
  await page.locator('.ce-people').waitFor({ state: 'detached' });
  const people = (await api.get('/api/fundraising/rows/' + rowId)).values[contactsId];
  expect(people && people.length === 1 && people[0].name === 'Ann Lee' && people[0].email === 'ann@halcyon.com' && people[0].title === 'Managing Partner',
    'the server has ' + JSON.stringify(people));
  step('people editor: focused on open; a bad email shown as typed, Done kept the edit; fixed and saved with Ctrl+Enter');

  /* ---------------- rows: right-click, archive and Undo, Delete on a whole row ---------------- */
  const nameId = cols.find(c => c.primary).id;
  const second = await api.post('/api/fundraising/rows', { values: { [nameId]: 'Northgate Endowment' } });
  await waitCell(page, 1, 0, 'Northgate Endowment');
  await page.locator(cellSel(1, 0)).click({ button: 'right' });
  const menu = page.getByRole('menu', { name: /Actions for Northgate Endowment/ });
  await menu.waitFor();
  await shot(page, '05-row-menu');
  await menu.getByRole('menuitem', { name: 'Archive investor' }).click();
  const toastUndo = page.locator('.toast', { hasText: 'Archived Northgate Endowment' }).getByRole('button', { name: 'Undo' });
  await toastUndo.waitFor();
  let got = await api.get('/api/fundraising/rows/' + second.id);
  expect(got.archived_at, 'the right-click archive did not archive on the server');
  await toastUndo.click();
  for (let i = 0; i < 30 && got.archived_at; i++) { await page.waitForTimeout(100); got = await api.get('/api/fundraising/rows/' + second.id); }
  expect(!got.archived_at, 'Undo did not restore the investor');
  await waitCell(page, 1, 0, 'Northgate Endowment');
  step('right-click -> Archive investor, then the toast\'s Undo restored it');

  await page.locator('.gv-row[data-r="1"] .gv-num').click();
  await page.keyboard.press('Delete');
  const dlg = page.getByRole('dialog', { name: /Archive Northgate Endowment/ });
  await dlg.waitFor();
  await shot(page, '06-archive-prompt');
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  got = await api.get('/api/fundraising/rows/' + second.id);
  expect(!got.archived_at && got.values[nameId] === 'Northgate Endowment', 'Delete on a whole row changed the investor: ' + JSON.stringify(got));
  step('Delete on a whole row asks to archive (cancelled: nothing cleared)');

  await page.locator(cellSel(0, 1)).click();
  await page.keyboard.press('Control+End');
  const lastCol = (await api.get('/api/fundraising/columns')).length - 1;
  await page.locator(cellSel(1, lastCol) + '.is-active').waitFor();
  await page.keyboard.press('Control+Home');
  await page.locator(cellSel(0, 0) + '.is-active').waitFor();
  step('Ctrl+End and Ctrl+Home go to the last and the first cell');

  // Archived investors, shown, are where they were (not at the end).
  await api.post('/api/fundraising/rows', { values: { [nameId]: 'Cobalt Pension Trust' } });
  await waitCell(page, 2, 0, 'Cobalt Pension Trust');
  await page.locator(cellSel(1, 0)).click({ button: 'right' });
  await page.getByRole('menu', { name: /Actions for Northgate Endowment/ }).getByRole('menuitem', { name: 'Archive investor' }).click();
  await waitCell(page, 1, 0, 'Cobalt Pension Trust');
  await page.getByRole('button', { name: 'Show archived' }).click();
  await page.locator('.gv-row.is-archived[data-r="1"]').first().waitFor();
  await waitCell(page, 1, 0, 'Northgate Endowment');
  await waitCell(page, 2, 0, 'Cobalt Pension Trust');
  await shot(page, '06b-archived-in-place');
  await page.locator(cellSel(1, 0)).click({ button: 'right' });
  await page.getByRole('menu', { name: /Actions for Northgate Endowment/ }).getByRole('menuitem', { name: 'Restore investor' }).click();
  await page.locator('.toast', { hasText: 'Restored Northgate Endowment' }).last().waitFor();
  await page.getByRole('button', { name: 'Showing archived' }).click();
  await waitCell(page, 1, 0, 'Northgate Endowment');
  step('an archived investor, shown, sits where it was; restored from its menu');

  /* ---------------- rows: insert above / below ---------------- */
  const gridNames = async () => {
    const g = await api.get('/api/fundraising/grid');
    return g.rows.map(r => r.values[nameId]);
  };
  await page.locator(cellSel(2, 0)).click({ button: 'right' });
  const cobaltMenu = page.getByRole('menu', { name: /Actions for Cobalt Pension Trust/ });
  await cobaltMenu.waitFor();
  await shot(page, '06c-insert-menu');
  await cobaltMenu.getByRole('menuitem', { name: 'Insert above' }).click();
  await page.locator('.ce-input').waitFor();  // the new row's name, ready to type
  await page.locator(cellSel(2, 0) + '.is-active').waitFor();
  await page.keyboard.type('Meridian Family Office');
  await page.keyboard.press('Enter');
  await waitCell(page, 2, 0, 'Meridian Family Office');
  await waitCell(page, 3, 0, 'Cobalt Pension Trust');
  let names = await gridNames();
  for (let i = 0; i < 30 && names[2] !== 'Meridian Family Office'; i++) { await page.waitForTimeout(100); names = await gridNames(); }
  expect(names[1] === 'Northgate Endowment' && names[2] === 'Meridian Family Office' && names[3] === 'Cobalt Pension Trust',
    'Insert above: the server has ' + names.join(', '));
  await page.locator(cellSel(1, 0)).click({ button: 'right' });
  await page.getByRole('menu', { name: /Actions for Northgate Endowment/ }).getByRole('menuitem', { name: 'Insert below' }).click();
  await page.locator('.ce-input').waitFor();
  await page.locator(cellSel(2, 0) + '.is-active').waitFor();
  await page.keyboard.type('Juniper Capital');
  await page.keyboard.press('Enter');
  await waitCell(page, 2, 0, 'Juniper Capital');
  await waitCell(page, 3, 0, 'Meridian Family Office');
  // Someone else inserting shows up where they put it, not at the end.
  await api.post('/api/fundraising/rows', { values: { [nameId]: 'Harbor Foundation' }, before: second.id });
  await waitCell(page, 1, 0, 'Harbor Foundation', 8000);
  await waitCell(page, 2, 0, 'Northgate Endowment');
  await shot(page, '06d-inserted');
  names = await gridNames();
  expect(names.slice(1, 6).join('|') === 'Harbor Foundation|Northgate Endowment|Juniper Capital|Meridian Family Office|Cobalt Pension Trust',
    'the grid order on the server is ' + names.join(', '));
  step('right-click -> Insert above / Insert below put the new investor there, name ready to type; another person\'s insert lands where they put it');

  /* ---------------- my own second tab is not a collaborator ---------------- */
  const tab2 = await ctx.newPage();
  watch(tab2, 'ann (second tab)');
  await tab2.goto(base + '/#/grid');
  await tab2.locator(cellSel(1, 0)).click();
  await page.waitForTimeout(2500);  // more than a heartbeat
  expect(await page.locator('.gv-peer-tag, .gv-peer-dot').count() === 0, 'my own second tab shows as a collaborator');
  await tab2.close();
  step('my own second tab does not show as a collaborator');

  /* ---------------- a phone ---------------- */
  const phone = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const pp = await phone.newPage();
  watch(pp, 'ann (phone)');
  await pp.goto(base + '/#/grid');
  await pp.getByLabel('Username or email').fill('ann');
  await pp.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await pp.getByRole('button', { name: 'Sign in' }).click();
  await pp.locator(cellSel(0, 0)).waitFor();
  const overflow = what => phoneOverflow(pp, what);
  await overflow('the grid page');
  await shot(pp, '07-phone-grid');
  const nameW = await pp.locator(cellSel(0, 0)).evaluate(el => el.getBoundingClientRect().width);
  expect(nameW <= 180, 'the frozen Name column takes ' + nameW + ' px of the 390 px phone');
  // Add an investor with the toolbar's button, type its name (it goes last).
  const MARISOL = (await api.get('/api/fundraising/grid')).rows.length;
  await pp.getByRole('button', { name: 'Investor', exact: true }).click();
  await pp.locator('[data-editor] input').waitFor();
  await pp.keyboard.type('Marisol Capital');
  await pp.keyboard.press('Enter');
  await waitCell(pp, MARISOL, 0, 'Marisol Capital');
  const marisol = (await api.get('/api/fundraising/grid')).rows.find(r => r.values[nameId] === 'Marisol Capital');
  expect(marisol, 'the investor added on the phone is not on the server');
  // Edit a fund amount: tap the cell, tap again to edit, type.
  await pp.locator(cellSel(MARISOL, 0)).tap();
  for (let i = 0; i < cFund; i++) await pp.keyboard.press('ArrowRight');
  await pp.locator(cellSel(MARISOL, cFund) + '.is-active').waitFor();
  await pp.locator(cellSel(MARISOL, cFund)).tap();
  await pp.locator(cellSel(MARISOL, cFund)).tap();
  await pp.locator('[data-editor] input').waitFor();
  await pp.keyboard.type('2.5m');
  await pp.keyboard.press('Enter');
  await waitServer(api, marisol.id, fund.id, 2500000, 'the fund amount typed on the phone');
  await shot(pp, '08-phone-fund');
  step('phone 390x844: no sideways scroll, Name at ' + nameW + ' px, an investor added and a fund amount typed (2.5m)');
  for (const [path, title, file] of [['#/automations', 'Automations', '09-phone-automations'], ['#/import', 'Import & export', '10-phone-import'],
    ['#/settings', 'Settings', '11-phone-settings'], ['#/admin', 'Admin', '12-phone-admin']]) {
    await pp.goto(base + '/' + path);
    await pp.getByRole('heading', { name: title, level: 1 }).waitFor();
    await pp.waitForTimeout(300);
    await shot(pp, file);
    await overflow('the ' + title + ' page');
  }
  step('phone: Automations, Import, Settings and Admin do not scroll sideways');
  await phone.close();
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
