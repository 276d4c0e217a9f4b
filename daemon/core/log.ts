// The log levels every subsystem speaks; the control/log module writes them.
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Log = (level: LogLevel, msg: string) => void;
