/**
 * The threat-model document drawn from an attack surface: per driver, the entry-point table, a Mermaid data-flow
 * diagram (user process → I/O manager → device → handlers → kernel resources, with the trust boundary) and, per
 * entry point, the STRIDE questions of the checklist's threat-modeling item with what the code shows. Pure: the
 * caller decides how files are named (`display`) and where the text goes.
 */
import { lookupTable } from './lookup';
import { summaryLine, UNCHECKED_LENGTH_RULES, type AttackSurface, type DeviceEntry, type DriverSurface, type FindingRef, type HandlerFacts, type IoctlEntry, type Location } from './attack-surface';

export interface ThreatModelOptions {
  /** How a file is named in the document (a path relative to the report, a workspace-relative path). */
  display?: (file: string) => string;
  /** A link target for a location (Markdown); plain text when absent. */
  link?: (location: Location) => string | undefined;
  title?: string;
  /** Tool and version for the footer line. */
  generator?: string;
  /** The file of a driver's data-flow SVG (`dataFlowSvg`) written next to the report, to embed as an image. */
  diagramFile?: (driver: DriverSurface) => string | undefined;
}

type Stride = 'S' | 'T' | 'R' | 'I' | 'D' | 'E';

const STRIDE: { key: Stride; title: string; question: string }[] = [
  { key: 'S', title: 'Spoofing', question: 'Who can open the device and send this request, and does the driver check who the caller is?' },
  { key: 'T', title: 'Tampering', question: 'Which caller data does the handler trust, and is every length and pointer checked before use?' },
  { key: 'R', title: 'Repudiation', question: 'Is the request recorded (WPP, ETW, event log) so misuse can be traced?' },
  { key: 'I', title: 'Information disclosure', question: 'Can the reply return kernel memory the caller should not see (uninitialized bytes, more than was written)?' },
  { key: 'D', title: 'Denial of service', question: 'Can a request crash or hang the system, leak memory or exhaust a resource?' },
  { key: 'E', title: 'Elevation of privilege', question: 'Can an unprivileged caller make the driver read, write or run what it should not?' },
];

/** The STRIDE category a rule's findings answer. */
const RULE_CATEGORY: Record<string, Stride> = lookupTable({
  'device-no-sddl': 'S',
  'device-not-secure-open': 'S',
  'kmdf-missing-device-sddl': 'S',
  'ioctl-privileged-op-no-caller-check': 'S',
  'uninitialized-output-buffer': 'I',
  'information-exceeds-written': 'I',
  'uninitialized-pool-use': 'I',
  'output-length-not-validated': 'I',
  'uninitialized-local-use': 'I',
  'irp-completed-twice': 'D',
  'spinlock-not-released': 'D',
  'alloc-result-unchecked': 'D',
  'memory-leak-on-error-path': 'D',
  'call-at-wrong-irql': 'D',
  'paged-code-at-dispatch': 'D',
  'pending-without-mark': 'D',
  'double-free': 'D',
  'global-shared-state-unlocked': 'D',
  'ioctl-handler-no-default-fail': 'D',
  'physical-memory-exposed': 'E',
  'msr-access-exposed': 'E',
  'port-io-exposed': 'E',
  'control-register-access': 'E',
  'user-function-pointer-call': 'E',
  'user-process-control': 'E',
  'zw-with-user-handle': 'E',
  'user-handle-kernel-mode': 'E',
  'kernel-handle-not-kernel-only': 'E',
  'previous-mode-ignored': 'E',
  'executable-pool-type': 'E',
  'executable-memory-mapping': 'E',
  'mdl-mapping-no-execute': 'E',
  'user-length-copy-unchecked': 'E',
  'use-after-free': 'E',
  'ioctl-method-neither': 'E',
  'ioctl-file-any-access': 'E',
  'kernel-file-access-no-force-check': 'E',
});

export function strideOf(ruleId: string): Stride {
  return RULE_CATEGORY[ruleId] ?? 'T';
}

