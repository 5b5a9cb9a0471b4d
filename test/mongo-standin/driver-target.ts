// The server the driver tests talk to: the MongoDB stand-in, or the server MONGO_URL names
// (then no stand-in is started). One client per test file, every command it sends recorded.
import { after, before } from 'node:test';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';

/** The stand-in started for this file; undefined when MONGO_URL names the server. */
export let standin: MongoStandin | undefined;
/** Connected by useDriverTarget's `before` hook. */
export let client: MongoClient;
/** Every command the client sent, in order. */
export const started: CommandStartedEvent[] = [];
let dbCounter = 0;
const usedDbs: string[] = [];

/** A fresh database for one test (names are unique per process, dropped at the end). */
export function freshDb(): Db {
  const name = `standin_t${process.pid}_${++dbCounter}`;
  usedDbs.push(name);
  return client.db(name);
}

/** Connects before the file's tests and cleans up after them; call once, at the top of a test file. */
export function useDriverTarget(): void {
  before(async () => {
    const url = process.env['MONGO_URL'] ?? (standin = await startMongoStandin()).url;
    client = new MongoClient(url, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
    client.on('commandStarted', (ev) => started.push(ev));
    await client.connect();
  });

  after(async () => {
    for (const name of usedDbs)
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
    await standin?.close();
  });
}
