import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { contextDigest, formatContext, resolveContext, type ContextFormat } from './context';
import { ReleaseError } from './errors';
import { GitFactsError, readHeadSha } from './git';
import type { Signer } from './ecosystems/oci/sign';

/*
 * Each command loads its own modules on first use: `context` (run by every Nx task and every
 * cache-key computation) loads no evidence, trace, gitops, registry or YAML code.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const notes = () => require('./evidence/notes') as typeof import('./evidence/notes');
const verify = () => require('./evidence/verify') as typeof import('./evidence/verify');
const registries = () => require('./registries') as typeof import('./registries');
const tools = () => require('./tools') as typeof import('./tools');
const gitops = () => require('./gitops') as typeof import('./gitops');
const trace = () => require('./trace') as typeof import('./trace');
const affected = () => require('./affected') as typeof import('./affected');
const releaseManifest = () => require('./release-manifest') as typeof import('./release-manifest');
const handoff = () => require('./handoff/command') as typeof import('./handoff/command');
/* eslint-enable @typescript-eslint/no-var-requires */
import { DEFAULT_VERSION_OPTIONS } from './version/options';
import type { VersionOptions } from './version/types';

const FORMATS = ['json', 'env', 'github-output', 'digest'] as const;
type Format = (typeof FORMATS)[number];

const kebab = (camel: string) => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every context option is a flag, named after it: npmDevVersion -> --npm-dev-version. */
const OPTION_FLAGS = new Map(
  (Object.keys(DEFAULT_VERSION_OPTIONS) as (keyof VersionOptions)[]).map((k) => [kebab(k), k] as const),
);