/** `|` and line breaks would break a table cell; backticks keep names readable. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function hex(value: number | undefined): string {
  return value === undefined ? '?' : `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
}

function shortMethod(method: string | undefined): string {
  return method ? method.replace(/^METHOD_/, '') : '?';
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

/** Who can open a device, in words. */
export function deviceAccess(device: DeviceEntry): string {
  const parts: string[] = [];
  if (device.security === 'sddl') {
    if (device.openTo) parts.push(`SDDL lets ${device.openTo} write (${device.sddl})`);
    else if (device.sddl) parts.push(`SDDL ${device.sddl}`);
    else parts.push(`SDDL ${device.sddlExpression} (not resolved)`);
  } else if (device.kmdf && !device.name && !device.nameExpression) {
    parts.push('unnamed PnP device: reachable through its device interface, security from the INF or class');
  } else {
    parts.push('default security descriptor (no SDDL in the code; the INF or class may set one)');
  }
  if (!device.kmdf && (device.name || device.nameExpression)) parts.push(device.secureOpen ? 'FILE_DEVICE_SECURE_OPEN' : 'no FILE_DEVICE_SECURE_OPEN');
  else if (device.kmdf && device.secureOpen) parts.push('FILE_DEVICE_SECURE_OPEN');
  if (device.exclusive) parts.push('exclusive');
  return parts.join('; ');
}

function deviceLabel(device: DeviceEntry): string {
  return device.name ?? device.nameExpression ?? (device.control ? 'control device' : device.kmdf ? 'PnP device' : 'device');
}

function findingList(findings: readonly FindingRef[], display: (file: string) => string): string {
  const byRule = new Map<string, FindingRef[]>();
  for (const finding of findings) byRule.set(finding.ruleId, [...(byRule.get(finding.ruleId) ?? []), finding]);
  return [...byRule].map(([ruleId, list]) => `\`${ruleId}\` (${list.map((finding) => `${display(finding.file)}:${finding.line + 1}`).join(', ')})`).join(', ');
}

interface EntryPoint {
  kind: 'ioctl' | 'dispatch';
  title: string;
  ioctl?: IoctlEntry;
  facts: HandlerFacts;
  handler: string;
  location?: Location;
  findings: FindingRef[];
}

function entryPoints(driver: DriverSurface): EntryPoint[] {
  const points: EntryPoint[] = [];
  for (const ioctl of driver.ioctls) {
    if (ioctl.handlers.length === 0) continue;
    for (const handler of ioctl.handlers) {
      points.push({
        kind: 'ioctl',
        title: ioctl.name,
        ioctl,
        facts: handler,
        handler: handler.function ?? `${handler.dispatcher} (inline)`,
        location: handler.location ?? handler.caseLocation,
        findings: dedupe([...ioctl.findings, ...handler.findings]),
      });
    }
  }
  // Other requests: one entry per routine (IRP_MJ_CREATE and IRP_MJ_CLOSE often share one).
  const byRoutine = new Map<string, DriverSurface['dispatch']>();
  for (const entry of driver.dispatch) {
    if (/DEVICE_CONTROL|EvtIoDeviceControl|EvtIoInternalDeviceControl/.test(entry.major) && driver.ioctls.some((ioctl) => ioctl.handlers.some((handler) => handler.dispatcher === entry.function))) continue;
    byRoutine.set(entry.function, [...(byRoutine.get(entry.function) ?? []), entry]);
  }
  for (const [routine, entries] of byRoutine) {
    const entry = entries[0];
    points.push({ kind: 'dispatch', title: [...new Set(entries.map((item) => item.major))].join(', '), facts: entry, handler: routine, location: entry.handlerLocation ?? entry.location, findings: entry.findings });
  }
  return points;
}

