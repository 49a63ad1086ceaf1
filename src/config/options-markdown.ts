/** The options table of docs/configuration.md, rendered from `GENERATION_OPTIONS` (a test keeps the doc in sync). */
import { describeLimit } from '../sampling/number-limit.js';
import { GENERATION_OPTION_ROWS, type OptionRow } from './generation-options.js';

function typeAndRange(row: OptionRow): string {
  switch (row.kind) {
    case 'number':
      return describeLimit(row.limit);
    case 'string-list':
      return 'a string or a list of strings';
    case 'path':
      return 'a path';
    case 'choice':
      return `one of ${row.choices.map((c) => `\`${c}\``).join(', ')}`;
  }
}

function defaultText(row: OptionRow): string {
  if (row.default === undefined) return '—';
  if (Array.isArray(row.default)) return row.default.length === 0 ? '`[]`' : `\`${JSON.stringify(row.default)}\``;
  return `\`${String(row.default)}\``;
}

/** A Markdown table: key | flag | type and range | default | description. */
export function renderOptionsMarkdown(): string {
  const lines = ['| key | flag | type and range | default | description |', '|---|---|---|---|---|'];
  for (const row of GENERATION_OPTION_ROWS) {
    const flag = `\`--${row.flag}\`${row.short ? `, \`-${row.short}\`` : ''}`;
    lines.push(`| \`${row.key}\` | ${flag} | ${typeAndRange(row)} | ${defaultText(row)} | ${row.description.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}
