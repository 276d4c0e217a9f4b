// Track files (keepalived's trackers/track_file.c): the pure part lives in
// core/track-value.ts, shared with the checkers' FILE_CHECK.
export { initialFileWrite, parseTrackValue } from '../core/track-value';
