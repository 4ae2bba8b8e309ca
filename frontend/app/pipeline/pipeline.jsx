/* ========================================================================
   Pipeline: a fund's opportunities as a board by stage. Each card is the investor's cell in the
   fund's pipeline column, so a move here is a grid edit (everyone's grid and board follow it
   live); drag a card, or focus it and press Shift+→ / Shift+←. Reaching Committed offers to
   write the commitment into the fund cell.
   ======================================================================== */
const PIPE_STAGE_HINT = {
  Intro: 'First conversations', Pitch: 'Deck and meetings', Diligence: 'Data room, references',
  'Soft Circle': 'Verbal or written interest', Committed: 'Signed or promised', Closed: 'Money in', Passed: 'Not this fund',
};

const PIPE_STAGES = Object.keys(PIPE_STAGE_HINT);

function pipeCommitted(card) { return typeof card.committed === 'number' && card.committed > 0; }
function pipePercent(p) { return Math.round((p || 0) * 100) + '%'; }
function pipeDaysIn(card) {
  if (!card.stage_since) return null;
  const days = Math.floor((Date.now() - Date.parse(card.stage_since + 'T00:00:00')) / 86400000);
  return days > 0 ? days : 0;
}

function PipelineCard({ card, team, onOpen, onKeyMove, onFocusMove, dragging, onDragStart, onDragEnd, focusRef }) {
  const days = pipeDaysIn(card);
  const overdue = card.close_date && card.close_date < new Date().toISOString().slice(0, 10) && ['Intro', 'Pitch', 'Diligence', 'Soft Circle'].includes(card.stage);
  const onKeyDown = e => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(card); return; }
    if (e.shiftKey && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) { e.preventDefault(); onKeyMove(card, e.key === 'ArrowRight' ? 1 : -1); return; }
    const dirs = { ArrowDown: [0, 1], ArrowUp: [0, -1], ArrowRight: [1, 0], ArrowLeft: [-1, 0] };
    if (dirs[e.key]) { e.preventDefault(); onFocusMove(card, ...dirs[e.key]); }
  };
  return (
    <div ref={focusRef} className={cx('pl-card', dragging && 'is-dragging')} role="button" tabIndex={0} draggable="true" data-card={card.id}
      aria-label={card.investor_name + ', ' + card.stage + (card.expected_amount ? ', expected ' + fmtMoneyShort(card.expected_amount) : '') + '. Shift and arrow keys move it.'}
      onClick={() => onOpen(card)} onKeyDown={onKeyDown}
      onDragStart={e => { e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', card.id); onDragStart(card); }} onDragEnd={onDragEnd}>
      <div className="pl-card-top">
        <span className="pl-card-name">{card.investor_name}</span>
        {card.owner_name && <Avatar name={card.owner_name} size="sm" />}
      </div>
      <div className="pl-card-nums">
        <span className="pl-amt">{card.expected_amount ? fmtMoneyShort(card.expected_amount) : <span className="faint">No amount</span>}</span>
        <span className={cx('pl-prob', card.probability_is_default && 'is-default')} title={card.probability_is_default ? 'The stage’s usual likelihood' : 'Set on this card'}>{pipePercent(card.probability)}</span>
      </div>
      <div className="pl-card-meta">
        {pipeCommitted(card) && <span className="pl-tag is-committed" title="In the fund cell of the grid"><Icon name="check" />{fmtMoneyShort(card.committed)} in</span>}
        {card.close_date && <span className={cx('pl-tag', overdue && 'is-late')} title="Expected close"><Icon name="calendar" />{fmtDay(card.close_date)}</span>}
        {days !== null && days >= 1 && <span className="pl-tag" title={'In ' + card.stage + ' since ' + fmtDay(card.stage_since)}>{days}d</span>}
      </div>
    </div>
  );
}

function PipelineColumn({ total, cards, team, over, setOver, onDrop, children, onAdd }) {
  return (
    <section className={cx('pl-col', over && 'is-over', 'pl-' + total.color)} aria-label={total.stage + ': ' + plural(cards.length, 'card')}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; setOver(total.stage); }}
      onDragLeave={e => { if (!e.currentTarget.contains(e.relatedTarget)) setOver(null); }}
      onDrop={e => { e.preventDefault(); setOver(null); onDrop(e.dataTransfer.getData('text/plain'), total.stage); }}>
      <header className="pl-col-head">
        <div className="pl-col-title"><span className={cx('pl-dot', 'cc-' + total.color)} /><h2>{total.stage}</h2><span className="pl-count">{cards.length}</span>
          <button type="button" className="icon-btn pl-col-add" aria-label={'Add an investor at ' + total.stage} title={'Add an investor at ' + total.stage} onClick={() => onAdd(total.stage)}><Icon name="plus" /></button></div>
        <div className="pl-col-sums" title={'Expected ' + fmtMoneyShort(total.expected) + ', weighted at ' + pipePercent(total.default_probability) + ' unless a card says otherwise'}>
          <span className="pl-sum">{fmtMoneyShort(total.expected) || '$0'}</span>
          <span className="pl-weighted">{fmtMoneyShort(total.weighted) || '$0'} weighted</span>
        </div>
        <div className="pl-col-hint">{PIPE_STAGE_HINT[total.stage]}</div>
      </header>
      <div className="pl-col-body">{children}</div>
    </section>
  );
}

