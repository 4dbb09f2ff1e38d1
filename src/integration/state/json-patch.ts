/** One RFC 6902 operation, of the three a diff needs. */
export type PatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown };

/** The JSON Patch (RFC 6902) that turns `before` into `after`: objects key by key, anything else replaced whole. */
export function diff(before: unknown, after: unknown, path = ''): PatchOperation[] {
  if (isRecord(before) && isRecord(after)) {
    const operations: PatchOperation[] = [];
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) operations.push({ op: 'remove', path: `${path}/${escape(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const child = `${path}/${escape(key)}`;
      if (!Object.hasOwn(before, key)) operations.push({ op: 'add', path: child, value });
      else operations.push(...diff(before[key], value, child));
    }
    return operations;
  }
  return sameJson(before, after) ? [] : [{ op: 'replace', path, value: after }];
}

/** Applies a patch made by `diff` to a copy of `document`. */
export function applyPatch(document: unknown, operations: readonly PatchOperation[]): unknown {
  let root = structuredClone(document);
  for (const operation of operations) {
    if (operation.path === '') {
      root = operation.op === 'remove' ? undefined : structuredClone(operation.value);
      continue;
    }
    const keys = operation.path.slice(1).split('/').map(unescape);
    const last = keys.pop() as string;
    let parent: unknown = root;
    for (const key of keys) parent = (parent as Record<string, unknown>)[key];
    if (!isRecord(parent)) throw new TypeError(`Patch path ${operation.path} does not lead to an object.`);
    if (operation.op === 'remove') delete parent[last];
    // defineProperty, so a key named __proto__ is data, not the prototype.
    else
      Object.defineProperty(parent, last, {
        value: structuredClone(operation.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return root;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescape(key: string): string {
  return key.replace(/~1/g, '/').replace(/~0/g, '~');
}
