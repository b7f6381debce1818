/**
 * Column types as a configuration names them, compared with PostgreSQL's own spelling
 * (`format_type(atttypid, atttypmod)`: `integer`, `character varying(40)`,
 * `timestamp(3) with time zone`, `numeric(12,2)`, `text[]`).
 *
 * The rules, kept few so a mismatch is easy to explain:
 * - case, surrounding spaces and a `pg_catalog.` prefix do not matter;
 * - the aliases below name the same type;
 * - a type named without a length or precision (`varchar`, `numeric`, `timestamptz`,
 *   `interval`) matches any (`character varying(40)`, `numeric(12,2)`,
 *   `timestamp(3) with time zone`, `interval day to second`); one named with it must match it
 *   exactly (`float(p)` is `real` up to 24, `double precision` above);
 * - an array is its element type followed by `[]`, as many times as it has dimensions in the
 *   name (PostgreSQL does not enforce dimensions: `int[]` and `int[][]` are the same type);
 * - a type outside `pg_catalog` may be named without its schema (`mood`, in any schema) or with
 *   it (`public.mood`, in that one).
 */

/** The names PostgreSQL spells its built-in types by, under their common other names. */
export const TYPE_ALIASES: Readonly<Record<string, string>> = {
  int: 'integer',
  int4: 'integer',
  serial: 'integer',
  serial4: 'integer',
  int8: 'bigint',
  bigserial: 'bigint',
  serial8: 'bigint',
  int2: 'smallint',
  smallserial: 'smallint',
  serial2: 'smallint',
  float: 'double precision',
  float8: 'double precision',
  float4: 'real',
  bool: 'boolean',
  decimal: 'numeric',
  varchar: 'character varying',
  char: 'character',
  bpchar: 'character',
  varbit: 'bit varying',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
};

interface TypeName {
  /** The type without its modifier, in PostgreSQL's spelling: `character varying`. */
  base: string;
  /** Its length or precision, as written: `(40)`, `(12,2)`; empty when none is given. */
  modifier: string;
  /** Array brackets: `[]` once for any array (dimensions are not part of the type). */
  array: string;
}

/** A type name, read in PostgreSQL's spelling: aliases resolved, the modifier set apart. */
export function parseTypeName(name: string): TypeName {
  let text = name
    .trim()
    .toLowerCase()
    .replaceAll('"', '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),[\]])\s*/g, '$1')
    .replace(/^pg_catalog\./, '');
  let array = '';
  // `int[]`, `int[3]`, `int[][]`, `int array`: all one array type.
  for (;;) {
    const stripped = text.replace(/\[\d*\]$/, '').replace(/ array$/, '');
    if (stripped === text) break;
    array = '[]';
    text = stripped;
  }
  let modifier = /\([^)]*\)/.exec(text)?.[0] ?? '';
  let base = text.replace(modifier, ' ').replace(/\s+/g, ' ').trim();
  // float(p) is real up to 24 bits of precision, double precision above.
  if (base === 'float' && modifier) {
    base = Number(modifier.slice(1, -1)) <= 24 ? 'real' : 'double precision';
    modifier = '';
  }
  // An interval's fields restrict it as a precision does: `interval day to second(3)`.
  const fields = /^interval (.+)$/.exec(base);
  if (fields) {
    base = 'interval';
    modifier = `${fields[1]}${modifier}`;
  }
  return { base: TYPE_ALIASES[base] ?? base, modifier, array };
}

/**
 * Whether a column of type `actual` (as `format_type` spells it; its type in schema
 * `actualSchema`) is what the configuration's `expected` names.
 */
export function typeMatches(expected: string, actual: string, actualSchema?: string): boolean {
  const want = parseTypeName(expected);
  const have = parseTypeName(actual);
  if (want.array !== have.array) return false;
  if (want.modifier && want.modifier !== have.modifier) return false;
  if (want.base === have.base) return true;
  // `format_type` qualifies a type only when it is not on the search path, so the name alone
  // (`mood`) matches it in any schema, and a qualified one (`public.mood`) in its own.
  const name = have.base.slice(have.base.lastIndexOf('.') + 1);
  if (!want.base.includes('.')) return want.base === name;
  return actualSchema !== undefined && want.base === `${actualSchema.toLowerCase()}.${name}`;
}
