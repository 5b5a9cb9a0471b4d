// The command table: name → handler. Names are matched exactly, as mongod does, apart from the
// aliases mongod itself accepts (ismaster, buildinfo).
import type { Document } from 'bson';
import type { CommandContext } from '../context.ts';
import * as admin from './admin.ts';
import * as collections from './collections.ts';
import * as crud from './crud.ts';
import * as read from './read.ts';

export type Handler = (ctx: CommandContext) => Document;

export const COMMANDS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['hello', admin.hello],
  ['isMaster', admin.isMaster],
  ['ismaster', admin.isMaster],
  ['ping', admin.ping],
  ['buildInfo', admin.buildInfo],
  ['buildinfo', admin.buildInfo],
  ['hostInfo', admin.hostInfo],
  ['getParameter', admin.getParameter],
  ['endSessions', admin.endSessions],
  ['listDatabases', admin.listDatabases],
  ['serverStatus', admin.serverStatus],
  ['whatsmyuri', admin.whatsmyuri],
  ['connectionStatus', admin.connectionStatus],
  ['commitTransaction', admin.noTransactions],
  ['abortTransaction', admin.noTransactions],
  ['dropDatabase', collections.dropDatabase],
  ['create', collections.create],
  ['drop', collections.drop],
  ['renameCollection', collections.renameCollection],
  ['listCollections', collections.listCollections],
  ['createIndexes', collections.createIndexes],
  ['listIndexes', collections.listIndexes],
  ['dropIndexes', collections.dropIndexes],
  ['insert', crud.insert],
  ['update', crud.update],
  ['delete', crud.del],
  ['findAndModify', crud.findAndModify],
  ['findandmodify', crud.findAndModify],
  ['find', read.find],
  ['getMore', read.getMore],
  ['killCursors', read.killCursors],
  ['count', read.count],
  ['distinct', read.distinct],
  ['aggregate', read.aggregate],
]);