const HELP = `nx-ameide-release: the version context of a git checkout, and the evidence of a release

Usage:
  nx-ameide-release context [options]
  nx-ameide-release notes [--cwd <dir>] [--ref <tag|commit>] [--output <file>]
      release notes: the commits since the previous release tag reachable from the
      release tag (default: the release tag at HEAD, else HEAD), grouped by Conventional
      Commit type, and per release project the commits that touched it.
      --output default dist/release/notes.md (under --cwd); - prints them instead
  nx-ameide-release verify <image[:tag|@digest]> --sha <commit> (--key <cosign.pub> |
      --certificate-identity-regexp <re> [--certificate-oidc-issuer <url>]) [--repo <url>]
      [--artifact <file>]
      checks the image's cosign signature, then the SLSA v1 provenance attestation of
      the signed digest: its subject is that digest, its source commit is --sha (and
      its repository --repo), and the image's CycloneDX SBOM names --sha. With
      --artifact <file>: that package file (a wheel, tarball, Go zip downloaded from
      its registry) must be one the provenance lists as built into the image.
      Exit 0 only when every check passes.
      --key: key-signed images (the transparency log is not consulted); keyless
      (GitHub Actions): the workflow identity, issuer default
      https://token.actions.githubusercontent.com. AMEIDE_OCI_INSECURE=true for a
      plain-http loopback registry; OCI_USERNAME/OCI_PASSWORD for a private one.
  nx-ameide-release verify --artifact <file> --bundle <file>.provenance.sigstore.json
      [--sbom-bundle <file>.sbom.sigstore.json] --sha <commit> (--key <cosign.pub> |
      --certificate-identity-regexp <re> [--certificate-oidc-issuer <url>]) [--repo <url>]
      a package file on its own, with the bundles of the GitHub Release (no image):
      cosign verify-blob-attestation of the file and the bundle, then the statement's
      subject is the file's sha256 and its source commit is --sha (and its repository
      --repo); with --sbom-bundle, the same for the CycloneDX attestation.
  nx-ameide-release manifest [--format json|markdown] [--sha <commit>] [--cwd <dir>]
      the release manifest of the run: aggregates the dist/<project>/publish-result.json and
      ghcr-result.json of --sha (default: the one commit they are of) into
      dist/release/manifest.json and prints it (markdown: the table for $GITHUB_STEP_SUMMARY).
      Schema: docs/release-manifest.md
  nx-ameide-release trace <sha> | npm:@scope/pkg@1.2.3 | pypi:name==1.2.3 | oci:image:tag |
      go:module@v1.2.3 [--format table|json] [--cwd <dir>]
      asks every configured registry (each release project's package and image, at the
      destinations its targets use, AMEIDE_* on top) and prints every artifact built from
      the SHA (short or full); given an artifact, prints its SHA and the artifacts of that SHA.
      Exit 0 found, 1 not found (unknown SHA or artifact), 2 found but a registry could not
      be read (the list may be incomplete).
  nx-ameide-release affected [--base <commit>] [--format table|json|github] [--ref <ref>] [--cwd <dir>]
      the release projects this run publishes: on a release every one; otherwise those that
      changed since what the dev channel last published, asked of the registries (npm dist-tag
      dev -> gitHead, newest PyPI .devN -> its SHA, image :dev -> revision label). That SHA is
      each project's base when it is an ancestor of HEAD; a project is chosen when Nx finds it
      affected since its base (its files or a dependency's). No base (nothing published, a
      registry unreadable, not an ancestor): the project is chosen and the reason printed.
      --base <commit>: count every project from that commit instead (an ancestor of HEAD);
      the registries are not asked.
      github: also appends projects=<comma list> to $GITHUB_OUTPUT and a table to
      $GITHUB_STEP_SUMMARY. The list may be empty: then publish nothing. Docs: docs/affected.md
  nx-ameide-release gitops-check <dir>... [--prod-paths <glob,glob>] [--format table|json] [--cwd <workspace>]
      scans Kubernetes, Kustomize and Helm-values YAML under <dir> for the images of the
      workspace's release projects. In prod/staging paths (default **/prod/**,**/staging/**,
      matched against the path under --cwd) each must pin a SemVer tag (never dev, latest, a
      bare SHA) and carry the ameide.io/image-sha annotation equal to the image's revision in
      the registry; other paths may use :dev or :<sha>. A table of violations; exit 1 on any.
  nx-ameide-release argocd pause|resume|hold|status [<app>] [--namespace argocd] [--owner <who>]
      hands an Argo CD Application over to the inner loop (Tilt) and back: pause records its
      automated sync policy and the holder in one annotation and turns automated sync off; resume
      restores exactly that; hold pauses until Ctrl-C/SIGTERM; resume --expired restores ended
      leases; status lists the holds. Prod/staging Applications are refused. Docs: docs/inner-loop.md
      (nx-ameide-release argocd --help for the flags)

Options:
  --cwd <dir>                  checkout to read (default: the current directory)
  --format <f>                 json (default) | env | github-output | digest
                                 env: KEY=VALUE lines (GHCR_TAGS comma-separated)
                                 github-output: the env lines appended to $GITHUB_OUTPUT
                                 digest: sha256 of the context, one line (an Nx cache input;
                                 prints no-git / no-commits outside a usable repository)
  --ref <ref>                  ref deciding the channel; wins over GITHUB_REF and local git
                                 (refs/tags/v1.2.3, refs/heads/main, or short: v1.2.3, main)
                                 A tag that looks like a release but is not vX.Y.Z[-rc.N]
                                 (1.2.3, v1.2, V1.2.3, v1.2.3.4, v01.2.3) is refused; any
                                 other tag runs the build channel with a warning on stderr
                                 (and a ::warning:: annotation when GITHUB_ACTIONS=true).
  --npm-dev-version <tpl>      default ${DEFAULT_VERSION_OPTIONS.npmDevVersion}
  --pypi-dev-version <tpl>     default ${DEFAULT_VERSION_OPTIONS.pypiDevVersion}
  --dev-base <b>               latest-tag (default) | next-patch
  --main-branch <name>         default ${DEFAULT_VERSION_OPTIONS.mainBranch}
  --allow-backport             release a tag below the highest vX.Y.Z (latest and X.Y stay put)
  -h, --help                   this text

Placeholders: {base} {sha} {shortSha} {date} {datetime} {major} {minor} {patch}.
Options also come from the @ameideio/nx-ameide-release plugin entry in nx.json; flags win.
With AMEIDE_CONTEXT_FILE set, the context saved there (json or env) is used, after
checking that its GIT_SHA is HEAD.
`;

interface Parsed {
  command?: string;
  /** Arguments after the command (e.g. the image reference of verify). */
  positionals: string[];
  help: boolean;
  cwd?: string;
  format: Format;
  ref?: string;
  /** The evidence commands' own flags (--output, --key, --sha, ...), by name. */
  flags: Record<string, string>;
  options: VersionOptions;
}

/** Flags of the evidence commands (notes, verify), each taking a value. */
const EVIDENCE_FLAGS = ['base', 'output', 'key', 'sha', 'repo', 'artifact', 'bundle', 'sbom-bundle', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'prod-paths'];

/** The --format values of the commands other than context. */
const COMMAND_FORMATS: Record<string, string[]> = { affected: ['table', 'json', 'github'], manifest: ['json', 'markdown'], trace: ['table', 'json'], 'gitops-check': ['table', 'json'] };

