#!/usr/bin/env node
// Generates the route table of docs/admin-api.md from the admin API's route table
// (src/admin/routes.ts ← *-routes.ts). Only the region between the two marker comments is
// generated; the rest of the page is written by hand. `npm run docs:api` rewrites it; a unit test
// fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { ROUTES } from '../dist/src/admin/routes.js';

export const BEGIN = '<!-- routes: generated from src/admin/*-routes.ts by "npm run docs:api"; do not edit by hand -->';
export const END = '<!-- end of generated routes -->';

const cell = (s) => s.replace(/\|/g, '\\|');

/** The routes, one table per tag in the route table's order: method, path (with its query fields), permission, summary. */
export function renderRouteTable() {
  const out = [BEGIN, ''];
  let tag = '';
  for (const r of ROUTES) {
    if (r.tag !== tag) {
      tag = r.tag;
      out.push(...(out.length > 2 ? [''] : []), `### ${tag}`, '', '| method | path | permission | what it does |', '|---|---|---|---|');
    }
    const query = Object.keys(r.query?.properties ?? {});
    const path = query.length > 0 ? `${r.path}?${query.map((q) => `${q}=`).join('&')}` : r.path;
    out.push(`| ${r.method} | \`${cell(path)}\` | \`${r.access}\` | ${cell(r.summary)} |`);
  }
  out.push('', END);
  return out.join('\n');
}

/** The page with its generated region replaced (the page must have both markers). */
export function renderAdminApiDoc(page = readFileSync(new URL('../docs/admin-api.md', import.meta.url), 'utf8')) {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/admin-api.md must contain the markers ${BEGIN} and ${END}, in that order`);
  return page.slice(0, begin) + renderRouteTable() + page.slice(end + END.length);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  writeFileSync(new URL('../docs/admin-api.md', import.meta.url), renderAdminApiDoc());
}
