import { Redis, Cluster } from 'ioredis';
import { ALL_NAMESPACES, CacheStats, type Cache } from './cache.js';


// Keys share the `{ns}` hash tag so a namespace lives in one cluster slot.
// ARGV[2] is the generation of the copy this process holds: when it is current and the entry still
// exists, only the generation travels back instead of the (possibly large) value.
const READ = `local g = redis.call('GET', KEYS[1]) or '0'
local k = KEYS[1] .. ':' .. g .. ':' .. ARGV[1]
if g == ARGV[2] and redis.call('EXISTS', k) == 1 then return {g, false, 1} end
return {g, redis.call('GET', k), 0}`;
const WRITE = `local g = redis.call('GET', KEYS[1]) or '0'
if g == ARGV[2] then redis.call('SET', KEYS[1] .. ':' .. g .. ':' .. ARGV[1], ARGV[3], 'EX', ARGV[4]) return 1 end
return 0`;

// Returns the new generation (0: not swapped), so the swapping process keeps the value as its local copy.
const SWAP = `local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return 0 end
local n = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[1] .. ':' .. n .. ':' .. ARGV[2], ARGV[3], 'EX', ARGV[4])
return n`;

type Client = Redis | Cluster;
export type RedisClient = Client;

/** Keeps a process's copy of an entry with its generation; the least recently read go beyond LOCAL_COPIES_MAX. */
function remember<V>(local: Map<string, { gen: string; value: V }>, localKey: string, gen: string, value: V) {
  local.delete(localKey);
  local.set(localKey, { gen, value });
  if (local.size > LOCAL_COPIES_MAX) local.delete(local.keys().next().value as string);
}
const LOCAL_COPIES_MAX = 256;

/**
 * `redis+cluster://[user:password@]host1:port1,host2:port2,…` (`rediss+cluster://` for TLS): any reachable
 * masters; the client discovers the rest of the cluster. Undefined for a single-node URL.
 */
export function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; auth: { username?: string; password?: string }; tls: boolean } | undefined {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m) return undefined;
  const auth: { username?: string; password?: string } = {};
  if (m[2]) {
    const colon = m[2].indexOf(':');
    const user = decodeURIComponent(colon < 0 ? m[2] : m[2].slice(0, colon));
    const password = colon < 0 ? '' : decodeURIComponent(m[2].slice(colon + 1));
    if (user) auth.username = user;
    if (password) auth.password = password;
  }
  const nodes = m[3]!.split(',').map((hp) => {
    const [host, port] = hp.trim().split(':');
    return { host: host || '127.0.0.1', port: Number(port || 6379) };
  });
  return { nodes, auth, tls: m[1] === 'rediss' };
}

/** `autoResubscribe: false` for the pub/sub connection: RedisCache subscribes itself and knows when it is done. */
export function connect(url: string, opts: { autoResubscribe?: boolean; connectionName?: string; lazyConnect?: boolean } = {}): Client {
  const cluster = parseClusterUrl(url);
  if (cluster) {
    return new Cluster(cluster.nodes, {
      lazyConnect: opts.lazyConnect ?? false,
      redisOptions: { ...opts, ...cluster.auth, ...(cluster.tls ? { tls: {} } : {}) },
    });
  }
  return new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, ...opts });
}

