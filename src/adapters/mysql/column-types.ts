/**
 * Whether a column's type, as information_schema.columns gives it (`COLUMN_TYPE`, e.g.
 * `bigint(20) unsigned`, `varchar(255)`, `decimal(10,2)`; `DATA_TYPE`, e.g. `bigint`), is the one
 * a table check expects. The expectation may be as precise as COLUMN_TYPE (`varchar(255)`,
 * `int unsigned`) or just DATA_TYPE (`varchar`); integer display widths (`int(11)`, which
 * MariaDB and MySQL 5.7 show and MySQL 8 does not) may be left out; a few of SQL's
 * and MySQL's synonyms are taken as the type MySQL stores.
 */

/** Synonyms, as MySQL stores them (`BOOLEAN` is `tinyint(1)`, `NUMERIC` is `decimal`). */
const ALIASES: Record<string, string> = {
  integer: 'int',
  bool: 'tinyint(1)',
  boolean: 'tinyint(1)',
  dec: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  'double precision': 'double',
  real: 'double',
  'character varying': 'varchar',
  character: 'char',
};

/** Longest first, so that `double precision` is not read as `double`. */
const ALIAS_NAMES = Object.keys(ALIASES).sort((a, b) => b.length - a.length);

/** Lowercase, single spaces, none around parentheses and commas; quotes inside enum values kept. */
export function normalizeType(type: string): string {
  return type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .replace(/\)(?=[a-z])/g, ') ');
}

function unalias(type: string): string {
  for (const name of ALIAS_NAMES) {
    if (type === name || type.startsWith(`${name}(`) || type.startsWith(`${name} `)) {
      const canonical = ALIASES[name] as string;
      const rest = type.slice(name.length);
      // `boolean` is tinyint(1) already: no width of its own to add.
      return canonical.includes('(')
        ? `${canonical}${rest.replace(/^\(\d+\)/, '')}`
        : canonical + rest;
    }
  }
  return type;
}

/** `int(11) unsigned` → `int unsigned`: the display width, which says nothing of the values. */
export const withoutWidth = (type: string) =>
  type.replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1');

export function typeMatches(
  expected: string,
  actual: { columnType: string; dataType: string },
): boolean {
  const want = unalias(normalizeType(expected));
  const columnType = normalizeType(actual.columnType);
  const dataType = normalizeType(actual.dataType);
  // MariaDB stores JSON as LONGTEXT (with a json_valid check): information_schema says longtext.
  if (want === 'json' && dataType === 'longtext') return true;
  return want === columnType || want === dataType || want === withoutWidth(columnType);
}
