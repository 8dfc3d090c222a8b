// Which addresses network tools may reach (pure: no connection is made).
import { NetworkPolicy } from '../../src/tools/net-guard';

test.each([
  ['127.0.0.1'],
  ['127.8.9.10'],
  ['10.0.0.1'],
  ['172.16.0.1'],
  ['172.31.255.254'],
  ['192.168.0.1'],
  ['169.254.169.254'],
  ['100.64.0.1'],
  ['0.0.0.0'],
  ['::1'],
  ['::'],
  ['fe80::1'],
  ['fd00::1'],
  ['::ffff:127.0.0.1'],
  ['::ffff:169.254.169.254'],
])('%s is refused by default', (address) => {
  expect(new NetworkPolicy([]).refusal(address, address)).toMatch(/is a loopback, private or link-local address/);
});

test.each([['93.184.215.14'], ['172.32.0.1'], ['2606:4700::1111'], ['8.8.8.8']])('%s is public and reached', (address) => {
  expect(new NetworkPolicy([]).refusal(address, address)).toBeUndefined();
});

test('ORC_NET_ALLOW entries: an IP, a CIDR and a host name', () => {
  const policy = new NetworkPolicy(['127.0.0.1', '10.1.0.0/16', 'Searxng.Internal', 'fd00::/8']);
  expect(policy.refusal('127.0.0.1', '127.0.0.1')).toBeUndefined();
  expect(policy.refusal('127.0.0.2', '127.0.0.2')).toBeDefined();
  expect(policy.refusal('10.1.200.3', '10.1.200.3')).toBeUndefined();
  expect(policy.refusal('10.2.0.1', '10.2.0.1')).toBeDefined();
  expect(policy.refusal('searxng.internal', '192.168.5.5')).toBeUndefined();
  expect(policy.refusal('other.internal', '192.168.5.5')).toBe('other.internal (192.168.5.5) is a loopback, private or link-local address');
  expect(policy.refusal('fd12::1', 'fd12::1')).toBeUndefined();
});
