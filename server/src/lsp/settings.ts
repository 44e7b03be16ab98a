/** Settings read per resource from the client, validated, and cached per document URI until they change. */
import picomatch from 'picomatch';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import { DEFAULT_SETTINGS, validateSettings, type DriverGuardSettings } from '../../../shared/settings';
import { SETTINGS_WARNING_NOTIFICATION, type SettingsWarningParams } from '../../../shared/protocol';
import { RULES } from '../core';

const KNOWN_RULES = new Set(RULES.map((rule) => rule.meta.id));

export class SettingsCache {
  private readonly cache = new Map<string, Promise<DriverGuardSettings>>();
  private readonly warned = new Set<string>();
  private supportsConfiguration = true;

  constructor(private readonly connection: Connection) {}

  setSupportsConfiguration(value: boolean): void {
    this.supportsConfiguration = value;
  }

  clear(): void {
    this.cache.clear();
  }

  get(uri: string): Promise<DriverGuardSettings> {
    let settings = this.cache.get(uri);
    if (!settings) {
      settings = this.load(uri);
      this.cache.set(uri, settings);
    }
    return settings;
  }

  private async load(uri: string): Promise<DriverGuardSettings> {
    if (!this.supportsConfiguration) return { ...DEFAULT_SETTINGS };
    let raw: unknown;
    try {
      raw = await this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'driverGuard' });
    } catch (error) {
      this.connection.console.warn(`Could not read driverGuard settings for ${uri}: ${String(error)}`);
      return { ...DEFAULT_SETTINGS };
    }
    const { settings, warnings } = validateSettings(raw, KNOWN_RULES);
    const fresh = warnings.filter((warning) => !this.warned.has(warning));
    if (fresh.length > 0) {
      for (const warning of fresh) this.warned.add(warning);
      fresh.forEach((warning) => this.connection.console.warn(warning));
      void this.connection.sendNotification(SETTINGS_WARNING_NOTIFICATION, { messages: fresh } satisfies SettingsWarningParams);
    }
    return settings;
  }
}

/** Whether a file matches one of the exclude globs (relative to its workspace folder, or absolute). */
export function isExcluded(fileUri: string, patterns: readonly string[], folderPaths: readonly string[]): boolean {
  if (patterns.length === 0) return false;
  const filePath = URI.parse(fileUri).fsPath;
  const matcher = picomatch(patterns as string[], { dot: true, windows: false });
  const normalized = filePath.split(path.sep).join('/');
  if (matcher(normalized)) return true;
  for (const folder of folderPaths) {
    const relative = path.relative(folder, filePath);
    if (!relative.startsWith('..') && !path.isAbsolute(relative) && matcher(relative.split(path.sep).join('/'))) return true;
  }
  return false;
}
