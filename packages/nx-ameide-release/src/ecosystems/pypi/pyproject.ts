import { ReleaseError } from '../../errors';

/**
 * Just enough TOML for pyproject.toml: find the [project] table, its name, version and
 * dynamic keys, and the [project.urls] table; stamp by editing single lines so the rest of
 * the file (comments, layout) reaches the sdist untouched. Pure: text in, text out.
 */

export const PLACEHOLDER_VERSION = '0.0.0';
/** The Project-URL label that carries the commit: `Project-URL: Source Commit, <repo>/commit/<sha>`. */
export const COMMIT_URL_LABEL = 'Source Commit';

interface Line {
  text: string;
  /** Dotted name of the table the line belongs to ('' before any header); null inside a multi-line string. */
  table: string | null;
  isHeader: boolean;
}

const HEADER = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/;
const ARRAY_HEADER = /^\s*\[\[\s*([^[\]]+?)\s*\]\]\s*(#.*)?$/;

function unquoteKey(k: string): string {
  return k
    .split('.')
    .map((p) => p.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'))
    .join('.');
}

function scan(text: string): Line[] {
  let table = '';
  let inString: string | null = null;
  return text.split('\n').map((raw) => {
    if (inString) {
      if (raw.split(inString).length % 2 === 0) inString = null;
      return { text: raw, table: null, isHeader: false };
    }
    const arr = ARRAY_HEADER.exec(raw);
    const hdr = arr ? null : HEADER.exec(raw);
    if (arr || hdr) {
      table = (arr ? '[[' : '') + unquoteKey((arr ?? hdr)![1]);
      return { text: raw, table, isHeader: true };
    }
    for (const delim of ['"""', "'''"]) {
      if (raw.split(delim).length % 2 === 0) inString = delim;
    }
    return { text: raw, table, isHeader: false };
  });
}

const KEY_VALUE = /^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=\s*(.*)$/;
const STRING_VALUE = /^(["'])(.*?)\1\s*(#.*)?$/;

function keyOf(line: string): { key: string; value: string } | null {
  const m = KEY_VALUE.exec(line);
  return m ? { key: unquoteKey(m[1]), value: m[2] } : null;
}

/** Labels compare the way PyPI does (core metadata 2.4 normalization): case, spaces and punctuation ignored. */
export function normalizeLabel(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export interface PyprojectInfo {
  name: string;
  version: string | null;
  dynamic: string[];
  urls: Record<string, string>;
  hasUrlsTable: boolean;
  /** `urls = {...}` or `urls.X = ...` inside [project]: a [project.urls] table cannot be added. */
  hasInlineUrls: boolean;
  buildRequires: string[];
}

export function readPyproject(text: string, where = 'pyproject.toml'): PyprojectInfo {
  const lines = scan(text);
  if (!lines.some((l) => l.isHeader && l.table === 'project')) {
    throw new ReleaseError('has no [project] table', 'declare the package PEP 621 style: [project] name = "...", version = "0.0.0"', where);
  }
  const info: PyprojectInfo = { name: '', version: null, dynamic: [], urls: {}, hasUrlsTable: false, hasInlineUrls: false, buildRequires: [] };
  const arrayValue = (start: number): string => {
    let acc = '';
    for (let i = start; i < lines.length; i++) {
      acc += `${lines[i].text.replace(/#.*$/, '')}\n`;
      if (acc.includes(']')) break;
    }
    return acc;
  };
  const strings = (s: string) => [...s.matchAll(/(["'])(.*?)\1/g)].map((m) => m[2]);
  lines.forEach((l, i) => {
    if (l.isHeader) {
      if (l.table === 'project.urls') info.hasUrlsTable = true;
      return;
    }
    if (l.table === null) return;
    const kv = keyOf(l.text);
    if (!kv) return;
    if (l.table === 'project') {
      const str = STRING_VALUE.exec(kv.value.trim());
      if (kv.key === 'name' && str) info.name = str[2];
      if (kv.key === 'version') info.version = str ? str[2] : kv.value.trim();
      if (kv.key === 'dynamic') info.dynamic = strings(arrayValue(i).slice(arrayValue(i).indexOf('=') + 1));
      if (kv.key === 'urls' || kv.key.startsWith('urls.')) info.hasInlineUrls = true;
    } else if (l.table === 'project.urls') {
      const str = STRING_VALUE.exec(kv.value.trim());
      if (str) info.urls[kv.key] = str[2];
    } else if (l.table === 'build-system' && kv.key === 'requires') {
      const v = arrayValue(i);
      info.buildRequires = strings(v.slice(v.indexOf('=') + 1));
    }
  });
  if (!info.name) throw new ReleaseError('[project] has no name', 'add name = "<distribution name>" to [project]', where);
  return info;
}

/** The guard pack runs before writing anything: the repository keeps the 0.0.0 placeholder, pack stamps the real version. */
export function checkPlaceholderVersion(info: PyprojectInfo, where = 'pyproject.toml'): void {
  if (info.dynamic.includes('version')) {
    throw new ReleaseError(
      '[project] version is dynamic',
      `remove "version" from [project] dynamic and set version = "${PLACEHOLDER_VERSION}"; pack stamps the release version into a temp copy`,
      where,
    );
  }
  if (info.version === null) {
    throw new ReleaseError('[project] has no version', `add version = "${PLACEHOLDER_VERSION}" to [project] (pack stamps the real one)`, where);
  }
  if (info.version !== PLACEHOLDER_VERSION) {
    throw new ReleaseError(
      `[project] version is ${JSON.stringify(info.version)}, not the ${PLACEHOLDER_VERSION} placeholder`,
      `set version = "${PLACEHOLDER_VERSION}" in [project]; versions come from git tags, pack stamps them into a temp copy`,
      where,
    );
  }
  if (info.hasInlineUrls) {
    throw new ReleaseError(
      '[project] declares urls inline, so pack cannot add the commit URL',
      'move the urls into a [project.urls] table (one `Label = "https://..."` per line)',
      where,
    );
  }
}

const REPO_LABELS = ['repository', 'source', 'sourcecode', 'code', 'github'];

/** The repository URL from [project.urls] (Repository / Source / Source Code), without `.git` or a trailing slash. */
export function repositoryUrlFrom(info: PyprojectInfo): string | null {
  for (const want of REPO_LABELS) {
    for (const [label, url] of Object.entries(info.urls)) {
      if (normalizeLabel(label) === want && /^https?:\/\//.test(url)) return url.replace(/\/+$/, '').replace(/\.git$/, '');
    }
  }
  return null;
}

export function commitUrl(repositoryUrl: string, gitSha: string): string {
  return `${repositoryUrl.replace(/\/+$/, '').replace(/\.git$/, '')}/commit/${gitSha}`;
}

/**
 * Stamp the temp copy: [project] version line -> `version`, and a `Source Commit` project URL
 * (replacing one that is there). Assumes checkPlaceholderVersion passed.
 */
export function stampPyproject(text: string, stamp: { version: string; commitUrl: string }): string {
  const lines = scan(text);
  const out = lines.map((l) => l.text);
  const urlLine = `"${COMMIT_URL_LABEL}" = "${stamp.commitUrl}"`;
  let versionDone = false;
  let urlDone = false;
  let lastUrlsLine = -1;
  lines.forEach((l, i) => {
    if (l.table === 'project.urls') lastUrlsLine = l.isHeader || keyOf(l.text) ? i : lastUrlsLine;
    if (l.isHeader || l.table === null) return;
    const kv = keyOf(l.text);
    if (!kv) return;
    if (l.table === 'project' && kv.key === 'version') {
      out[i] = l.text.replace(/(=\s*)(["'])[^"']*\2/, `$1"${stamp.version}"`);
      versionDone = true;
    }
    if (l.table === 'project.urls' && normalizeLabel(kv.key) === normalizeLabel(COMMIT_URL_LABEL)) {
      out[i] = urlLine;
      urlDone = true;
    }
  });
  if (!versionDone) throw new Error('stampPyproject: no [project] version line (checkPlaceholderVersion first)');
  if (!urlDone) {
    if (lastUrlsLine >= 0) out.splice(lastUrlsLine + 1, 0, urlLine);
    else {
      while (out.length && out[out.length - 1].trim() === '') out.pop();
      out.push('', '[project.urls]', urlLine, '');
    }
  }
  return out.join('\n');
}
