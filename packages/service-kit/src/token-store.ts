import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type AccountId,
  type DeviceId,
  type IssuedToken,
  type Names,
  StoredAccount,
  StoredToken,
  TokenId,
  type TokenInfo,
  type TokenScope,
} from '@ccsync/contracts';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

const TOKEN_PREFIX = 'ccs_';
const tokenKey = (id: string) => `tokens.${id}`;
const accountKey = (id: string) => `accounts.${id}`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** How long a looked-up token is trusted before KV is asked again: the delay of a revocation. */
const CACHE_MS = 2000;

/** The token's id, from its text `ccs_<id>_<secret>`, or undefined for any other text. */
export function tokenIdOf(text: string): TokenId | undefined {
  if (!text.startsWith(TOKEN_PREFIX) || text.charAt(TOKEN_PREFIX.length + 16) !== '_') return undefined;
  const parsed = TokenId.safeParse(text.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 16));
  return parsed.success ? parsed.data : undefined;
}

function newTokenId(): TokenId {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(16);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return TokenId.parse(id);
}

export interface IssueTokenCommand {
  readonly account: AccountId;
  readonly scope: TokenScope;
  readonly device?: DeviceId;
  readonly label?: string;
}

/**
 * Accounts and tokens, kept in a NATS KV bucket: state that must survive a Redis flush, shared by
 * every replica. Tokens are random, stored only as SHA-256 hashes, and shown once when issued.
 */
export class TokenStore {
  readonly #kv: KV;
  readonly #cache = new Map<string, { token: StoredToken | undefined; at: number }>();

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Opens the bucket, creating it on first use. */
  static async open(nc: NatsConnection, names: Names, replicas = 1): Promise<TokenStore> {
    return new TokenStore(await new Kvm(nc).create(names.authBucket, { history: 5, replicas }));
  }

  /** Creates an account; undefined when one with that id exists already. */
  async createAccount(id: AccountId, name: string): Promise<StoredAccount | undefined> {
    const account = StoredAccount.parse({ id, name, createdAt: new Date().toISOString() });
    try {
      await this.#kv.create(accountKey(id), JSON.stringify(account));
      return account;
    } catch (error) {
      // KV create refuses an existing key; any other failure is the store's, not the caller's.
      if (await this.accountExists(id)) return undefined;
      throw error;
    }
  }

  async accountExists(id: AccountId): Promise<boolean> {
    return (await this.#kv.get(accountKey(id))) !== null;
  }

  async issue(command: IssueTokenCommand): Promise<IssuedToken> {
    const id = newTokenId();
    const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const stored = StoredToken.parse({ ...command, id, hash: sha256(token), createdAt: new Date().toISOString() });
    await this.#kv.create(tokenKey(id), JSON.stringify(stored));
    const { hash: _hash, ...info } = stored;
    return { ...info, token };
  }

  /** The stored token the text is, if it is one, valid and not revoked. */
  async verify(text: string): Promise<StoredToken | undefined> {
    const id = tokenIdOf(text);
    if (id === undefined) return undefined;
    const stored = await this.#lookup(id);
    if (stored === undefined || stored.revokedAt !== undefined) return undefined;
    const presented = Buffer.from(sha256(text), 'hex');
    return timingSafeEqual(presented, Buffer.from(stored.hash, 'hex')) ? stored : undefined;
  }

  async list(account: AccountId): Promise<TokenInfo[]> {
    const tokens: TokenInfo[] = [];
    for await (const key of await this.#kv.keys('tokens.*')) {
      const stored = await this.#read(key.slice('tokens.'.length));
      if (stored?.account !== account) continue;
      const { hash: _hash, ...info } = stored;
      tokens.push(info);
    }
    return tokens.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a token of the account; false when the account has no such token. */
  async revoke(account: AccountId, id: TokenId): Promise<boolean> {
    const stored = await this.#read(id);
    if (stored?.account !== account) return false;
    if (stored.revokedAt === undefined) {
      await this.#kv.put(tokenKey(id), JSON.stringify({ ...stored, revokedAt: new Date().toISOString() }));
    }
    this.#cache.delete(id);
    return true;
  }

  async #lookup(id: string): Promise<StoredToken | undefined> {
    const cached = this.#cache.get(id);
    if (cached !== undefined && Date.now() - cached.at < CACHE_MS) return cached.token;
    const token = await this.#read(id);
    this.#cache.set(id, { token, at: Date.now() });
    return token;
  }

  async #read(id: string): Promise<StoredToken | undefined> {
    const entry = await this.#kv.get(tokenKey(id));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const parsed = StoredToken.safeParse(entry.json());
    return parsed.success ? parsed.data : undefined;
  }
}
