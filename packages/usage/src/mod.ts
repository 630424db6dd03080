export type { EntryTokens } from './tokens.ts';
export { cacheCreationTokens, entryTokens } from './tokens.ts';
