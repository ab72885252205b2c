/** SQL text helpers for the few places DuckDB does not take bound parameters (table function arguments, DDL). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