function usageError(what: string): ReleaseError {
  return new ReleaseError(what, 'see nx-ameide-release --help');
}

function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { help: false, format: 'json', options: {}, positionals: [], flags: {} };
  const options = parsed.options as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (parsed.command) parsed.positionals.push(arg);
      else parsed.command = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const negated = name.startsWith('no-') && OPTION_FLAGS.has(name.slice(3));
    if (negated) name = name.slice(3);
    const key = OPTION_FLAGS.get(name);
    const isBoolean = key !== undefined && typeof DEFAULT_VERSION_OPTIONS[key] === 'boolean';
    if (isBoolean) {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw usageError(`--${name} takes true or false, got ${inline}`);
      options[key] = negated ? false : inline !== 'false';
      continue;
    }
    if (negated) throw usageError(`--no-${name} is not a flag`);
    if (!key && !['cwd', 'ref', 'format', ...EVIDENCE_FLAGS].includes(name)) throw usageError(`unknown flag --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw usageError(`--${name} needs a value`);
    if (EVIDENCE_FLAGS.includes(name)) parsed.flags[name] = value;
    else if (name === 'cwd') parsed.cwd = value;
    else if (name === 'ref') parsed.ref = value;
    else if (name === 'format' && parsed.command && parsed.command in COMMAND_FORMATS) {
      if (!COMMAND_FORMATS[parsed.command].includes(value)) throw usageError(`${parsed.command} --format must be one of ${COMMAND_FORMATS[parsed.command].join(', ')}, got ${value}`);
      parsed.flags.format = value;
    } else if (name === 'format') {
      if (!(FORMATS as readonly string[]).includes(value)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, got ${value}`);
      parsed.format = value as Format;
    } else options[key!] = value;
  }
  return parsed;
}

/**
 * The digest is an Nx runtime cache input: it must print one line and exit 0 wherever Nx
 * runs. Outside a usable repository it prints a fixed word; on any other error a stable
 * hash of the error, and the task itself then fails with the full message.
 */
async function digest(cwd: string, ref: string | undefined, options: VersionOptions): Promise<string> {
  try {
    // No warning here: the digest is a cache input Nx computes on every run; the task's own context prints it.
    // allowBackport: the digest identifies the inputs, it is not a gate. A backport's pack gets
    // --allowBackport (forwarded by Nx), this command does not: refusing here would give every
    // backport commit one constant error digest, and a cache hit would restore another commit's pack.
    return contextDigest(await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...options, allowBackport: true, ref }, warn: () => undefined }));
  } catch (e) {
    if (e instanceof GitFactsError && e.problem === 'not-a-repo') return 'no-git';
    if (e instanceof GitFactsError && e.problem === 'no-commits') return 'no-commits';
    const message = e instanceof Error ? e.message : String(e);
    // The commit is part of even an error digest: one refusal on two commits must never share a cache entry.
    const head = await readHeadSha(cwd).catch(() => '');
    return `error-${createHash('sha256').update(`${head}\n${message}`).digest('hex').slice(0, 16)}`;
  }
}

/** A command refuses the positionals and evidence flags that are not its own. */
function onlyFlags(args: Parsed, allowed: string[], positionals = 0): void {
  const stray = Object.keys(args.flags).filter((f) => !allowed.includes(f));
  if (stray.length) throw usageError(`${args.command} does not take --${stray.join(', --')}`);
  if (args.positionals.length > positionals) throw usageError(`unexpected argument ${JSON.stringify(args.positionals[positionals])}`);
}

async function notesCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['output']);
  const cwd = resolve(args.cwd ?? process.cwd());
  const { markdown, input } = await notes().releaseNotes(cwd, args.ref);
  const output = args.flags.output ?? 'dist/release/notes.md';
  if (output === '-') {
    process.stdout.write(markdown);
    return 0;
  }
  const file = resolve(cwd, output);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, markdown);
  const what = input.tag ?? input.sha.slice(0, 7);
  process.stdout.write(`notes of ${what}: ${input.commits.length} commit(s) since ${input.previousTag ?? 'the start'} -> ${relative(process.cwd(), file) || file}\n`);
  return 0;
}

