/* ========================================================================
   Data pages: CSV import and export (#/import), Settings -> Backups, Admin -> Archive and Activity.
   Shared helpers first: byte sizes, saving a download, uploading a file with progress.
   ======================================================================== */
function fmtBytes(n) {
  if (n === null || n === undefined || isNaN(n)) return '—';
  if (n < 1024) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return String(+v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)) + ' ' + units[i];
}

function dispositionName(header) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header || '');
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch (e) { return m[1]; }
}

// The token is not a cookie, so a plain link cannot download: fetch with it, then save a Blob.
function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename || 'download';
  a.className = 'sr-only';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function downloadFile(path, fallbackName) {
  const r = await api(path, { as: 'blob' });
  const name = r.filename || fallbackName;
  saveBlob(r.blob, name);
  return name;
}

// POST a file with upload progress (fetch cannot report it). Resolves with the JSON body; rejects
// with the same ApiError as api().
function apiUpload(path, body, { contentType = 'application/octet-stream', onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const token = tokenStore.get();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', contentType);
    if (token) xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.upload.onprogress = e => { if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : (body && body.size) || 0); };
    xhr.upload.onload = () => { if (onSent) onSent(); };
    xhr.onerror = () => reject(new ApiError(0, 'Cannot reach the server. Check your connection and try again.'));
    xhr.onload = () => {
      let data = null;
      if (xhr.responseText) { try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; } }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(apiFailure(xhr.status, data, { get: n => xhr.getResponseHeader(n) }, token, true));
    };
    xhr.send(body);
  });
}

function useTicker(on, ms = 500) {
  const [, setN] = useState(0);
  useEffect(() => {
    if (!on) return undefined;
    const t = setInterval(() => setN(n => n + 1), ms);
    return () => clearInterval(t);
  }, [on, ms]);
}

function TypeBadge({ type, title }) {
  const m = TYPE_META[type] || { label: capitalize(String(type || 'text').replace(/_/g, ' ')), icon: 'type' };
  return <span className="imp-type" title={title}><Icon name={m.icon} />{m.label}</span>;
}

/* ---------- import: reading the header line, remembering choices ---------- */
function csvHeaderLine(text) {
  text = text.replace(/^\uFEFF/, '');
  const out = [];
  let cur = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') { if (text[i + 1] === '"') { cur += '"'; i++; } else quoted = false; } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else if (ch === '\n' || ch === '\r') break;
    else cur += ch;
  }
  out.push(cur);
  return out.map(h => h.trim()).filter(Boolean);
}

const IMPORT_MEMORY_KEY = 'vcrm.import.choices';
function importMemory() {
  try { const m = JSON.parse(window.localStorage.getItem(IMPORT_MEMORY_KEY) || '{}'); return m && typeof m === 'object' ? m : {}; } catch (e) { return {}; }
}
// Skips, "into this existing column" and person choices survive to the next import of a file with
// the same headers (a re-export of the same base); new-column choices don't need to: the column
// exists by then.
function rememberImport(opts) {
  const mapping = {};
  Object.entries(opts.mapping).forEach(([h, spec]) => { if (spec.skip || (spec.to && !spec.type) || 'contact' in spec) mapping[h] = spec; });
  try { window.localStorage.setItem(IMPORT_MEMORY_KEY, JSON.stringify({ mapping, empty: opts.empty, key: opts.key })); } catch (e) { /* private mode */ }
}

function importUrl(path, opts, runRules) {
  const q = new URLSearchParams({ key: opts.key, empty: opts.empty });
  if (Object.keys(opts.mapping).length) q.set('mapping', JSON.stringify(opts.mapping));
  if (runRules) q.set('run_rules', '1');
  return path + '?' + q.toString();
}

// A person's fields in the Contacts column, as the mapping names them (importer.PERSON_FIELDS).
const PERSON_FIELDS = [['name', 'Name'], ['email', 'Email'], ['phone', 'Phone'], ['title', 'Title'],
  ['first_name', 'First name'], ['last_name', 'Last name']];
const MAX_PEOPLE = 10;
function personText(p) {
  const head = p.name && p.email ? p.name + ' <' + p.email + '>' : p.name || p.email || '';
  return [head, p.phone, p.title].filter(Boolean).join(' · ');
}

function uniqueColumnName(name, columns) {
  const taken = new Set(columns.map(c => String(c.name).trim().toLowerCase()));
  if (!taken.has(name.trim().toLowerCase())) return name;
  for (let i = 2; ; i++) if (!taken.has((name + ' ' + i).toLowerCase())) return name + ' ' + i;
}

const IMPORT_PROBLEMS_SHOWN = 200;

// "column 'Fund I': looks like…" already sits next to the column's name.
function problemText(e) {
  const m = String(e.message || '');
  const prefix = "column '" + e.column + "': ";
  return e.column && m.toLowerCase().startsWith(prefix.toLowerCase()) ? m.slice(prefix.length) : m;
}

