// What every dashboard page shares: the page frame, value formatting, the status badge and the event list items.
// Every value is interpolated by Hono's `html` tag, which escapes it.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A value as text: strings as they are, null/undefined as nothing, objects as JSON (never '[object Object]'). */
export const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
};
export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
export const when = (d: unknown): string => {
  if (!d || !(d instanceof Date || typeof d === 'string' || typeof d === 'number')) return '–';
  return new Date(d).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
};

/** The dashboard's page frame around a body. */
export function page(title: string, body: Html, opts: { campaignId?: string } = {}): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · egcfg</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css">
<script src="/static/dashboard.js" defer></script></head>
<body${opts.campaignId ? html` data-campaign="${opts.campaignId}"` : ''}>
<header class="top"><a href="/ui"><b>egcfg</b></a> · <a href="/ui">campaigns</a> · <a href="/docs">API reference</a> · <a href="/healthz">health</a>
<form method="post" action="/logout" class="inline"><button type="submit" class="link">sign out</button></form></header>
<main>${body}</main></body></html>`;
}

export const statusBadge = (status: string, paused = false): Html =>
  html`<span class="badge ${paused ? 'paused' : status}" id="status-badge">${paused ? 'paused' : status}</span>`;

function summarise(kind: string, p: Record<string, unknown>): string {
  if (kind === 'problem_finished') {
    return `${text(p.taskId ?? p.problemId)}${p.protocol && p.protocol !== 'default' ? ` [${text(p.protocol)}]` : ''}: ${p.passed ? 'passed' : 'failed'} (${text(p.status)})`;
  }
  if (kind === 'campaign_status') return String(p.status);
  if (kind === 'campaign_control') return `${text(p.action)}${p.by ? ` by ${text(p.by)}` : ''}`;
  // Errors (model_unavailable, campaign_failed, …) with their message.
  if (typeof p.error === 'string') return `${p.taskId ? `${text(p.taskId)}: ` : ''}${p.error}`;
  return JSON.stringify(p);
}

export function eventItem(e: { id: number; kind: string; payload: Record<string, unknown>; createdAt: Date | string }): Html {
  return html`<li data-id="${e.id}"><span class="muted">${when(e.createdAt)}</span> <code>${e.kind}</code> ${summarise(e.kind, e.payload)}</li>`;
}
