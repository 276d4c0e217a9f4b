// Entry point of the keepalive component provider: the nodejs language host
// loads it (provider/package.json main) with the engine's address as argument.
import * as provider from '@pulumi/pulumi/provider';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KeepaliveProvider } from '../components/provider';

const { version } = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'),
) as { version: string };

provider.main(new KeepaliveProvider(version), process.argv.slice(2)).catch((e: Error) => {
  console.error(`keepalive provider: ${e.message}`);
  process.exit(1);
});