/** Redis cache; invalidations are announced on a pub/sub channel for in-process listeners. */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly client: Client;
  private subscriber?: Client;
  private readonly listeners: ((ns: string) => void)[] = [];
  /** Local copies of recently read entries, trusted only while Redis confirms their generation. */
  private readonly local = new Map<string, { gen: string; value: string }>();
  /** The same for entries read as bytes (readBytes). */
  private readonly localBytes = new Map<string, { gen: string; value: Buffer }>();

  private readonly channel: string;
  /** Whether the subscriber is connected and subscribed (invalidations reach this process). */
  private live = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly prefix = 'sh',
    readonly stats = new CacheStats(),
  ) {
    this.channel = `${prefix}:invalidate`;
    this.client = connect(url, { connectionName: `smarthydro-cache-${prefix}` });
    this.client.on('error', () => undefined); // surfaced through ping() and failed commands
    this.client.defineCommand('shRead', { numberOfKeys: 1, lua: READ });
    this.client.defineCommand('shWrite', { numberOfKeys: 1, lua: WRITE });
    this.client.defineCommand('shSwap', { numberOfKeys: 1, lua: SWAP });
  }

  private genKey(ns: string) {
    return `${this.prefix}:{${ns}}`;
  }

  async read(ns: string, field: string) {
    return this.readVia(this.local, ns, field, async (k, f, g) => {
      const [gen, value, same] = await (this.client as unknown as {
        shRead(k: string, f: string, g: string): Promise<[string, string | null, number]>;
      }).shRead(k, f, g);
      return { gen, value, same };
    });
  }

  async readBytes(ns: string, field: string) {
    return this.readVia(this.localBytes, ns, field, async (k, f, g) => {
      const [gen, value, same] = await (this.client as unknown as {
        shReadBuffer(k: string, f: string, g: string): Promise<[Buffer, Buffer | null, number]>;
      }).shReadBuffer(k, f, g);
      return { gen: gen.toString(), value, same };
    });
  }

  /** READ with this process's copy's generation: the copy is used when still current, else the entry is kept as the new copy. */
  private async readVia<V>(
    local: Map<string, { gen: string; value: V }>,
    ns: string,
    field: string,
    shRead: (key: string, field: string, mineGen: string) => Promise<{ gen: string; value: V | null; same: number }>,
  ): Promise<{ gen: string; value: V | undefined }> {
    const localKey = `${ns}\u0000${field}`;
    const mine = local.get(localKey);
    const { gen, value, same } = await shRead(this.genKey(ns), field, mine?.gen ?? '');
    if (same === 1 && mine) return { gen, value: mine.value };
    if (value === null) {
      local.delete(localKey);
      return { gen, value: undefined };
    }
    remember(local, localKey, gen, value);
    return { gen, value };
  }

  async write(ns: string, field: string, value: string, ttlSeconds: number, gen: string) {
    const written = await (this.client as unknown as {
      shWrite(k: string, f: string, g: string, v: string, ttl: number): Promise<number>;
    }).shWrite(this.genKey(ns), field, gen, value, ttlSeconds);
    // The writer reads it next (a shard it just loaded): only the generation needs to travel then.
    if (written === 1) remember(this.local, `${ns}\u0000${field}`, gen, value);
  }

  async generation(ns: string) {
    return (await this.client.get(this.genKey(ns))) ?? '0';
  }

  async swap(ns: string, field: string, gen: string, value: string, ttlSeconds: number) {
    const swapped = await (this.client as unknown as {
      shSwap(k: string, g: string, f: string, v: string, ttl: number): Promise<number>;
    }).shSwap(this.genKey(ns), gen, field, value, ttlSeconds);
    if (!swapped) return false;
    remember(this.local, `${ns}\u0000${field}`, String(swapped), value);
    await this.client.publish(this.channel, ns);
    return true;
  }

  async invalidate(ns: string) {
    await this.client.incr(this.genKey(ns));
    await this.client.publish(this.channel, ns);
  }

  async invalidateMany(namespaces: readonly string[]) {
    // Each namespace has its own hash slot, so no MULTI; ioredis pipelines the commands anyway.
    await Promise.all(namespaces.map((ns) => this.invalidate(ns)));
  }

  onInvalidate(listener: (ns: string) => void) {
    this.listeners.push(listener);
    if (this.subscriber) return;
    this.subscribe(0);
  }

  /**
   * Subscribed by hand on every (re)connection: only once SUBSCRIBE is confirmed are announcements live again,
   * and then listeners hear ALL_NAMESPACES, since whatever was announced meanwhile is lost.
   */
  private subscribe(attempt: number): void {
    if (this.closed) return;
    const sub = (this.subscriber = this.subscriberConnection(attempt));
    const notify = (ns: string) => {
      for (const l of this.listeners) l(ns);
    };
    sub.on('error', () => undefined);
    sub.on('message', (_channel: string, ns: string) => notify(ns));
    sub.on('close', () => (this.live = false));
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          this.live = true;
          notify(ALL_NAMESPACES);
        },
        () => sub.disconnect(true), // reconnects, and tries again on the next 'ready'
      );
    });
    // On a cluster the connection gives up on its node after a few tries: the next node takes over.
    sub.on('end', () => {
      this.live = false;
      if (this.subscriber === sub) this.subscribe(attempt + 1);
    });
  }

  /**
   * The pub/sub connection. On a cluster it is a plain connection to one node: a PUBLISH reaches every node of a
   * cluster, and ioredis' own cluster subscriber moves between nodes without a close or ready event, so the
   * announcements lost in such a gap could not be signalled.
   */
  private subscriberConnection(attempt: number): Client {
    const connectionName = `smarthydro-cache-${this.prefix}-sub`;
    const cluster = parseClusterUrl(this.url);
    if (!cluster) return connect(this.url, { autoResubscribe: false, connectionName });
    const node = cluster.nodes[attempt % cluster.nodes.length]!;
    return new Redis({
      host: node.host,
      port: node.port,
      ...cluster.auth,
      ...(cluster.tls ? { tls: {} } : {}),
      autoResubscribe: false,
      connectionName,
      retryStrategy: (times) => (times > 3 ? null : Math.min(times * 200, 1000)),
    });
  }

  announcing() {
    return this.live;
  }

  async ping() {
    await this.client.ping();
  }

  async close() {
    this.closed = true;
    this.client.disconnect();
    this.subscriber?.disconnect();
  }
}
