/* ---------- popover: anchored, portalled, closes on outside click and Escape ---------- */
const popoverStack = [];
function Popover({ anchor, onClose, children, className, align = 'start', menu, label, offset = 6 }) {
  const ref = useRef(null);
  const [pos, setPos] = useState(null);
  const closeRef = useLatest(onClose);
  const idRef = useRef({});
  useLayoutEffect(() => {
    const place = () => {
      if (!anchor || !ref.current) return;
      const a = anchor.getBoundingClientRect ? anchor.getBoundingClientRect() : anchor;
      const p = ref.current.getBoundingClientRect();
      let left = align === 'end' ? a.right - p.width : a.left;
      left = Math.max(8, Math.min(left, window.innerWidth - p.width - 8));
      let top = a.bottom + offset;
      if (top + p.height > window.innerHeight - 8 && a.top - offset - p.height > 8) top = a.top - offset - p.height;
      setPos(prev => (prev && prev.left === left && prev.top === top ? prev : { left, top }));
    };
    place();
    const ro = window.ResizeObserver ? new ResizeObserver(place) : null;
    if (ro && ref.current) ro.observe(ref.current);
    window.addEventListener('resize', place);
    return () => { window.removeEventListener('resize', place); if (ro) ro.disconnect(); };
  }, [anchor, align, offset]);
  useEffect(() => {
    const me = idRef.current;
    popoverStack.push(me);
    const prev = document.activeElement;
    const onDown = e => {
      if (popoverStack[popoverStack.length - 1] !== me) return;
      const t = e.target;
      if (ref.current && ref.current.contains(t)) return;
      if (anchor && anchor.contains && anchor.contains(t)) return;
      if (t && t.closest && t.closest('.pop, .modal-backdrop')) return;
      closeRef.current('outside');
    };
    const onKey = e => {
      if (popoverStack[popoverStack.length - 1] !== me) return;
      if (e.key === 'Escape') {
        e.stopPropagation(); e.preventDefault();
        closeRef.current('escape');
        if (anchor && anchor.focus) anchor.focus();
      } else if (menu && (e.key === 'ArrowDown' || e.key === 'ArrowUp') && ref.current) {
        e.preventDefault();
        const items = Array.from(ref.current.querySelectorAll('.menu-item:not(:disabled)'));
        const i = items.indexOf(document.activeElement);
        const next = e.key === 'ArrowDown' ? items[(i + 1) % items.length] : items[(i - 1 + items.length) % items.length];
        if (next) next.focus();
      }
    };
    document.addEventListener('pointerdown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    const t = setTimeout(() => {
      if (!ref.current || ref.current.contains(document.activeElement)) return;
      const f = ref.current.querySelector('[data-autofocus], .menu-item:not(:disabled), input:not([type="checkbox"]), select, textarea, button');
      if (f) f.focus();
    }, 0);
    return () => {
      const i = popoverStack.indexOf(me);
      if (i >= 0) popoverStack.splice(i, 1);
      document.removeEventListener('pointerdown', onDown, true);
      document.removeEventListener('keydown', onKey, true);
      clearTimeout(t);
      if (prev && prev.focus && ref.current && ref.current.contains(document.activeElement)) prev.focus();
    };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return ReactDOM.createPortal(
    <div ref={ref} className={cx('pop', menu && 'menu-pop', className)} role={menu ? 'menu' : 'dialog'} aria-label={label}
      style={pos ? { left: pos.left, top: pos.top } : { left: -9999, top: 0, visibility: 'hidden' }}>
      {children}
    </div>,
    document.body
  );
}

// A toolbar button that opens a popover anchored to itself.
function PopButton({ icon, label, className, title, children, popClassName, popLabel, align, menu, badge, on, tone, ariaLabel, open: openProp, onOpenChange }) {
  const [openState, setOpenState] = useState(false);
  const open = openProp !== undefined ? openProp : openState;
  const setOpen = v => { if (onOpenChange) onOpenChange(v); if (openProp === undefined) setOpenState(v); };
  const btn = useRef(null);
  return (
    <>
      <button type="button" ref={btn} className={cx('tbtn', on && 'is-on', on && tone && 'tone-' + tone, className)} title={title} aria-label={ariaLabel}
        aria-haspopup={menu ? 'menu' : 'dialog'} aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>
        {icon && <Icon name={icon} />}{label && <span className="tb-label">{label}</span>}{badge}
      </button>
      {open && <Popover anchor={btn.current} onClose={() => setOpen(false)} className={popClassName} label={popLabel || label} align={align} menu={menu}>
        {typeof children === 'function' ? children(() => setOpen(false)) : children}
      </Popover>}
    </>
  );
}
