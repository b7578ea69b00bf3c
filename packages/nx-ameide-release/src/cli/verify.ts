import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { ReleaseError } from '../errors';
import type { Signer } from '../ecosystems/oci/sign';
import { action, cwdOption, FULL_SHA, helpAfter, usageError, valueOption, workdir } from './options';

/* eslint-disable @typescript-eslint/no-var-requires */
const verify = () => require('../evidence/verify') as typeof import('../evidence/verify');
const registries = () => require('../destinations/registries') as typeof import('../destinations/registries');
const tools = () => require('../tools') as typeof import('../tools');
/* eslint-enable @typescript-eslint/no-var-requires */

const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

interface VerifyFlags {
  cwd?: string;
  sha?: string;
  key?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  repo?: string;
  artifact?: string;
  bundle?: string;
  sbomBundle?: string;
  trustedRoot?: string;
}

export function register(program: Command): void {
  const command = program
    .command('verify')
    .summary("checks an image's (or a package file's) signature, provenance and SBOM against a commit")
    .usage(
      [
        '<image[:tag|@digest]> --sha <commit> <signer> [options]',
        '       nx-ameide-release verify --artifact <file> --bundle <file> --sha <commit> <signer> [options]',
        '       <signer>: --key <cosign.pub> | --certificate-identity-regexp <re> [--certificate-oidc-issuer <url>] [--trusted-root <file>]',
      ].join('\n'),
    )
    .argument('[image]', 'the image, image:tag or image@digest (none with --bundle)')
    .description(
      [
        "An image: checks its cosign signature, then the SLSA v1 provenance attestation of the signed digest: its subject is that digest, its source commit is --sha (and its repository --repo), and the image's CycloneDX SBOM names --sha. With --artifact <file>: that package file (a wheel, tarball, Go zip downloaded from its registry) must be one the provenance lists as built into the image.",
        "A package file on its own (--artifact with --bundle, the bundles of the GitHub Release, no image): cosign verify-blob-attestation of the file and the bundle, then the statement's subject is the file's sha256 and its source commit is --sha (and its repository --repo); with --sbom-bundle, the same for the CycloneDX attestation.",
        'Exit 0 only when every check passes.',
      ].join('\n'),
    )
    .addOption(valueOption('--sha <commit>', 'the 40-hex commit the image or file must come from'))
    .addOption(valueOption('--key <cosign.pub>', 'key-signed images (the transparency log is not consulted)'))
    .addOption(valueOption('--certificate-identity-regexp <re>', 'keyless (GitHub Actions): the workflow identity'))
    .addOption(valueOption('--certificate-oidc-issuer <url>', `keyless: the issuer (default ${GITHUB_OIDC_ISSUER})`))
    .addOption(valueOption('--trusted-root <file>', "keyless: a private Sigstore's trusted_root.json (its Fulcio CA; no transparency log or SCT is checked then); default AMEIDE_SIGSTORE_TRUSTED_ROOT"))
    .addOption(valueOption('--repo <url>', 'the repository the provenance must name'))
    .addOption(valueOption('--artifact <file>', 'a package file downloaded from its registry'))
    .addOption(valueOption('--bundle <file>', 'the <file>.provenance.sigstore.json of the GitHub Release'))
    .addOption(valueOption('--sbom-bundle <file>', 'the <file>.sbom.sigstore.json of the GitHub Release'))
    .addOption(cwdOption('folder the file paths are relative to'));
  helpAfter(
    command,
    [
      'Images signed by cosign v3 (bundles, OCI referrers) and by cosign v2 (.sig/.att tags) both verify.',
      'Environment: AMEIDE_OCI_INSECURE=true for a plain-http loopback registry;',
      'OCI_USERNAME/OCI_PASSWORD for a private one.',
      '',
      'Examples:',
      '  nx-ameide-release verify ghcr.io/<owner>/<image>:1.2.3 --sha <commit> --key cosign.pub',
      '  nx-ameide-release verify ghcr.io/<owner>/<image>:1.2.3 --sha <commit> \\',
      "      --certificate-identity-regexp '^https://github.com/<owner>/<repo>/'",
      '  nx-ameide-release verify --artifact pkg-1.2.3.tgz \\',
      '      --bundle pkg-1.2.3.tgz.provenance.sigstore.json --sha <commit> --key cosign.pub',
    ].join('\n'),
  );
  action<VerifyFlags>(command, async (flags, [ref]) => {
    const blob = flags.bundle !== undefined || flags.sbomBundle !== undefined;
    if (blob && ref) throw usageError(`verify takes an image or --bundle, not both: drop ${ref} to check the package file on its own, or --bundle to check it through the image`);
    if (blob && (flags.artifact === undefined || flags.bundle === undefined))
      throw usageError('verify of a package file needs --artifact <file> --bundle <file>.provenance.sigstore.json (and optionally --sbom-bundle)');
    if (!ref && !blob) throw usageError('verify needs the image: nx-ameide-release verify ghcr.io/<owner>/<image>:<tag> --sha <commit> --key cosign.pub (or a package file: --artifact <file> --bundle <bundle>)');
    const { key, sha, repo } = flags;
    if (!sha || !FULL_SHA.test(sha)) throw usageError(`verify needs --sha <the 40-hex commit the ${blob ? 'file' : 'image'} must come from>${sha ? `, got ${sha}` : ''}`);
    const identity = flags.certificateIdentityRegexp;
    if (Boolean(key) === Boolean(identity)) throw usageError('verify needs exactly one of --key <cosign.pub> or --certificate-identity-regexp <workflow identity>');
    const cwd = workdir(flags);
    const trustedRoot = flags.trustedRoot ?? (process.env.AMEIDE_SIGSTORE_TRUSTED_ROOT || undefined);
    if (key && flags.trustedRoot !== undefined) throw usageError('verify --trusted-root names a keyless Sigstore: drop it with --key');
    const signer: Signer = key
      ? { key: resolve(key) }
      : { identityRegexp: identity!, issuer: flags.certificateOidcIssuer ?? GITHUB_OIDC_ISSUER, ...(trustedRoot ? { trustedRoot: readableFile('trusted-root', resolve(cwd, trustedRoot)) } : {}) };
    const cosign = () => tools().findTool('cosign', process.env, cwd);
    if (blob) {
      const file = resolve(cwd, flags.artifact!);
      readArtifact(file);
      const bundle = readableFile('bundle', resolve(cwd, flags.bundle!));
      const sbomBundle = flags.sbomBundle === undefined ? undefined : readableFile('sbom-bundle', resolve(cwd, flags.sbomBundle));
      const report = await verify().verifyArtifact({ file, bundle, sbomBundle, signer, sha, repository: repo, cosign: cosign(), env: process.env });
      for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
      process.stdout.write(report.ok ? `verified: ${basename(file)} (${report.digest}) comes from ${sha}\n` : `NOT verified: ${basename(file)}\n`);
      return report.ok ? 0 : 1;
    }
    const artifacts = flags.artifact === undefined ? [] : [readArtifact(resolve(cwd, flags.artifact))];
    const reg = registries().ociCredentials(process.env);
    const report = await verify().verifyImage({
      ref, signer, sha, repository: repo, artifacts, insecure: reg.insecure,
      auth: { registry: ref.split('/')[0], username: reg.username, password: reg.password },
      cosign: cosign(), env: process.env,
    });
    for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    process.stdout.write(report.ok ? `verified: ${ref} (${report.digest}) comes from ${sha}\n` : `NOT verified: ${ref}\n`);
    return report.ok ? 0 : 1;
  });
}

/** A package file's name and sha256, read before cosign runs. */
function readArtifact(file: string): { name: string; sha256: string } {
  if (!existsSync(file)) throw new ReleaseError(`--artifact ${file} does not exist`, 'pass the path of the downloaded package file (wheel, sdist, .tgz, Go .zip)');
  return { name: basename(file), sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** A bundle file named by --bundle / --sbom-bundle, checked before cosign runs. */
function readableFile(flag: string, file: string): string {
  if (!existsSync(file)) {
    throw new ReleaseError(
      `--${flag} ${file} does not exist`,
      flag === 'trusted-root'
        ? 'pass the trusted_root.json of the Sigstore that signed (cosign trusted-root create), or leave --trusted-root out for the public Sigstore'
        : `pass the path of the bundle from the GitHub Release (<file>.${flag === 'bundle' ? 'provenance' : 'sbom'}.sigstore.json)`,
    );
  }
  return file;
}
