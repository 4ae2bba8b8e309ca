/* ---------- cells ---------- */
function ChoiceTag({ col, name }) {
  const c = choiceColor(col, name);
  return <span className={cx('cv-pill', 'cc-' + (c || 'gray'))}>{choiceLabel(col, name)}</span>;
}

function renderCellContent(col, v, rowLines) {
  const t = col.type;
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) {
    return t === 'checkbox' ? <span className="cv-check" data-toggle="1" /> : null;
  }
  if (isErrorValue(v)) return <span className="cv-err" title={v.message || v.error}>{v.error}</span>;
  switch (t) {
    case 'checkbox': return <span className={cx('cv-check', v && 'is-on')} data-toggle="1">{v ? <Icon name="check" /> : null}</span>;
    case 'single_select': case 'relationship_strength': return <ChoiceTag col={col} name={v} />;
    case 'pipeline': {
      // An opportunity: its stage, and what it is expected to bring (weighted on the board).
      const amount = typeof v.expected_amount === 'number' ? fmtMoneyShort(v.expected_amount) : '';
      return <span className="cv-opp" title={[v.stage, amount && 'expected ' + amount, v.close_date && 'closes ' + fmtDay(v.close_date)].filter(Boolean).join(' · ')}>
        <ChoiceTag col={col} name={v.stage} />{amount && <>{' '}<span className="cv-opp-amt">{amount}</span></>}</span>;
    }
    case 'multi_select': return <span className="cv-pills">{(Array.isArray(v) ? v : [v]).map(x => <ChoiceTag key={x} col={col} name={x} />)}</span>;
    case 'contacts': {
      const people = Array.isArray(v) ? v : [];
      return (
        <span className="cv-people">
          {people.slice(0, 2).map((p, i) => <span className="cv-person" key={p.id || i} title={[p.name, p.title, p.email].filter(Boolean).join(' · ')}><Avatar name={p.name || p.email} /><span>{p.name || p.email}</span></span>)}
          {people.length > 2 && <span className="cv-more">+{people.length - 2}</span>}
        </span>
      );
    }
    case 'url': return <a className="ct" href={/^https?:\/\//i.test(v) ? v : 'https://' + v} target="_blank" rel="noopener noreferrer" tabIndex={-1}>{String(v).replace(/^https?:\/\//i, '').replace(/\/$/, '')}</a>;
    case 'email': return <a className="ct" href={'mailto:' + v} tabIndex={-1}>{v}</a>;
    case 'phone': return <a className="ct" href={'tel:' + String(v).replace(/[^0-9+]/g, '')} tabIndex={-1}>{v}</a>;
    case 'last_modified_by': case 'knows_best': return <span className="cv-user"><Avatar name={v} /><span className="ct">{v}</span></span>;
    case 'long_text': {
      // Notes show as many lines as the row height allows; what does not fit is counted, and the
      // whole text is a hover away (and in the expanded investor).
      const text = String(v), lines = text.split('\n').filter((l, i, a) => l.trim() || i < a.length - 1);
      const shown = rowLines || 1, hidden = lines.length - shown;
      return (
        <span className="cv-long" title={text.length > 1500 ? text.slice(0, 1500) + '…' : text}>
          <span className="ct">{shown > 1 ? lines.slice(0, shown).join('\n') : lines[0]}</span>
          {hidden > 0 && <span className="cv-more-lines" aria-label={hidden + ' more ' + (hidden === 1 ? 'line' : 'lines')}>+{hidden}</span>}
        </span>
      );
    }
    case 'formula':
      if (typeof v === 'boolean') return <span className={cx('cv-check', v && 'is-on')}>{v ? <Icon name="check" /> : null}</span>;
      if (Array.isArray(v)) return <span className="cv-pills">{v.map((x, i) => <span key={i} className="cv-pill cc-gray">{typeof x === 'object' ? (x.name || x.email) : String(x)}</span>)}</span>;
      return <span className="ct">{cellText(col, v)}</span>;
    default: return <span className="ct">{cellText(col, v)}</span>;
  }
}

function rangeShadow(ci, rc0, rc1, rtop, rbot) {
  const s = [];
  if (ci === rc0) s.push('inset 2px 0 0 var(--accent)');
  if (ci === rc1) s.push('inset -2px 0 0 var(--accent)');
  if (rtop) s.push('inset 0 2px 0 var(--accent)');
  if (rbot) s.push('inset 0 -2px 0 var(--accent)');
  return s.length ? s.join(', ') : undefined;
}

