// Diagnostics of the config subsystem: `FILE:LINE: level: message`.

export type Level = 'error' | 'warning';

export interface Position {
  file: string;
  line: number;
}

export interface Diagnostic extends Position {
  level: Level;
  message: string;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(at: Position, message: string) {
    this.list.push({ file: at.file, line: at.line, level: 'error', message });
  }

  warn(at: Position, message: string) {
    this.list.push({ file: at.file, line: at.line, level: 'warning', message });
  }

  get errors() {
    return this.list.filter((d) => d.level === 'error');
  }

  get warnings() {
    return this.list.filter((d) => d.level === 'warning');
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.level}: ${d.message}`;
}

/** Stable order for output: by file, then line, errors before warnings at the same line. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1),
  );
}
