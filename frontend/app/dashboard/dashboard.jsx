/* ========================================================================
   Dashboard: where the raise stands (GET /api/dashboard). Charts are small SVG components drawn
   here; every bar, slice and row opens the grid filtered to exactly what it counts
   (#/grid?filter=<JSON group>&title=...), and every figure has its CSV.
   ======================================================================== */
const DASH_COLORS = { blue: '#4f6bed', cyan: '#0ea5c6', teal: '#14b8a6', green: '#22a06b', yellow: '#e8b021', orange: '#f08c38',
  red: '#e5484d', pink: '#e45c9c', purple: '#8e6cef', gray: '#9aa4b2' };
const DASH_LIST_COLORS = { main: '#4f6bed', follow_up: '#e8b021', graveyard: '#9aa4b2', longshot: '#8e6cef' };
const DASH_STAGE_COLORS = { Intro: '#9aa4b2', Pitch: '#4f6bed', Diligence: '#8e6cef', 'Soft Circle': '#e8b021', Committed: '#14b8a6', Closed: '#22a06b', Passed: '#e5484d' };
const DASH_KIND_COLORS = { emails: '#4f6bed', notes: '#14b8a6', edits: '#e8b021' };
const DASH_MEMBER_COLORS = ['#4f46e5', '#0ea5c6', '#f08c38', '#22a06b', '#e45c9c', '#8e6cef', '#e8b021', '#64748b'];
const DASH_KIND_LABELS = { emails: 'Emails', notes: 'Notes', edits: 'Edits' };

