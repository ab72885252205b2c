/** Downloads made in the browser: nothing is sent anywhere. */
function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: object[], columns: string[]): string {
  return (
    [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n'
  );
}

export function saveBlob(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function downloadCsv(rows: object[], columns: string[], name: string): void {
  saveBlob(new Blob([toCsv(rows, columns)], { type: 'text/csv' }), `${name}.csv`);
}