// One investor row, in two halves: the frozen half (row number and frozen columns) lives in the one
// sticky frozen pane, the rest in the scrolling pane (one sticky layer for all rows, not one per
// row). Memoised: scrolling re-renders only rows entering the window; moving the selection
// re-renders the one or two rows whose selection props change.
const GridRow = React.memo(function GridRow({ part, row, index, L, c0, c1, active, rc0, rc1, rtop, rbot, peers, flash, cur }) {
  const cell = ci => {
    const col = L.cols[ci];
    const v = row.values[col.id];
    const isActive = active === ci;
    const inRange = rc0 !== -1 && ci >= rc0 && ci <= rc1;
    const peer = peers && peers[col.id];
    const style = { left: L.left[ci], width: L.width[ci] };
    if (inRange && !isActive) style.boxShadow = rangeShadow(ci, rc0, rc1, rtop, rbot);
    return (
      <div key={col.id} data-c={ci} style={style} className={cx('gv-cell', L.numeric[ci] && 'num', col.type === 'checkbox' && 'center',
        col.primary && 'is-primary', !L.editable[ci] && 'is-ro', isActive && 'is-active', inRange && !isActive && 'in-range',
        flash && flash[col.id] && 'is-flash', isErrorValue(v) && 'is-error-cell')}>
        {renderCellContent(col, v, L.lines)}
        {peer && <><span className="gv-peer" style={{ '--pc': peer.color }} /><span className="gv-peer-tag" style={{ '--pc': peer.color }}>{peer.name}</span></>}
      </div>
    );
  };
  const cells = [];
  const style = { transform: 'translateY(' + index * L.rowH + 'px)', width: part === 'frozen' ? L.frozenW : L.total };
  const cls = cx('gv-row', cur && 'is-cur', row.archived_at && 'is-archived');
  if (part === 'frozen') {
    for (let ci = 0; ci < L.frozen; ci++) cells.push(cell(ci));
    const peerDot = peers && peers.__row;
    return (
      <div className={cls} data-r={index} style={style}>
        <div className="gv-num" style={{ width: L.gutter }}>
          {peerDot && <span className="gv-peer-dot" style={{ '--pc': peerDot }} />}
          <span className="rn">{index + 1}</span>
          <button type="button" className="gv-expand" data-expand="1" tabIndex={-1} aria-label="Expand investor" title="Expand (Space)"><Icon name="maximize" /></button>
        </div>
        {cells}
      </div>
    );
  }
  for (let ci = Math.max(c0, L.frozen); ci <= c1 && ci < L.cols.length; ci++) cells.push(cell(ci));
  return <div className={cls} data-r={index} style={style}>{cells}</div>;
});

const AddRowLine = React.memo(function AddRowLine({ index, L, cur }) {
  return (
    <div className={cx('gv-row', cur && 'is-cur')} data-r={index} style={{ transform: 'translateY(' + index * L.rowH + 'px)', width: Math.max(L.frozenW, 240) }}>
      <div className="gv-addrow" data-addrow="1" style={{ width: Math.max(L.frozenW, 240) }}><Icon name="plus" />Add investor</div>
    </div>
  );
});

/* ---------- header ---------- */
function HeaderCell({ col, ci, L, sortDir, filtered, selected, dragging, onPointerDown, onMenu }) {
  const m = typeMeta(col);
  return (
    <div className={cx('gv-hcell', L.numeric[ci] && 'num', selected && 'is-sel', dragging && 'is-dragging')} style={{ left: L.left[ci], width: L.width[ci] }}
      data-hc={ci} onPointerDown={onPointerDown} title={col.name + ' · ' + m.label + (col.type === 'formula' && col.options && col.options.formula ? '\n= ' + col.options.formula : '')}
      role="columnheader" aria-sort={sortDir === 'asc' ? 'ascending' : sortDir === 'desc' ? 'descending' : undefined}>
      <Icon name={m.icon} />
      <span className="hn">{col.name}</span>
      {filtered && <span className="h-filter" title="Filtered by this field" />}
      {sortDir && <span className="h-sort" title={sortDir === 'asc' ? 'Sorted ascending' : 'Sorted descending'}><Icon name={sortDir === 'asc' ? 'arrow-up' : 'arrow-down'} /></span>}
      <button type="button" className="h-menu" data-hmenu="1" tabIndex={-1} aria-label={'Field menu for ' + col.name} onClick={e => onMenu(ci, e.currentTarget)}><Icon name="chevron-down" /></button>
      <span className="gv-resize" data-resize="1" />
    </div>
  );
}

