// BIRD 2.0 control-socket replies, written byte for byte after the rules of
// BIRD's cli.c (a code repeated on the next line becomes a leading space; the
// last line has `DDDD `) and proto.c's messages. Not captured from a running
// BIRD yet: the lab step replaces them with recordings.
export const WELCOME = '0001 BIRD 2.0.12 ready.\n';

export const SHOW_PROTOCOLS = [
  '2002-Name       Proto      Table      State  Since         Info',
  '1002-device1    Device     ---        up     08:00:01.123  ',
  ' vip_announce Static     master4    down   08:00:01.123  ',
  ' bfd1       BFD        ---        up     08:00:01.123  ',
  ' upstream   BGP        ---        start  08:00:01.123  Active        Socket: Connection refused',
  '0000 ',
  '',
].join('\n');

export const ENABLED = '0011-vip_announce: enabled\n0000 \n';
export const ALREADY_ENABLED = '0010-vip_announce: already enabled\n0000 \n';
export const DISABLED = '0009-vip_announce: disabled\n0000 \n';
export const ALREADY_DISABLED = '0008-vip_announce: already disabled\n0000 \n';
export const NO_MATCH = '8003 No protocols match\n';
export const PARSE_ERROR = '9001 syntax error, unexpected CF_SYM_UNDEFINED\n';