function dedupe(findings: FindingRef[]): FindingRef[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.file}:${finding.line}:${finding.character}:${finding.ruleId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What the code shows for one STRIDE question of an entry point. */
export function strideAnswers(driver: DriverSurface, point: EntryPoint, display: (file: string) => string = (file) => file): Record<Stride, string> {
  const byCategory: Record<Stride, FindingRef[]> = { S: [], T: [], R: [], I: [], D: [], E: [] };
  for (const finding of dedupe([...point.findings, ...driver.devices.flatMap((device) => device.findings)])) byCategory[strideOf(finding.ruleId)].push(finding);
  const withFindings = (key: Stride, facts: string[]) => {
    const list = byCategory[key];
    const text = facts.filter(Boolean).join('; ');
    return list.length > 0 ? `${text}${text ? '; ' : ''}findings: ${findingList(list, display)}` : text || 'nothing found in the code';
  };
  const facts = point.facts;
  const devices = driver.devices.length > 0 ? driver.devices.map((device) => `${deviceLabel(device)}: ${deviceAccess(device)}`).join(' / ') : 'no device creation found in the code';
  const unchecked = point.findings.filter((finding) => UNCHECKED_LENGTH_RULES.has(finding.ruleId)).length;
  const ioctl = point.ioctl;
  const access = ioctl?.access;
  return {
    S: withFindings('S', [
      devices,
      ioctl ? `requires ${access ?? 'unknown access'}` : '',
      facts.callerChecks.length > 0 ? `caller checks: ${facts.callerChecks.join(', ')}` : 'no caller check (privilege, previous mode) in the handler',
    ]),
    T: withFindings('T', [
      facts.reads.length > 0 ? `reads ${facts.reads.join(', ')}` : 'reads no caller buffer directly',
      facts.lengthChecks.length > 0 ? plural(facts.lengthChecks.length, 'length check') + ` (${facts.lengthChecks.map((check) => `\`${check.text}\``).slice(0, 3).join(', ')}${facts.lengthChecks.length > 3 ? ', …' : ''})` : facts.reads.length > 0 ? 'no length check' : '',
      facts.probes > 0 ? plural(facts.probes, 'probe') : '',
      unchecked > 0 ? plural(unchecked, 'unchecked length') : '',
    ]),
    R: withFindings('R', [facts.logs > 0 ? plural(facts.logs, 'tracing or logging call') : 'no tracing or logging call in the handler']),
    I: withFindings('I', [facts.writes.length > 0 ? `returns data through ${facts.writes.join(', ')}` : 'returns no data to the caller']),
    D: withFindings('D', [facts.resources.length > 0 ? `uses ${facts.resources.join(', ')}` : '']),
    E: withFindings('E', [
      ioctl?.method ?? '',
      access ?? '',
      unchecked > 0 ? plural(unchecked, 'unchecked length') : '',
      facts.resources.filter((resource) => /memory mappings|MSRs|I\/O ports|control registers|processes|handles/.test(resource)).map((resource) => `touches ${resource}`).join(', '),
    ]),
  };
}

function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));
}

/** The Mermaid data-flow diagram of a driver. */
export function dataFlowDiagram(driver: DriverSurface): string {
  const lines = ['flowchart LR'];
  lines.push('  subgraph user["User mode (untrusted)"]', '    app(["User process"])', '  end');
  lines.push('  subgraph kernel["Kernel mode (trusted): the trust boundary is the I/O manager"]', '    io["I/O manager"]');
  const devices = driver.devices.length > 0 ? driver.devices : [];
  devices.forEach((device, index) => {
    const links = device.symbolicLinks.length > 0 ? `<br/>link ${device.symbolicLinks.join(', ')}` : '';
    const security = device.openTo ? `open to ${device.openTo}` : device.security === 'default' ? 'default security' : 'SDDL';
    lines.push(`    dev${index}["${mermaidText(deviceLabel(device))}${mermaidText(links).replace(/#lt;br\/#gt;/g, '<br/>')}<br/>${mermaidText(security)}"]`);
  });
  if (devices.length === 0) lines.push('    dev0["device (not created in the code)"]');
  const handlers = new Map<string, { id: string; resources: Set<string> }>();
  const handlerId = (name: string) => {
    let entry = handlers.get(name);
    if (!entry) {
      entry = { id: `h${handlers.size}`, resources: new Set() };
      handlers.set(name, entry);
    }
    return entry;
  };
  const edges: string[] = [];
  // Every device of a driver shares its dispatch table (WDM) or reaches its queues (KMDF).
  const source = devices.length > 1 ? 'disp' : 'dev0';
  if (devices.length > 1) lines.push(`    disp["${driver.model === 'KMDF' ? 'I/O queues' : 'dispatch table'}"]`);
  for (const point of entryPoints(driver)) {
    const handler = handlerId(point.handler);
    for (const resource of point.facts.resources) handler.resources.add(resource);
    const label = point.ioctl ? `${point.title}<br/>${shortMethod(point.ioctl.method)}, ${point.ioctl.access?.replace(/FILE_|_ACCESS/g, '') ?? '?'}` : point.title;
    edges.push(`  ${source} -- "${mermaidText(label).replace(/#lt;br\/#gt;/g, '<br/>')}" --> ${handler.id}`);
  }
  for (const [name, handler] of handlers) lines.push(`    ${handler.id}["${mermaidText(name)}"]`);
  const resources = [...new Set([...handlers.values()].flatMap((handler) => [...handler.resources]))].sort();
  resources.forEach((resource, index) => lines.push(`    r${index}[("${mermaidText(resource)}")]`));
  lines.push('  end');
  const link = devices.flatMap((device) => device.symbolicLinks)[0];
  lines.push(`  app -- "CreateFile${link ? ` ${mermaidText(link)}` : ''}<br/>DeviceIoControl / ReadFile / WriteFile" --> io`);
  devices.forEach((_, index) => lines.push(`  io -- "IRP" --> dev${index}`));
  if (devices.length > 1) devices.forEach((_, index) => lines.push(`  dev${index} --> disp`));
  if (devices.length === 0) lines.push('  io -- "IRP" --> dev0');
  lines.push(...edges);
  for (const handler of handlers.values()) {
    for (const resource of handler.resources) lines.push(`  ${handler.id} --> r${resources.indexOf(resource)}`);
  }
  lines.push('  style user fill:#fff4e5,stroke:#d9822b', '  style kernel fill:#eef5ff,stroke:#2b6cd9');
  return lines.join('\n');
}

/** The whole Markdown document. */
export function threatModelMarkdown(surface: AttackSurface, options: ThreatModelOptions = {}): string {
  const display = options.display ?? ((file: string) => file);
  const where = (location: Location | undefined) => {
    if (!location) return '';
    const text = `${display(location.file)}:${location.line + 1}`;
    const target = options.link?.(location);
    return target ? `[${text}](${target})` : text;
  };
  const out: string[] = [];
  out.push(`# ${options.title ?? 'Threat model'}`, '');
  out.push('Drawn from the code by Driver Guard: the entry points a user-mode caller reaches, the data they take across the trust boundary, and what the analyzer found in their handlers. It answers the STRIDE questions of the Driver security checklist\'s threat-modeling item with facts from the source; review it and add what the code cannot show (the INF\'s security settings, who installs the driver, the data\'s value).', '');
  out.push(`**Summary**: ${plural(surface.drivers.length, 'driver')}; ${summaryLine(surface.summary)}; ${plural(surface.summary.findings, 'open finding')} in entry points.`, '');
  if (surface.drivers.length === 0) out.push('No driver found: no DriverEntry, dispatch table, KMDF queue or IOCTL switch in these files.', '');
  for (const driver of surface.drivers) {
    out.push(`## Driver \`${driver.name}\` (${driver.model})`, '');
    if (driver.driverEntry) out.push(`- Entry: \`DriverEntry\` at ${where(driver.driverEntry)}`);
    out.push(`- ${summaryLine(driver.summary)}; ${plural(driver.summary.findings, 'open finding')} in entry points`);
    out.push(`- Files: ${driver.files.map((file) => `\`${display(file)}\``).join(', ')}`, '');

    out.push('### Devices', '');
    if (driver.devices.length === 0) out.push('No device object is created in the code (a filter or a PnP device created elsewhere?).', '');
    else {
      out.push('| Device | Created by | Type | Characteristics | Who can open it | Symbolic links | Where | Findings |', '|---|---|---|---|---|---|---|---|');
      for (const device of driver.devices) {
        out.push(`| ${cell(deviceLabel(device))} | ${device.api}${device.control ? ' (control device)' : ''} | ${cell(device.deviceType ?? '-')} | ${cell(device.characteristics ?? '-')} | ${cell(deviceAccess(device))} | ${cell(device.symbolicLinks.join(', ') || (device.interfaces.length > 0 ? `interface ${device.interfaces.join(', ')}` : '-'))} | ${where(device.location)} | ${cell(device.findings.map((finding) => `\`${finding.ruleId}\``).join(', ') || '-')} |`);
      }
      out.push('');
    }
    for (const link of driver.symbolicLinks) out.push(`- Symbolic link ${link.link ?? '(not resolved)'}${link.target ? ` → ${link.target}` : ''} at ${where(link.location)}`);
    if (driver.symbolicLinks.length > 0) out.push('');

    out.push('### Dispatch routines and queues', '');
    if (driver.dispatch.length === 0) out.push('No dispatch routine or KMDF I/O callback is registered in the code.', '');
    else {
      out.push('| Request | Routine | Registered at | Open findings |', '|---|---|---|---|');
      for (const entry of driver.dispatch) out.push(`| ${entry.major} | \`${entry.function}\` | ${where(entry.location)} | ${entry.findings.length} |`);
      out.push('');
    }
    for (const queue of driver.queues) {
      out.push(`- Queue \`${queue.config}\`${queue.defaultQueue ? ' (default queue)' : ''}${queue.dispatchType ? `, ${queue.dispatchType}` : ''}${queue.requestTypes.length > 0 ? `, receives ${queue.requestTypes.join(', ')}` : ''}: ${queue.callbacks.map((callback) => `${callback.field} → \`${callback.function}\``).join(', ') || 'no I/O callback'} (${where(queue.location)})`);
    }
    if (driver.queues.length > 0) out.push('');

    out.push('### Entry points', '');
    const points = entryPoints(driver);
    if (points.length === 0) out.push('No IOCTL or other request handler found.', '');
    else {
      out.push('| Entry point | Code | Method | Access | Handler | Reads | Writes | Length checks | Open findings |', '|---|---|---|---|---|---|---|---|---|');
      for (const point of points) {
        const ioctl = point.ioctl;
        out.push(`| ${cell(point.title)} | ${ioctl ? hex(ioctl.value) : '-'} | ${ioctl ? shortMethod(ioctl.method) : '-'} | ${ioctl?.access ?? '-'} | \`${cell(point.handler)}\` ${where(point.location)} | ${cell(point.facts.reads.join(', ') || '-')} | ${cell(point.facts.writes.join(', ') || '-')} | ${point.facts.lengthChecks.length} | ${point.findings.length} |`);
      }
      out.push('');
    }
    const declaredOnly = driver.ioctls.filter((ioctl) => ioctl.declaredOnly);
    const undeclared = driver.ioctls.filter((ioctl) => ioctl.undeclared);
    if (declaredOnly.length > 0) out.push(`- **Declared but not handled**: ${declaredOnly.map((ioctl) => `\`${ioctl.name}\` (${hex(ioctl.value)}, ${where(ioctl.definition)})`).join(', ')}. A code no switch handles should fail with STATUS_INVALID_DEVICE_REQUEST; check that no other path (a filter, a lower driver) takes it.`);
    if (undeclared.length > 0) out.push(`- **Handled but not declared in these files**: ${undeclared.map((ioctl) => `\`${ioctl.name}\`${ioctl.value !== undefined ? ` (${hex(ioctl.value)})` : ''}`).join(', ')}. Its transfer method and access come from a header outside the folder (or cannot be resolved): check them by hand.`);
    if (declaredOnly.length > 0 || undeclared.length > 0) out.push('');

    out.push('### Data flow', '');
    const image = options.diagramFile?.(driver);
    if (image) out.push(`![Data flow of ${driver.name}](${image.replace(/ /g, '%20')})`, '', '<details><summary>Mermaid source</summary>', '');
    out.push('```mermaid', dataFlowDiagram(driver), '```', '');
    if (image) out.push('</details>', '');

    out.push('### STRIDE per entry point', '');
    for (const point of points) {
      const ioctl = point.ioctl;
      out.push(`#### ${point.title}${ioctl ? ` (${hex(ioctl.value)}, ${ioctl.method ?? '?'}, ${ioctl.access ?? '?'})` : ''}`, '');
      out.push(`Handler \`${point.handler}\` at ${where(point.location)}.`, '');
      const answers = strideAnswers(driver, point, display);
      for (const { key, title, question } of STRIDE) out.push(`- **${title}** — ${question} *Code:* ${answers[key]}.`);
      out.push('');
    }
  }
  out.push('---', `Generated by ${options.generator ?? 'Driver Guard'}. Facts are what the source shows; the INF, the installer and the other drivers of the stack can change who reaches these entry points.`, '');
  return out.join('\n');
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A file-name part for a driver's diagram (`general/ioctl/wdm/sys` → `general-ioctl-wdm-sys`). */
export function diagramSlug(driver: DriverSurface): string {
  return (driver.name === '.' ? 'driver' : driver.name).replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'driver';
}

