// A real S3-compatible server for tests: moto's server mode (`moto_server`, installed into .venv by
// scripts/setup-s3.sh), in memory on a free loopback port, with one bucket; plus a TCP relay in front of it that a
// test can take down and bring back (an outage that loses nothing the server holds).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports';

export interface S3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** s3://BUCKET/PREFIX on this server (AWS_ENDPOINT_URL must name it: see useS3Server). */
  url(prefix: string): string;
  stop(): Promise<void>;
}

const motoServer = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'moto_server');

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) break;
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`moto_server did not start on port ${port}:\n${log()}`);
}

/**
 * Starts moto_server with a bucket, and points this process's AWS SDK at it (AWS_ENDPOINT_URL and dummy
 * credentials, which child processes inherit).
 */
export async function startS3Server(bucket = 'orc-runs'): Promise<S3Server> {
  if (!fs.existsSync(motoServer)) throw new Error(`no S3-compatible server at ${motoServer}: run \`bash scripts/setup-s3.sh\``);
  const port = await freePort();
  const child = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  await waitForPort(port, child, () => stderr);
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= 'us-east-1';
  const client = new S3Client({ endpoint, forcePathStyle: true, region: process.env.AWS_REGION });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    bucket,
    url: (prefix) => `s3://${bucket}/${prefix}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Relay {
  /** http://127.0.0.1:PORT, forwarding to the server while up. */
  endpoint: string;
  /** Connections refused while down. */
  refused: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** A TCP relay to `target`: while down it drops every connection at once, as a server that is gone would. */
export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let isDown = false;
  const relay: Relay = {
    endpoint: '',
    refused: 0,
    down: () => {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up: () => {
      isDown = false;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((client) => {
    if (isDown) {
      relay.refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: hostname, port: Number(port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return relay;
}
