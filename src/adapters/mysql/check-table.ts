/**
 * What CHECK TABLE says about each table, read as MySQL and MariaDB document its result set:
 * one or more rows per table (`Table` as `db.name`, `Op`, `Msg_type`, `Msg_text`), ending in a
 * `status` row. `status` `OK` (or `Table is already up to date`, for a table unchanged since its
 * last check) is a healthy table; an `error` row, or a `status` that says anything else
 * (`Corrupt`, `Operation failed`), is a broken one. A `warning` row is a finding to report
 * (`1 client is using or hasn't closed the table properly`, after an unclean shutdown), and
 * breaks the table only when it says it is corrupt or crashed. An engine that cannot be
 * checked (MEMORY, BLACKHOLE) says so in a `note`, and the table is counted as not checkable.
 */

export interface CheckTableRow {
  Table: string;
  Op?: string;
  Msg_type: string;
  Msg_text: string;
}

export interface TableVerdict {
  /** As CHECK TABLE names it: `db.name`. */
  table: string;
  state: 'ok' | 'broken' | 'unsupported' | 'unanswered';
  /** What makes it broken: its error rows, its status, a corrupt or crashed warning. */
  problems: string[];
  /** Warnings that do not break it. */
  warnings: string[];
}

const HEALTHY_STATUS = new Set(['ok', 'table is already up to date']);
const BREAKING_WARNING = /corrupt|crash/i;
const NOT_CHECKABLE = /doesn't support check|does not support check/i;

/**
 * One verdict per table asked about, in the order asked. `tables` are `db.name`, as CHECK TABLE
 * names them in its `Table` column (compared without regard to case, as lower_case_table_names
 * may fold them). A table the result says nothing about is `unanswered`.
 */
export function judgeCheckTable(tables: string[], rows: CheckTableRow[]): TableVerdict[] {
  const byTable = new Map<string, CheckTableRow[]>();
  for (const row of rows) {
    const key = String(row.Table).toLowerCase();
    byTable.set(key, [...(byTable.get(key) ?? []), row]);
  }
  return tables.map((table) => {
    const mine = byTable.get(table.toLowerCase()) ?? [];
    const problems: string[] = [];
    const warnings: string[] = [];
    let healthy = false;
    let unsupported = false;
    for (const row of mine) {
      const type = String(row.Msg_type).toLowerCase();
      const text = String(row.Msg_text ?? '').trim();
      if (type === 'error') problems.push(text);
      else if (type === 'status') {
        if (HEALTHY_STATUS.has(text.toLowerCase())) healthy = true;
        else problems.push(text);
      } else if (type === 'warning') {
        (BREAKING_WARNING.test(text) ? problems : warnings).push(text);
      } else if (type === 'note' && NOT_CHECKABLE.test(text)) unsupported = true;
    }
    const state = problems.length
      ? 'broken'
      : healthy
        ? 'ok'
        : unsupported
          ? 'unsupported'
          : 'unanswered';
    return { table, state, problems: [...new Set(problems)], warnings: [...new Set(warnings)] };
  });
}
