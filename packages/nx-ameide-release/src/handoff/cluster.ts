import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { registerSecret } from '../exec';

/**
 * The Argo CD Applications of one cluster, through @kubernetes/client-node (the Kubernetes client
 * library: kubeconfig handling, auth providers, TLS; no HTTP of ours). Loaded only here, only when an
 * `argocd` command runs. Every call has a deadline, and every failure becomes a ReleaseError saying
 * what was asked of which server: unreachable (host, timeout), no Application CRD, no such
 * Application, an RBAC refusal (the verb and resource the token's role lacks; never the token).
 */

export const GROUP = 'argoproj.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'applications';
export const RESOURCE = `${PLURAL}.${GROUP}`;

export interface Application {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: {
    project?: string;
    destination?: { server?: string; name?: string; namespace?: string };
    source?: { path?: string; repoURL?: string };
    sources?: { path?: string; repoURL?: string }[];
    syncPolicy?: { automated?: Record<string, unknown> | null; [k: string]: unknown };
    [k: string]: unknown;
  };
}

/** A JSON Patch (RFC 6902) operation. */
export type PatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

/** What the handoff needs of a cluster; the real one is connect(), tests of pure logic may pass their own. */
export interface Apps {
  /** The API server's URL, for messages. */
  readonly server: string;
  get(namespace: string, name: string): Promise<Application>;
  list(namespace: string, selectors?: { labelSelector?: string; fieldSelector?: string }): Promise<Application[]>;
  /** Applies the patch; 'conflict' when the object changed since `resourceVersion` was read. */
  patch(app: Application, ops: PatchOp[]): Promise<Application | 'conflict'>;
}

export interface ConnectOptions {
  /** A kubeconfig file; default the usual way: KUBECONFIG first, then ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** Deadline of each request. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

const CONFLICT = Symbol('conflict');

type K8s = typeof import('@kubernetes/client-node');

/**
 * The library ships ES modules only; the plugin is CommonJS. Node >= 20.19 loads ES modules with
 * require() (the plugin's @renovatebot/pep440 relies on the same); older Nodes get this message.
 */
function loadClient(): K8s {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('@kubernetes/client-node') as K8s;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM') {
      throw new ReleaseError(`Node ${process.version} cannot load @kubernetes/client-node (ES modules) from CommonJS`, 'use Node 20.19 or later (require of ES modules)');
    }
    throw e;
  }
}

const path = (ns: string, name?: string) => `${RESOURCE} ${name ? `${ns}/${name}` : `in namespace ${ns}`}`;

interface Asked {
  verb: 'get' | 'list' | 'patch';
  namespace: string;
  name?: string;
}

/** The Status object the API server sent, whichever shape the client handed it over in. */
function statusOf(body: unknown): { message?: string; reason?: string; details?: { name?: string; kind?: string } } {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return { message: body.trim() };
    }
  }
  return body && typeof body === 'object' ? (body as object) : {};
}

/** One failure of one request, as what the user can act on. */
export function requestError(e: unknown, asked: Asked, server: string, timeoutMs: number): ReleaseError {
  const where = server;
  const err = e as { code?: unknown; name?: string; type?: string; message?: string; body?: unknown; errno?: string; cause?: { code?: string } };
  if (err?.name === 'AbortError' || err?.type === 'aborted') {
    return new ReleaseError(`no answer from the Kubernetes API within ${timeoutMs / 1000}s (${asked.verb} ${path(asked.namespace, asked.name)})`, 'check that the cluster in the kubeconfig is up and reachable from here (VPN, port-forward), or raise --request-timeout', where);
  }
  if (typeof err?.code !== 'number') {
    // node-fetch: FetchError with the socket's code (ECONNREFUSED, ENOTFOUND, EHOSTUNREACH, certificate errors).
    const sys = (typeof err?.code === 'string' && err.code) || err?.errno || err?.cause?.code || '';
    return new ReleaseError(`cannot reach the Kubernetes API${sys ? ` (${sys})` : ''}: ${(err?.message ?? String(e)).split('\n')[0]}`, 'check the server of the kubeconfig\'s current context (KUBECONFIG, ~/.kube/config) and that the cluster is up', where);
  }
  const status = statusOf(err.body);
  const said = status.message ? `: ${status.message}` : '';
  switch (err.code) {
    case 401:
      return new ReleaseError(`the Kubernetes API refused the kubeconfig's credentials (401 Unauthorized)`, 'renew the token or certificate of the current context\'s user', where);
    case 403:
      return new ReleaseError(
        `RBAC: the kubeconfig's user may not ${asked.verb} ${RESOURCE} in namespace ${asked.namespace}${said}`,
        `grant its Role verbs get, list and patch on resource applications in apiGroup argoproj.io (namespace ${asked.namespace}); missing here: ${asked.verb}`,
        where,
      );
    case 404:
      if (status.details?.name && asked.name) {
        return new ReleaseError(`Application ${asked.namespace}/${asked.name} not found`, `check the name and --namespace (argocd status lists the paused ones; kubectl get applications -n ${asked.namespace} lists all)`, where);
      }
      return new ReleaseError(`the Argo CD Application CRD (${RESOURCE}/${VERSION}) is not installed on this cluster`, 'install Argo CD (or its CRDs: manifests/crds/application-crd.yaml), or point KUBECONFIG at the cluster that runs it', where);
    default:
      return new ReleaseError(`the Kubernetes API answered ${err.code} to ${asked.verb} ${path(asked.namespace, asked.name)}${said}`, 'see the message; retry if the API server was busy', where);
  }
}

