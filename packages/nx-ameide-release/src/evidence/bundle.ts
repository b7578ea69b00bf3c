import { createPublicKey, verify as verifySignature } from 'node:crypto';

/**
 * Can a cosign bundle made by an earlier run stand for the one this run would make? Only when it
 * provably is that attestation: its in-toto statement names the same subject (file name and
 * sha256), the same predicate type and the same predicate, and its DSSE signature verifies with the
 * public half of the key this run signs with. Then signing again would change nothing a consumer
 * can check (an ECDSA signature differs from run to run, the statement does not). Anything else
 * (another key, another file, another predicate, a torn or foreign file) is signed again.
 * Pure (no I/O): the caller reads the bundle and knows the key.
 */

export interface ExpectedStatement {
  /** The subject cosign names: the file's base name and its sha256 (hex). */
  name: string;
  sha256: string;
  predicateType: string;
  predicate: unknown;
}

/** JSON with object keys sorted at every level: cosign re-serialises the predicate with sorted keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The predicate as cosign stores it: cosign reads an SLSA provenance predicate into its protobuf
 * type and writes it back, which adds empty messages (`runDetails.metadata: {}`). Empty objects say
 * nothing, so both sides are compared without them.
 */
export function withoutEmptyObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyObjects);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const pruned = withoutEmptyObjects(v);
    if (pruned === undefined || (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0)) continue;
    out[k] = pruned;
  }
  return out;
}

/** DSSE's pre-authentication encoding: what the envelope's signature signs. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export interface DsseEnvelope {
  payloadType?: string;
  payload?: string;
  signatures?: { sig?: string }[];
}

/**
 * The DSSE envelope of a cosign blob-attestation bundle, in either format: the Sigstore bundle
 * cosign v3 writes (`dsseEnvelope`, with `mediaType` application/vnd.dev.sigstore.bundle…), or
 * cosign v2's own bundle (the envelope as JSON, base64, in `base64Signature`). null for anything else.
 */
export function dsseEnvelopeOf(bundle: Buffer | string): DsseEnvelope | null {
  try {
    const b = JSON.parse(bundle.toString()) as { dsseEnvelope?: DsseEnvelope; base64Signature?: string };
    if (b && typeof b.dsseEnvelope === 'object' && b.dsseEnvelope) return b.dsseEnvelope;
    if (typeof b?.base64Signature === 'string' && b.base64Signature) return JSON.parse(Buffer.from(b.base64Signature, 'base64').toString('utf8')) as DsseEnvelope;
  } catch {
    /* not JSON */
  }
  return null;
}

/** Why the bundle cannot be reused, or null when it is this run's attestation, signed with `publicKeyPem`. */
export function bundleMismatch(bundle: Buffer | string, want: ExpectedStatement, publicKeyPem: string): string | null {
  const envelope = dsseEnvelopeOf(bundle);
  if (!envelope) return 'not a cosign bundle';
  if (envelope.payloadType !== 'application/vnd.in-toto+json' || typeof envelope.payload !== 'string') return 'no in-toto envelope';
  const payload = Buffer.from(envelope.payload, 'base64');
  let statement: { subject?: unknown; predicateType?: unknown; predicate?: unknown };
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the payload is not a statement';
  }
  if (canonicalJson(statement.subject) !== canonicalJson([{ name: want.name, digest: { sha256: want.sha256 } }])) return 'another subject';
  if (statement.predicateType !== want.predicateType) return 'another predicate type';
  if (canonicalJson(withoutEmptyObjects(statement.predicate)) !== canonicalJson(withoutEmptyObjects(want.predicate))) return 'another predicate';
  let key;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return 'the public key is not readable';
  }
  const signed = pae(envelope.payloadType, payload);
  const ok = (envelope.signatures ?? []).some((s) => {
    try {
      return typeof s.sig === 'string' && verifySignature('sha256', signed, key, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
  return ok ? null : 'not signed with this key';
}
