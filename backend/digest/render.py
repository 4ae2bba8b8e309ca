"""The digest as mail: a subject, a plain-text part and an HTML part.

The HTML is one column (max 640 px), inline-styled only (no <style>, no scripts, no images), in
tables Gmail and phones both read; everything from the data is escaped, every investor name links
to `{public_url}/#/grid?investor=<id>` and the footer to Settings -> Digest (without a public URL,
names are plain text and the footer says links need CRM_PUBLIC_URL). Dates are in the policy's
time zone.
"""
from __future__ import annotations

import html
import re
import textwrap
from datetime import datetime, timedelta
from urllib.parse import quote

from .builder import LIST_LABELS, NOTE_KINDS, Activity, InvestorDay, Item, MemberDay, clip, money, shown, zone_of
from .narrative import fallback_text

INVESTORS_AT_MOST = 100      # investor blocks in one email; the rest are counted
INVESTORS_AT_LEAST = 10      # shown whatever their size
HTML_BUDGET = 80_000         # characters of HTML, under Gmail's ~102 KB clipping
LINES_PER_INVESTOR = 8
MEMBER_INVESTORS_SHOWN = 6
FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK, MUTED, RULE, LINK, IN, OUT = "#1f2328", "#59636e", "#d8dee4", "#0b5cad", "#1a7f37", "#8a4baf"
NOTE_LABELS = {"note": "Note", "meeting": "Meeting", "call": "Call", "intake": "Note", "import": "Imported note",
               "email_note": "Logged email"}
TEXT_WIDTH = 78
ORDER = {"commitment": 0, "stage": 1, "list": 2, "created": 3, "restored": 3, "edit": 4, "task": 6}


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def _when(activity: Activity, timezone: str) -> tuple[str, str, bool]:
    """(the day label, the window in words, whether it is a day or less)."""
    zone = zone_of(timezone)
    since = datetime.fromisoformat(activity.window["since"].replace("Z", "+00:00")).astimezone(zone)
    until = datetime.fromisoformat(activity.window["until"].replace("Z", "+00:00")).astimezone(zone)
    last = until - timedelta(microseconds=1)
    one_day = until - since <= timedelta(days=1)
    label = _day(last) if one_day or since.date() == last.date() else f"{_day(since)} – {_day(last)}"
    window = f"{_day(since)} {since:%H:%M} – {_day(until)} {until:%H:%M} ({zone.key})"
    return label, window, one_day


