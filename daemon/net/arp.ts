// Gratuitous ARP frame (pure): an ARP request from the VIP to the VIP,
// broadcast, as keepalived sends it after becoming master.

export function parseMac(mac: string): Uint8Array {
  const p = mac.split(':').map((h) => parseInt(h, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255)))
    throw new Error(`not a MAC address: ${mac}`);
  return Uint8Array.from(p);
}

export function garpFrame(mac: Uint8Array, ip: string): Uint8Array {
  const f = new Uint8Array(60); // minimum Ethernet frame without FCS
  const ipb = ip.split('.').map(Number);
  f.fill(0xff, 0, 6); // destination: broadcast
  f.set(mac, 6);
  f[12] = 0x08;
  f[13] = 0x06; // ARP
  f.set([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 14); // Ethernet/IPv4, request
  f.set(mac, 22); // sender MAC
  f.set(ipb, 28); // sender IP = VIP
  f.fill(0xff, 32, 38); // target MAC: broadcast
  f.set(ipb, 38); // target IP = VIP
  return f;
}
