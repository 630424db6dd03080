import type { ModelPricing, PricingTable } from './pricing-table.ts';

/** Which table entry priced a model name, and how ccusage found it. */
export interface ResolvedPricing {
  readonly key: string;
  readonly match: 'primary-exact' | 'secondary-exact-only' | 'primary-fuzzy' | 'secondary-exact' | 'secondary-fuzzy';
  readonly pricing: ModelPricing;
}

interface PricingIndex {
  readonly primary: ReadonlyMap<string, ModelPricing>;
  readonly secondary: ReadonlyMap<string, ModelPricing>;
  /** exactOnly models.dev ids by their `.`/`@` → `-` spelling; null when two ids share a spelling. */
  readonly exactOnlyBySpelling: ReadonlyMap<string, string | null>;
  readonly exactOnly: ReadonlySet<string>;
  readonly secondaryFuzzyKeys: readonly string[];
  readonly resolved: Map<string, ResolvedPricing | null>;
}

const indexes = new WeakMap<PricingTable, PricingIndex>();

/**
 * The pricing ccusage 20.0.24 uses offline for a model name, or null when it has none (the model is
 * "unpriced"). Reproduces its lookup order: primary exact key, models.dev exact-only id, fuzzy primary
 * key, models.dev exact key, fuzzy models.dev key. Results are memoised per table, so the fuzzy scan
 * runs once per distinct model name.
 */
export function resolveModelPricing(table: PricingTable, model: string): ResolvedPricing | null {
  const index = indexOf(table);
  const cached = index.resolved.get(model);
  if (cached !== undefined) return cached;
  const resolved = lookup(index, model);
  index.resolved.set(model, resolved);
  return resolved;
}

function lookup(index: PricingIndex, model: string): ResolvedPricing | null {
  const primary = index.primary.get(model);
  if (primary) return { key: model, match: 'primary-exact', pricing: primary };

  const exactOnlyKey = index.exactOnly.has(model) ? model : index.exactOnlyBySpelling.get(spelling(model));
  const exactOnly = exactOnlyKey ? index.secondary.get(exactOnlyKey) : undefined;
  if (exactOnlyKey && exactOnly) return { key: exactOnlyKey, match: 'secondary-exact-only', pricing: exactOnly };

  const primaryKey = longestMatchingKey(index.primary.keys(), model);
  const primaryFuzzy = primaryKey === undefined ? undefined : index.primary.get(primaryKey);
  if (primaryKey !== undefined && primaryFuzzy)
    return { key: primaryKey, match: 'primary-fuzzy', pricing: primaryFuzzy };

  const secondary = index.secondary.get(model);
  if (secondary) return { key: model, match: 'secondary-exact', pricing: secondary };

  const secondaryKey = longestMatchingKey(index.secondaryFuzzyKeys, model);
  const secondaryFuzzy = secondaryKey === undefined ? undefined : index.secondary.get(secondaryKey);
  if (secondaryKey !== undefined && secondaryFuzzy) {
    return { key: secondaryKey, match: 'secondary-fuzzy', pricing: secondaryFuzzy };
  }
  return null;
}

function indexOf(table: PricingTable): PricingIndex {
  const existing = indexes.get(table);
  if (existing) return existing;
  const exactOnly = new Set<string>();
  const exactOnlyBySpelling = new Map<string, string | null>();
  const secondaryFuzzyKeys: string[] = [];
  for (const [key, pricing] of Object.entries(table.secondary)) {
    if (!pricing.exactOnly) {
      secondaryFuzzyKeys.push(key);
      continue;
    }
    exactOnly.add(key);
    const spelled = spelling(key);
    const previous = exactOnlyBySpelling.get(spelled);
    exactOnlyBySpelling.set(spelled, previous === undefined || previous === key ? key : null);
  }
  const index: PricingIndex = {
    primary: new Map(Object.entries(table.primary)),
    secondary: new Map(Object.entries(table.secondary)),
    exactOnly,
    exactOnlyBySpelling,
    secondaryFuzzyKeys,
    resolved: new Map(),
  };
  indexes.set(table, index);
  return index;
}

/** ccusage compares model names also with `.` and `@` written as `-` (`claude-opus-4.6` ≈ `claude-opus-4-6`). */
function spelling(name: string): string {
  return name.replaceAll('.', '-').replaceAll('@', '-');
}

/** Among keys that match the model, the longest; ties go to the lexicographically smallest. */
function longestMatchingKey(keys: Iterable<string>, model: string): string | undefined {
  const modelSpelling = spelling(model);
  let best: string | undefined;
  for (const key of keys) {
    if (best !== undefined && key.length < best.length) continue;
    if (!keyMatches(key, model, modelSpelling)) continue;
    if (best === undefined || key.length > best.length || key < best) best = key;
  }
  return best;
}

function keyMatches(key: string, model: string, modelSpelling: string): boolean {
  if (containsAtBoundary(model, key) || containsAtBoundary(key, model)) return true;
  const keySpelling = spelling(key);
  return containsAtBoundary(modelSpelling, keySpelling) || containsAtBoundary(keySpelling, modelSpelling);
}

/**
 * `inner` occurs in `outer` between word boundaries (start/end or a non-alphanumeric character), and
 * is not followed by a version continuation such as `-5` or `.1` unless that is an 8-digit date:
 * `claude-sonnet-4` matches `claude-sonnet-4-20250514` and `claude-sonnet-4[1m]`, not `claude-sonnet-4-5`.
 */
function containsAtBoundary(outer: string, inner: string): boolean {
  if (inner.length === 0) return false;
  let from = 0;
  for (;;) {
    const at = outer.indexOf(inner, from);
    if (at < 0) return false;
    const end = at + inner.length;
    const boundedBefore = at === 0 || !isAsciiAlphanumeric(outer.charCodeAt(at - 1));
    const boundedAfter =
      end === outer.length || (!isAsciiAlphanumeric(outer.charCodeAt(end)) && !continuesVersion(inner, outer, end));
    if (boundedBefore && boundedAfter) return true;
    from = at + 1;
  }
}

function continuesVersion(inner: string, outer: string, end: number): boolean {
  if (!isDigit(inner.charCodeAt(inner.length - 1))) return false;
  const separator = outer.charCodeAt(end);
  if (separator !== 45 /* - */ && separator !== 46 /* . */) return false;
  let digits = 0;
  while (isDigit(outer.charCodeAt(end + 1 + digits))) digits++;
  if (digits === 0) return false;
  const after = end + 1 + digits;
  const isDate = digits === 8 && (after === outer.length || !isAsciiAlphanumeric(outer.charCodeAt(after)));
  return !isDate;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isAsciiAlphanumeric(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
