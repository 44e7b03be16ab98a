/**
 * Flags a secret (a key, password, credential buffer) wiped with RtlZeroMemory, memset or RtlFillMemory as the last
 * thing done with it before it dies: the store is dead to the compiler, which may drop it, so the secret stays in
 * the stack or in freed pool for the next reader. RtlSecureZeroMemory is never optimized away.
 */
import { findDeclaration } from '../analysis/declarations';
import { accessPath, baseIdentifier, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Wipe routine → how to turn its arguments into RtlSecureZeroMemory(destination, length), when it writes zeros. */
const WIPES: Record<string, { destination: number; length: number; fill?: number }> = lookupTable({
  RtlZeroMemory: { destination: 0, length: 1 },
  RtlZeroBytes: { destination: 0, length: 1 },
  memset: { destination: 0, length: 2, fill: 1 },
  RtlFillMemory: { destination: 0, length: 1, fill: 2 },
});

/** Names of secrets: key material, passwords, credentials. */
const SECRET = /(secret|passw(or)?d|passphrase|pwd|credential|nonce|hmac|salt|privkey|private_?key|session_?key|master_?key|key_?material|key_?blob|aes_?key|crypt(o)?_?key|cipher_?key|plain_?text|clear_?text|^p?key(s|bytes|data|buffer)?$)/i;

/** Key-named things that are registry or keyboard data, not key material. */
const NOT_SECRET = /(registry|reg_?key|sub_?key|key_?(name|path|value|info|handle|object|count|state|code|board|stroke)|h_?key|parameters_?key|service_?key|device_?key|keyboard)/i;

const FREES = new Set(['ExFreePool', 'ExFreePoolWithTag', 'ExFreePool2', 'ExFreeToNPagedLookasideList', 'ExFreeToPagedLookasideList', 'ExFreeToLookasideListEx', 'free']);

/**
 * Whether the wiped object dies right after: nothing in the function mentions it after the wipe except a free of
 * its pool block; a local then dies at return.
 */
function diesAfter(call: Node, body: Node, base: string, isLocal: boolean): boolean {
  const mention = new RegExp(`\\b${base}\\b`);
  let freed = false;
  let later = false;
  const visit = (node: Node) => {
    if (later || node.endIndex <= call.endIndex) return;
    if (node.startIndex >= call.endIndex && node.type === 'call_expression' && FREES.has(calleeName(node) ?? '') && mention.test(node.text)) {
      freed = true;
      return;
    }
    if (node.startIndex >= call.endIndex && node.type === 'identifier' && node.text === base) {
      later = true;
      return;
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(body);
  return !later && (isLocal || freed);
}

export const rule: Rule = {
  meta: {
    id: 'secret-not-securely-cleared',
    title: 'Secret cleared with a wipe the compiler may remove',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A buffer named as key material, a password or a credential is wiped with RtlZeroMemory, memset or RtlFillMemory just before it goes out of scope or is freed.',
    rationale: 'A store to memory that is never read again is dead code to the optimizer: MSVC and clang remove memset and RtlZeroMemory of a local right before return, and of a block right before it is freed. The secret then survives in the kernel stack or in freed pool, where the next allocation, an information-disclosure bug or a crash dump hands it out. RtlSecureZeroMemory writes through a volatile pointer and is always kept.',
    cwe: ['CWE-14', 'CWE-226'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlsecurezeromemory',
      'https://cwe.mitre.org/data/definitions/14.html',
    ],
    confidence: 'medium',
    messages: {
      removable: '`{{target}}` holds a secret and {{call}} is the last write before it {{dies}}: the compiler may drop that write and leave the secret in memory. Use RtlSecureZeroMemory.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS Unwrap(PUCHAR wrapped, ULONG length) {\n    UCHAR sessionKey[32];\n    NTSTATUS status = DeriveKey(wrapped, length, sessionKey, sizeof(sessionKey));\n    if (NT_SUCCESS(status)) {\n        status = InstallKey(sessionKey, sizeof(sessionKey));\n    }\n    RtlZeroMemory(sessionKey, sizeof(sessionKey));\n    return status;\n}',
      good: 'NTSTATUS Unwrap(PUCHAR wrapped, ULONG length) {\n    UCHAR sessionKey[32];\n    NTSTATUS status = DeriveKey(wrapped, length, sessionKey, sizeof(sessionKey));\n    if (NT_SUCCESS(status)) {\n        status = InstallKey(sessionKey, sizeof(sessionKey));\n    }\n    RtlSecureZeroMemory(sessionKey, sizeof(sessionKey));\n    return status;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const wipe = name ? WIPES[name] : undefined;
        if (!wipe) return;
        const args = callArguments(call);
        if (wipe.fill !== undefined && !/^(0|'\\0'|0x0+)$/.test(unwrap(args[wipe.fill])?.text ?? '')) return;
        const destination = unwrap(args[wipe.destination]);
        const length = args[wipe.length];
        if (!destination || !length) return;
        const target = destination.type === 'pointer_expression' && destination.text.startsWith('&') ? unwrap(destination.childForFieldName('argument')) : destination;
        const path = target ? accessPath(target) : undefined;
        const base = target ? baseIdentifier(target) : undefined;
        if (!path || !base) return;
        const last = path.split(/->|\./).pop()!;
        if (!SECRET.test(last) || NOT_SECRET.test(last)) return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const declaration = findDeclaration(file, fn, base);
        if (!declaration) return;
        // A local array or structure dies at return; a pointer's block dies when it is freed.
        const localStorage = declaration.isLocal && !declaration.isParameter && !declaration.isPointer;
        if (!diesAfter(call, fn.body, base, localStorage)) return;
        context.report({
          node: call,
          messageId: 'removable',
          data: { target: path, call: name!, dies: localStorage ? 'goes out of scope' : 'is freed' },
          fix: { title: 'Wipe with RtlSecureZeroMemory', edits: [fixer.replace(call, `RtlSecureZeroMemory(${args[wipe.destination].text}, ${length.text})`)] },
        });
      },
    };
  },
};
