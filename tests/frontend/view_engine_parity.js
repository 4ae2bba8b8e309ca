#!/usr/bin/env node
/*
 * The browser's view engine (frontend/app/shared/view_engine.jsx) on a table of cases, so it
 * cannot drift from backend/grid/view_engine.py: tests/test_view_engine.py writes the cases
 * (canonical filters as the server stores them, the columns as the server serves them, a fixed
 * today) and compares every answer with the server's.
 *
 *   node tests/frontend/view_engine_parity.js cases.json   -> prints a JSON array of booleans
 *
 * The engine and the files it needs are compiled with the vendored Babel and run in a plain
 * context (app_source.js): the same source the page assembles, without a browser.
 */
'use strict';

const fs = require('fs');
const { load } = require('./app_source');

// What the engine reads from the rest of the app (helpers, dates, number input, filter-group shapes).
const { veCompileGroup } = load(['core/helpers.jsx', 'core/time.jsx', 'shared/cell_input.jsx', 'shared/filters.jsx',
  'shared/view_engine.jsx'], ['veCompileGroup']);

const { columns, today, cases } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const todayDay = Math.floor(Date.UTC(+today.slice(0, 4), +today.slice(5, 7) - 1, +today.slice(8, 10)) / 86400000);
const out = cases.map(({ group, column_id, cell, missing }) => {
  const test = veCompileGroup(group, columns, todayDay, 1) || (() => true);
  const value = cell && cell.$nan ? NaN : cell;  // JSON has no NaN: the table sends a marker
  return test(missing ? {} : { [column_id]: value });
});
process.stdout.write(JSON.stringify(out));
