import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { processNames } from '../../../daemon/system/process-names';

const g = (s: string) => parseText(`global_defs {\n${s}\n}\n`).config.global_defs;

describe('process names (keepalived process_names / *_process_name)', () => {
  it("none by default; process_names gives keepalived's names; explicit names win", () => {
    assert.deepEqual(processNames(g('')), {});
    assert.deepEqual(processNames(g(' process_names')), {
      title: 'keepalived',
      main: 'keepalived_ipvs',
      vrrp: 'keepalived_vrrp',
    });
    assert.deepEqual(processNames(g(' process_names\n vrrp_process_name vr\n process_name lb')), {
      title: 'lb',
      main: 'keepalived_ipvs',
      vrrp: 'vr',
    });
    assert.deepEqual(processNames(g(' bfd_process_name bfdx')), { vrrp: 'bfdx' });
  });
});
