/**
 * The items of Microsoft's Driver security checklist, with stable ids.
 * Rules point at these ids (`RuleMeta.checklistItem`), the checklist file is keyed by them,
 * and the sidebar groups them. Pure data: imported by the analysis core and by the client.
 */

export type ChecklistGroup = 'Design' | 'Code' | 'Review and test' | 'Ship';

/** How far static analysis of the source can support an item. */
export type StaticEvidence = 'yes' | 'partly' | 'no';

export interface ChecklistItem {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly group: ChecklistGroup;
  readonly staticEvidence: StaticEvidence;
  /** What a person should attach when the analyzer cannot show it (threat model, signing logs, …). */
  readonly manualEvidence?: string;
  readonly docsUrl: string;
}

const CHECKLIST = 'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist';
const DRIVER_SECURITY = 'https://learn.microsoft.com/windows-hardware/drivers/driversecurity';

export const CHECKLIST_GROUPS: readonly ChecklistGroup[] = ['Design', 'Code', 'Review and test', 'Ship'];

export const CHECKLIST_ITEMS = [
  {
    id: 'checklist.kernel-driver-required',
    title: 'Confirm that a kernel driver is required',
    description: 'Prefer user mode (UMDF, a service) when the job allows; kernel code carries the highest risk.',
    group: 'Design',
    staticEvidence: 'no',
    manualEvidence: 'Write down why the job cannot be done in user mode (UMDF or a service).',
    docsUrl: `${CHECKLIST}#confirm-that-a-kernel-driver-is-required`,
  },
  {
    id: 'checklist.use-frameworks',
    title: 'Use the driver frameworks',
    description: 'Build on KMDF/UMDF rather than raw WDM to inherit safe defaults for I/O, PnP and power.',
    group: 'Design',
    staticEvidence: 'partly',
    docsUrl: `${CHECKLIST}#use-the-driver-frameworks`,
  },
  {
    id: 'checklist.threat-model',
    title: 'Perform threat analysis',
    description: 'Write a threat model: entry points, trust boundaries, assets and mitigations.',
    group: 'Design',
    staticEvidence: 'no',
    manualEvidence: 'Link the threat model document (entry points, trust boundaries, mitigations).',
    docsUrl: `${DRIVER_SECURITY}/threat-modeling-for-drivers`,
  },
  {
    id: 'checklist.security-model',
    title: 'Understand the Windows security model',
    description: 'Know access checks, PreviousMode, handles and object security as they apply to drivers.',
    group: 'Design',
    staticEvidence: 'partly',
    docsUrl: `${DRIVER_SECURITY}/windows-security-model`,
  },
  {
    id: 'checklist.secure-coding',
    title: 'Follow driver secure coding guidelines',
    description: 'Validate every user buffer and length, probe user pointers, avoid double fetch, zero what you return, use safe string and integer functions.',
    group: 'Code',
    staticEvidence: 'yes',
    docsUrl: `${CHECKLIST}#follow-driver-secure-coding-guidelines`,
  },
  {
    id: 'checklist.hvci-compatible',
    title: 'Implement HVCI-compatible code',
    description: 'No executable pool, no writable and executable memory, no self-modifying code.',
    group: 'Code',
    staticEvidence: 'yes',
    docsUrl: 'https://learn.microsoft.com/windows-hardware/drivers/dashboard/get-started-dashboard-submissions#implement-hvci-compatible-code',
  },
  {
    id: 'checklist.technology-practices',
    title: 'Follow technology-specific best practices',
    description: "Follow the rules of the driver's technology (file system minifilters, NDIS, storage, USB, …).",
    group: 'Code',
    staticEvidence: 'partly',
    docsUrl: `${CHECKLIST}#follow-technology-specific-code-best-practices`,
  },
  {
    id: 'checklist.sal-annotations',
    title: 'Add SAL annotations',
    description: 'Annotate buffers, IRQL and locking so Code Analysis can reason about them.',
    group: 'Code',
    staticEvidence: 'partly',
    docsUrl: 'https://learn.microsoft.com/windows-hardware/drivers/devtest/sal-2-annotations-for-windows-drivers',
  },
  {
    id: 'checklist.access-control',
    title: 'Manage driver access control',
    description: 'Secure device objects with an SDDL at creation, set FILE_DEVICE_SECURE_OPEN, define IOCTLs with the narrowest access, check caller privileges.',
    group: 'Code',
    staticEvidence: 'yes',
    docsUrl: `${CHECKLIST}#manage-driver-access-control`,
  },
  {
    id: 'checklist.control-software-only-access',
    title: 'Control access to software-only drivers',
    description: 'A driver with no hardware must not expose a device object anyone can open; restrict who can send it IOCTLs.',
    group: 'Code',
    staticEvidence: 'yes',
    docsUrl: `${CHECKLIST}#control-access-to-software-only-drivers`,
  },
  {
    id: 'checklist.peer-review',
    title: 'Perform peer code review',
    description: 'Have another engineer review the security-relevant code.',
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Link the review (pull request, meeting notes) and name the reviewer.',
    docsUrl: `${CHECKLIST}#perform-peer-code-review`,
  },
  {
    id: 'checklist.codeql',
    title: 'Use CodeQL to check driver code',
    description: "Run Microsoft's driver query packs and fix the must-fix results.",
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Link the CodeQL SARIF report and note how the must-fix results were handled.',
    docsUrl: 'https://learn.microsoft.com/windows-hardware/drivers/devtest/static-tools-and-codeql',
  },
  {
    id: 'checklist.code-validation-tools',
    title: 'Use code validation tools',
    description: 'Build with Code Analysis for Drivers (/analyze) and run Static Driver Verifier.',
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Link the Code Analysis and Static Driver Verifier results.',
    docsUrl: `${CHECKLIST}#use-code-validation-tools`,
  },
  {
    id: 'checklist.driver-verifier',
    title: 'Use Driver Verifier',
    description: 'Exercise the driver under Driver Verifier with the security-relevant options.',
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Record the Driver Verifier options used and the test run that exercised them.',
    docsUrl: 'https://learn.microsoft.com/windows-hardware/drivers/devtest/driver-verifier',
  },
  {
    id: 'checklist.hlk-tests',
    title: 'Check code with the hardware compatibility tests',
    description: 'Run the HLK tests, including the fuzz tests of the IOCTL interface.',
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Link the HLK results, including the IOCTL fuzz tests.',
    docsUrl: `${CHECKLIST}#check-code-with-the-hardware-compatibility-program-tests`,
  },
  {
    id: 'checklist.binskim',
    title: 'Check the binary with BinSkim',
    description: 'Confirm compiler and linker mitigations on the built binary.',
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Link the BinSkim report of the release binary.',
    docsUrl: `${CHECKLIST}#use-binskim-to-examine-binaries`,
  },
  {
    id: 'checklist.debugger-review',
    title: 'Review debugger techniques',
    description: "Inspect the driver's objects, security descriptors and IRPs with the kernel debugger (!devobj, !sd).",
    group: 'Review and test',
    staticEvidence: 'no',
    manualEvidence: 'Note the debugger session that checked the device object security (!devobj, !sd).',
    docsUrl: `${CHECKLIST}#review-debugger-techniques-and-extensions`,
  },
  {
    id: 'checklist.installation-security',
    title: 'Enhance device installation security',
    description: 'Secure the INF: device security settings, no world-writable registry keys or files.',
    group: 'Ship',
    staticEvidence: 'partly',
    docsUrl: `${CHECKLIST}#enhance-device-installation-security`,
  },
  {
    id: 'checklist.no-test-signing-in-production',
    title: 'Do not production-sign test code',
    description: 'Test-only code paths, debug IOCTLs and test certificates must not ship.',
    group: 'Ship',
    staticEvidence: 'partly',
    docsUrl: `${CHECKLIST}#dont-production-sign-test-driver-code`,
  },
  {
    id: 'checklist.release-signing',
    title: 'Execute proper release driver signing',
    description: 'Sign releases through the proper program; never ship test signing.',
    group: 'Ship',
    staticEvidence: 'no',
    manualEvidence: 'Link the signing submission (Partner Center) of the release.',
    docsUrl: `${CHECKLIST}#execute-proper-release-driver-signing`,
  },
  {
    id: 'checklist.vulnerable-driver-blocklist',
    title: 'Know the vulnerable driver blocklist and reporting',
    description: "Understand why drivers land on Microsoft's blocklist; have a way to receive and fix vulnerability reports.",
    group: 'Ship',
    staticEvidence: 'partly',
    docsUrl: 'https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/microsoft-recommended-driver-block-rules',
  },
  {
    id: 'checklist.secure-coding-resources',
    title: 'Review secure coding resources',
    description: 'Read the listed books and guidance; train the team.',
    group: 'Ship',
    staticEvidence: 'no',
    manualEvidence: 'Note which resources the team has reviewed.',
    docsUrl: `${CHECKLIST}#review-secure-coding-resources`,
  },
] as const satisfies readonly ChecklistItem[];

export type ChecklistItemId = (typeof CHECKLIST_ITEMS)[number]['id'];

const BY_ID = new Map<string, ChecklistItem>(CHECKLIST_ITEMS.map((item) => [item.id, item]));

export function getChecklistItem(id: string): ChecklistItem | undefined {
  return BY_ID.get(id);
}
