#!/usr/bin/env node
/*
 * The browser's reading of typed cell input (frontend/app/shared/cell_input.jsx) on a table of
 * cases, so it cannot drift from backend/grid/column_types.py: tests/test_column_types.py writes
 * the cases and compares every answer with the server's.
 *
 *   TZ=UTC node tests/frontend/cell_input_parity.js cases.json   -> a JSON array of answers
 *
 * Cases: {"kind": "date", "text", "today": "YYYY-MM-DD"} -> "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS"
 * (a day and a UTC time) or null; {"kind": "number", "text", "percent"} -> a number, null for
 * blank, or "invalid".
 */
'use strict';

const fs = require('fs');
const { load } = require('./app_source');

const { parseDateText, parseNumberInput } = load(['core/helpers.jsx', 'shared/cell_input.jsx'],
  ['parseDateText', 'parseNumberInput']);
const pad = (n, w) => String(n).padStart(w || 2, '0');
const day = d => pad(d.y, 4) + '-' + pad(d.m) + '-' + pad(d.d);

const { cases } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = cases.map(c => {
  if (c.kind === 'number') {
    const v = parseNumberInput(c.text, c.percent);
    return v === undefined ? 'invalid' : v;
  }
  const [y, m, d] = c.today.split('-').map(Number);
  const p = parseDateText(c.text, { y, m, d });
  if (!p) return null;
  if (p.instant) return p.instant.toISOString().slice(0, 19);
  if (p.clock) return day(p.day) + 'T' + pad(p.clock.h) + ':' + pad(p.clock.mi) + ':' + pad(p.clock.s);
  return day(p.day);
});
process.stdout.write(JSON.stringify(out));
