/**
 * Module path, version and file-name rules of the go command, ported from
 * golang.org/x/mod/module (CheckPath, SplitPathVersion, CheckPathMajor,
 * CheckFilePath, EscapePath). Pure: the pack guards and the zip writer share them,
 * so a module we write is one `go get` accepts.
 */

const BAD_WINDOWS_NAMES = ['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])];

type PathKind = 'module' | 'file';

const isAsciiAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const modPathOK = (c: string) => isAsciiAlnum(c) || '-._~'.includes(c);
const fileNameOK = (c: string) =>
  c.charCodeAt(0) < 0x80 ? isAsciiAlnum(c) || "!#$%&()+,-.=@[]^_{}~ ".includes(c) : /^\p{L}$/u.test(c);

function checkElem(elem: string, kind: PathKind): string | null {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element "${elem}"`;
  if (elem.startsWith('.') && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const c of elem) {
    if (!(kind === 'module' ? modPathOK(c) : fileNameOK(c))) return `invalid char ${JSON.stringify(c)}`;
  }
  const short = elem.includes('.') ? elem.slice(0, elem.indexOf('.')) : elem;
  if (BAD_WINDOWS_NAMES.some((b) => b.toLowerCase() === short.toLowerCase())) {
    return `"${short}" disallowed as path element component on Windows`;
  }
  if (kind === 'module' && /~[0-9]+$/.test(short)) return 'trailing tilde and digits in path element';
  return null;
}

function checkPathElems(path: string, kind: PathKind): string | null {
  if (path === '') return 'empty string';
  if (path.startsWith('-') && kind !== 'file') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  for (const elem of path.split('/')) {
    const err = checkElem(elem, kind);
    if (err) return err;
  }
  return null;
}

/** SplitPathVersion: "example.com/m/v2" -> prefix "example.com/m", pathMajor "/v2"; ok=false for /v0, /v1, /v2.1. */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  if (path.startsWith('gopkg.in/')) {
    const m = /^(.*)\.v(0|[1-9][0-9]*)(-unstable)?$/.exec(path);
    if (!m) return { prefix: path, pathMajor: '', ok: false };
    return { prefix: m[1], pathMajor: path.slice(m[1].length), ok: true };
  }
  let i = path.length;
  let dot = false;
  while (i > 0 && /[0-9.]/.test(path[i - 1])) {
    if (path[i - 1] === '.') dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== 'v' || path[i - 2] !== '/') return { prefix: path, pathMajor: '', ok: true };
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === '0' || pathMajor === '/v1') return { prefix: path, pathMajor: '', ok: false };
  return { prefix: path.slice(0, i - 2), pathMajor, ok: true };
}

/** CheckPath for a module path; returns the reason it is invalid, or null. */
export function checkModulePath(path: string): string | null {
  const err = checkPathElems(path, 'module');
  if (err) return err;
  const first = path.includes('/') ? path.slice(0, path.indexOf('/')) : path;
  if (!first.includes('.')) return 'missing dot in first path element';
  if (!/^[-.0-9a-z]+$/.test(first)) return 'invalid char in first path element (lower-case letters, digits, dots and dashes only)';
  if (!splitPathVersion(path).ok) return 'invalid major version suffix (/v0, /v1 and /vN.M are not allowed; use /vN for N >= 2 or nothing)';
  return null;
}

/** CheckFilePath: a file name inside a module zip; returns the reason it is invalid, or null. */
export function checkFilePath(path: string): string | null {
  return checkPathElems(path, 'file');
}

/** A canonical Go version as tags carry it: vMAJOR.MINOR.PATCH[-prerelease] (no +build). */
export const GO_TAG_RE = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function majorOf(version: string): number {
  const m = GO_TAG_RE.exec(version);
  if (!m) throw new Error(`not a canonical Go version: ${version}`);
  return Number(m[1]);
}

/**
 * CheckPathMajor: the path must end in /vN exactly when the major N >= 2, and N must match.
 * Returns the reason it does not, or null.
 */
export function checkPathMajor(modulePath: string, version: string): string | null {
  const major = majorOf(version);
  const { pathMajor } = splitPathVersion(modulePath);
  if (modulePath.startsWith('gopkg.in/')) {
    return pathMajor === `.v${major}` || pathMajor === `.v${major}-unstable` ? null : `gopkg.in path needs .v${major}`;
  }
  if (pathMajor === '') {
    return major <= 1 ? null : `version ${version} has major ${major}, so the module path must end in /v${major} (it has no major suffix)`;
  }
  const n = Number(pathMajor.slice(2));
  if (n === major) return null;
  return major <= 1
    ? `version ${version} has major ${major}, so the module path must not end in a major suffix (it ends in ${pathMajor})`
    : `version ${version} has major ${major}, but the module path ends in ${pathMajor}`;
}

/**
 * The version a dev/build pack zips the module under: the context's GO_PSEUDO_VERSION (what Go
 * calls this commit after the repository's tags), with the major fitted to the module path as Go
 * does for a commit without a matching tag: a /vN module (N >= 2) gets vN.0.0-<datetime>-<rev>,
 * a path without a suffix whose tags are v2+ gets v0.0.0-<datetime>-<rev>. '' when there is none.
 */
export function modulePseudoVersion(modulePath: string, pseudo: string): string {
  const m = /(\d{14})-([0-9a-f]{12})$/.exec(pseudo);
  if (!m || !GO_TAG_RE.test(pseudo)) return '';
  const { pathMajor } = splitPathVersion(modulePath);
  const want = pathMajor.startsWith('/v') ? Number(pathMajor.slice(2)) : null;
  const major = majorOf(pseudo);
  if (want !== null && major !== want) return `v${want}.0.0-${m[1]}-${m[2]}`;
  if (want === null && !modulePath.startsWith('gopkg.in/') && major >= 2) return `v0.0.0-${m[1]}-${m[2]}`;
  return pseudo;
}

/** EscapePath / EscapeVersion: upper-case letters become '!' + lower-case (proxy and cache paths). */
export function escapeModulePath(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

/**
 * Case-folded key for collision checks (strings.EqualFold equivalence). Go folds by
 * unicode.SimpleFold orbits; upper-then-lower casing gives the same classes for the names
 * a module can hold (fileNameOK allows ASCII and letters only).
 */
export function foldKey(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** go/version.Lang of a `go` directive, as a comparable [major, minor]; null when absent/unparsable. */
export function goLang(goDirective: string | undefined): [number, number] | null {
  const m = goDirective ? /^(\d+)(?:\.(\d+))?/.exec(goDirective) : null;
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : null;
}

export function langAtLeast(lang: [number, number] | null, major: number, minor: number): boolean {
  if (!lang) return false;
  return lang[0] > major || (lang[0] === major && lang[1] >= minor);
}
