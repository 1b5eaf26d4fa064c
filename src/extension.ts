import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { DumpCommands } from './dumps/dumpCommands';
import { OpenDumps } from './dumps/openDumps';
import { Log } from './log';
import { PlainDumps } from './plain/plainDumps';
import type { Services } from './services';

/**
 * Activation wiring only: make the services once, register the views, editors and the command
 * table. Every registration goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): Services {
  const log = new Log();
  const config = new Config();
  const dumps = new OpenDumps();
  context.subscriptions.push(log, dumps);
  const plain = new PlainDumps({ context, log, config, dumps });
  context.subscriptions.push(plain);
  const services: Services = { context, log, config, dumps, dumpCommands: new DumpCommands(dumps, log), plain };
  registerCommands(context, services);
  return services;
}

export function deactivate(): void {}