function ImportProblems({ errors, title }) {
  const shown = errors.slice(0, IMPORT_PROBLEMS_SHOWN);
  return (
    <div className="card imp-problems">
      <div className="card-head">
        <span className="imp-head-icon is-red"><Icon name="alert-circle" /></span>
        <div className="spacer">
          <h2>{title || plural(errors.length, 'problem') + ' to fix before importing'}</h2>
          <p>Nothing is written while any line has a problem. Fix them in the file (or skip the column) and choose it again.</p>
        </div>
      </div>
      <ol className="imp-problem-list">
        {shown.map((e, i) => (
          <li key={i}>
            <span className="imp-line">Line {e.line}</span>
            {e.column ? <span className="imp-pcol">{e.column}</span> : <span className="imp-pcol faint">Whole line</span>}
            <span className="imp-pmsg">{capitalize(problemText(e))}</span>
          </li>
        ))}
      </ol>
      {errors.length > shown.length && <div className="table-foot">Showing the first {shown.length} of {errors.length.toLocaleString()} problems.</div>}
    </div>
  );
}

function ImportSummary({ data, stale }) {
  const enc = data.encoding === 'utf-8' ? 'UTF-8' : /1252/.test(data.encoding || '') ? 'Windows-1252' : data.encoding;
  const items = [
    [data.row_count, 'row', 'rows', null],
    [data.created, 'new', 'new', 'green'],
    [data.updated, 'updated', 'updated', 'blue'],
    [data.unchanged, 'unchanged', 'unchanged', null],
    [(data.new_columns || []).length, 'new column', 'new columns', 'indigo'],
  ];
  if (data.errors.length) items.push([data.errors.length, 'problem', 'problems', 'red']);
  return (
    <div className={cx('imp-summary', stale && 'is-stale')} aria-live="polite">
      {items.map(([n, one, many, tone], i) => (
        <div key={i} className={cx('imp-seg', tone && n > 0 && 'is-' + tone)}><b>{n.toLocaleString()}</b> <span>{n === 1 ? one : many}</span></div>
      ))}
      <div className="imp-seg is-enc" title="Character encoding of the file"><b>{enc}</b> <span>encoding</span></div>
    </div>
  );
}

// The person columns the preview found, and the one switch that keeps them as plain columns.
function ImportPeople({ data, mapping, onPlain, onPeople }) {
  const people = data.people || [];
  const plain = Object.values(mapping).some(spec => spec && spec.contact === false);
  if (!people.length && !plain) return null;
  if (!people.length) {
    return (
      <div className="imp-people is-off"><Icon name="users" />
        <span className="spacer">Contact columns are imported as plain columns: no investor gets people in Contacts.</span>
        <button type="button" className="link-btn" onClick={onPeople}>Import them as people</button>
      </div>
    );
  }
  return (
    <div className="imp-people"><Icon name="users" />
      <span className="spacer">
        <b>{people.length === 1 ? 'One person per row goes' : people.length + ' people per row go'} to Contacts</b>
        {people.map(p => <span key={p.person} className="imp-people-group">Person {p.person}: {Object.values(p.columns).join(', ')}</span>)}
        <span className="imp-people-note">{data.people_added ? plural(data.people_added, 'new person', 'new people') : 'Nobody new'}. Those already in Contacts are matched by email, so nobody is added twice.</span>
      </span>
      <button type="button" className="link-btn" onClick={() => onPlain(people)}>Keep them as plain columns</button>
    </div>
  );
}

const IMPORT_CHANGES_SHOWN = 20;
const IMPORT_OPTIONS_SHOWN = 12;

function DiffValue({ text, tone }) {
  if (text === null || text === undefined || text === '') return <span className="imp-val is-empty">empty</span>;
  return <span className={cx('imp-val', tone)} title={String(text).length > 60 ? String(text) : undefined}>{String(text)}</span>;
}

// A contacts cell's change person by person: who is added, and what changes for whom.
function peopleChanges(before, after) {
  const old = new Map((before || []).filter(p => p && p.id).map(p => [p.id, p]));
  const out = [];
  (after || []).forEach(p => {
    const was = p.id && old.get(p.id);
    if (!was) { out.push({ added: personText(p) }); return; }
    ['name', 'email', 'phone', 'title'].forEach(k => {
      if ((was[k] || null) !== (p[k] || null)) out.push({ who: p.name || p.email, field: k, old: was[k], new: p[k] });
    });
  });
  return out;
}