// What the dialogs share: amount text <-> number, the probability as a percentage.
function pipeAmountText(v) { return typeof v === 'number' ? v.toLocaleString('en-US') : ''; }

function CommitDialog({ ask, fund, onConfirm, onClose }) {
  const [amount, setAmount] = useState(pipeAmountText(ask.card.expected_amount));
  const [error, setError] = useState('');
  const write = () => {
    const n = parseNumberInput(amount, false);
    if (typeof n !== 'number' || n <= 0) { setError('Enter the amount committed, e.g. 2,500,000 or 2.5m.'); return; }
    onConfirm(n);
  };
  const amountId = useId();
  return (
    <Modal title={'Committed: write it into ' + fund.name + '?'} description={ask.card.investor_name + ' moves to Committed. The grid’s ' + fund.name + ' cell holds what they committed; the dashboard and the footer total count it.'} onClose={onClose}>
      <form onSubmit={e => { e.preventDefault(); write(); }}>
        <div className="modal-body">
          <Field label={'Commitment to ' + fund.name} id={amountId} error={error} hint={pipeCommitted(ask.card) ? 'The cell holds ' + fmtMoneyShort(ask.card.committed) + ' now.' : 'From the card’s expected amount; change it if the number moved.'}>
            <input id={amountId} className="input num" value={amount} onChange={e => { setAmount(e.target.value); setError(''); }} inputMode="decimal" placeholder="2,500,000" data-autofocus="true" autoComplete="off" />
          </Field>
        </div>
        <div className="modal-foot">
          <Button onClick={onClose}>Cancel</Button>
          <span className="spacer" />
          <Button onClick={() => onConfirm(null)}>Just move it</Button>
          <Button variant="primary" type="submit" icon="check">Write commitment</Button>
        </div>
      </form>
    </Modal>
  );
}

