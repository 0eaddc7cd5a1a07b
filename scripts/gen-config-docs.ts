// Generates docs/configuration.md from the zod config shapes, so the reference cannot drift from
// what the processes parse: each variable's type and default come from its zod schema (zod's own
// JSON Schema export), its meaning from the comment above it in the source (read with the
// TypeScript compiler API). `--check` exits 1 when the committed file is stale (a test runs it too).
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { z } from 'zod';
import { PROJECT_ROOT, baseShape } from '../platform/config.js';
import { driftShape } from '../processors/drift/config.js';
import { triggerShape } from '../processors/retrain-trigger/config.js';
import { reviewStoreShape } from '../processors/review-store/config.js';
import { modelServingShape } from '../models/serving/config.js';
import { scoringShape } from '../processors/scoring/config.js';
import { scraperShape } from '../processors/scraper/config.js';
import { launcherShape } from '../processors/training-launcher/config.js';
import { gatewayShape } from '../gateway/config.js';
import { alertsShape } from '../processors/alerts/config.js';

export const CONFIG_DOC = path.join(PROJECT_ROOT, 'docs', 'configuration.md');

interface Section {
  title: string;
  file: string;
  exportName: string;
  shape: Record<string, z.ZodType>;
  note?: string;
}

const SECTIONS: Section[] = [
  {
    title: 'Every process',
    file: 'platform/config.ts',
    exportName: 'baseShape',
    shape: baseShape,
    note: 'Read by every processor, the gateway and the CLIs.',
  },
  {
    title: 'Review store',
    file: 'processors/review-store/config.ts',
    exportName: 'reviewStoreShape',
    shape: reviewStoreShape,
  },
  {
    title: 'Model serving (the scorer and the gateway)',
    file: 'models/serving/config.ts',
    exportName: 'modelServingShape',
    shape: modelServingShape,
    note: 'Which package or registry model is served, and how the engine runs it.',
  },
  {
    title: 'Scoring',
    file: 'processors/scoring/config.ts',
    exportName: 'scoringShape',
    shape: scoringShape,
  },
  { title: 'Drift', file: 'processors/drift/config.ts', exportName: 'driftShape', shape: driftShape },
  {
    title: 'Retrain trigger',
    file: 'processors/retrain-trigger/config.ts',
    exportName: 'triggerShape',
    shape: triggerShape,
  },
  { title: 'Alerts', file: 'processors/alerts/config.ts', exportName: 'alertsShape', shape: alertsShape },
  {
    title: 'Training launcher',
    file: 'processors/training-launcher/config.ts',
    exportName: 'launcherShape',
    shape: launcherShape,
  },
  { title: 'Gateway', file: 'gateway/config.ts', exportName: 'gatewayShape', shape: gatewayShape },
  { title: 'Scraper', file: 'processors/scraper/config.ts', exportName: 'scraperShape', shape: scraperShape },
];

/** The comment above each property of `export const <name> = {...}`, by property name. */
export function propertyComments(source: string, exportName: string): Map<string, string> {
  const sf = ts.createSourceFile('config.ts', source, ts.ScriptTarget.Latest, true);
  const out = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText(sf) === exportName && node.initializer) {
      const init = node.initializer;
      if (ts.isObjectLiteralExpression(init)) {
        for (const p of init.properties) {
          if (!ts.isPropertyAssignment(p)) continue;
          out.set(p.name.getText(sf), commentText(source, p.getFullStart(), p.getStart(sf)));
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function commentText(source: string, from: number, to: number): string {
  return (ts.getLeadingCommentRanges(source, from) ?? [])
    .filter((r) => r.end <= to)
    .map((r) => source.slice(r.pos, r.end))
    .map((c) =>
      c
        .replace(/^\/\*\*?|\*\/$/g, '')
        .replace(/^\s*\/\/ ?/gm, '')
        .replace(/^\s*\* ?/gm, ''),
    )
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

interface JsonProp {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: JsonProp[];
  minimum?: number;
  maximum?: number;
}

function typeOf(p: JsonProp): string {
  if (p.enum) return p.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (p.anyOf) return p.anyOf.map(typeOf).join(' or ');
  // Number.MAX_SAFE_INTEGER is zod's bound for "no maximum": not shown.
  const max = p.maximum !== undefined && p.maximum < 1e15 ? p.maximum : undefined;
  const range = p.minimum !== undefined || max !== undefined ? ` ${p.minimum ?? ''}..${max ?? ''}` : '';
  return `${p.type === 'integer' ? 'integer' : (p.type ?? 'string')}${range}`;
}

function defaultOf(p: JsonProp): string {
  if (p.default === undefined || p.default === '') return p.default === '' ? 'empty' : 'unset';
  // Machine-specific defaults are shown by what they are, so the reference is the same on every machine.
  if (p.default === hostname()) return 'the host name';
  const shown = String(p.default).replace(PROJECT_ROOT, '<repo>').replace(path.dirname(PROJECT_ROOT), '<repo>/..');
  return `\`${shown.replace(/\|/g, '\\|')}\``;
}

function sectionTable(s: Section): string[] {
  const comments = propertyComments(readFileSync(path.join(PROJECT_ROOT, s.file), 'utf8'), s.exportName);
  const rows = ['| variable | type | default | meaning |', '| --- | --- | --- | --- |'];
  for (const name of comments.keys()) {
    const schema = z.toJSONSchema(z.object({ [name]: s.shape[name]! }), { io: 'input', unrepresentable: 'any' });
    const prop = ((schema as { properties?: Record<string, JsonProp> }).properties ?? {})[name] ?? {};
    const meaning = (comments.get(name) || '').replace(/\|/g, '\\|');
    rows.push(`| \`${name}\` | ${typeOf(prop)} | ${defaultOf(prop)} | ${meaning} |`);
  }
  return [`## ${s.title}`, '', ...(s.note ? [s.note, ''] : []), `From \`${s.file}\`.`, '', ...rows, ''];
}

export function configurationDoc(): string {
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run gen:config-docs` from the zod shapes; a test fails when it is stale. -->',
    '',
    'Every process reads its variables once at start-up and validates them as a whole: a bad or missing',
    'variable stops it with exit code 1 and a message naming every offending variable. Empty counts as',
    'unset. `ULASAN_ENV=production` also requires the service addresses, a 12+ character',
    '`CLICKHOUSE_PASSWORD`, a Kafka identity, the gateway its `GATEWAY_TOKENS` and the scraper its own',
    '`SCRAPER_AUTHOR_SALT`.',
    '',
    ...SECTIONS.flatMap(sectionTable),
  ].join('\n');
}

if (process.argv[1] && /gen-config-docs\.(ts|js)$/.test(process.argv[1])) {
  const doc = configurationDoc();
  if (process.argv.includes('--check')) {
    const current = readFileSync(CONFIG_DOC, 'utf8');
    if (current !== doc) {
      console.error(`${path.relative(PROJECT_ROOT, CONFIG_DOC)} is stale: run npm run gen:config-docs`);
      process.exit(1);
    }
  } else {
    writeFileSync(CONFIG_DOC, doc);
    console.log(`wrote ${CONFIG_DOC}`);
  }
}