def _wrap(text: str, indent: str = "  ", hang: str | None = None) -> list[str]:
    """Plain-text lines of at most TEXT_WIDTH (a long address or link stays whole)."""
    return textwrap.wrap(text, TEXT_WIDTH, initial_indent=indent, subsequent_indent=hang or indent,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def _summary(totals: dict) -> str:
    return ", ".join([_plural(totals["emails"], "email"), _plural(totals["notes"], "note"),
                      _plural(totals["changes"], "change")])


def _source_note(source: str, model_error: str | None) -> str:
    if source == "llm":
        return "Written by the local model."
    if model_error:
        return f"Structured summary (the model did not answer: {model_error})."
    return "Structured summary (no language model configured)."


def _investor_url(base: str, investor_id: str) -> str:
    return f"{base}/#/grid?investor={quote(investor_id, safe='')}"


# --- one line about an investor ----------------------------------------------------------------------

def _ordered(day: InvestorDay) -> list[Item]:
    rank = lambda i: ORDER.get(i.kind, 5 if i.kind in NOTE_KINDS else 7)
    return sorted(day.items, key=lambda i: (rank(i), i.at))


def _line(item: Item) -> tuple[str, str, str]:
    """(marker, text, who) of one thing that happened with an investor."""
    if item.kind == "email":
        subject = f'"{clip(item.text or "(no subject)", 120)}"'
        snippet = f" — {clip(item.detail, 160)}" if item.detail.strip() else ""
        people = ", ".join(item.people[:3]) or item.investor
        if item.direction == "outbound":
            return "→ from us", f"{item.by or 'the team'} to {people}: {subject}{snippet}", ""
        return "← from them", f"{people}: {subject}{snippet}", f"to {item.by}" if item.by else ""
    via = f"via {item.via}" if item.via else ""
    who = ", ".join(x for x in (item.by, via) if x)
    if item.kind in NOTE_KINDS:
        body = f" — {clip(item.detail, 160)}" if item.detail.strip() and item.detail.strip() != item.text.strip() else ""
        return "•", f'{NOTE_LABELS.get(item.kind, "Note")}: "{clip(item.text, 160)}"{body}', who
    if item.kind == "commitment":
        return "•", f"{item.text} commitment: {money(item.old, item.symbol)} → {money(item.new, item.symbol)}", who
    if item.kind == "list":
        return "•", f"List: {LIST_LABELS.get(item.old, shown(item.old))} → {LIST_LABELS.get(item.new, shown(item.new))}", who
    if item.kind == "stage":
        return "•", f"{item.text}: {shown(item.old)} → {shown(item.new)}", who
    if item.kind == "created":
        return "•", "Added to the grid", who
    if item.kind == "restored":
        return "•", "Restored from the archive", who
    if item.kind == "task":
        state = f"overdue (due {item.at[:10]})" if item.overdue else f"due {item.at[:10]}"
        return "•", f'Task {state}: "{clip(item.text, 120)}"', who
    return "•", f"{item.text} edited", who


def _counts(day: InvestorDay) -> str:
    c = day.counts
    parts = []
    if c.get("inbound"):
        parts.append(f"{c['inbound']:,} ← from them")
    if c.get("outbound"):
        parts.append(f"{c['outbound']:,} → from us")
    for key, noun in (("notes", "note"), ("changes", "change"), ("tasks", "task")):
        if c.get(key):
            parts.append(_plural(c[key], noun))
    return " · ".join(parts)


def _member_counts(member: MemberDay) -> str:
    c = member.counts
    parts = []
    for key, noun in (("emails_out", "sent"), ("emails_in", "received")):
        if c.get(key):
            parts.append(f"{_plural(c[key], 'email')} {noun}")
    for key, noun in (("notes", "note"), ("changes", "change"), ("tasks", "task")):
        if c.get(key):
            parts.append(_plural(c[key], noun))
    return " · ".join(parts)


def _rest(items: list[Item]) -> str:
    emails = sum(1 for i in items if i.kind == "email")
    other = len(items) - emails
    bits = ([_plural(emails, "email")] if emails else []) + ([_plural(other, "other item")] if other else [])
    return "and " + " and ".join(bits) + " more"


# --- plain text ----------------------------------------------------------------------------------------

def _text(activity: Activity, narratives: dict, note: str, base: str, label: str, window: str, one_day: bool,
          shown: int) -> str:
    t = activity.totals
    out = [f"Venture CRM digest — {label}", window, ""]
    if activity.empty:
        out += ["No activity today." if one_day else "No activity in this period.", ""]
    else:
        out += [*_wrap(f"{_summary(t)} · {t['inbound']:,} from them, {t['outbound']:,} from us · "
                       f"{_plural(t['investors'], 'investor')}", ""), ""]
        if activity.members or activity.automations:
            out += ["BY TEAM MEMBER", "=" * 14, ""]
        for member in activity.members:
            head = member.name + (f" <{member.email}>" if member.email and member.email != member.name else "")
            out += [head, *_wrap(narratives.get(member.key) or fallback_text(member))]
            counts = _member_counts(member)
            names = [n for _, n in member.investors[:MEMBER_INVESTORS_SHOWN]]
            more = len(member.investors) - len(names)
            if names:
                counts += (" · " if counts else "") + "with " + ", ".join(names) + (f" and {more} more" if more else "")
            out += [*_wrap(f"({counts})"), ""]
        for rule in activity.automations:
            out += _wrap(f"Automation '{rule['rule']}': {_automation(rule)}", "")
        if activity.automations:
            out.append("")
        if activity.investors:
            out += ["BY INVESTOR", "=" * 11, ""]
        for day in activity.investors[:shown]:
            out += _wrap(f"{day.name or '(no name)'} — {_counts(day)}", "", "  ")
            items = _ordered(day)
            for item in items[:LINES_PER_INVESTOR]:
                marker, text, who = _line(item)
                out += _wrap(f"{marker:<11} {text}" + (f" ({who})" if who else ""), "  ", " " * 14)
            if len(items) > LINES_PER_INVESTOR:
                out.append(f"  {_rest(items[LINES_PER_INVESTOR:])}")
            if base:
                out.append(f"  {_investor_url(base, day.id)}")
            out.append("")
        hidden = len(activity.investors) - shown
        if hidden > 0:
            out += [f"… and {hidden:,} more investors with activity: see the CRM.", ""]
    out += ["--", *_wrap(note, "")]
    out.append(f"Digest settings: {base}/#/settings/digest" if base else
               "Links to the CRM need CRM_PUBLIC_URL to be set.")
    return "\n".join(out) + "\n"


def _automation(rule: dict) -> str:
    text = f"{_plural(rule['runs'], 'run')} on {_plural(rule['investors'], 'investor')}"
    if rule["errors"]:
        text += f", {_plural(rule['errors'], 'error')}"
    if rule["undone"]:
        text += f", {rule['undone']:,} undone"
    return text


# --- HTML ----------------------------------------------------------------------------------------------

def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _a(base: str, investor_id: str, name: str) -> str:
    label = _esc(name or "(no name)")
    if not base:
        return label
    return (f'<a href="{_esc(_investor_url(base, investor_id))}" style="color:{LINK};text-decoration:none;">'
            f"{label}</a>")


def _linked(text: str, base: str, investors: list[tuple[str, str]]) -> str:
    """Escaped `text` with the member's investors' names made links (longest names first)."""
    escaped = _esc(text)
    names = {_esc(name): iid for iid, name in investors if name and len(name) >= 3 and _esc(name) in escaped}
    if not base or not names:
        return escaped
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: _a(base, names[m.group(0)], html.unescape(m.group(0))), escaped)