/* ---------- the canvas: one scroller, one spacer, sticky header/footer/frozen columns ---------- */
function GridCanvas({ apiRef, L, rows, sel, peersByRow, flashByRow, sortByCol, filterCols, sums, totalCount, archivedShown,
  onCellDown, onCellDrag, onCellDouble, onToggle, onExpand, onAddRow, onRowSelect, onRowMenu, onHeaderClick, onHeaderMenu, onResize, onMove, onAddColumn,
  onKeyDown, onCopy, onCut, onPaste }) {
  const scrollRef = useRef(null);
  const n = rows.length;
  const [win, setWin] = useState({ r0: 0, r1: 40, c0: L.frozen, c1: L.frozen + 14 });
  const [scrolledX, setScrolledX] = useState(false);
  const [drag, setDrag] = useState(null);      // column drag: {ci, x, target}
  const [resize, setResize] = useState(null);  // {ci, w}
  const geo = useLatest({ L, n });
  const raf = useRef(0);

  const measure = useCallback(() => {
    raf.current = 0;
    const el = scrollRef.current;
    if (!el) return;
    const { L, n } = geo.current;
    const st = el.scrollTop, sl = el.scrollLeft, ch = el.clientHeight || 800, cw = el.clientWidth || 1200;
    const first = Math.max(0, Math.floor(st / L.rowH) - 1);
    const last = Math.min(n, Math.ceil((st + ch) / L.rowH));
    const x0 = sl + L.frozenW, x1 = sl + cw;
    let cf = L.cols.length, cl = L.frozen - 1;
    let lo = L.frozen, hi = L.cols.length - 1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (L.left[mid] + L.width[mid] > x0) { cf = mid; hi = mid - 1; } else lo = mid + 1; }
    for (let i = cf; i < L.cols.length && L.left[i] < x1; i++) cl = i;
    setWin(w => {
      let { r0, r1, c0, c1 } = w;
      // Re-window on every few rows of movement: a steady trickle of rows entering is cheaper per
      // frame than a big batch every other frame.
      const want0 = Math.max(0, first - GRID_OVERSCAN), want1 = Math.min(n, last + GRID_OVERSCAN);
      if (Math.abs(want0 - r0) >= 3 || Math.abs(want1 - r1) >= 3 || first < r0 || last > r1 || r1 > n) { r0 = want0; r1 = want1; }
      if (cf < c0 || cl > c1 || c1 >= L.cols.length || c0 < L.frozen || c1 - c0 > (cl - cf) + 4 * GRID_COL_OVERSCAN + 6) {
        c0 = Math.max(L.frozen, cf - GRID_COL_OVERSCAN);
        c1 = Math.min(L.cols.length - 1, cl + GRID_COL_OVERSCAN);
      }
      return r0 === w.r0 && r1 === w.r1 && c0 === w.c0 && c1 === w.c1 ? w : { r0, r1, c0, c1 };
    });
    setScrolledX(sl > 2);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const onScroll = useCallback(() => { if (!raf.current) raf.current = requestAnimationFrame(measure); }, [measure]);
  useLayoutEffect(() => { measure(); }, [L, n, measure]);
  useEffect(() => {
    const el = scrollRef.current;
    const ro = window.ResizeObserver ? new ResizeObserver(() => measure()) : null;
    if (ro && el) ro.observe(el);
    window.addEventListener('resize', measure);
    return () => { if (ro) ro.disconnect(); window.removeEventListener('resize', measure); if (raf.current) cancelAnimationFrame(raf.current); };
  }, [measure]);

  // For the workspace: scroll a cell into view, and where a cell is on screen (editors).
  apiRef.current = {
    el: () => scrollRef.current,
    focus: () => { const el = scrollRef.current; if (el && document.activeElement !== el) el.focus({ preventScroll: true }); },
    scrollToCell(r, c) {
      const el = scrollRef.current, { L } = geo.current;
      if (!el) return;
      const top = r * L.rowH, bottom = top + L.rowH;
      const viewTop = el.scrollTop, viewBottom = el.scrollTop + el.clientHeight - GRID_HEAD_H - GRID_FOOT_H;
      if (top < viewTop) el.scrollTop = top;
      else if (bottom > viewBottom) el.scrollTop = bottom - (el.clientHeight - GRID_HEAD_H - GRID_FOOT_H);
      if (c >= L.frozen && c < L.cols.length) {
        const left = L.left[c] - L.frozenW, right = L.left[c] + L.width[c];
        if (left < el.scrollLeft) el.scrollLeft = left;
        else if (right > el.scrollLeft + el.clientWidth) el.scrollLeft = right - el.clientWidth;
      }
    },
    cellRect(r, c) {
      const el = scrollRef.current, { L } = geo.current;
      if (!el || c < 0 || c >= L.cols.length) return null;
      const b = el.getBoundingClientRect();
      const x = b.left + L.left[c] - (c < L.frozen ? 0 : el.scrollLeft);
      const y = b.top + GRID_HEAD_H + r * L.rowH - el.scrollTop;
      return { left: x, top: y, width: L.width[c], height: L.rowH, bottom: y + L.rowH, right: x + L.width[c] };
    },
  };

  /* pointer: select, drag a range, tap and double-tap on touch */
  const touch = useRef(null);
  const lastTap = useRef(null);
  const hit = (target) => {
    const rowEl = target && target.closest ? target.closest('[data-r]') : null;
    if (!rowEl || !scrollRef.current.contains(rowEl)) return null;
    const cellEl = target.closest('[data-c]');
    return { r: +rowEl.getAttribute('data-r'), c: cellEl ? +cellEl.getAttribute('data-c') : -1, expand: !!target.closest('[data-expand]'),
      add: !!target.closest('[data-addrow]'), toggle: !!target.closest('[data-toggle]') };
  };
  const onBodyPointerDown = e => {
    const h = hit(e.target);
    if (!h) return;
    if (e.pointerType === 'touch') { touch.current = { ...h, x: e.clientX, y: e.clientY, t: Date.now() }; return; }
    if (e.button !== 0) return;
    if (h.expand) { e.preventDefault(); onExpand(h.r); return; }
    if (h.add) { e.preventDefault(); onAddRow(); return; }
    if (h.c < 0) { if (h.r < geo.current.n) onRowSelect(h.r, e.shiftKey); return; }
    onCellDown(h.r, h.c, e.shiftKey);
    if (h.toggle) { onToggle(h.r, h.c); return; }
    if (e.shiftKey) return;
    const move = ev => {
      const under = document.elementFromPoint(ev.clientX, ev.clientY);
      const h2 = under && hit(under);
      if (h2 && h2.c >= 0 && h2.r < geo.current.n) onCellDrag(h2.r, h2.c);
    };
    const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  // Right-click (or a long press, which browsers send as contextmenu): the row's menu.
  const onBodyContextMenu = e => {
    const h = hit(e.target);
    if (!h || h.add || h.r >= geo.current.n || !onRowMenu) return;
    e.preventDefault();
    onRowMenu(h.r, Math.max(0, h.c), e.clientX, e.clientY);
  };
  const onBodyPointerUp = e => {
    const t = touch.current;
    touch.current = null;
    if (!t || e.pointerType !== 'touch') return;
    if (Math.abs(e.clientX - t.x) > 10 || Math.abs(e.clientY - t.y) > 10 || Date.now() - t.t > 600) return;
    if (t.expand) { onExpand(t.r); return; }
    if (t.add) { onAddRow(); return; }
    if (t.c < 0) return;
    const prev = lastTap.current;
    const now = Date.now();
    lastTap.current = { r: t.r, c: t.c, at: now };
    if (prev && prev.r === t.r && prev.c === t.c && now - prev.at < 400) { lastTap.current = null; onCellDouble(t.r, t.c); return; }
    onCellDown(t.r, t.c, false);
    if (t.toggle) onToggle(t.r, t.c);
  };
  // Row hover across both halves of a row, without re-rendering anything.
  const hoverRow = useRef(null);
  const setHover = r => {
    const el = scrollRef.current;
    if (!el || hoverRow.current === r) return;
    if (hoverRow.current !== null) el.querySelectorAll('.gv-body [data-r="' + hoverRow.current + '"]').forEach(x => x.removeAttribute('data-hover'));
    hoverRow.current = r;
    if (r !== null) el.querySelectorAll('.gv-body [data-r="' + r + '"]').forEach(x => x.setAttribute('data-hover', ''));
  };
  const onBodyHover = e => {
    if (e.pointerType === 'touch') return;
    const rowEl = e.target.closest && e.target.closest('[data-r]');
    setHover(rowEl ? rowEl.getAttribute('data-r') : null);
  };
  const onBodyLeave = () => setHover(null);
  const onBodyDoubleClick = e => {
    const h = hit(e.target);
    if (h && h.c >= 0 && h.r < n && !h.toggle) onCellDouble(h.r, h.c);
  };

  /* header: click selects the column, drag moves it, the right edge resizes it */
  const onHeaderPointerDown = ci => e => {
    if (e.button !== 0 && e.pointerType !== 'touch') return;
    if (e.target.closest('[data-hmenu]')) return;
    const el = scrollRef.current;
    if (e.target.closest('[data-resize]')) {
      e.preventDefault(); e.stopPropagation();
      const startX = e.clientX, startW = L.width[ci];
      let w = startW;
      setResize({ ci, w });
      const move = ev => { w = Math.max(GRID_MIN_COL_W, Math.min(1200, Math.round(startW + ev.clientX - startX))); setResize({ ci, w }); onResize(L.cols[ci], w, false); };
      const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); setResize(null); if (w !== startW) onResize(L.cols[ci], w, true); };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
      return;
    }
    const startX = e.clientX, shift = e.shiftKey;
    const col = L.cols[ci];
    let moved = false;
    const target = x => {
      const b = el.getBoundingClientRect();
      for (let i = 0; i < L.cols.length; i++) {
        const left = b.left + L.left[i] - (i < L.frozen ? 0 : el.scrollLeft);
        if (x < left + L.width[i] / 2) return Math.max(1, i);
      }
      return L.cols.length;
    };
    const move = ev => {
      if (col.primary || e.pointerType === 'touch') return;
      if (!moved && Math.abs(ev.clientX - startX) < 5) return;
      moved = true;
      const b = el.getBoundingClientRect();
      setDrag({ ci, x: ev.clientX - b.left + el.scrollLeft, target: target(ev.clientX) });
    };
    const up = ev => {
      window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up);
      if (moved) {
        const t = target(ev.clientX);
        setDrag(null);
        if (t !== ci && t !== ci + 1) onMove(col, t);
      } else onHeaderClick(ci, shift);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  const headerCells = [];
  const sel0 = sel.colRange;
  const pushHeader = ci => headerCells.push(
    <HeaderCell key={L.cols[ci].id} col={L.cols[ci]} ci={ci} L={L} sortDir={sortByCol[L.cols[ci].id]} filtered={filterCols.has(L.cols[ci].id)}
      selected={sel0 && ci >= sel0[0] && ci <= sel0[1]} dragging={drag && drag.ci === ci} onPointerDown={onHeaderPointerDown(ci)} onMenu={onHeaderMenu} />);
  const frozenHeaders = [];
  for (let ci = 0; ci < L.frozen; ci++) { pushHeader(ci); frozenHeaders.push(headerCells.pop()); }
  for (let ci = Math.max(win.c0, L.frozen); ci <= win.c1 && ci < L.cols.length; ci++) pushHeader(ci);

  const frozenRows = [], scrollRows = [];
  const r1 = Math.min(win.r1, n);
  for (let i = win.r0; i <= r1; i++) {
    if (i === n) { frozenRows.push(<AddRowLine key={ADD_ROW_ID} index={n} L={L} cur={sel.ar === n} />); continue; }
    const row = rows[i];
    if (!row) continue;
    const inRange = sel.multi && i >= sel.r0 && i <= sel.r1;
    const props = { row, index: i, L, active: i === sel.ar ? sel.ac : -1, rc0: inRange ? sel.c0 : -1, rc1: inRange ? sel.c1 : -1,
      rtop: inRange && i === sel.r0, rbot: inRange && i === sel.r1, cur: i === sel.ar, peers: peersByRow[row.id], flash: flashByRow[row.id] };
    frozenRows.push(<GridRow key={row.id} part="frozen" c0={0} c1={0} {...props} />);
    scrollRows.push(<GridRow key={row.id} part="scroll" c0={win.c0} c1={win.c1} {...props} />);
  }

  const footCells = [];
  const pushFoot = (ci, into) => {
    const col = L.cols[ci];
    const s = sums[col.id];
    if (s === undefined || ci === 0) return;
    const target = col.type === 'fund' && col.options && col.options.target;
    if (col.type === 'pipeline') {
      into.push(
        <div key={col.id} className="gv-fcell" style={{ left: L.left[ci], width: L.width[ci] }} title={col.name + ': weighted value of the cards shown (expected amount × probability)'}>
          <span className="fl">Weighted</span>{fmtMoneyShort(s) || '$0'}
        </div>);
      return;
    }
    into.push(
      <div key={col.id} className="gv-fcell" style={{ left: L.left[ci], width: L.width[ci] }}
        title={col.name + ': ' + fmtNumberFor(moneyColumn(col, s), s) + (target ? ' of ' + fmtNumberFor(col, target) + ' target (' + Math.round((s / target) * 100) + '%)' : '')}>
        <span className="fl">Sum</span>{fmtNumberFor(moneyColumn(col, s), s)}
      </div>);
  };
  const frozenFoot = [];
  for (let ci = 0; ci < L.frozen; ci++) pushFoot(ci, frozenFoot);
  for (let ci = Math.max(win.c0, L.frozen); ci <= win.c1 && ci < L.cols.length; ci++) pushFoot(ci, footCells);
  const countW = L.frozen > 0 ? L.left[0] + L.width[0] : Math.max(L.gutter + 160, 220);
  const totalH = (n + 1) * L.rowH;

  return (
    <div ref={scrollRef} className={cx('gv-scroll', scrolledX && 'is-scrolled-x', 'rh-' + L.rowHeight)} style={{ '--rh': L.rowH + 'px' }} tabIndex={0} role="grid" aria-label="Investors"
      aria-rowcount={n} aria-colcount={L.cols.length} onScroll={onScroll} onKeyDown={onKeyDown} onCopy={onCopy} onCut={onCut} onPaste={onPaste}
      data-rows={n}>
      <div className="gv-canvas" style={{ width: L.total }}>
        <div className="gv-head" style={{ width: L.total }}>
          <div className="gv-frozen" style={{ width: L.frozenW }}>
            <div className="gv-hnum" style={{ width: L.gutter }}>#</div>
            {frozenHeaders}
            {L.frozen > 0 && <span className="gv-frozen-edge" />}
          </div>
          {headerCells}
          <button type="button" className="gv-addcol" style={{ left: L.total - GRID_ADDCOL_W }} onClick={onAddColumn} aria-label="Add field" title="Add field"><Icon name="plus" /></button>
          {drag && <div className="gv-ghost" style={{ left: drag.x - 40, width: Math.min(L.width[drag.ci], 220) }}>{L.cols[drag.ci].name}</div>}
          {drag && <div className="gv-drop" style={{ left: drag.target >= L.cols.length ? L.total - GRID_ADDCOL_W : L.left[drag.target], height: GRID_HEAD_H + Math.min(totalH, 2000) }} />}
          {resize && <div className="gv-drop" style={{ left: L.left[resize.ci] + resize.w, height: GRID_HEAD_H + Math.min(totalH, 2000) }} />}
        </div>
        <div className="gv-body" style={{ minHeight: totalH, width: L.total }} onPointerDown={onBodyPointerDown} onPointerUp={onBodyPointerUp} onDoubleClick={onBodyDoubleClick} onContextMenu={onBodyContextMenu}
          onPointerOver={onBodyHover} onPointerLeave={onBodyLeave}>
          <div className="gv-fpane" style={{ width: L.frozenW, height: totalH }}>{frozenRows}</div>
          <div className="gv-spane">{scrollRows}</div>
        </div>
        <div className="gv-foot" style={{ width: L.total }}>
          <div className="gv-frozen" style={{ width: L.frozenW }}>
            {frozenFoot}
            <div className="gv-fcount" style={{ width: countW }}>
              <span><b>{n.toLocaleString()}</b> {n === 1 ? 'investor' : 'investors'}{totalCount !== n ? ' of ' + totalCount.toLocaleString() : ''}{archivedShown ? ' · archived shown' : ''}</span>
            </div>
          </div>
          {footCells}
        </div>
      </div>
    </div>
  );
}
