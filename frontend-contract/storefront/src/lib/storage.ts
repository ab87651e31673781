// A tiny key-value interface over localStorage, so the logic that uses it can
// be tested with an in-memory map and runs (as a no-op) during prerendering.

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function memoryStorage(initial: Record<string, string> = {}): KeyValueStorage {
  const map = new Map(Object.entries(initial));
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** The browser's localStorage, or null (prerendering, or storage disabled). */
export function browserStorage(): KeyValueStorage | null {
  try {
    if (typeof window === 'undefined' || !window.localStorage) return null;
    return window.localStorage;
  } catch {
    return null;
  }
}

/** A store of one value kept under `key`, with change listeners (same tab and
 *  other tabs through the `storage` event); made for `useSyncExternalStore`. */
export interface Store<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T>(options: {
  key: string;
  parse: (raw: string | null) => T;
  serialize: (value: T) => string | null;
  storage?: () => KeyValueStorage | null;
}): Store<T> {
  const storage = options.storage ?? browserStorage;
  const listeners = new Set<() => void>();
  let cachedRaw: string | null | undefined;
  let cached: T | undefined;
  const read = (): T => {
    const s = storage();
    // No storage (prerendering, storage disabled): the value lives in memory.
    if (!s && cachedRaw !== undefined) return cached as T;
    const raw = s?.getItem(options.key) ?? null;
    if (cachedRaw === undefined || raw !== cachedRaw) {
      cachedRaw = raw;
      cached = options.parse(raw);
    }
    return cached as T;
  };
  const notify = () => listeners.forEach((l) => l());
  let listening = false;
  const onStorage = (event: StorageEvent) => {
    if (event.key === null || event.key === options.key) notify();
  };
  return {
    get: read,
    set(value) {
      const raw = options.serialize(value);
      const s = storage();
      if (s) {
        if (raw === null) s.removeItem(options.key);
        else s.setItem(options.key, raw);
      }
      cachedRaw = raw;
      cached = value;
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!listening && typeof window !== 'undefined') {
        window.addEventListener('storage', onStorage);
        listening = true;
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && listening && typeof window !== 'undefined') {
          window.removeEventListener('storage', onStorage);
          listening = false;
        }
      };
    },
  };
}