def _p(content: str, style: str = "") -> str:
    return f'<p style="margin:0 0 8px;{style}">{content}</p>'


def _heading(title: str) -> str:
    return (f'<tr><td style="padding:20px 24px 4px;"><h2 style="margin:0;padding:0 0 6px;font-size:17px;'
            f'font-weight:600;border-bottom:1px solid {RULE};">{_esc(title)}</h2></td></tr>')


def _row(content: str, padding: str = "10px 24px") -> str:
    return f'<tr><td style="padding:{padding};">{content}</td></tr>'


def _investor_html(day: InvestorDay, base: str) -> str:
    items = _ordered(day)
    lines = []
    for item in items[:LINES_PER_INVESTOR]:
        marker, text, who = _line(item)
        colour = IN if item.direction == "inbound" else OUT if item.direction == "outbound" else MUTED
        who_html = f' <span style="color:{MUTED};">({_esc(who)})</span>' if who else ""
        lines.append(f'<p style="margin:0 0 5px;font-size:14px;"><span style="color:{colour};'
                     f'white-space:nowrap;font-weight:600;">{_esc(marker)}</span> {_esc(text)}{who_html}</p>')
    if len(items) > LINES_PER_INVESTOR:
        lines.append(_p(_esc(_rest(items[LINES_PER_INVESTOR:])), f"color:{MUTED};font-size:13px;"))
    return _row(f'<p style="margin:0 0 2px;font-weight:600;font-size:15px;">{_a(base, day.id, day.name)}</p>'
                f'<p style="margin:0 0 6px;color:{MUTED};font-size:13px;">{_esc(_counts(day))}</p>'
                + "".join(lines), "10px 24px")


