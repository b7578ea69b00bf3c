/**
 * A read shared by every caller that asks for the same key: the promise is kept, a failed one is
 * forgotten (the next caller asks again). `fresh` reads anew and keeps the new answer. Used for a
 * flow's registry reads (FlowReads, src/core/publish-flow.ts) and a ghcr task's registry session
 * (RegistrySession, src/ecosystems/oci/registry.ts).
 */
export function rememberRead<T>(map: Map<string, Promise<T>>, key: string, read: () => Promise<T>, fresh = false): Promise<T> {
  const known = fresh ? undefined : map.get(key);
  if (known) return known;
  const p = read();
  map.set(key, p);
  p.catch(() => {
    if (map.get(key) === p) map.delete(key);
  });
  return p;
}
