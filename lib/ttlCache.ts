/**
 * Values loaded on demand and reused for a while, for lookups every request makes (a tenant's
 * settings, an instance's job time): a load in flight is shared by everyone who asks meanwhile, and a
 * failed one is not kept, so the next caller asks again.
 */
export interface TtlCache<V> {
  get(key: string): Promise<V>;
  /** Drops a key, so its next `get` loads it again (a writer in this process changed it). */
  forget(key: string): void;
}

export function ttlCache<V>(ttlMs: number, load: (key: string) => Promise<V>): TtlCache<V> {
  const entries = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.value;
      const value = load(key);
      const entry = { at: Date.now(), value };
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      entries.set(key, entry);
      return value;
    },
    forget(key) {
      entries.delete(key);
    },
  };
}