/** Reads the kubeconfig (without contacting the server) and returns the cluster's Applications. */
export function connect(opts: ConnectOptions): Apps {
  const env = opts.env ?? process.env;
  const k8s = loadClient();
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config')) || env.KUBERNETES_SERVICE_HOST) kc.loadFromDefault();
    else throw new ReleaseError('no kubeconfig: KUBECONFIG is not set and ~/.kube/config does not exist', 'set KUBECONFIG to the kubeconfig of the cluster Argo CD runs in, or pass --kubeconfig <file>');
  } catch (e) {
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError(`the kubeconfig cannot be read: ${(e as Error).message.split('\n')[0]}`, 'fix the file (KUBECONFIG or --kubeconfig)', opts.kubeconfig ?? env.KUBECONFIG);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ReleaseError('the kubeconfig has no current context with a cluster', 'kubectl config use-context <context>, or fix current-context', opts.kubeconfig ?? env.KUBECONFIG);
  const user = kc.getCurrentUser();
  registerSecret(user?.token);
  registerSecret(user?.password);
  const server = cluster.server;
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const timeoutMs = opts.timeoutMs;

  /** Per request: the content type a patch needs (the library's middleware). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const options = (contentType?: string): any => (contentType ? k8s.setHeaderOptions('Content-Type', contentType) : undefined);
  /**
   * Our deadline around each call: the library's request options take no timeout, and its middleware
   * is typed on its internal Observable. A request past the deadline is abandoned (the CLI exits).
   */
  const call = async <T>(asked: Asked, fn: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { name: 'AbortError' })), timeoutMs);
    });
    try {
      return await Promise.race([fn(), deadline]);
    } catch (e) {
      if ((e as { code?: unknown }).code === 409 && asked.verb === 'patch') throw CONFLICT;
      throw requestError(e, asked, server, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  };
  const common = { group: GROUP, version: VERSION, plural: PLURAL };
  return {
    server,
    get: (namespace, name) => call({ verb: 'get', namespace, name }, () => api.getNamespacedCustomObject({ ...common, namespace, name }, options()) as Promise<Application>),
    list: (namespace, selectors = {}) =>
      call({ verb: 'list', namespace }, async () => ((await api.listNamespacedCustomObject({ ...common, namespace, ...selectors }, options())) as { items: Application[] }).items),
    patch: async (app, ops) => {
      const { namespace, name } = app.metadata;
      try {
        return await call({ verb: 'patch', namespace, name }, () => api.patchNamespacedCustomObject({ ...common, namespace, name, body: ops }, options(k8s.PatchStrategy.JsonPatch)) as Promise<Application>);
      } catch (e) {
        if (e === CONFLICT) return 'conflict';
        // A patch made against an object changed since (say, a remove of what the winner already
        // removed) fails before the resourceVersion check: that is a conflict too.
        const now = await call({ verb: 'get', namespace, name }, () => api.getNamespacedCustomObject({ ...common, namespace, name }, options()) as Promise<Application>).catch(() => null);
        if (now && now.metadata.resourceVersion !== app.metadata.resourceVersion) return 'conflict';
        throw e;
      }
    },
  };
}