function CardDialog({ card, fund, team, stages, onSave, onRemove, onClose }) {
  const [f, setF] = useState(() => ({
    stage: card.stage, expected: pipeAmountText(card.expected_amount),
    probability: card.probability_is_default ? '' : String(Math.round(card.probability * 1000) / 10),
    owner: card.owner || '', close: card.close_date || '',
  }));
  const [errors, setErrors] = useState({});
  const [pending, setPending] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const set = (k, v) => { setF(x => ({ ...x, [k]: v })); setErrors(x => ({ ...x, [k]: undefined })); };
  const ids = { stage: useId(), expected: useId(), probability: useId(), owner: useId(), close: useId() };
  const submit = async e => {
    e.preventDefault();
    const errs = {};
    const expected = f.expected.trim() ? parseNumberInput(f.expected, false) : null;
    if (expected === undefined || (typeof expected === 'number' && expected < 0)) errs.expected = 'Enter an amount, e.g. 2,500,000 or 2.5m.';
    const p = f.probability.trim() === '' ? null : Number(f.probability.replace('%', ''));
    if (p !== null && (!isFinite(p) || p < 0 || p > 100)) errs.probability = 'Between 0 and 100, or empty for the stage’s usual.';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setPending(true);
    const body = { stage: f.stage, expected_amount: expected, probability: p === null ? null : p / 100, owner: f.owner || null, close_date: f.close || null };
    const ok = await onSave(card, body);
    if (!ok) setPending(false);
  };
  const weighted = (() => {
    const e = f.expected.trim() ? parseNumberInput(f.expected, false) : 0;
    const total = stages.find(t => t.stage === f.stage);
    const p = f.probability.trim() === '' ? (total ? total.default_probability : 0) : Number(f.probability) / 100;
    return typeof e === 'number' && isFinite(p) ? e * p : null;
  })();
  return (
    <Modal title={card.investor_name} description={fund.name + ' · in ' + card.stage + (card.stage_since ? ' since ' + fmtDay(card.stage_since) : '')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="modal-body pl-form">
          <SelectField label="Stage" value={f.stage} onChange={v => set('stage', v)} options={stages.map(t => ({ value: t.stage, label: t.stage }))} />
          <div className="pl-form-row">
            <Field label="Expected amount" id={ids.expected} error={errors.expected}>
              <input id={ids.expected} className="input num" value={f.expected} onChange={e => set('expected', e.target.value)} inputMode="decimal" placeholder="2,500,000" autoComplete="off" />
            </Field>
            <Field label="Probability" id={ids.probability} error={errors.probability} hint={f.probability.trim() === '' ? 'The stage’s usual: ' + pipePercent((stages.find(t => t.stage === f.stage) || {}).default_probability) : null}>
              <div className="pl-suffix"><input id={ids.probability} className="input num" value={f.probability} onChange={e => set('probability', e.target.value)} inputMode="decimal" placeholder={String(Math.round(100 * ((stages.find(t => t.stage === f.stage) || {}).default_probability || 0)))} autoComplete="off" /><span>%</span></div>
            </Field>
          </div>
          {weighted !== null && <div className="pl-weighted-line">Weighted value <strong>{fmtMoneyShort(weighted) || '$0'}</strong></div>}
          <div className="pl-form-row">
            <SelectField label="Owner" value={f.owner} onChange={v => set('owner', v)} options={[{ value: '', label: 'Nobody yet' }, ...team.map(u => ({ value: u.id, label: u.username }))]} />
            <Field label="Expected close" id={ids.close}>
              <input id={ids.close} className="input" type="date" value={f.close} onChange={e => set('close', e.target.value)} />
            </Field>
          </div>
          <div className="pl-form-links">
            <a href={'#/grid?investor=' + encodeURIComponent(card.investor_id)}><Icon name="grid" />Open in the grid</a>
            {pipeCommitted(card) && <span className="pl-tag is-committed"><Icon name="check" />{fmtMoneyShort(card.committed)} committed to {fund.name}</span>}
          </div>
        </div>
        <div className="modal-foot">
          <Button variant="ghost" icon="trash" className="is-danger-text" onClick={() => setConfirm(true)}>Remove from pipeline</Button>
          <span className="spacer" />
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" pending={pending}>Save</Button>
        </div>
      </form>
      {confirm && <ConfirmDialog title={'Take ' + card.investor_name + ' off the board?'} confirmLabel="Remove"
        body={'The card leaves the ' + fund.name + ' board and its pipeline cell in the grid is cleared. The history keeps what it was; nothing else about the investor changes.'}
        onConfirm={() => onRemove(card)} onClose={() => setConfirm(false)} />}
    </Modal>
  );
}

// Put an investor in a fund's pipeline: from the board (pick the investor) or from a grid row
// (`investor` given: pick the fund among `funds`).
function AddOpportunityDialog({ fund: boardFund, funds, investor, stage = 'Intro', team, user, onAdded, onClose }) {
  const toast = useToast();
  const [q, setQ] = useState(investor ? investor.name : '');
  const [found, setFound] = useState([]);
  const [picked, setPicked] = useState(investor ? { investor_id: investor.id, name: investor.name } : null);
  const [fundId, setFundId] = useState(boardFund ? boardFund.id : funds && funds[0] ? funds[0].id : '');
  const [people, setPeople] = useState(team || []);
  const [f, setF] = useState({ stage, expected: '', owner: user.id });
  const fund = boardFund || (funds || []).find(x => x.id === fundId);
  useEffect(() => { if (!team) api('/api/users').then(r => setPeople((r.data || []).filter(u => u.is_active !== false))).catch(() => {}); }, [team]);
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const qId = useId(), amountId = useId();
  useEffect(() => {
    if (!q.trim() || (picked && picked.name === q)) { setFound([]); return undefined; }
    const ctl = new AbortController();
    const t = setTimeout(() => {
      api('/api/fundraising/investors?limit=8&q=' + encodeURIComponent(q.trim()), { signal: ctl.signal }).then(r => setFound(r.data || [])).catch(() => {});
    }, 120);
    return () => { clearTimeout(t); ctl.abort(); };
  }, [q, picked]);
  const submit = async e => {
    e.preventDefault();
    if (!picked) { setError('Pick an investor from the grid.'); return; }
    if (!fund) { setError('Pick a fund.'); return; }
    const expected = f.expected.trim() ? parseNumberInput(f.expected, false) : null;
    if (expected === undefined) { setError('Enter an amount, e.g. 2,500,000 or 2.5m.'); return; }
    setPending(true);
    try {
      const r = await api('/api/pipeline/opportunities', { method: 'POST', body: { investor_id: picked.investor_id, fund_id: fund.id, stage: f.stage, expected_amount: expected, owner: f.owner || null } });
      toast(picked.name + ' added to ' + fund.name + ' at ' + f.stage, 'success',
        boardFund ? undefined : { action: { label: 'Open board', run: () => navigate('#/pipeline?fund=' + encodeURIComponent(fund.id)) } });
      onAdded(r.data);
    } catch (err) {
      setPending(false);
      setError(err.body && err.body.code === 'already_in_pipeline' ? picked.name + ' is already on this board.' : err.message);
    }
  };
  return (
    <Modal title={investor ? 'Add ' + investor.name + ' to a pipeline' : 'Add to ' + fund.name} description={investor ? 'A card on the fund’s Pipeline board, and a stage in the grid’s pipeline column for that fund.' : 'An investor from the grid becomes a card on this board and a stage in the grid’s pipeline column.'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="modal-body pl-form">
          {investor ? (
            <SelectField label="Fund" value={fundId} onChange={v => { setFundId(v); setError(''); }} options={funds.map(x => ({ value: x.id, label: x.name }))} />
          ) : <Field label="Investor" id={qId} error={!picked && error ? error : null}>
            <input id={qId} className="input" value={q} onChange={e => { setQ(e.target.value); setPicked(null); setError(''); }} placeholder="Start typing a name" autoComplete="off" data-autofocus="true"
              role="combobox" aria-expanded={found.length ? 'true' : 'false'} aria-controls={qId + '-list'} />
          </Field>}
          {found.length > 0 && !picked && (
            <ul className="pl-found" id={qId + '-list'} role="listbox" aria-label="Investors">
              {found.map(c => (
                <li key={c.id} role="option" aria-selected="false"><button type="button" onClick={() => { setPicked({ investor_id: c.id, name: c.name }); setQ(c.name); setFound([]); }}>
                  <span className="pl-found-name">{c.name}</span></button></li>
              ))}
            </ul>
          )}
          <div className="pl-form-row">
            <SelectField label="Stage" value={f.stage} onChange={v => setF(x => ({ ...x, stage: v }))} options={PIPE_STAGES.map(s => ({ value: s, label: s }))} />
            <Field label="Expected amount" id={amountId} optional error={picked && error && !investor ? error : null}>
              <input id={amountId} className="input num" value={f.expected} onChange={e => { setF(x => ({ ...x, expected: e.target.value })); setError(''); }} inputMode="decimal" placeholder="2,500,000" autoComplete="off" />
            </Field>
          </div>
          <SelectField label="Owner" value={f.owner} onChange={v => setF(x => ({ ...x, owner: v }))} options={[{ value: '', label: 'Nobody yet' }, ...people.map(u => ({ value: u.id, label: u.username }))]} />
          {investor && error && <FormError>{error}</FormError>}
        </div>
        <FormFoot onCancel={onClose} pending={pending} label={investor ? 'Add to pipeline' : 'Add to board'} icon="plus" />
      </form>
    </Modal>
  );
}

function PipelinePage({ user }) {
  usePageTitle('Pipeline');
  const route = useRoute();
  const toast = useToast();
  const fundParam = route.query.fund || '';
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [team, setTeam] = useState([]);
  const [q, setQ] = useState('');
  const [owner, setOwner] = useState('');
  const [openId, setOpenId] = useState(null);
  const [adding, setAdding] = useState(null);
  const [ask, setAsk] = useState(null);
  const [dragId, setDragId] = useState(null);
  const [over, setOver] = useState(null);
  const [said, setSaid] = useState('');
  const version = useRef(0);
  const cardRefs = useRef({});
  const focusAfter = useRef(null);
  const d = state.data;

  const load = useCallback(async quiet => {
    if (!quiet) setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api('/api/pipeline' + (fundParam ? '?fund=' + encodeURIComponent(fundParam) : ''));
      version.current = r.data.version;
      setState({ loading: false, data: r.data, error: null });
    } catch (err) { setState(s => ({ loading: false, data: quiet ? s.data : null, error: err })); }
  }, [fundParam]);
  useEffect(() => { load(); }, [load]);
  useEffect(() => { api('/api/users').then(r => setTeam((r.data || []).filter(u => u.is_active !== false))).catch(() => {}); }, []);
  // Live: the grid's change feed says when anything moved; the board is read again (coalesced).
  useEffect(() => {
    let live = true; const ctl = new AbortController();
    (async () => {
      while (live) {
        try {
          const since = version.current;
          const r = await api('/api/fundraising/changes?since=' + since + '&wait=25', { signal: ctl.signal });
          if (!live) return;
          if ((r.data.changes || []).length || r.data.reset) await load(true);
          else if (r.data.version > version.current) version.current = r.data.version;
        } catch (err) {
          if (!live || (err && err.name === 'AbortError')) return;
          await new Promise(res => setTimeout(res, 3000));
        }
      }
    })();
    return () => { live = false; ctl.abort(); };
  }, [load]);
  useEffect(() => {  // keyboard moves keep the focus on the card that moved
    if (focusAfter.current && cardRefs.current[focusAfter.current]) { cardRefs.current[focusAfter.current].focus(); focusAfter.current = null; }
  });

  const fund = d && d.fund;
  const cards = d ? d.cards : [];
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return cards.filter(c => (!needle || c.investor_name.toLowerCase().includes(needle)) && (!owner || (owner === 'none' ? !c.owner : c.owner === owner)));
  }, [cards, q, owner]);
  const byStage = useMemo(() => {
    const m = {}; (d ? d.stages : []).forEach(s => { m[s] = []; });
    shown.forEach(c => { (m[c.stage] = m[c.stage] || []).push(c); });
    return m;
  }, [shown, d]);

  // Column totals from the cards shown (a filter narrows them; a move counts at once, before the
  // server answers); a card's own probability, else its stage's usual one.
  const usual = useMemo(() => Object.fromEntries((d ? d.totals : []).map(t => [t.stage, t.default_probability])), [d]);
  const weightOf = c => (c.expected_amount || 0) * (c.probability_is_default ? usual[c.stage] || 0 : c.probability);
  const totals = (d ? d.totals : []).map(t => {
    const list = byStage[t.stage] || [];
    return { ...t, count: list.length, expected: list.reduce((a, c) => a + (c.expected_amount || 0), 0), weighted: list.reduce((a, c) => a + weightOf(c), 0) };
  });
  const openCards = cards.filter(c => PIPE_STAGES.slice(0, 4).includes(c.stage));
  const patchLocal = (id, changes) => setState(s => (s.data ? { ...s, data: { ...s.data, cards: s.data.cards.map(c => (c.id === id ? { ...c, ...changes } : c)) } } : s));
  const send = async (card, body, what) => {
    try {
      const r = await api('/api/pipeline/opportunities/' + encodeURIComponent(card.id), { method: 'PATCH', body: { ...body, expected_version: card.row_version } });
      patchLocal(card.id, r.data);
      if (what) { toast(what, 'success'); setSaid(what); }
      load(true);
      return true;
    } catch (err) {
      if (err.status === 409) toast('Someone changed ' + card.investor_name + ' meanwhile: ' + err.message + '. The board shows their change.', 'error');
      else toast('Couldn’t save: ' + err.message, 'error');
      load(true);
      return false;
    }
  };
  const move = (card, stage) => {
    if (!card || card.stage === stage) return;
    if (stage === 'Committed' && !pipeCommitted(card)) { setAsk({ card, stage }); return; }
    patchLocal(card.id, { stage });
    send(card, { stage }, card.investor_name + ' moved to ' + stage);
  };
  const commit = amount => {
    const { card, stage } = ask;
    setAsk(null);
    patchLocal(card.id, { stage, ...(amount ? { committed: amount } : {}) });
    send(card, amount ? { stage, commitment: amount } : { stage },
      card.investor_name + ' moved to ' + stage + (amount ? ' · ' + fmtMoneyShort(amount) + ' written into ' + fund.name : ''));
  };
  const keyMove = (card, step) => {
    const i = d.stages.indexOf(card.stage) + step;
    if (i < 0 || i >= d.stages.length) return;
    focusAfter.current = card.id;
    move(card, d.stages[i]);
  };
  const focusMove = (card, dx, dy) => {
    const si = d.stages.indexOf(card.stage);
    if (dy) {
      const list = byStage[card.stage] || [], i = list.findIndex(c => c.id === card.id) + dy;
      if (list[i] && cardRefs.current[list[i].id]) cardRefs.current[list[i].id].focus();
      return;
    }
    for (let s = si + dx; s >= 0 && s < d.stages.length; s += dx) {
      const list = byStage[d.stages[s]] || [];
      if (list.length && cardRefs.current[list[0].id]) { cardRefs.current[list[0].id].focus(); return; }
    }
  };
  const saveCard = async (card, body) => {
    if (body.stage === 'Committed' && card.stage !== 'Committed' && !pipeCommitted(card)) {
      setOpenId(null);
      setAsk({ card: { ...card, expected_amount: body.expected_amount }, stage: 'Committed', extra: body });
      return true;
    }
    const okay = await send(card, body, 'Saved ' + card.investor_name);
    if (okay) setOpenId(null);
    return okay;
  };
  const removeCard = async card => {
    try {
      await api('/api/pipeline/opportunities/' + encodeURIComponent(card.id), { method: 'DELETE' });
      setOpenId(null);
      toast(card.investor_name + ' taken off the ' + fund.name + ' board', 'success');
      load(true);
    } catch (err) { toast('Couldn’t remove: ' + err.message, 'error'); }
  };

  const head = (
    <div className="page-head pl-head">
      <div>
        <h1>Pipeline</h1>
        <p>What is coming, fund by fund. Each card is the investor’s cell in the fund’s pipeline column: move it here or in the grid, and both follow. Weighted value is the expected amount times its probability.</p>
      </div>
      <div className="actions">
        {fund && <Button variant="primary" icon="plus" onClick={() => setAdding('Intro')}>Add investor</Button>}
      </div>
    </div>
  );
  if (state.error && !d) return <div className="page pl-page">{head}<div className="card"><CenterState icon="alert-triangle" tone="red" title="Couldn’t load the pipeline" action={<Button icon="refresh" onClick={() => load()}>Try again</Button>}>{state.error.message}</CenterState></div></div>;
  if (!d) return <div className="page pl-page">{head}<div className="pl-board is-loading" aria-busy="true">{[0, 1, 2, 3].map(i => <div key={i} className="pl-col"><span className="sk sk-w60" /><span className="sk pl-sk-card" /><span className="sk pl-sk-card" /></div>)}</div></div>;
  if (!d.funds.length) return <div className="page pl-page">{head}<div className="card"><CenterState icon="landmark" title="No funds yet" action={<a className="btn btn-primary" href="#/grid">Open the grid</a>}>A board is per fund: add a fund column to the grid (Add a field → Fund), then put investors in its pipeline here.</CenterState></div></div>;

  const open = openId && cards.find(c => c.id === openId);
  const targetPct = fund.target ? Math.min(100, Math.round(100 * fund.committed / fund.target)) : null;
  return (
    <div className="page pl-page">
      {head}
      <nav className="tabs pl-funds" aria-label="Funds">
        {d.funds.map(f => <a key={f.id} href={'#/pipeline?fund=' + encodeURIComponent(f.id)} className={cx('tab', f.id === fund.id && 'is-active')} aria-current={f.id === fund.id ? 'page' : undefined}><Icon name="landmark" />{f.name}</a>)}
      </nav>
      <div className="pl-summary">
        <div className="pl-stat"><span className="pl-stat-label">Open pipeline</span><span className="pl-stat-value" data-stat="open">{fmtMoneyShort(openCards.reduce((a, c) => a + (c.expected_amount || 0), 0)) || '$0'}</span><span className="pl-stat-sub">{plural(openCards.length, 'open card')}</span></div>
        <div className="pl-stat"><span className="pl-stat-label">Weighted</span><span className="pl-stat-value" data-stat="weighted">{fmtMoneyShort(openCards.reduce((a, c) => a + weightOf(c), 0)) || '$0'}</span><span className="pl-stat-sub">Intro to Soft Circle</span></div>
        <div className="pl-stat pl-stat-wide"><span className="pl-stat-label">Committed to {fund.name}</span><span className="pl-stat-value" data-stat="committed">{fmtMoneyShort(fund.committed) || '$0'}{fund.target ? <span className="pl-of"> of {fmtMoneyShort(fund.target)}</span> : null}</span>
          {targetPct !== null && <div className="pl-target" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={targetPct} aria-label={'Committed against the target: ' + targetPct + '%'}><span style={{ width: targetPct + '%' }} /></div>}
        </div>
      </div>
      <div className="pl-tools">
        <div className="pl-search"><Icon name="search" /><input className="input" value={q} onChange={e => setQ(e.target.value)} placeholder="Find a card" aria-label="Find a card by investor" /></div>
        <select className="select pl-owner" value={owner} onChange={e => setOwner(e.target.value)} aria-label="Owner">
          <option value="">Everyone’s cards</option><option value={user.id}>My cards</option><option value="none">No owner</option>
          {team.filter(u => u.id !== user.id).map(u => <option key={u.id} value={u.id}>{u.username}</option>)}
        </select>
        <span className="pl-keys faint small">Drag a card, or focus it and press <kbd>Shift</kbd>+<kbd>→</kbd></span>
      </div>
      {!cards.length && (
        <Callout tone="info" icon="kanban" title={'No one in the ' + fund.name + ' pipeline yet'}>Add an investor here, or pick a stage in the grid’s {fund.name} pipeline column (right-click a row → Add to pipeline).</Callout>
      )}
      <div className="pl-board" aria-label={fund.name + ' pipeline board'}>
        {totals.map(total => (
          <PipelineColumn key={total.stage} total={total} cards={byStage[total.stage] || []} team={team} over={over === total.stage} setOver={setOver}
            onDrop={id => { const card = cards.find(c => c.id === id); setDragId(null); move(card, total.stage); }} onAdd={stage => setAdding(stage)}>
            {(byStage[total.stage] || []).map(card => (
              <PipelineCard key={card.id} card={card} team={team} dragging={dragId === card.id} focusRef={el => { cardRefs.current[card.id] = el; }}
                onOpen={c => setOpenId(c.id)} onKeyMove={keyMove} onFocusMove={focusMove} onDragStart={c => setDragId(c.id)} onDragEnd={() => { setDragId(null); setOver(null); }} />
            ))}
            {!(byStage[total.stage] || []).length && <div className="pl-empty">{q || owner ? 'No cards match' : 'Drop a card here'}</div>}
          </PipelineColumn>
        ))}
      </div>
      <div className="sr-only" aria-live="polite">{said}</div>
      {open && <CardDialog card={open} fund={fund} team={team} stages={d.totals} onSave={saveCard} onRemove={removeCard} onClose={() => setOpenId(null)} />}
      {adding && <AddOpportunityDialog fund={fund} stage={adding} team={team} user={user} onClose={() => setAdding(null)} onAdded={() => { setAdding(null); load(true); }} />}
      {ask && <CommitDialog ask={ask} fund={fund} onClose={() => { setAsk(null); load(true); }}
        onConfirm={amount => { if (ask.extra) { const { card, extra } = ask; setAsk(null); send(card, { ...extra, ...(amount ? { commitment: amount } : {}) }, 'Saved ' + card.investor_name); } else commit(amount); }} />}
    </div>
  );
}

registerScreen({ path: '/pipeline', label: 'Pipeline', icon: 'kanban', title: 'Pipeline', order: 30, Page: PipelinePage });
