/**
 * The guard in front of every SQL assertion sent to a MySQL-family server: a query runs only if
 * it is one read statement. A READ ONLY session and transaction refuse writes and DDL, but not
 * everything: `SELECT ... INTO OUTFILE` writes a file on the server all the same, a statement
 * after a `;` could switch the session back to READ WRITE, and MySQL runs the text of a
 * `/*! ... *\/` comment as SQL. So the text is read here first, as the server's lexer reads
 * it, and anything else is refused before a byte of it is sent.
 */

/** What a query is allowed to start with: MySQL's read statements. */
const READ_STATEMENTS = new Set(['select', 'with', 'table', 'values']);

/** The statement's text as it is sent (a trailing `;` dropped), or why it is refused. */
export type ReadStatement = { ok: true; sql: string } | { ok: false; reason: string };

interface Token {
  /** `quoted`: a string, or a name (quoted, or after a dot), never a keyword. */
  kind: 'word' | 'quoted' | 'punct';
  /** Lowercased for words, as is for the rest. */
  text: string;
  start: number;
  end: number;
}

class Refused extends Error {}

/** `/*!`, `/*M!` (MariaDB) and `/*+` comments are executed or obeyed by the server. */
function commentProblem(sql: string, at: number): string | undefined {
  const after = sql.slice(at + 2, at + 4);
  if (after.startsWith('!') || after === 'M!') {
    return 'it holds a /*! ... */ comment, which the server runs as SQL';
  }
  if (after.startsWith('+')) {
    return 'it holds an optimizer hint (/*+ ... */), which can change its settings, the statement timeout among them';
  }
  return undefined;
}

/**
 * The tokens of a MySQL statement: words, quoted strings and identifiers (as one token each),
 * and punctuation, without whitespace and comments. `backslashEscapes` is false when the
 * server's sql_mode has NO_BACKSLASH_ESCAPES, where `\` does not escape a quote.
 */
function tokenize(sql: string, backslashEscapes: boolean): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (
      c === '#' ||
      (c === '-' && next === '-' && /^[\s\p{Cc}]?$/u.test(sql[i + 2] ?? ''))
    ) {
      // `#` and `-- ` (a dash pair followed by a space, a control character or the end).
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (c === '/' && next === '*') {
      const problem = commentProblem(sql, i);
      if (problem) throw new Refused(problem);
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Refused('it has a comment that is never closed');
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const start = i;
      i++;
      for (;;) {
        if (i >= sql.length) {
          throw new Refused(
            c === '`' ? 'it has a quoted name that is never closed' : 'it has an unclosed string',
          );
        }
        const d = sql[i];
        if (d === '\\' && c !== '`' && backslashEscapes) {
          i += 2;
        } else if (d === c) {
          // A doubled quote is the quote itself, inside the string or name.
          if (sql[i + 1] === c) i += 2;
          else {
            i++;
            break;
          }
        } else {
          i++;
        }
      }
      tokens.push({ kind: 'quoted', text: sql.slice(start, i), start, end: i });
    } else if (/[\p{L}\p{N}_$@]/u.test(c) || c.charCodeAt(0) >= 0x80) {
      const start = i;
      while (
        i < sql.length &&
        (/[\p{L}\p{N}_$@]/u.test(sql[i] as string) || sql.charCodeAt(i) >= 0x80)
      ) {
        i++;
      }
      // Right after a dot (`orders.into`) a word is a name, even a reserved one: not a keyword.
      const kind = sql[start - 1] === '.' ? 'quoted' : 'word';
      tokens.push({ kind, text: sql.slice(start, i).toLowerCase(), start, end: i });
    } else {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** The index just past the parenthesis that closes the one at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]?.text;
    if (text === '(') depth++;
    else if (text === ')' && --depth === 0) return i + 1;
  }
  throw new Refused('its parentheses do not balance');
}

/** The first word of the statement a WITH clause leads to, after its common table expressions. */
function afterWith(tokens: Token[], at: number): Token | undefined {
  let i = at + 1;
  if (tokens[i]?.text === 'recursive') i++;
  for (;;) {
    i++; // the expression's name
    if (tokens[i]?.text === '(') i = closing(tokens, i); // its column names
    if (tokens[i]?.text !== 'as') throw new Refused('its WITH clause does not read as one');
    i++;
    if (tokens[i]?.text !== '(') throw new Refused('its WITH clause does not read as one');
    i = closing(tokens, i);
    if (tokens[i]?.text !== ',') break;
    i++;
  }
  while (tokens[i]?.text === '(') i++;
  return tokens[i];
}

const describe = (token: Token | undefined) =>
  token === undefined
    ? 'nothing'
    : token.kind === 'word'
      ? token.text.toUpperCase()
      : JSON.stringify(token.text);

/**
 * Whether `sql` is a single read statement: SELECT, a WITH that leads to a SELECT, TABLE or
 * VALUES, possibly in parentheses, with no INTO (a file or variables written), no second
 * statement, and no comment the server would execute or obey. A trailing `;` is allowed and
 * dropped from what is sent.
 */
export function readStatement(
  sql: string,
  options: { backslashEscapes?: boolean } = {},
): ReadStatement {
  try {
    const tokens = tokenize(sql, options.backslashEscapes ?? true);
    const semicolon = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
    if (semicolon !== -1 && semicolon < tokens.length - 1) {
      throw new Refused('it is more than one statement');
    }
    const body = semicolon === -1 ? tokens : tokens.slice(0, -1);
    if (!body.length) throw new Refused('it is empty');
    let first = 0;
    while (body[first]?.text === '(') first++;
    const head = body[first];
    if (head?.kind !== 'word' || !READ_STATEMENTS.has(head.text)) {
      throw new Refused(`it starts with ${describe(head)}, not SELECT, WITH, TABLE or VALUES`);
    }
    if (head.text === 'with') {
      const led = afterWith(body, first);
      if (led?.kind !== 'word' || !['select', 'table', 'values'].includes(led.text)) {
        throw new Refused(`its WITH clause leads to ${describe(led)}, not to a SELECT`);
      }
    }
    if (body.some((t) => t.kind === 'word' && t.text === 'into')) {
      throw new Refused('it has INTO, which writes to a file or to variables');
    }
    const end = semicolon === -1 ? sql.length : (tokens[semicolon] as Token).start;
    return { ok: true, sql: sql.slice(0, end).trimEnd() };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.message };
    throw error;
  }
}
