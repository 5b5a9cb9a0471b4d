// Small renderings every page uses: compliance badges, digests people can read, times both
// absolute (in `<time datetime>`) and relative to now.
import { html, type Html } from './html.ts';

const COMPLIANCE_LABELS: Record<string, string> = {
  compliant: 'compliant',
  non_compliant: 'non-compliant',
  pending: 'pending',
  error: 'scan failed',
  unspecified: 'unknown',
};

/** A badge for a compliance name (`compliant`, `non_compliant`, `pending`, `error`). Text, not colour alone, says which. */
export function complianceBadge(compliance: string): Html {
  const label = COMPLIANCE_LABELS[compliance] ?? compliance;
  return html`<span class="badge badge-${compliance}">${label}</span>`;
}

/** `sha256:0123456789ab` — the first 12 hex digits, as registries and kubectl show them. */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest.slice(0, 12) : `${digest.slice(0, i)}:${digest.slice(i + 1, i + 13)}`;
}

/** A duration people read: `3d 4h`, `2h 5 min`, `12 min`, `40 s`. */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m} min` : `${h}h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** `<time datetime="…">5 min ago</time>` with the exact time as its title; `—` when unknown. */
export function timeAgo(iso: string | undefined, now: Date): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const ms = now.getTime() - new Date(iso).getTime();
  const text = ms >= 0 ? `${duration(ms)} ago` : `in ${duration(-ms)}`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

/** Time left until `iso` (`2d 3h left`, or `expired 5 min ago`). */
export function timeLeft(iso: string, now: Date): Html {
  const ms = new Date(iso).getTime() - now.getTime();
  const text = ms > 0 ? `${duration(ms)} left` : `expired ${duration(-ms)} ago`;
  return html`<time datetime="${iso}" title="${iso}" class="${ms > 0 ? '' : 'expired'}">${text}</time>`;
}

/** A count with its noun, pluralised the English way (`1 image`, `3 images`). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
