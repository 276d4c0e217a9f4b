// What track_file (VRRP) and FILE_CHECK (checkers) need of files: read,
// initialise and watch them. system/file-watch.ts implements it with inotify;
// tests pass fakes.
export interface FileSource {
  /** the file's text, undefined when it cannot be read (missing) */
  read(file: string): string | undefined;
  kind(file: string): 'no' | 'regular' | 'other';
  write(file: string, text: string): void;
  /** does the file's directory exist (keepalived drops a track file whose directory does not) */
  dirExists(file: string): boolean;
  /** calls onChange after the file changed, appeared or went away */
  watch(file: string, onChange: () => void): { close(): void };
}