const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** A package file's name and sha256, read before cosign runs. */
function readArtifact(file: string): { name: string; sha256: string } {
  if (!existsSync(file)) throw new ReleaseError(`--artifact ${file} does not exist`, 'pass the path of the downloaded package file (wheel, sdist, .tgz, Go .zip)');
  return { name: basename(file), sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** A bundle file named by --bundle / --sbom-bundle, checked before cosign runs. */
function readableFile(flag: string, file: string): string {
  if (!existsSync(file)) throw new ReleaseError(`--${flag} ${file} does not exist`, `pass the path of the bundle from the GitHub Release (<file>.${flag === 'bundle' ? 'provenance' : 'sbom'}.sigstore.json)`);
  return file;
}

async function verifyCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['key', 'sha', 'repo', 'artifact', 'bundle', 'sbom-bundle', 'certificate-identity-regexp', 'certificate-oidc-issuer'], 1);
  const ref = args.positionals[0];
  const blob = args.flags.bundle !== undefined || args.flags['sbom-bundle'] !== undefined;
  if (blob && ref) throw usageError(`verify takes an image or --bundle, not both: drop ${ref} to check the package file on its own, or --bundle to check it through the image`);
  if (blob && (args.flags.artifact === undefined || args.flags.bundle === undefined))
    throw usageError('verify of a package file needs --artifact <file> --bundle <file>.provenance.sigstore.json (and optionally --sbom-bundle)');
  if (!ref && !blob) throw usageError('verify needs the image: nx-ameide-release verify ghcr.io/<owner>/<image>:<tag> --sha <commit> --key cosign.pub (or a package file: --artifact <file> --bundle <bundle>)');
  const { key, sha, repo } = args.flags;
  if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw usageError(`verify needs --sha <the 40-hex commit the ${blob ? 'file' : 'image'} must come from>${sha ? `, got ${sha}` : ''}`);
  const identity = args.flags['certificate-identity-regexp'];
  if (Boolean(key) === Boolean(identity)) throw usageError('verify needs exactly one of --key <cosign.pub> or --certificate-identity-regexp <workflow identity>');
  const signer: Signer = key ? { key: resolve(key) } : { identityRegexp: identity, issuer: args.flags['certificate-oidc-issuer'] ?? GITHUB_OIDC_ISSUER };
  const cwd = resolve(args.cwd ?? process.cwd());
  if (blob) {
    const file = resolve(cwd, args.flags.artifact);
    readArtifact(file);
    const bundle = readableFile('bundle', resolve(cwd, args.flags.bundle));
    const sbomBundle = args.flags['sbom-bundle'] === undefined ? undefined : readableFile('sbom-bundle', resolve(cwd, args.flags['sbom-bundle']));
    const report = await verify().verifyArtifact({ file, bundle, sbomBundle, signer, sha, repository: repo, cosign: tools().findTool('cosign', process.env, cwd), env: process.env });
    for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    process.stdout.write(report.ok ? `verified: ${basename(file)} (${report.digest}) comes from ${sha}\n` : `NOT verified: ${basename(file)}\n`);
    return report.ok ? 0 : 1;
  }
  const artifacts = args.flags.artifact === undefined ? [] : [readArtifact(resolve(cwd, args.flags.artifact))];
  const reg = registries().ociCredentials(process.env);
  const report = await verify().verifyImage({
    ref, signer, sha, repository: repo, artifacts, insecure: reg.insecure,
    auth: { registry: ref.split('/')[0], username: reg.username, password: reg.password },
    cosign: tools().findTool('cosign', process.env, cwd), env: process.env,
  });
  for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  process.stdout.write(report.ok ? `verified: ${ref} (${report.digest}) comes from ${sha}\n` : `NOT verified: ${ref}\n`);
  return report.ok ? 0 : 1;
}

/** Re-aggregates dist/release/manifest.json from the run's results and prints it (json or a Markdown table). */
async function manifestCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['format', 'sha']);
  const { sha } = args.flags;
  if (sha !== undefined && !/^[0-9a-f]{40}$/.test(sha)) throw usageError(`manifest --sha takes the 40-hex commit of the run, got ${sha}`);
  const cwd = resolve(args.cwd ?? process.cwd());
  if (releaseManifest().readProjectRecords(cwd).length === 0) {
    // A run that published nothing (no affected project, the build channel, a failure before any upload).
    process.stdout.write(args.flags.format === 'markdown' ? '### Release manifest\n\nNothing was published in this run (no publish or ghcr result under dist/).\n' : 'null\n');
    return 0;
  }
  const manifest = releaseManifest().writeReleaseManifest(cwd, sha);
  process.stdout.write(args.flags.format === 'markdown' ? releaseManifest().manifestMarkdown(manifest) : `${JSON.stringify(manifest, null, 2)}\n`);
  return 0;
}

