#!/usr/bin/env node
/*
 * The pipeline board and the grid as two people use them at once, in real headless Chromium,
 * against a server tests/test_frontend_pipeline.py set up (PIPELINE_CONFIG): the admin drags a
 * card from Pitch to Diligence and the member's grid shows the new stage live; the member types a
 * stage into the grid's pipeline cell and the card moves on the admin's board; the admin moves a
 * card to Committed with the keyboard (Shift+Right), writes the commitment, and the member's grid
 * shows it in the fund cell; the member puts an investor on the board from the grid's row menu;
 * the admin edits a card's probability. Screenshots at 1440x900, 820x1180 and 390x844.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_pipeline', { shotPrefix: 'pipeline-', shotDelay: 250 });
const g = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.PIPELINE_CONFIG || '', 'utf8'));
const card = (page, name) => page.locator('.pl-card', { hasText: name });
const column = (page, stage) => page.locator(`.pl-col[aria-label^="${stage}:"]`);

runBrowser(async (browser) => {
  const ctxA = await g.newContext(browser, { viewport: { width: 1440, height: 900 } });
  const ctxB = await g.newContext(browser, { viewport: { width: 1440, height: 900 } });
  const board = await ctxA.newPage(), grid = await ctxB.newPage();
  watch(board, cfg.admin.username);
  watch(grid, cfg.member.username);
  await harness.signIn(board, base, cfg.admin.username, cfg.password, '/pipeline?fund=' + cfg.fund_id);
  await harness.signIn(grid, base, cfg.member.username, cfg.password, '/grid');
  await card(board, 'Acme Capital').waitFor();
  await grid.locator('.gv-row').first().waitFor();
  const token = await grid.evaluate(() => localStorage.getItem('vcrm.token'));
  const api = g.apiFor(ctxB, token);
  const cPipe = await g.columnIndex(api, cfg.fund_name + ' pipeline');
  const cFund = await g.columnIndex(api, cfg.fund_name);
  const rows = (await api.get('/api/fundraising/grid')).rows.map(r => r.id);
  const rAcme = rows.indexOf(cfg.investors['Acme Capital']), rHalcyon = rows.indexOf(cfg.investors['Halcyon Family Office']);
  const rNorthwind = rows.indexOf(cfg.investors['Northwind Endowment']);
  expect(await column(board, 'Pitch').locator('.pl-card', { hasText: 'Acme Capital' }).count() === 1, 'Acme starts in Pitch');
  await shot(board, '01-board');
  step('the admin sees the ' + cfg.fund_name + ' board; the member the grid');

  // 1. Drag on the board -> the other person's grid, live.
  await card(board, 'Acme Capital').dragTo(column(board, 'Diligence').locator('.pl-col-body'));
  await column(board, 'Diligence').locator('.pl-card', { hasText: 'Acme Capital' }).waitFor();
  const t0 = Date.now();
  await g.waitCell(grid, rAcme, cPipe, 'Diligence $2.5M', 8000).catch(async e => {
    await shot(grid, 'fail-grid'); await shot(board, 'fail-board');
    throw new Error('grid cell reads ' + JSON.stringify(await g.cellText(grid, rAcme, cPipe)) + ' (r' + rAcme + ' c' + cPipe + '); server: ' + JSON.stringify((await g.rowValues(api, cfg.investors['Acme Capital']))[cfg.column_id]));
  });
  step('dragged Acme Capital to Diligence; the member\u2019s grid showed it ' + (Date.now() - t0) + ' ms later');
  const acme = (await g.rowValues(api, cfg.investors['Acme Capital']))[cfg.column_id];
  expect(acme && acme.stage === 'Diligence' && acme.expected_amount === 2500000, 'the server has ' + JSON.stringify(acme));

  // 2. Typing a stage in the grid -> the card moves on the board.
  await g.selectCell(grid, rAcme, cPipe);
  await grid.keyboard.type('soft');
  await grid.getByRole('combobox', { name: 'Choose ' + cfg.fund_name + ' pipeline' }).waitFor();
  await grid.keyboard.press('Enter');
  await g.waitCell(grid, rAcme, cPipe, 'Soft Circle $2.5M');
  await column(board, 'Soft Circle').locator('.pl-card', { hasText: 'Acme Capital' }).waitFor({ timeout: 8000 });
  step('the member typed \u201csoft\u201d + Enter in the grid; the card moved to Soft Circle on the admin\u2019s board');

  // 3. The keyboard: Shift+Right to Committed, and the commitment into the fund cell.
  await card(board, 'Acme Capital').focus();
  await board.keyboard.press('Shift+ArrowRight');
  const dialog = board.getByRole('dialog');
  await dialog.getByText('Committed: write it into ' + cfg.fund_name + '?').waitFor();
  const amount = dialog.getByLabel('Commitment to ' + cfg.fund_name);
  expect((await amount.inputValue()) === '2,500,000', 'the amount starts as the expected one, not ' + await amount.inputValue());
  await amount.fill('2.75m');
  await shot(board, '02-commit');
  await dialog.getByRole('button', { name: 'Write commitment' }).click();
  await column(board, 'Committed').locator('.pl-card', { hasText: 'Acme Capital' }).waitFor();
  await g.waitCell(grid, rAcme, cFund, '$2,750,000', 8000);
  await board.locator('[data-stat="committed"]', { hasText: '$2.8M' }).waitFor({ timeout: 8000 });
  step('Shift+Right moved Acme to Committed; $2,750,000 written into ' + cfg.fund_name + ' (the member\u2019s grid shows it)');

  // 4. From the grid's row menu onto the board.
  await grid.locator(g.cellSel(rHalcyon, 0)).click({ button: 'right' });
  await grid.getByRole('menuitem', { name: 'Add to pipeline…' }).click();
  const add = grid.getByRole('dialog');
  await add.getByText('Add Halcyon Family Office to a pipeline').waitFor();
  await add.getByLabel('Stage').selectOption('Pitch');
  await add.getByLabel('Expected amount').fill('1.5m');
  await add.getByRole('button', { name: 'Add to pipeline' }).click();
  await grid.getByText('Halcyon Family Office added to ' + cfg.fund_name + ' at Pitch').waitFor();
  await g.waitCell(grid, rHalcyon, cPipe, 'Pitch $1.5M', 8000);
  await column(board, 'Pitch').locator('.pl-card', { hasText: 'Halcyon Family Office' }).waitFor({ timeout: 8000 });
  await shot(grid, '03-grid');
  step('the member put Halcyon on the board from the grid\u2019s row menu; it appeared in Pitch on the admin\u2019s board');

  // 4b. Committed typed in the grid offers the commitment too.
  await g.selectCell(grid, rNorthwind, cPipe);
  await grid.keyboard.type('committed');
  await grid.keyboard.press('Enter');
  await grid.getByRole('button', { name: 'Write $1M into ' + cfg.fund_name }).click();
  await g.waitCell(grid, rNorthwind, cFund, '$1,000,000', 8000);
  await column(board, 'Committed').locator('.pl-card', { hasText: 'Northwind Endowment' }).locator('.pl-tag.is-committed').waitFor({ timeout: 8000 });
  step('the member typed Committed for Northwind in the grid and took the offer: $1,000,000 in the fund cell, the card shows it');

  // 5. A card's own probability.
  await card(board, 'Halcyon Family Office').click();
  const edit = board.getByRole('dialog');
  await edit.getByLabel('Probability').fill('35');
  await edit.getByText('Weighted value').waitFor();
  expect((await edit.locator('.pl-weighted-line strong').innerText()) === '$525K', 'weighted value in the dialog');
  await edit.getByRole('button', { name: 'Save' }).click();
  await card(board, 'Halcyon Family Office').locator('.pl-prob', { hasText: '35%' }).waitFor();
  const halcyon = (await g.rowValues(api, cfg.investors['Halcyon Family Office']))[cfg.column_id];
  expect(halcyon.probability === 0.35, 'the server has probability ' + halcyon.probability);
  const pitchSum = await column(board, 'Pitch').locator('.pl-weighted').innerText();
  expect(pitchSum.startsWith('$525K'), 'Pitch weighted total reads ' + pitchSum);
  await shot(board, '04-board-after');
  step('probability 35% on Halcyon: its card, the column\u2019s weighted total ($525K) and the server agree');

  // 6. On the board: Add investor, found by typing part of the name.
  await board.getByRole('button', { name: 'Add investor' }).click();
  const addBoard = board.getByRole('dialog');
  await addBoard.getByLabel('Investor').fill('junip');
  await addBoard.getByRole('option').getByText('Juniper Ventures').click();
  await addBoard.getByLabel('Stage').selectOption('Diligence');
  await addBoard.getByRole('button', { name: 'Add to board' }).click();
  await column(board, 'Diligence').locator('.pl-card', { hasText: 'Juniper Ventures' }).waitFor();
  await g.waitCell(grid, rows.indexOf(cfg.investors['Juniper Ventures']), cPipe, 'Diligence', 8000);
  step('Add investor on the board: typed “junip”, picked Juniper Ventures, Diligence; the member’s grid shows it');

  await g.atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.admin.username + ' (' + label + ')');
    await harness.signIn(p, base, cfg.admin.username, cfg.password, '/pipeline?fund=' + cfg.fund_id);
    await card(p, 'Acme Capital').waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'pipeline-' + label + '.png') });
    if (label === 'phone') {
      await g.phoneOverflow(p, 'the pipeline board');
      await card(p, 'Halcyon Family Office').click();   // on a phone a card moves from its dialog
      await p.getByRole('dialog').getByLabel('Stage').selectOption('Diligence');
      await p.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
      await column(p, 'Diligence').locator('.pl-card', { hasText: 'Halcyon Family Office' }).waitFor();
      await p.screenshot({ path: path.join(outDir, 'pipeline-phone-moved.png') });
    }
  });
  step('tablet and phone screenshots; on the phone a card moves from its dialog and nothing scrolls sideways');
});
