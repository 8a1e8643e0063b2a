// Reading an object's name and namespace: one place, one meaning. PURE.

/** The namespace a namespaced object without one is in (as kubectl and the API server
 *  place it): an absent or empty `metadata.namespace` both mean "default". */
export const DEFAULT_NAMESPACE = 'default';

/** Namespace of a namespaced object; absent or empty is {@link DEFAULT_NAMESPACE}. */
export function namespaceOf(obj: { metadata?: { namespace?: unknown } } | undefined): string {
  const ns = obj?.metadata?.namespace;
  return typeof ns === 'string' && ns !== '' ? ns : DEFAULT_NAMESPACE;
}

/** `metadata.name` when it is a non-empty string. */
export function nameOf(obj: { metadata?: { name?: unknown } } | undefined): string | undefined {
  const n = obj?.metadata?.name;
  return typeof n === 'string' && n !== '' ? n : undefined;
}
