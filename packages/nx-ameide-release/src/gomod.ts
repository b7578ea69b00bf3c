import type * as Semver from 'semver';

// semver loads on first use: createNodes reads go.mod's module path through this file and loads no version logic.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const semver = new Proxy({} as typeof Semver, { get: (_t, key) => (require('semver') as Record<string | symbol, unknown>)[key] });

/**
 * A go.mod reader that follows the lexical rules of golang.org/x/mod/modfile:
 * `//` comments to end of line, "interpreted" and `raw` strings, `verb ( ... )`
 * blocks, and the punctuation ( ) [ ] , => as tokens. Enough to find the module
 * path, the go version, every replace (single-line or block, however commented)
 * and every retract, with line numbers for error messages.
 */
export interface ModStatement {
  verb: string;
  args: string[]; // strings unquoted
  line: number; // 1-based
}

export interface ModFile {
  module: string | null;
  go: string | undefined;
  statements: ModStatement[];
}

const PUNCT = new Set(['(', ')', '[', ']', ',']);

interface Token {
  text: string;
  quoted: boolean;
  line: number;
}

/** Tokens per line (empty lines dropped). Throws on an unterminated string. */
function lex(text: string): Token[][] {
  const lines: Token[][] = [];
  let cur: Token[] = [];
  let line = 1;
  let i = 0;
  const flush = () => {
    if (cur.length) lines.push(cur);
    cur = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      flush();
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\n') throw new Error(`line ${line}: unterminated string`);
        j += text[j] === '\\' ? 2 : 1;
      }
      if (j >= text.length) throw new Error(`line ${line}: unterminated string`);
      cur.push({ text: JSON.parse(text.slice(i, j + 1)) as string, quoted: true, line });
      i = j + 1;
    } else if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) throw new Error(`line ${line}: unterminated raw string`);
      const raw = text.slice(i + 1, j);
      cur.push({ text: raw, quoted: true, line });
      line += raw.split('\n').length - 1;
      i = j + 1;
    } else if (c === '=' && text[i + 1] === '>') {
      cur.push({ text: '=>', quoted: false, line });
      i += 2;
    } else if (PUNCT.has(c)) {
      cur.push({ text: c, quoted: false, line });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s"`()[\],]/.test(text[j]) && !(text[j] === '/' && text[j + 1] === '/') && !(text[j] === '=' && text[j + 1] === '>')) j++;
      cur.push({ text: text.slice(i, j), quoted: false, line });
      i = j;
    }
  }
  flush();
  return lines;
}

const isOpen = (t: Token | undefined) => !!t && !t.quoted && t.text === '(';
const isClose = (t: Token | undefined) => !!t && !t.quoted && t.text === ')';

/** Parse go.mod text; throws Error with a line number when it is malformed. */
export function parseGoMod(text: string): ModFile {
  const statements: ModStatement[] = [];
  let block: string | null = null;
  for (const toks of lex(text)) {
    if (block !== null) {
      if (isClose(toks[0]) && toks.length === 1) {
        block = null;
        continue;
      }
      statements.push({ verb: block, args: toks.map((t) => t.text), line: toks[0].line });
      continue;
    }
    const [verb, ...rest] = toks;
    if (verb.quoted || PUNCT.has(verb.text)) throw new Error(`line ${verb.line}: unexpected ${JSON.stringify(verb.text)}`);
    if (rest.length === 1 && isOpen(rest[0])) {
      block = verb.text;
      continue;
    }
    statements.push({ verb: verb.text, args: rest.map((t) => t.text), line: verb.line });
  }
  if (block !== null) throw new Error(`unterminated "${block} (" block`);
  const mod = statements.filter((s) => s.verb === 'module');
  if (mod.length > 1) throw new Error(`line ${mod[1].line}: repeated module statement`);
  const go = statements.find((s) => s.verb === 'go');
  return { module: mod[0]?.args[0] ?? null, go: go?.args[0], statements };
}

export const replaces = (f: ModFile) => f.statements.filter((s) => s.verb === 'replace');

/** The retract statement that covers `version` (a single version or a [lo, hi] interval), if any. */
export function retractionOf(f: ModFile, version: string): ModStatement | undefined {
  const v = semver.parse(version.slice(1));
  if (!v) return undefined;
  return f.statements.find((s) => {
    if (s.verb !== 'retract') return false;
    const a = s.args;
    if (a[0] === '[') {
      const lo = semver.parse(a[1]?.replace(/^v/, ''));
      const hi = semver.parse(a[3]?.replace(/^v/, ''));
      return !!lo && !!hi && semver.gte(v, lo) && semver.lte(v, hi);
    }
    const one = semver.parse(a[0]?.replace(/^v/, ''));
    return !!one && semver.eq(v, one);
  });
}