/** Every artifact on the configured registries built from a SHA, or the SHA (and siblings) of one artifact. */
async function traceCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['format'], 1);
  const what = args.positionals[0];
  if (!what) throw usageError('trace needs a SHA or an artifact: nx-ameide-release trace <sha> | npm:@scope/pkg@1.2.3 | pypi:name==1.2.3 | oci:image:tag | go:module@v1.2.3');
  const cwd = resolve(args.cwd ?? process.cwd());
  const answer = /^(npm|pypi|oci|go):/.test(what) ? await trace().traceArtifact(cwd, what, process.env) : await trace().traceSha(cwd, what, process.env);
  for (const u of answer.unreadable) process.stderr.write(`nx-ameide-release: not read: ${u.project} ${u.kind}: ${u.error}\n`);
  if (args.flags.format === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (!answer.sha) {
    const asked = answer.asked ?? [];
    const why = answer.asked === undefined
      ? `no artifact on the configured registries was built from ${what}`
      : asked.length === 0 ? `${what} is not on its registry` : `${what} records ${asked.some((a) => a.gitSha) ? 'more than one commit' : 'no commit'}`;
    process.stderr.write(`nx-ameide-release: ${why}${answer.unreadable.length ? ' (some registries could not be read, see above)' : ''}\n`);
    return 1;
  }
  if (args.flags.format !== 'json') process.stdout.write(trace().traceTable(answer));
  // Found, but a registry could not be read: the list may be missing artifacts.
  return answer.unreadable.length ? 2 : 0;
}

/** The GitOps pin check: prod/staging references of our images pinned and annotated with the image's revision. */
async function gitopsCheckCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['format', 'prod-paths'], Number.POSITIVE_INFINITY);
  const cwd = resolve(args.cwd ?? process.cwd());
  const prod = args.flags['prod-paths'];
  const report = await gitops().gitopsCheck({ workspaceRoot: cwd, cwd, dirs: args.positionals, protectedPaths: prod === undefined ? undefined : prod.split(','), env: process.env });
  process.stdout.write(args.flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : gitops().gitopsTable(report));
  return report.violations.length ? 1 : 0;
}

/** The projects to publish: every one on a release, else those changed since the dev channel's last publish. */
async function affectedCommand(args: Parsed): Promise<number> {
  onlyFlags(args, ['format', 'base']);
  const cwd = resolve(args.cwd ?? process.cwd());
  const format = args.flags.format ?? 'table';
  if (format === 'github' && !process.env.GITHUB_OUTPUT) throw new ReleaseError('GITHUB_OUTPUT is not set', 'run this step inside GitHub Actions, or use --format table|json');
  const plan = await affected().affectedProjects(cwd, process.env, args.ref, args.flags.base);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(affected().affectedTable(plan));
  if (format === 'github') {
    appendFileSync(process.env.GITHUB_OUTPUT!, `projects=${plan.projects.join(',')}\n`);
    if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, affected().affectedMarkdown(plan));
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // argocd pause|resume|hold|status: its own commander program (src/handoff/command.ts).
    if (argv[0] === 'argocd') return await handoff().runArgocd(argv);
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.command === 'notes') return await notesCommand(args);
    if (args.command === 'verify') return await verifyCommand(args);
    if (args.command === 'manifest') return await manifestCommand(args);
    if (args.command === 'trace') return await traceCommand(args);
    if (args.command === 'gitops-check') return await gitopsCheckCommand(args);
    if (args.command === 'affected') return await affectedCommand(args);
    if (args.command !== 'context') {
      process.stderr.write(`${args.command ? `unknown command ${args.command}\n\n` : ''}${HELP}`);
      return 1;
    }
    onlyFlags(args, []);
    const cwd = resolve(args.cwd ?? process.cwd());
    if (args.format === 'digest') {
      process.stdout.write(`${await digest(cwd, args.ref, args.options)}\n`);
      return 0;
    }
    if (args.format === 'github-output' && !process.env.GITHUB_OUTPUT) {
      throw new ReleaseError('GITHUB_OUTPUT is not set', 'run this step inside GitHub Actions, or use --format env');
    }
    const ctx = await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...args.options, ref: args.ref } });
    const text = formatContext(ctx, args.format as ContextFormat);
    if (args.format === 'github-output') appendFileSync(process.env.GITHUB_OUTPUT!, text);
    process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof ReleaseError) {
      process.stderr.write(`nx-ameide-release: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