/**
 * The data-flow diagram as a standalone SVG (no script, no external reference): what the report embeds and the
 * VS Code webview shows, so the picture needs no Mermaid renderer. Columns: user process | I/O manager → devices →
 * handlers → kernel resources, with the user/kernel trust boundary between the first two.
 */
export function dataFlowSvg(driver: DriverSurface): string {
  const points = entryPoints(driver);
  const devices = driver.devices.length > 0 ? driver.devices.map((device) => ({ label: deviceLabel(device), detail: device.openTo ? `open to ${device.openTo}` : device.security === 'default' ? 'default security' : 'SDDL', warn: Boolean(device.openTo) || device.security === 'default' })) : [{ label: 'device (not created in the code)', detail: '', warn: false }];
  const handlers: { name: string; findings: Set<string>; resources: Set<string> }[] = [];
  const entries: { label: string; detail: string; handler: number; warn: boolean }[] = [];
  for (const point of points) {
    let index = handlers.findIndex((handler) => handler.name === point.handler);
    if (index < 0) {
      index = handlers.length;
      handlers.push({ name: point.handler, findings: new Set(), resources: new Set() });
    }
    for (const finding of point.findings) handlers[index].findings.add(`${finding.file}:${finding.line}:${finding.character}:${finding.ruleId}`);
    for (const resource of point.facts.resources) handlers[index].resources.add(resource);
    const detail = point.ioctl ? `${shortMethod(point.ioctl.method)}, ${point.ioctl.access?.replace(/FILE_|_ACCESS/g, '').toLowerCase() ?? '?'} · ${plural(point.facts.lengthChecks.length, 'length check')}` : 'request';
    entries.push({ label: point.title, detail, handler: index, warn: point.ioctl?.method === 'METHOD_NEITHER' || point.ioctl?.access === 'FILE_ANY_ACCESS' });
  }
  const resources = [...new Set(handlers.flatMap((handler) => [...handler.resources]))].sort();
  const row = 54;
  const top = 66;
  const columns = { user: 20, io: 214, device: 384, entry: 624, handler: 900, resource: 1110 };
  const widths = { user: 150, io: 130, device: 210, entry: 240, handler: 180, resource: 130 };
  const width = columns.resource + widths.resource + 20;
  const rows = Math.max(devices.length, entries.length, handlers.length, resources.length, 2);
  const height = top + rows * row + 24;
  const centerY = (index: number, count: number) => top + ((rows - count) * row) / 2 + index * row + 22;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<title>Data flow of ${xml(driver.name)}</title>`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<rect x="8" y="30" width="180" height="${height - 38}" rx="8" fill="#fff4e5" stroke="#d9822b"/>`);
  out.push(`<text x="20" y="50" font-weight="bold" fill="#8a4b0f">User mode (untrusted)</text>`);
  out.push(`<rect x="204" y="30" width="${width - 212}" height="${height - 38}" rx="8" fill="#eef5ff" stroke="#2b6cd9"/>`);
  out.push(`<text x="216" y="50" font-weight="bold" fill="#1d4a94">Kernel mode: ${xml(clip(driver.name, 70))} (${driver.model})</text>`);
  out.push(`<line x1="196" y1="22" x2="196" y2="${height - 4}" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/>`);
  out.push(`<text x="196" y="16" text-anchor="middle" fill="#c0392b" font-weight="bold">trust boundary</text>`);
  const box = (x: number, y: number, w: number, lines: string[], fill: string, stroke: string, rounded = 6) => {
    const shown = lines.filter(Boolean);
    const h = shown.length > 1 ? 40 : 28;
    out.push(`<rect x="${x}" y="${y - h / 2}" width="${w}" height="${h}" rx="${rounded}" fill="${fill}" stroke="${stroke}"/>`);
    shown.forEach((text, index) => out.push(`<text x="${x + w / 2}" y="${y - h / 2 + 18 + index * 15}" text-anchor="middle"${index > 0 ? ' font-size="11" fill="#555"' : ''}>${xml(clip(text, Math.floor(w / (index > 0 ? 6 : 6.8))))}</text>`));
  };
  const arrow = (x1: number, y1: number, x2: number, y2: number, color = '#555', dashed = false) => {
    out.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="1.3"${dashed ? ' stroke-dasharray="4 3"' : ''} marker-end="url(#arrow)"/>`);
  };
  const middle = top + ((rows - 1) * row) / 2 + 22;
  const link = driver.devices.flatMap((device) => device.symbolicLinks)[0];
  box(columns.user, middle, widths.user, ['User process', link ? `opens ${link}` : 'CreateFile, DeviceIoControl'], '#ffffff', '#d9822b', 14);
  box(columns.io, middle, widths.io, ['I/O manager', 'builds IRPs'], '#ffffff', '#2b6cd9');
  arrow(columns.user + widths.user, middle, columns.io, middle);
  devices.forEach((device, index) => {
    const y = centerY(index, devices.length);
    box(columns.device, y, widths.device, [device.label, device.detail], device.warn ? '#fdecea' : '#ffffff', device.warn ? '#c0392b' : '#2b6cd9');
    arrow(columns.io + widths.io, middle, columns.device, y);
  });
  entries.forEach((entry, index) => {
    const y = centerY(index, entries.length);
    box(columns.entry, y, widths.entry, [entry.label, entry.detail], entry.warn ? '#fdecea' : '#ffffff', entry.warn ? '#c0392b' : '#2b6cd9', 3);
    devices.forEach((_, deviceIndex) => arrow(columns.device + widths.device, centerY(deviceIndex, devices.length), columns.entry, y, entry.warn ? '#c0392b' : '#555'));
    arrow(columns.entry + widths.entry, y, columns.handler, centerY(entry.handler, handlers.length));
  });
  handlers.forEach((handler, index) => {
    const y = centerY(index, handlers.length);
    const count = handler.findings.size;
    box(columns.handler, y, widths.handler, [handler.name, count > 0 ? plural(count, 'open finding') : 'no finding'], count > 0 ? '#fdecea' : '#ffffff', count > 0 ? '#c0392b' : '#2b6cd9');
  });
  resources.forEach((resource, index) => {
    const y = centerY(index, resources.length);
    box(columns.resource, y, widths.resource, [resource], '#f4f4f4', '#777', 14);
    handlers.forEach((handler, handlerIndex) => {
      if (handler.resources.has(resource)) arrow(columns.handler + widths.handler, centerY(handlerIndex, handlers.length), columns.resource, y, '#777', true);
    });
  });
  if (entries.length === 0) out.push(`<text x="${columns.entry}" y="${middle}" fill="#555">No IOCTL or request handler found</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The report's diagram files: one SVG per driver, named `<report base>.<driver>.svg`, unique within the report. */
export function diagramFiles(surface: AttackSurface, base: string): Map<DriverSurface, string> {
  const files = new Map<DriverSurface, string>();
  const used = new Set<string>();
  for (const driver of surface.drivers) {
    let name = `${base}.${diagramSlug(driver)}.svg`;
    for (let index = 2; used.has(name); index++) name = `${base}.${diagramSlug(driver)}-${index}.svg`;
    used.add(name);
    files.set(driver, name);
  }
  return files;
}