function dashGridLink(filter, title) {
  return '#/grid?filter=' + encodeURIComponent(JSON.stringify(filter)) + '&title=' + encodeURIComponent(title);
}
function dashMoney(n, symbol) { return fmtMoneyShort(typeof n === 'number' ? n : 0, symbol || '$'); }
function dashWeekLabel(iso) {
  const d = new Date(iso + 'T00:00:00Z');
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

// The width a chart has to draw in (it follows the card as the window changes).
function useDashWidth(fallback = 520) {
  const ref = useRef(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const measure = () => setWidth(Math.max(240, Math.floor(el.getBoundingClientRect().width)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

// Hover/focus tooltips with the exact figures, positioned inside the chart's box.
function useDashTip() {
  const [tip, setTip] = useState(null);
  const box = useRef(null);
  const show = (e, lines) => {
    const rect = box.current ? box.current.getBoundingClientRect() : { left: 0, top: 0, width: 400 };
    let x, y;
    if (e && e.clientX !== undefined && e.type !== 'focus') { x = e.clientX - rect.left; y = e.clientY - rect.top; }
    else { const r = e.currentTarget.getBoundingClientRect(); x = r.left - rect.left + r.width / 2; y = r.top - rect.top; }
    setTip({ x: Math.min(Math.max(x, 90), rect.width - 90), y, lines });
  };
  const node = tip ? (
    <div className="dash-tip" role="status" style={{ left: tip.x, top: tip.y }}>
      {tip.lines.map((l, i) => <div key={i} className={i === 0 ? 'dt-title' : 'dt-line'}>{l}</div>)}
    </div>
  ) : null;
  return { box, show, hide: () => setTip(null), node };
}

// One clickable, focusable mark of a chart: Enter or Space opens what it counts.
function dashMarkProps(label, onOpen, tip, lines) {
  return {
    role: 'link', tabIndex: 0, 'aria-label': label, className: 'dash-mark',
    onClick: onOpen,
    onKeyDown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(); } },
    onMouseMove: e => tip.show(e, lines), onMouseLeave: tip.hide, onFocus: e => tip.show(e, lines), onBlur: tip.hide,
  };
}

function DashCard({ title, caption, figure, fund, className, children, aside }) {
  const toast = useToast();
  const download = async () => {
    try { await downloadFile('/api/dashboard/figures/' + figure + '.csv' + (fund ? '?fund=' + encodeURIComponent(fund) : ''), 'dashboard-' + figure + '.csv'); }
    catch (err) { toast('Couldn’t export: ' + err.message, 'error'); }
  };
  return (
    <section className={cx('card dash-card', className)} aria-label={title} data-figure={figure}>
      <div className="dash-card-head">
        <div className="dch-text"><h2>{title}</h2>{caption && <p>{caption}</p>}</div>
        <div className="dch-tools">{aside}<button type="button" className="tbtn dash-csv" onClick={download} title={'Download “' + title + '” as CSV'} aria-label={'Download ' + title + ' as CSV'}><Icon name="download" /><span>CSV</span></button></div>
      </div>
      <div className="dash-card-body">{children}</div>
    </section>
  );
}

function DashEmpty({ icon, title, children }) {
  return <div className="dash-empty"><StateIcon icon={icon} tone="indigo" /><div><b>{title}</b><p>{children}</p></div></div>;
}

function DashKpi({ label, value, sub, tone, icon, href }) {
  const body = (
    <>
      <div className="kpi-top"><span className={cx('kpi-icon', tone)}><Icon name={icon} /></span><span className="kpi-label">{label}</span></div>
      <div className="kpi-value" data-kpi={label}>{value}</div>
      <div className="kpi-sub">{sub}</div>
    </>
  );
  return href ? <a className="card dash-kpi is-link" href={href}>{body}</a> : <div className="card dash-kpi">{body}</div>;
}

/* ---- committed vs target per fund ---------------------------------------------------------- */
function DashFundsChart({ data }) {
  const [ref, width] = useDashWidth();
  const tip = useDashTip();
  const funds = data.funds;
  if (!funds.length) return <DashEmpty icon="grid" title="No funds yet">Add a fund column in the grid (Field → Fund) with its target: its commitments show here.</DashEmpty>;
  const listCol = data.list_column_id;
  const labelW = width < 480 ? 0 : 132, rowH = width < 480 ? 58 : 46, barH = 16;
  const barW = width - labelW - 8;
  const max = Math.max(1, ...funds.map(f => Math.max(f.target || 0, f.committed)));
  const height = funds.length * rowH + 8;
  return (
    <div className="dash-chart" ref={el => { ref.current = el; tip.box.current = el; }}>
      <svg width={width} height={height} role="img" aria-label={'Committed versus target per fund: ' + funds.map(f => f.name + ' ' + dashMoney(f.committed, f.symbol) + (f.target ? ' of ' + dashMoney(f.target, f.symbol) : '')).join('; ')}>
        {funds.map((f, i) => {
          const y = i * rowH + (labelW ? 14 : 28);
          const w = Math.max(f.committed > 0 ? 3 : 0, f.committed / max * barW);
          const tx = f.target ? labelW + f.target / max * barW : null;
          const filter = { op: 'and', conditions: [{ column_id: f.fund_id, operator: '>', value: 0 }, ...(listCol ? [{ column_id: listCol, operator: 'is_not', value: 'graveyard' }] : [])] };
          const open = () => navigate(dashGridLink(filter, 'Committed to ' + f.name));
          const lines = [f.name + (f.vintage ? ' (' + f.vintage + ')' : ''), 'Committed: ' + f.symbol + Math.round(f.committed).toLocaleString('en-US') + ' from ' + plural(f.investors, 'investor'),
            f.target ? 'Target: ' + f.symbol + Math.round(f.target).toLocaleString('en-US') + ' · ' + f.percent + '%' : 'No target set',
            ...(f.graveyard_investors ? ['Not counted: ' + dashMoney(f.graveyard_committed, f.symbol) + ' on the graveyard list'] : [])];
          return (
            <g key={f.fund_id} {...dashMarkProps(f.name + ': ' + dashMoney(f.committed, f.symbol) + ' committed by ' + plural(f.investors, 'investor') + (f.target ? ', ' + f.percent + '% of ' + dashMoney(f.target, f.symbol) : '') + '. Open these investors in the grid', open, tip, lines)} data-fund={f.fund_id}>
              {labelW ? <text x={0} y={y + 12} className="dash-label">{f.name}</text> : <text x={0} y={y - 8} className="dash-label">{f.name}</text>}
              <rect x={labelW} y={y} width={barW} height={barH} rx={4} className="dash-track" />
              <rect x={labelW} y={y} width={w} height={barH} rx={4} fill="#4f46e5" className="dash-fill" />
              {tx !== null && <line x1={tx} x2={tx} y1={y - 4} y2={y + barH + 4} className="dash-target" />}
              <text x={labelW} y={y + barH + 15} className="dash-note">{dashMoney(f.committed, f.symbol)}{f.target ? ' of ' + dashMoney(f.target, f.symbol) + ' · ' + f.percent + '%' : ' · no target'}</text>
              <rect x={0} y={y - (labelW ? 8 : 22)} width={width} height={rowH - 2} fill="transparent" />
            </g>
          );
        })}
      </svg>
      <div className="dash-legend"><span><i style={{ background: '#4f46e5' }} />Committed</span><span><i className="lg-target" />Target</span></div>
      {tip.node}
    </div>
  );
}

/* ---- pipeline by stage --------------------------------------------------------------------- */
function DashPipelineChart({ data }) {
  const [ref, width] = useDashWidth();
  const tip = useDashTip();
  const stages = data.pipeline_by_stage;
  if (!data.pipelines.length) return <DashEmpty icon="kanban" title="No pipeline yet">Opportunities added on the Pipeline board (or in a fund’s pipeline field) show here by stage, weighted by their probability.</DashEmpty>;
  if (!stages.some(s => s.count)) return <DashEmpty icon="kanban" title="No opportunities yet">Add an investor to a fund’s pipeline to see expected and weighted amounts by stage.</DashEmpty>;
  const labelW = width < 480 ? 78 : 96, rowH = 34, barH = 18;
  const barW = width - labelW - 70;
  const max = Math.max(1, ...stages.map(s => s.expected));
  const open = s => navigate(dashGridLink({ op: 'or', conditions: data.pipelines.map(p => ({ column_id: p.column_id, operator: 'is', value: s.stage })) },
    s.stage + ' opportunities' + (data.pipeline_fund ? ' · ' + data.pipelines[0].fund : '')));
  return (
    <div className="dash-chart" ref={el => { ref.current = el; tip.box.current = el; }}>
      <svg width={width} height={stages.length * rowH + 4} role="img" aria-label={'Pipeline by stage: ' + stages.map(s => s.stage + ' ' + s.count + ' opportunities, weighted ' + dashMoney(s.weighted)).join('; ')}>
        {stages.map((s, i) => {
          const y = i * rowH + 6;
          const we = s.expected / max * barW, ww = s.weighted / max * barW;
          const lines = [s.stage + (s.open ? '' : ' (not in the weighted pipeline)'), plural(s.count, 'opportunity', 'opportunities'), 'Expected: $' + Math.round(s.expected).toLocaleString('en-US'),
            'Weighted: $' + Math.round(s.weighted).toLocaleString('en-US') + ' (default ' + Math.round(s.probability * 100) + '%)'];
          return (
            <g key={s.stage} {...dashMarkProps(s.stage + ': ' + plural(s.count, 'opportunity', 'opportunities') + ', expected ' + dashMoney(s.expected) + ', weighted ' + dashMoney(s.weighted) + '. Open them in the grid', () => open(s), tip, lines)} data-stage={s.stage}>
              <text x={0} y={y + 13} className={cx('dash-label', !s.open && 'is-muted')}>{s.stage}</text>
              <rect x={labelW} y={y} width={barW} height={barH} rx={4} className="dash-track" />
              <rect x={labelW} y={y} width={Math.max(s.count ? 2 : 0, we)} height={barH} rx={4} fill={DASH_STAGE_COLORS[s.stage]} opacity={0.28} />
              <rect x={labelW} y={y} width={Math.max(s.count ? 2 : 0, ww)} height={barH} rx={4} fill={DASH_STAGE_COLORS[s.stage]} />
              <text x={labelW + barW + 8} y={y + 13} className="dash-num">{s.count ? dashMoney(s.weighted) : '—'}</text>
              <rect x={0} y={y - 6} width={width} height={rowH} fill="transparent" />
            </g>
          );
        })}
      </svg>
      <div className="dash-legend"><span><i style={{ background: '#4f46e5' }} />Weighted</span><span><i style={{ background: '#4f46e5', opacity: 0.28 }} />Expected</span></div>
      {tip.node}
    </div>
  );
}

/* ---- investors by list (donut) ------------------------------------------------------------- */
function DashListsChart({ data }) {
  const tip = useDashTip();
  const total = data.lists.reduce((a, l) => a + l.count, 0);
  if (!total) return <DashEmpty icon="users" title="No investors yet">Investors added to the grid show here by list.</DashEmpty>;
  const R = 64, r = 42, C = 80;
  let angle = -Math.PI / 2;
  const arcs = data.lists.filter(l => l.count).map(l => {
    const a0 = angle, a1 = angle + l.count / total * Math.PI * 2 - (data.lists.filter(x => x.count).length > 1 ? 0.012 : 0);
    angle += l.count / total * Math.PI * 2;
    const big = a1 - a0 > Math.PI ? 1 : 0;
    const pt = (rad, a) => [C + rad * Math.cos(a), C + rad * Math.sin(a)];
    const full = l.count === total;
    const d = full ? `M ${C} ${C - R} A ${R} ${R} 0 1 1 ${C - 0.01} ${C - R} L ${C - 0.01} ${C - r} A ${r} ${r} 0 1 0 ${C} ${C - r} Z`
      : `M ${pt(R, a0)} A ${R} ${R} 0 ${big} 1 ${pt(R, a1)} L ${pt(r, a1)} A ${r} ${r} 0 ${big} 0 ${pt(r, a0)} Z`;
    return { ...l, d };
  });
  const open = l => navigate(dashGridLink({ op: 'and', conditions: [{ column_id: data.list_column_id, operator: 'is', value: l.list }] }, l.label + ' list'));
  return (
    <div className="dash-chart dash-donut" ref={tip.box}>
      <svg width={160} height={160} viewBox="0 0 160 160" role="img" aria-label={'Investors by list: ' + data.lists.map(l => l.label + ' ' + l.count).join(', ')}>
        {arcs.map(l => (
          <path key={l.list} d={l.d} fill={DASH_LIST_COLORS[l.list]} data-list={l.list}
            {...dashMarkProps(l.label + ': ' + plural(l.count, 'investor') + '. Open them in the grid', () => open(l), tip, [l.label, plural(l.count, 'investor') + ' · ' + Math.round(l.count / total * 100) + '%'])} />
        ))}
        <text x={C} y={C - 2} textAnchor="middle" className="dash-donut-n">{total.toLocaleString()}</text>
        <text x={C} y={C + 15} textAnchor="middle" className="dash-note">investors</text>
      </svg>
      <ul className="dash-keys">
        {data.lists.map(l => (
          <li key={l.list}><button type="button" className="dash-key" onClick={() => open(l)} disabled={!l.count}>
            <i style={{ background: DASH_LIST_COLORS[l.list] }} /><span>{l.label}</span><b>{l.count.toLocaleString()}</b>
          </button></li>
        ))}
      </ul>
      {tip.node}
    </div>
  );
}

/* ---- investors by status, split by list ---------------------------------------------------- */
function DashStatusChart({ data }) {
  const [ref, width] = useDashWidth();
  const tip = useDashTip();
  const s = data.by_status;
  if (!s) return <DashEmpty icon="tags" title="No Status field">Add a single-select field named Status to the grid to see investors by status here.</DashEmpty>;
  if (!s.rows.length) return <DashEmpty icon="tags" title="No investors yet">Investors show here by their {s.name}.</DashEmpty>;
  const labelW = width < 480 ? 92 : 118, rowH = 28, barH = 16;
  const barW = width - labelW - 44;
  const max = Math.max(1, ...s.rows.map(r => r.count));
  const lists = data.lists.map(l => l.list);
  const labels = Object.fromEntries(data.lists.map(l => [l.list, l.label]));
  const statusCond = r => (r.empty ? { column_id: s.column_id, operator: 'is_empty' } : { column_id: s.column_id, operator: 'is', value: r.status });
  const open = (r, list) => navigate(dashGridLink({ op: 'and', conditions: [statusCond(r), ...(list ? [{ column_id: data.list_column_id, operator: 'is', value: list }] : [])] },
    s.name + ': ' + r.status + (list ? ' · ' + labels[list] : '')));
  return (
    <div className="dash-chart" ref={el => { ref.current = el; tip.box.current = el; }}>
      <svg width={width} height={s.rows.length * rowH + 4} role="img" aria-label={'Investors by ' + s.name + ': ' + s.rows.map(r => r.status + ' ' + r.count).join(', ')}>
        {s.rows.map((r, i) => {
          const y = i * rowH + 5;
          let x = labelW;
          return (
            <g key={r.status}>
              <text x={0} y={y + 12} className="dash-label dash-label-link" onClick={() => open(r)}>{r.status}</text>
              <rect x={labelW} y={y} width={barW} height={barH} rx={4} className="dash-track" />
              {lists.filter(l => r.by_list[l]).map(l => {
                const w = Math.max(2, r.by_list[l] / max * barW);
                const el = (
                  <rect key={l} x={x} y={y} width={w} height={barH} fill={DASH_LIST_COLORS[l]} data-status={r.status} data-list={l}
                    {...dashMarkProps(r.status + ', ' + labels[l] + ': ' + plural(r.by_list[l], 'investor') + '. Open them in the grid', () => open(r, l), tip,
                      [r.status + ' · ' + labels[l], plural(r.by_list[l], 'investor'), 'All lists: ' + r.count])} />
                );
                x += w;
                return el;
              })}
              <text x={labelW + barW + 8} y={y + 12} className="dash-num">{r.count.toLocaleString()}</text>
            </g>
          );
        })}
      </svg>
      <div className="dash-legend">{data.lists.map(l => <span key={l.list}><i style={{ background: DASH_LIST_COLORS[l.list] }} />{l.label}</span>)}</div>
      {tip.node}
    </div>
  );
}

/* ---- activity by week and member ----------------------------------------------------------- */
function DashActivityChart({ data }) {
  const [ref, width] = useDashWidth();
  const tip = useDashTip();
  const [kind, setKind] = useState('all');
  const [hidden, setHidden] = useState(() => new Set());
  const a = data.activity_by_week;
  const members = a.members.slice(0, 8);
  const color = Object.fromEntries(members.map((m, i) => [m.key, DASH_MEMBER_COLORS[i % DASH_MEMBER_COLORS.length]]));
  const count = (w, k) => (kind === 'all' ? w.emails + w.notes + w.edits : w[k]);
  const shown = members.filter(m => !hidden.has(m.key));
  const totals = a.weeks.map((_, i) => shown.reduce((n, m) => n + count(m.weeks[i], kind), 0));
  const max = Math.max(1, ...totals);
  const H = 170, left = 34, bottom = 22, top = 8;
  const colW = (width - left) / a.weeks.length, barW = Math.max(6, Math.min(34, colW * 0.62));
  const ticks = [0, Math.round(max / 2), max];
  const kinds = (
    <div className="seg" role="group" aria-label="Which activity">
      {['all', 'emails', 'notes', 'edits'].map(k => <button key={k} type="button" className={cx('seg-btn', kind === k && 'is-on')} aria-pressed={kind === k ? 'true' : 'false'} onClick={() => setKind(k)}>{k === 'all' ? 'All' : DASH_KIND_LABELS[k]}</button>)}
    </div>
  );
  if (!a.members.length) return <>{kinds}<DashEmpty icon="history" title="No activity in the last 12 weeks">Emails captured from the team’s mailboxes, notes on investors and edits in the grid show here by week and team member.</DashEmpty></>;
  return (
    <div className="dash-chart" ref={el => { ref.current = el; tip.box.current = el; }}>
      {kinds}
      <svg width={width} height={H + bottom + top} role="img" aria-label={'Activity by week, last 12 weeks: ' + a.weeks.map((w, i) => dashWeekLabel(w) + ' ' + totals[i]).join(', ')}>
        {ticks.map(t => { const y = top + H - t / max * H; return <g key={t}><line x1={left} x2={width} y1={y} y2={y} className="dash-grid" /><text x={left - 6} y={y + 4} textAnchor="end" className="dash-axis">{t}</text></g>; })}
        {a.weeks.map((w, i) => {
          let y = top + H;
          const x = left + i * colW + (colW - barW) / 2;
          const parts = shown.map(m => ({ m, n: count(m.weeks[i], kind) })).filter(p => p.n);
          const lines = [(i === a.weeks.length - 1 ? 'This week' : 'Week of ' + dashWeekLabel(w)) + ' · ' + totals[i] + (kind === 'all' ? ' activities' : ' ' + DASH_KIND_LABELS[kind].toLowerCase()),
            ...parts.map(p => p.m.name + ': ' + (kind === 'all' ? p.m.weeks[i].emails + ' emails, ' + p.m.weeks[i].notes + ' notes, ' + p.m.weeks[i].edits + ' edits' : p.n))];
          return (
            <g key={w} role="img" tabIndex={0} aria-label={lines.join('. ')} className="dash-mark dash-week"
              onMouseMove={e => tip.show(e, lines)} onMouseLeave={tip.hide} onFocus={e => tip.show(e, lines)} onBlur={tip.hide}>
              <rect x={left + i * colW} y={top} width={colW} height={H} fill="transparent" />
              {parts.map(p => { const h = p.n / max * H; y -= h; return <rect key={p.m.key} x={x} y={y} width={barW} height={Math.max(1, h)} fill={color[p.m.key]} />; })}
              {(i % (width < 480 ? 3 : 2) === 1 || i === a.weeks.length - 1) && <text x={x + barW / 2} y={top + H + 15} textAnchor="middle" className="dash-axis">{i === a.weeks.length - 1 ? 'Now' : dashWeekLabel(w)}</text>}
            </g>
          );
        })}
      </svg>
      <div className="dash-legend dash-legend-members">
        {members.map(m => (
          <button key={m.key} type="button" className={cx('dash-key-chip', hidden.has(m.key) && 'is-off')} aria-pressed={hidden.has(m.key) ? 'false' : 'true'}
            onClick={() => setHidden(h => { const n = new Set(h); if (n.has(m.key)) n.delete(m.key); else n.add(m.key); return n; })}
            title={m.emails + ' emails, ' + m.notes + ' notes, ' + m.edits + ' edits in 12 weeks'}>
            <i style={{ background: color[m.key] }} />{m.name}<b>{m.total.toLocaleString()}</b>
          </button>
        ))}
      </div>
      {tip.node}
    </div>
  );
}

/* ---- top investors by recent activity ------------------------------------------------------ */
function DashTopInvestors({ data }) {
  const top = data.top_investors;
  if (!top.length) return <DashEmpty icon="target" title="No activity in the last 30 days">Investors with the most emails, notes and edits in the last 30 days are ranked here.</DashEmpty>;
  const max = Math.max(1, ...top.map(t => t.total));
  return (
    <ol className="dash-top" aria-label="Top investors by activity in the last 30 days">
      {top.map((t, i) => (
        <li key={t.id}>
          <a href={'#/grid?investor=' + encodeURIComponent(t.id)} className="dash-top-row" title={t.emails + ' emails, ' + t.notes + ' notes, ' + t.edits + ' edits' + (t.last_at ? ' · last ' + fmtRel(t.last_at) : '')}>
            <span className="dt-rank">{i + 1}</span>
            <span className="dt-name">{t.name}</span>
            <svg className="dt-bar" width="120" height="10" role="img" aria-label={t.emails + ' emails, ' + t.notes + ' notes, ' + t.edits + ' edits'}>
              {(() => { let x = 0; return ['emails', 'notes', 'edits'].map(k => { const w = t[k] / max * 120; const el = <rect key={k} x={x} y={0} width={w} height={10} fill={DASH_KIND_COLORS[k]} />; x += w; return el; }); })()}
            </svg>
            <span className="dt-total">{t.total.toLocaleString()}</span>
          </a>
        </li>
      ))}
    </ol>
  );
}

/* ---- relationship strength ----------------------------------------------------------------- */
function DashStrengthChart({ data }) {
  const [ref, width] = useDashWidth();
  const tip = useDashTip();
  const s = data.strength_distribution;
  if (!s) return <DashEmpty icon="mail" title="Appears once email capture is on">Connect the team’s mailboxes (Communications → Mailboxes) and the Relationship strength field shows how well the team knows each investor.</DashEmpty>;
  const bars = [...s.levels.map(l => ({ ...l, fill: DASH_COLORS[l.color] || '#9aa4b2' })), { level: 'No signal', count: s.no_signal, fill: '#d0d5dd', none: true }];
  const max = Math.max(1, ...bars.map(b => b.count));
  const H = 130, top = 18, bottom = 30, colW = width / bars.length, barW = Math.min(56, colW * 0.6);
  const open = b => navigate(dashGridLink({ op: 'and', conditions: [b.none ? { column_id: s.column_id, operator: 'is_empty' } : { column_id: s.column_id, operator: 'is', value: b.level }] }, s.name + ': ' + b.level));
  return (
    <div className="dash-chart" ref={el => { ref.current = el; tip.box.current = el; }}>
      <svg width={width} height={H + top + bottom} role="img" aria-label={s.name + ': ' + bars.map(b => b.level + ' ' + b.count).join(', ')}>
        <line x1={0} x2={width} y1={top + H} y2={top + H} className="dash-grid" />
        {bars.map((b, i) => {
          const h = b.count / max * H, x = i * colW + (colW - barW) / 2;
          return (
            <g key={b.level} {...dashMarkProps(b.level + ': ' + plural(b.count, 'investor') + '. Open them in the grid', () => open(b), tip, [b.level, plural(b.count, 'investor')])} data-level={b.level}>
              <rect x={i * colW} y={top} width={colW} height={H} fill="transparent" />
              <rect x={x} y={top + H - Math.max(b.count ? 2 : 0, h)} width={barW} height={Math.max(b.count ? 2 : 0, h)} rx={3} fill={b.fill} />
              <text x={x + barW / 2} y={top + H - h - 5} textAnchor="middle" className="dash-num">{b.count.toLocaleString()}</text>
              <text x={x + barW / 2} y={top + H + 16} textAnchor="middle" className="dash-axis">{width < 420 ? b.level.replace('Very ', 'V. ') : b.level}</text>
            </g>
          );
        })}
      </svg>
      {tip.node}
    </div>
  );
}

function DashSkeleton() {
  return (
    <div className="dash" aria-busy="true" aria-label="Loading the dashboard">
      <div className="dash-kpis">{[0, 1, 2, 3].map(i => <div key={i} className="card dash-kpi"><span className="sk" style={{ width: '45%' }} /><span className="sk" style={{ width: '70%', height: 22, marginTop: 14 }} /><span className="sk" style={{ width: '55%', marginTop: 12 }} /></div>)}</div>
      <div className="dash-grid2">{[0, 1, 2, 3].map(i => <div key={i} className="card dash-card"><div className="dash-card-head"><span className="sk" style={{ width: 160, height: 12 }} /></div><div className="dash-card-body">{[80, 64, 72, 50].map((w, j) => <span key={j} className="sk" style={{ width: w + '%', height: 14, marginBottom: 16 }} />)}</div></div>)}</div>
    </div>
  );
}

function DashboardPage() {
  usePageTitle('Dashboard');
  const [fund, setFund] = useState('');
  const [state, setState] = useState({ phase: 'loading' });
  const load = useCallback(async () => {
    try {
      const r = await api('/api/dashboard' + (fund ? '?fund=' + encodeURIComponent(fund) : ''));
      setState({ phase: 'ready', data: r.data });
    } catch (err) { setState({ phase: 'error', error: err }); }
  }, [fund]);
  useEffect(() => { load(); }, [load]);
  const head = (
    <div className="page-head">
      <div><h1>Dashboard</h1><p>Where the raise stands: commitments against each fund’s target, the pipeline, the team’s activity. Every chart opens the investors it counts.</p></div>
      <div className="actions"><Button icon="refresh" onClick={load} aria-label="Refresh the dashboard">Refresh</Button></div>
    </div>
  );
  if (state.phase === 'loading') return <div className="page page-wide">{head}<DashSkeleton /></div>;
  if (state.phase === 'error') return <div className="page page-wide">{head}<div className="card"><CenterState icon="alert-triangle" tone="red" title="Couldn’t load the dashboard" action={<Button icon="refresh" onClick={load}>Try again</Button>}>{state.error.message}</CenterState></div></div>;
  const d = state.data;
  const symbol = (d.funds[0] && d.funds[0].symbol) || '$';
  const target = d.funds.reduce((a, f) => a + (f.target || 0), 0);
  const graveyard = d.funds.reduce((a, f) => a + f.graveyard_committed, 0);
  const mixed = d.currencies.length > 1;
  const fundPicker = d.funds.length > 1 && (d.pipelines.length > 0 || fund) && (
    <select className="select dash-fund" value={fund} onChange={e => setFund(e.target.value)} aria-label="Pipeline for which fund">
      <option value="">All funds</option>
      {d.funds.map(f => <option key={f.fund_id} value={f.fund_id}>{f.name}</option>)}
    </select>
  );
  return (
    <div className="page page-wide">
      {head}
      <div className="dash" data-generated-ms={d.generated_ms}>
        <div className="dash-kpis">
          <DashKpi label="Committed" icon="check-circle" tone="indigo" value={dashMoney(d.committed_total, symbol)}
            sub={<>{target ? Math.round(d.committed_total / target * 1000) / 10 + '% of ' + dashMoney(target, symbol) + ' across ' + plural(d.funds.length, 'fund') : plural(d.funds.length, 'fund')} · graveyard excluded{mixed ? ' · mixed currencies' : ''}</>} />
          <DashKpi label="Pipeline, weighted" icon="kanban" tone="purple" value={d.pipelines.length ? dashMoney(d.pipeline_weighted, symbol) : '—'}
            sub={d.pipelines.length ? plural(d.pipeline_open, 'open opportunity', 'open opportunities') + ' · ' + dashMoney(d.pipeline_expected, symbol) + ' expected' : 'No pipeline yet'} />
          <DashKpi label="Overdue tasks" icon="clock" tone={d.overdue_tasks ? 'red' : 'green'} value={d.overdue_tasks.toLocaleString()}
            sub={d.overdue_tasks ? d.overdue_by_owner.slice(0, 2).map(o => o.name + ' ' + o.count).join(' · ') : 'Nothing overdue'} />
          <DashKpi label="Investors" icon="users" tone="teal" value={d.investors.toLocaleString()}
            sub={d.by_list.main.toLocaleString() + ' on Main · ' + d.by_list.graveyard.toLocaleString() + ' in the graveyard'} />
        </div>
        <div className="dash-grid2">
          <DashCard title="Committed per fund" figure="funds" className="span-2"
            caption={'Commitments in each fund column against its target; investors on the graveyard list are not counted' + (graveyard ? ' (' + dashMoney(graveyard, symbol) + ' there)' : '') + '. Click a fund to open its committed investors.'}>
            <DashFundsChart data={d} />
          </DashCard>
          <DashCard title="Pipeline by stage" figure="pipeline" fund={fund} aside={fundPicker}
            caption="Expected amounts and their probability-weighted value per stage; the weighted pipeline sums Intro to Soft Circle.">
            <DashPipelineChart data={d} />
          </DashCard>
          <DashCard title="Investors by list" figure="lists" caption="Every live investor by the list it is on (archived investors never count).">
            <DashListsChart data={d} />
          </DashCard>
          <DashCard title={'Investors by ' + (d.by_status ? d.by_status.name.toLowerCase() : 'status')} figure="status" caption="Each status split by list; click a segment for those investors.">
            <DashStatusChart data={d} />
          </DashCard>
          <DashCard title="Relationship strength" figure="strength" caption="How well the team knows each investor, from captured mail (metadata only).">
            <DashStrengthChart data={d} />
          </DashCard>
          <DashCard title="Team activity" figure="activity" className="span-2"
            caption="Emails, notes and grid edits per week (Mondays, UTC) over the last 12 weeks, by team member. Hover a week for the figures; click a name to hide it.">
            <DashActivityChart data={d} />
          </DashCard>
          <DashCard title="Most active investors" figure="top_investors" className="span-2" caption="The 10 investors with the most emails, notes and edits in the last 30 days. Click one to open it.">
            <div className="dash-legend dash-legend-top">{['emails', 'notes', 'edits'].map(k => <span key={k}><i style={{ background: DASH_KIND_COLORS[k] }} />{DASH_KIND_LABELS[k]}</span>)}</div>
            <DashTopInvestors data={d} />
          </DashCard>
        </div>
        <p className="dash-foot">Figures as of {fmtAbs(d.generated_at)} · computed in {Math.round(d.generated_ms)} ms · archived investors and fields never count.</p>
      </div>
    </div>
  );
}

registerScreen({ path: '/dashboard', label: 'Dashboard', icon: 'chart', title: 'Dashboard', order: 50, Page: DashboardPage });