function CellChange({ cell }) {
  if (cell.type === 'contacts') {
    return peopleChanges(cell.old, cell.new).map((c, i) => (
      <li key={i} className="imp-cell">
        <span className="imp-cell-col">{c.added ? 'New person' : c.who + ' · ' + c.field}</span>
        <span className="imp-cell-diff">{c.added ? <DiffValue text={c.added} tone="is-new" />
          : <><DiffValue text={c.old} tone="is-old" /><Icon name="arrow-right" className="imp-arrow" /><DiffValue text={c.new} tone="is-new" /></>}</span>
      </li>
    ));
  }
  return (
    <li className="imp-cell">
      <span className="imp-cell-col">{cell.column}</span>
      <span className="imp-cell-diff"><DiffValue text={cell.old_text} tone="is-old" /><Icon name="arrow-right" className="imp-arrow" /><DiffValue text={cell.new_text} tone="is-new" /></span>
    </li>
  );
}

// Before anything is written: the cells each matched investor changes (old -> new) and the select
// options the import adds. Long lists start collapsed.
function ImportReview({ data }) {
  const [open, setOpen] = useState(false);
  const changes = data.changes || [];
  const options = data.new_options || [];
  const total = data.changes_total || 0;
  if (!changes.length && !options.length) return null;
  const shown = open ? changes : changes.slice(0, IMPORT_CHANGES_SHOWN);
  const added = options.filter(o => !o.new_column);
  return (
    <div className="card imp-review" id="imp-review">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="eye" /></span>
        <div className="spacer">
          <h2>Review the changes</h2>
          <p>{[total ? plural(total, 'investor') + ' in the grid ' + (total === 1 ? 'gets' : 'get') + ' new values' : null,
            added.length ? plural(added.reduce((n, o) => n + o.options.length, 0), 'new option') + ' in existing columns' : null]
            .filter(Boolean).join(' · ') || 'The options the new columns start with'}. Nothing is written until you press Import.</p>
        </div>
      </div>
      {options.length > 0 && (
        <div className="imp-options">
          <div className="imp-section-title">New options</div>
          <ul className="imp-option-list">
            {options.map(o => (
              <li key={o.column}>
                <span className="imp-cell-col">{o.column}{o.new_column && <span className="imp-newcol">new column</span>}</span>
                <span className="chips">
                  {o.options.slice(0, IMPORT_OPTIONS_SHOWN).map(name => <span key={name} className="imp-chip is-new">{name}</span>)}
                  {o.options.length > IMPORT_OPTIONS_SHOWN && <span className="muted small">+{o.options.length - IMPORT_OPTIONS_SHOWN} more</span>}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {changes.length > 0 && (
        <>
          <div className="imp-section-title imp-changes-title">Changed cells</div>
          <ol className="imp-change-list" aria-label="Changed cells by investor">
            {shown.map(ch => (
              <li key={ch.row_id} className="imp-change">
                <div className="imp-change-who"><span className="imp-change-name" title={ch.name}>{ch.name}</span><span className="imp-line">Line {ch.line}</span></div>
                <ul className="imp-cells">{ch.cells.map(c => <CellChange key={c.column_id} cell={c} />)}</ul>
              </li>
            ))}
          </ol>
          {(changes.length > IMPORT_CHANGES_SHOWN || total > changes.length) && (
            <div className="imp-changes-foot">
              {changes.length > IMPORT_CHANGES_SHOWN && (
                <button type="button" className="link-btn" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(o => !o)}>
                  {open ? 'Show the first ' + IMPORT_CHANGES_SHOWN : 'Show ' + (changes.length - IMPORT_CHANGES_SHOWN).toLocaleString() + ' more'}
                </button>
              )}
              <span className="muted small">{shown.length.toLocaleString()} of {total.toLocaleString()} changed investors shown{total > changes.length ? ' (the preview lists the first ' + changes.length + ')' : ''}</span>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function ImportRules({ on, onChange }) {
  return (
    <label className={cx('checkbox imp-rules', on && 'is-checked')}>
      <input type="checkbox" checked={on} onChange={e => onChange(e.target.checked)} />
      <span>
        <span className="cb-title"><Icon name="zap" />Run automation rules on the imported investors</span>
        <span className="cb-desc">Off, the import writes what the file says and no investor changes list. On, edit rules such as “Passed investors move to the graveyard” act on every investor this import creates or changes, and may move them to another list.</span>
      </span>
    </label>
  );
}

function MappingRow({ col, columns, types, people, isKey, error, onTarget, onType }) {
  const value = col.contact ? 'contact:' + col.contact.person + ':' + col.contact.field
    : col.skipped ? 'skip' : col.new ? 'new' : 'col:' + col.target;
  const newName = col.new ? (col.target_name || col.name) : uniqueColumnName(col.name, columns);
  const reason = col.reason ? 'Detected as ' + (TYPE_META[col.inferred_type] || {}).label + ': ' + col.reason : 'Detected from the values in this column';
  return (
    <tr className={cx(col.skipped && 'is-dim', error && 'is-error')}>
      <td className="imp-csv">
        <div className="imp-h"><span className="imp-hname" title={col.name}>{col.name}</span>{isKey && <span className="imp-key" title="Rows are matched to investors by this column">Key</span>}</div>
        <div className="imp-samples">
          {(col.sample || []).length ? col.sample.slice(0, 3).map((s, i) => <span key={i} className="imp-sample" title={s}>{s}</span>) : <span className="faint small">All cells empty</span>}
        </div>
        {error && <div className="field-error imp-row-error"><Icon name="alert-circle" />{error}</div>}
      </td>
      <td><TypeBadge type={col.inferred_type} title={reason} /></td>
      <td>
        <select className="select select-sm imp-select" value={value} aria-label={'Import ' + col.name + ' into'} onChange={e => onTarget(e.target.value, newName)}>
          <option value="new">New column “{newName}”</option>
          {columns.length > 0 && (
            <optgroup label="Existing columns">
              {columns.map(c => <option key={c.id} value={'col:' + c.id}>{c.name}</option>)}
            </optgroup>
          )}
          {!isKey && people > 0 && Array.from({ length: people }, (_, i) => i + 1).map(n => (
            <optgroup key={n} label={'Person ' + n + ' in Contacts'}>
              {PERSON_FIELDS.map(([f, label]) => <option key={f} value={'contact:' + n + ':' + f}>Person {n} · {label}</option>)}
            </optgroup>
          ))}
          <option value="skip" disabled={isKey}>Skip this column</option>
        </select>
      </td>
      <td>
        {col.contact ? <span className="imp-type imp-person" title="One person per row in the Contacts column, matched by email when the file is imported again"><Icon name="users" />Contacts</span>
          : col.skipped ? <span className="faint">Not imported</span> : col.new ? (
          <select className="select select-sm imp-select" value={col.type || col.inferred_type} aria-label={'Type of ' + col.name} onChange={e => onType(e.target.value, newName)}>
            {types.map(t => <option key={t} value={t}>{(TYPE_META[t] || { label: t }).label}</option>)}
          </select>
        ) : <TypeBadge type={col.type} title="The existing column’s type" />}
      </td>
      <td className="num">
        {col.skipped ? <span className="faint">—</span> : col.problems
          ? <Pill tone="red" title={plural(col.problems, 'cell') + ' cannot be read as ' + ((TYPE_META[col.type] || {}).label || col.type)}>{col.problems.toLocaleString()}</Pill>
          : <span className="imp-ok" title="Every cell fits"><Icon name="check" strokeWidth={2.25} /></span>}
      </td>
    </tr>
  );
}

function ImportProgress({ run, file, rows }) {
  useTicker(run.phase === 'process');
  const pct = run.total ? Math.min(100, Math.round((run.loaded / run.total) * 100)) : 0;
  const secs = run.processingAt ? Math.max(0, Math.floor((Date.now() - run.processingAt) / 1000)) : 0;
  const uploading = run.phase === 'upload';
  return (
    <div className="card imp-progress" role="status" aria-live="polite">
      <div className="imp-progress-top">
        <span className="imp-file-icon"><Icon name="file-text" /></span>
        <div className="spacer">
          <div className="imp-progress-title">{uploading ? 'Uploading ' + file.name + '…' : 'Processing ' + rows.toLocaleString() + (rows === 1 ? ' row…' : ' rows…')}</div>
          <div className="muted small">
            {uploading ? fmtBytes(run.loaded) + ' of ' + fmtBytes(run.total) + ' · ' + pct + '%'
              : secs + ' s · checking every line, then writing everything in one transaction'}
          </div>
        </div>
      </div>
      <div className={cx('imp-bar', !uploading && 'is-indeterminate')} role="progressbar" aria-label={uploading ? 'Upload progress' : 'Processing'}
        aria-valuemin={0} aria-valuemax={100} aria-valuenow={uploading ? pct : undefined}>
        <span style={{ width: uploading ? pct + '%' : undefined }} />
      </div>
      <ol className="imp-steps">
        <li className={uploading ? 'is-current' : 'is-done'}><Icon name={uploading ? 'upload' : 'check'} />Upload</li>
        <li className={uploading ? '' : 'is-current'}><Icon name="search" />Check every line</li>
        <li><Icon name="database" />Write in one transaction</li>
      </ol>
      <p className="muted small imp-progress-note">Large files take a while (50,000 rows ≈ 10 s). Keep this tab open; if anything fails, nothing is written.</p>
    </div>
  );
}

function ImportResult({ result, runRules, file, seconds, onAgain }) {
  const cols = (result.new_columns || []).map(c => (typeof c === 'string' ? c : c.name));
  const nothing = !result.created && !result.updated;
  return (
    <div className="card imp-result">
      <div className="imp-result-head">
        <StateIcon icon="check" tone="green" />
        <div>
          <h2>{nothing ? 'Already up to date' : 'Import complete'}</h2>
          <p className="muted">{file.name} · {fmtBytes(file.size)} · done in {seconds < 1 ? 'under a second' : seconds.toFixed(1) + ' s'}{nothing ? ': every row matched an investor with the same values.' : ''}</p>
        </div>
      </div>
      <div className="imp-result-stats">
        <div className={cx('imp-stat', result.created > 0 && 'is-green')}><div className="imp-stat-n">{result.created.toLocaleString()}</div><div className="imp-stat-l">Created</div></div>
        <div className={cx('imp-stat', result.updated > 0 && 'is-blue')}><div className="imp-stat-n">{result.updated.toLocaleString()}</div><div className="imp-stat-l">Updated</div></div>
        <div className="imp-stat"><div className="imp-stat-n">{result.unchanged.toLocaleString()}</div><div className="imp-stat-l">Unchanged</div></div>
        <div className={cx('imp-stat', cols.length > 0 && 'is-indigo')}><div className="imp-stat-n">{cols.length.toLocaleString()}</div><div className="imp-stat-l">New columns</div></div>
      </div>
      {cols.length > 0 && <div className="imp-result-cols"><span className="muted small">New columns</span><div className="chips">{cols.map(c => <span className="imp-chip" key={c}>{c}</span>)}</div></div>}
      {result.people_added > 0 && <p className="imp-result-note muted small"><Icon name="users" />{plural(result.people_added, 'person', 'people')} added to Contacts.</p>}
      <p className="imp-result-note muted small"><Icon name="zap" />{runRules
        ? (result.changed_by_rules ? 'Automation rules changed ' + plural(result.changed_by_rules, 'investor') + ' (each change is in the automation log).' : 'Automation rules ran; none of them changed an investor.')
        : 'Automation rules did not run: no rule moved an investor to another list.'}</p>
      {(result.warnings || []).length > 0 && (
        <Callout tone="warn" title="Worth a look">
          <ul className="imp-warnings">{result.warnings.map((w, i) => <li key={i}>{capitalize(w)}</li>)}</ul>
        </Callout>
      )}
      <div className="imp-result-actions">
        <Button variant="primary" icon="grid" onClick={() => navigate('#/grid')}>Open the grid</Button>
        <Button icon="upload" onClick={onAgain}>Import another file</Button>
        <span className="spacer" />
        <span className="muted small">Every change is in the audit log; edited cells keep their history.</span>
      </div>
    </div>
  );
}

function ImportDropzone({ onFile, compact }) {
  const input = useRef(null);
  const [over, setOver] = useState(false);
  const pick = files => { const f = files && files[0]; if (f) onFile(f); };
  return (
    <div className={cx('imp-drop', over && 'is-over', compact && 'is-compact')}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; setOver(true); }}
      onDragLeave={e => { if (!e.currentTarget.contains(e.relatedTarget)) setOver(false); }}
      onDrop={e => { e.preventDefault(); setOver(false); pick(e.dataTransfer.files); }}>
      <input ref={input} type="file" accept=".csv,text/csv" className="sr-only" aria-label="CSV file to import" tabIndex={-1}
        onChange={e => { pick(e.target.files); e.target.value = ''; }} />
      <span className="imp-drop-icon"><Icon name="upload" /></span>
      <div className="imp-drop-title">{over ? 'Drop to preview' : 'Drop a CSV file here'}</div>
      <div className="imp-drop-text">or <button type="button" className="link-btn" onClick={() => input.current.click()}>choose a file</button> from your computer</div>
      <div className="imp-drop-hint">In Airtable: open the table’s grid view → ••• → Download CSV. Nothing is written until you press Import.</div>
    </div>
  );
}

function ExportCard({ views, loading }) {
  const toast = useToast();
  const initial = parseHash().query.view || '';
  const [view, setView] = useState(initial);
  const [pending, setPending] = useState(false);
  const shared = views.filter(v => v.shared);
  const mine = views.filter(v => !v.shared);
  useEffect(() => { if (view && !loading && !views.some(v => v.id === view)) setView(''); }, [views, loading, view]);
  const go = async () => {
    setPending(true);
    try {
      const name = await downloadFile('/api/fundraising/export.csv' + (view ? '?view=' + encodeURIComponent(view) : ''), 'venture-crm.csv');
      toast('Downloaded ' + name + '.');
    } catch (err) { toast('Could not export: ' + err.message, 'error'); }
    setPending(false);
  };
  return (
    <div className="card imp-export">
      <span className="imp-head-icon"><Icon name="download" /></span>
      <div className="imp-export-text">
        <h2>Export CSV</h2>
        <p>Export the grid or a view as CSV: the view’s columns, filter and sort, values as the grid shows them. It opens in Excel or Numbers and imports back with no changes.</p>
      </div>
      <div className="imp-export-actions">
        <select className="select imp-export-select" value={view} onChange={e => setView(e.target.value)} aria-label="What to export" disabled={loading}>
          <option value="">The whole grid (all investors)</option>
          {shared.length > 0 && <optgroup label="Shared views">{shared.map(v => <option key={v.id} value={v.id}>{v.name}</option>)}</optgroup>}
          {mine.length > 0 && <optgroup label="My views">{mine.map(v => <option key={v.id} value={v.id}>{v.name}</option>)}</optgroup>}
        </select>
        <Button icon="download" pending={pending} onClick={go}>Download CSV</Button>
      </div>
    </div>
  );
}

function ImportPage() {
  usePageTitle('Import & export');
  const [ctx, reloadCtx] = useAsync(() => Promise.all([api('/api/fundraising/meta'), api('/api/fundraising/columns'), api('/api/fundraising/views')])
    .then(([m, c, v]) => ({ meta: m.data || {}, columns: c.data || [], views: v.data || [] })), []);
  const [file, setFile] = useState(null);
  const [headers, setHeaders] = useState([]);
  const [opts, setOpts] = useState({ key: 'Name', empty: 'keep', mapping: {} });
  const [remembered, setRemembered] = useState(0);
  const [prev, setPrev] = useState({ loading: false, data: null, error: null });
  const [run, setRun] = useState(null);
  const [runRules, setRunRules] = useState(false);
  const [failure, setFailure] = useState(null);
  const [again, setAgain] = useState(0);
  const meta = ctx.data && ctx.data.meta;
  const computed = (meta && meta.computed_types) || ['formula', 'created_time', 'last_modified_time', 'last_modified_by'];
  const types = ((meta && meta.column_types) || Object.keys(TYPE_META)).filter(t => !computed.includes(t));
  const targets = ((ctx.data && ctx.data.columns) || []).filter(c => !computed.includes(c.type));

  const chooseFile = async f => {
    setFailure(null); setRun(null);
    let hs = [];
    try { hs = csvHeaderLine(await f.slice(0, 65536).text()); } catch (e) { hs = []; }
    const memory = importMemory();
    const mapping = {};
    Object.entries(memory.mapping || {}).forEach(([h, spec]) => { if (hs.includes(h)) mapping[h] = spec; });
    const key = hs.find(h => h === memory.key) || hs.find(h => h.toLowerCase() === 'name') || hs[0] || 'Name';
    setHeaders(hs);
    setRemembered(Object.keys(mapping).length);
    setOpts({ key, empty: memory.empty === 'clear' ? 'clear' : 'keep', mapping });
    setRunRules(false);  // an opt-in for this import, never carried over
    setPrev({ loading: true, data: null, error: null });
    setFile(f);
  };

  const mappingJson = JSON.stringify(opts.mapping);
  useEffect(() => {
    if (!file || run) return undefined;
    const ctl = new AbortController();
    setPrev(p => ({ ...p, loading: true }));
    const t = setTimeout(async () => {
      try {
        const r = await api(importUrl('/api/fundraising/import/preview', opts), { method: 'POST', body: file, contentType: 'text/csv', signal: ctl.signal });
        setPrev({ loading: false, data: r.data, error: null });
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        setPrev(p => ({ loading: false, data: p.data, error: err }));
      }
    }, prev.data ? 350 : 0);
    return () => { clearTimeout(t); ctl.abort(); };
  }, [file, opts.key, opts.empty, mappingJson, run, again]); // eslint-disable-line react-hooks/exhaustive-deps

  const setSpec = (header, spec) => setOpts(o => {
    const mapping = { ...o.mapping };
    if (spec) mapping[header] = spec; else delete mapping[header];
    return { ...o, mapping };
  });
  const onTarget = (col, value, newName) => {
    if (value === 'skip') setSpec(col.name, { skip: true });
    else if (value === 'new') setSpec(col.name, { to: newName, type: col.inferred_type });
    else if (value.startsWith('contact:')) { const [, n, f] = value.split(':'); setSpec(col.name, { contact: f, person: Number(n) }); }
    else setSpec(col.name, { to: value.slice(4) });
  };
  // Plain columns: every person column goes where a column of its name would (the server decides);
  // people again: drop those choices and let the preview find the person columns.
  const keepPlain = people => setOpts(o => {
    const mapping = { ...o.mapping };
    people.forEach(p => Object.values(p.columns).forEach(h => { mapping[h] = { contact: false }; }));
    return { ...o, mapping };
  });
  const importPeople = () => setOpts(o => ({ ...o, mapping: Object.fromEntries(Object.entries(o.mapping).filter(([, spec]) => spec.contact !== false)) }));
  const forget = () => { setOpts(o => ({ ...o, mapping: {} })); setRemembered(0); };

  const data = prev.data;
  const previewError = prev.error;
  const mappingError = previewError && previewError.body && previewError.body.field === 'mapping' ? previewError : null;
  const rowError = mappingError && mappingError.body.column;
  const blocked = !data || prev.loading || !!previewError || data.errors.length > 0 || data.row_count === 0;

  const start = async () => {
    if (blocked) return;
    const rows = data.row_count;
    setFailure(null);
    setRun({ phase: 'upload', loaded: 0, total: file.size, started: Date.now(), rows });
    try {
      const r = await apiUpload(importUrl('/api/fundraising/import', opts, runRules), file, {
        contentType: 'text/csv',
        onProgress: (loaded, total) => setRun(s => (s && s.phase === 'upload' ? { ...s, loaded, total: total || s.total } : s)),
        onSent: () => setRun(s => (s && s.phase === 'upload' ? { ...s, phase: 'process', loaded: s.total, processingAt: Date.now() } : s)),
      });
      rememberImport(opts);
      setRun(s => ({ ...s, phase: 'done', result: r.data, runRules, finished: Date.now() }));
      reloadCtx(true);
    } catch (err) {
      setRun(null);
      setFailure(err);
    }
  };
  const reset = () => { setFile(null); setRun(null); setRunRules(false); setFailure(null); setPrev({ loading: false, data: null, error: null }); setHeaders([]); reloadCtx(true); };

  // Leaving mid-import would not stop it, but the result would go unseen: ask first.
  const busy = !!run && run.phase !== 'done';
  useEffect(() => {
    if (!busy) return undefined;
    const warn = e => { e.preventDefault(); e.returnValue = ''; };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [busy]);

  const failureErrors = failure && failure.body && failure.body.data && Array.isArray(failure.body.data.errors) ? failure.body.data.errors : [];
  const keyOptions = data ? data.columns.filter(c => !c.skipped || c.name === opts.key).map(c => c.name) : headers;
  // People in the "Import into" menus: those in use and one more.
  const peopleSlots = data ? Math.min(MAX_PEOPLE, Math.max(0, ...data.columns.filter(c => c.contact).map(c => c.contact.person)) + 1) : 1;

  let body;
  if (run && run.phase !== 'done') body = <ImportProgress run={run} file={file} rows={run.rows} />;
  else if (run && run.phase === 'done') body = <ImportResult result={run.result} runRules={run.runRules} file={file} seconds={(run.finished - run.started) / 1000} onAgain={reset} />;
  else if (!file) body = <div className="card imp-pick"><ImportDropzone onFile={chooseFile} /></div>;
  else {
    body = (
      <div className="stack-16">
        <div className="card imp-filecard">
          <div className="imp-filebar">
            <span className="imp-file-icon"><Icon name="file-text" /></span>
            <div className="imp-file-meta">
              <div className="imp-file-name" title={file.name}>{file.name}</div>
              <div className="muted small">{fmtBytes(file.size)}{headers.length ? ' · ' + plural(headers.length, 'column') : ''}{file.lastModified ? ' · modified ' + fmtRel(file.lastModified) : ''}</div>
            </div>
            {prev.loading && <span className="imp-updating"><Spinner />{data ? 'Updating the preview…' : 'Reading ' + fmtBytes(file.size) + '…'}</span>}
            <ReplaceFileButton onFile={chooseFile} />
          </div>
          {data && <ImportSummary data={data} stale={prev.loading} />}
        </div>
        {failure && (
          <Callout tone="danger" title={failureErrors.length ? 'Nothing was imported' : 'The import failed'} onDismiss={() => setFailure(null)}>
            <div className="co-text">{failure.message}</div>
          </Callout>
        )}
        {failureErrors.length > 0 && <ImportProblems errors={failureErrors} title={plural(failureErrors.length, 'problem') + ' stopped the import'} />}
        {previewError && !mappingError && (
          <Callout tone="danger" title={previewError.body && previewError.body.field === 'key' ? 'Choose another key column' : 'This file can’t be read'}>
            <div className="co-text">{previewError.message}</div>
            <div className="co-actions row">
              {previewError.status === 400 && !(previewError.body && previewError.body.field)
                ? <ReplaceFileButton onFile={chooseFile} label="Choose the corrected file" />
                : <Button size="sm" icon="refresh" onClick={() => setAgain(n => n + 1)}>Try again</Button>}
            </div>
          </Callout>
        )}
        {data && (
          <>
            <div className="card">
              <div className="card-head imp-map-head">
                <div className="spacer">
                  <h2>Map columns</h2>
                  <p>One line per CSV column: where it goes and as what type. Types are detected from the values.</p>
                </div>
                <label className="imp-opt">
                  <span>Match investors by</span>
                  <select className="select select-sm" value={opts.key} aria-label="Key column" onChange={e => setOpts(o => ({ ...o, key: e.target.value }))}>
                    {keyOptions.map(h => <option key={h} value={h}>{h}</option>)}
                  </select>
                </label>
                <div className="imp-opt">
                  <span>Empty cells</span>
                  <div className="seg" role="group" aria-label="Empty cells">
                    <button type="button" className={cx('seg-btn', opts.empty === 'keep' && 'is-on')} aria-pressed={opts.empty === 'keep' ? 'true' : 'false'}
                      title="An empty cell in the file leaves the stored value alone" onClick={() => setOpts(o => ({ ...o, empty: 'keep' }))}>Keep existing values</button>
                    <button type="button" className={cx('seg-btn', opts.empty === 'clear' && 'is-on')} aria-pressed={opts.empty === 'clear' ? 'true' : 'false'}
                      title="An empty cell in the file clears the stored value" onClick={() => setOpts(o => ({ ...o, empty: 'clear' }))}>Clear them</button>
                  </div>
                </div>
              </div>
              {remembered > 0 && (
                <div className="imp-memory"><Icon name="history" />Using your choices from the last import for {plural(remembered, 'column')}.
                  <button type="button" className="link-btn" onClick={forget}>Start fresh</button></div>
              )}
              <ImportPeople data={data} mapping={opts.mapping} onPlain={keepPlain} onPeople={importPeople} />
              {mappingError && <div className="imp-map-error"><FormError>{mappingError.message}</FormError></div>}
              <div className="table-scroll">
                <table className={cx('table imp-map', prev.loading && 'is-stale')}>
                  <colgroup><col className="imp-c1" /><col className="imp-c2" /><col className="imp-c3" /><col className="imp-c4" /><col className="imp-c5" /></colgroup>
                  <thead><tr><th>CSV column</th><th>Detected</th><th>Import into</th><th>As type</th><th className="num">Problems</th></tr></thead>
                  <tbody>
                    {data.columns.map(c => (
                      <MappingRow key={c.name} col={c} columns={targets} types={types} people={peopleSlots} isKey={c.name.toLowerCase() === String(data.key || opts.key).toLowerCase()}
                        error={rowError === c.name ? mappingError.message : null}
                        onTarget={(v, newName) => onTarget(c, v, newName)} onType={(t, newName) => setSpec(c.name, { to: newName, type: t })} />
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
            {data.warnings.length > 0 && (
              <Callout tone="warn" title={plural(data.warnings.length, 'warning')}>
                <ul className="imp-warnings">{data.warnings.map((w, i) => <li key={i}>{capitalize(w)}</li>)}</ul>
              </Callout>
            )}
            {data.errors.length > 0 && <ImportProblems errors={data.errors} />}
            {!data.errors.length && <ImportReview data={data} />}
            {data.row_count > 0 && <ImportRules on={runRules} onChange={setRunRules} />}
            <div className="imp-actionbar">
              <div className="imp-actionbar-text">
                {data.errors.length > 0 ? <><Icon name="alert-circle" className="is-red" />Fix {plural(data.errors.length, 'problem')} to import.</>
                  : data.row_count === 0 ? 'The file has no rows.'
                  : <><b>{plural(data.row_count, 'row')}</b>: {data.created.toLocaleString()} new, {data.updated.toLocaleString()} updated, {data.unchanged.toLocaleString()} unchanged{(data.new_columns || []).length ? ', ' + plural(data.new_columns.length, 'new column') : ''}. {runRules ? 'Automation rules will run. ' : ''}All or nothing.</>}
              </div>
              <Button onClick={reset}>Cancel</Button>
              <Button variant="primary" icon="upload" disabled={blocked} onClick={start}>
                {!data.errors.length && (data.created || data.updated) ? 'Import ' + plural(data.row_count, 'row') : 'Import'}
              </Button>
            </div>
          </>
        )}
        {!data && !previewError && prev.loading && (
          <div className="card imp-loading"><Spinner large /><div><div className="imp-progress-title">Reading {file.name}</div><div className="muted small">Detecting column types and checking every line. Large files take a few seconds.</div></div></div>
        )}
      </div>
    );
  }

  return (
    <div className="page imp-page">
      <div className="page-head">
        <div>
          <h1>Import &amp; export</h1>
          <p>Bring investors in from an Airtable CSV export, or take the grid out as CSV. Imports preview first, apply all or nothing, and re-importing the same file changes nothing.</p>
        </div>
        <div className="actions"><Button icon="grid" onClick={() => navigate('#/grid')}>Back to the grid</Button></div>
      </div>
      {body}
      <ExportCard views={(ctx.data && ctx.data.views) || []} loading={ctx.loading && !ctx.data} />
    </div>
  );
}

function ReplaceFileButton({ onFile, label = 'Change file' }) {
  const input = useRef(null);
  return (
    <>
      <input ref={input} type="file" accept=".csv,text/csv" className="sr-only" tabIndex={-1} aria-label={label === 'Change file' ? 'Choose another CSV file' : label}
        onChange={e => { const f = e.target.files && e.target.files[0]; if (f) onFile(f); e.target.value = ''; }} />
      <Button size="sm" icon={label === 'Change file' ? 'refresh' : 'upload'} onClick={() => input.current.click()}>{label}</Button>
    </>
  );
}

/* ---------- Settings: backups ---------- */

registerScreen({ path: '/import', label: 'Import & export', short: 'Import', icon: 'upload', title: 'Import & export', Page: ImportPage, parent: '/grid', order: 15 });