def _html(activity: Activity, narratives: dict, note: str, base: str, subject: str, label: str, window: str,
          one_day: bool) -> tuple[str, int]:
    """The HTML and how many investor blocks it holds: at most INVESTORS_AT_MOST, and past the
    first INVESTORS_AT_LEAST only while the whole stays under HTML_BUDGET (Gmail clips a message
    past ~102 KB and hides the rest behind a link)."""
    t, shown = activity.totals, 0
    rows = [_row(f'<h1 style="margin:0;font-size:20px;font-weight:600;">Venture CRM digest — '
                 f'{_esc(label).replace(" ", "&nbsp;")}</h1>'
                 f'<p style="margin:4px 0 0;color:{MUTED};font-size:14px;">{_esc(window)}</p>', "22px 24px 6px")]
    if activity.empty:
        rows.append(_row(_p("No activity today." if one_day else "No activity in this period.",
                            "font-size:16px;padding:12px 0;")))
    else:
        rows.append(_row(_p(f"<strong>{_esc(_summary(t))}</strong> · {t['inbound']:,} ← from them, "
                            f"{t['outbound']:,} → from us · {_esc(_plural(t['investors'], 'investor'))}",
                            f"color:{INK};")))
        if activity.members or activity.automations:
            rows.append(_heading("By team member"))
        for member in activity.members:
            words = narratives.get(member.key) or fallback_text(member)
            email = (f' <span style="color:{MUTED};font-weight:400;font-size:13px;">{_esc(member.email)}</span>'
                     if member.email and member.email != member.name else "")
            names = [_a(base, iid, name) for iid, name in member.investors[:MEMBER_INVESTORS_SHOWN]]
            more = len(member.investors) - len(names)
            counts = _esc(_member_counts(member))
            if names:
                counts += (" · " if counts else "") + "with " + ", ".join(names) + (f" and {more} more" if more else "")
            rows.append(_row(
                f'<p style="margin:0 0 4px;font-weight:600;">{_esc(member.name)}{email}</p>'
                + _p(_linked(words, base, member.investors))
                + f'<p style="margin:0;color:{MUTED};font-size:13px;">{counts}</p>', "10px 24px 6px"))
        for rule in activity.automations:
            rows.append(_row(_p(f"Automation <strong>{_esc(rule['rule'])}</strong>: {_esc(_automation(rule))}",
                                f"color:{MUTED};font-size:14px;"), "4px 24px"))
        if activity.investors:
            rows.append(_heading("By investor"))
        used = sum(len(r) for r in rows) + 3000
        for day in activity.investors[:INVESTORS_AT_MOST]:
            block = _investor_html(day, base)
            used += len(block)
            if used > HTML_BUDGET and shown >= INVESTORS_AT_LEAST:
                break
            rows.append(block)
            shown += 1
        hidden = len(activity.investors) - shown
        if hidden > 0:
            rows.append(_row(_p(f"… and {hidden:,} more investors with activity: see the CRM.", f"color:{MUTED};")))
    settings = (f'<a href="{_esc(base)}/#/settings/digest" style="color:{LINK};">Settings → Digest</a>' if base
                else "Links to the CRM need CRM_PUBLIC_URL to be set.")
    rows.append(f'<tr><td style="padding:16px 24px 22px;border-top:1px solid {RULE};color:{MUTED};font-size:13px;">'
                f"{_p(_esc(note))}{_p(settings, 'margin:0;')}</td></tr>")
    return ((
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:#f3f4f6;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">'
        '<tr><td align="center" style="padding:16px 8px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="max-width:640px;background:#ffffff;border:1px solid {RULE};border-radius:8px;'
        f'font-family:{FONT};font-size:15px;line-height:1.5;color:{INK};">'
        + "".join(rows) + "</table></td></tr></table></body></html>"), shown)


def render(activity: Activity, narratives: dict, source: str, public_url: str, timezone: str,
           model_error: str | None = None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one digest. `model_error` says why the fallback was used."""
    base = (public_url or "").strip().rstrip("/")
    label, window, one_day = _when(activity, timezone)
    tail = "no activity" if activity.empty else _summary(activity.totals)
    subject = f"Venture CRM digest — {label}: {tail}"
    note = _source_note(source, model_error) if activity.members else "Nothing to summarise."
    html_part, shown = _html(activity, narratives, note, base, subject, label, window, one_day)
    return subject, _text(activity, narratives, note, base, label, window, one_day, shown), html_part
