import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

/** The annotation a prod/staging reference carries: the commit its image was built from. */
export const IMAGE_SHA_ANNOTATION = 'ameide.io/image-sha';

/** One image reference found in a YAML file. */
export interface ImageRef {
  file: string;
  line: number;
  /** Repository without tag or digest, e.g. ghcr.io/acme/sdk. */
  repository: string;
  tag: string | null;
  digest: string | null;
  /** The `ameide.io/image-sha` annotation that applies to it (nearest enclosing object), or null. */
  annotation: string | null;
  /** k8s (a container's `image:`), helm (`image: {repository, tag}`), kustomize (`images:` entry). */
  shape: 'k8s' | 'helm' | 'kustomize';
}

/** Splits `host:port/ns/name:tag@sha256:...` into repository, tag and digest. */
export function splitImage(ref: string): { repository: string; tag: string | null; digest: string | null } {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : null;
  return { repository: tag === null ? rest : rest.slice(0, colon), tag, digest };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** The annotation of one object: its metadata, its pod template, Helm's (pod)annotations, Kustomize's commonAnnotations. */
function annotationOf(o: Obj): string | null {
  const spec = obj(o.spec);
  const template = obj(spec?.template) ?? obj(obj(obj(obj(spec?.jobTemplate)?.spec)?.template));
  for (const holder of [obj(template?.metadata)?.annotations, obj(o.metadata)?.annotations, o.podAnnotations, o.annotations, o.commonAnnotations]) {
    const v = obj(holder)?.[IMAGE_SHA_ANNOTATION];
    if (v !== undefined && v !== null) return String(v);
  }
  return null;
}

/** The nearest annotation from the innermost enclosing object outwards. */
function nearestAnnotation(ancestors: Obj[]): string | null {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = annotationOf(ancestors[i]);
    if (a !== null) return a;
  }
  return null;
}

/** Every image reference of a YAML text (every document), with its line and annotation. */
export function scanYaml(file: string, text: string): { refs: ImageRef[]; errors: string[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const refs: ImageRef[] = [];
  const errors: string[] = [];
  const docsArr = Array.isArray(docs) ? docs : [docs];
  const lineOf = (n: Node | null | undefined) => (n?.range ? lineCounter.linePos(n.range[0]).line : 0);
  for (const doc of docsArr) {
    if (doc.errors.length) {
      errors.push(...doc.errors.map((e) => e.message.split('\n')[0]));
      continue;
    }
    const walk = (node: unknown, ancestors: Obj[]): void => {
      if (isSeq(node)) {
        for (const item of node.items) walk(item, ancestors);
        return;
      }
      if (!isMap(node)) return;
      const here = node.toJSON() as Obj;
      const chain = [...ancestors, here];
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        const value = pair.value as Node | null;
        if (key === 'image' && isScalar(value) && typeof value.value === 'string') {
          refs.push({ file, line: lineOf(value), ...splitImage(value.value), annotation: nearestAnnotation(chain), shape: 'k8s' });
        } else if (key === 'image' && isMap(value) && typeof obj(value.toJSON())?.repository === 'string') {
          const v = value.toJSON() as Obj;
          const repository = [v.registry, v.repository].filter((x) => typeof x === 'string' && x).join('/');
          const tag = v.tag === undefined || v.tag === null || v.tag === '' ? null : String(v.tag);
          const digest = typeof v.digest === 'string' && v.digest ? v.digest : null;
          refs.push({ file, line: lineOf(value), repository, tag, digest, annotation: nearestAnnotation([...chain, v]), shape: 'helm' });
        } else if (key === 'images' && isSeq(value) && (here.kind === 'Kustomization' || 'resources' in here || 'bases' in here || 'patches' in here)) {
          for (const item of value.items) {
            const e = obj(isMap(item) ? item.toJSON() : undefined);
            if (!e || typeof e.name !== 'string') continue;
            refs.push({
              file, line: lineOf(item as Node), repository: String(e.newName ?? e.name),
              tag: e.newTag === undefined || e.newTag === null ? null : String(e.newTag),
              digest: typeof e.digest === 'string' ? e.digest : null,
              annotation: nearestAnnotation(chain), shape: 'kustomize',
            });
          }
          continue;
        }
        walk(value, chain);
      }
    };
    walk(doc.contents, []);
  }
  return { refs, errors };
}

/** `**` any depth, `*` one segment's characters, `?` one character; matched against a /-separated path. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
