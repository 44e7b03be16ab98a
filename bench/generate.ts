/**
 * Deterministic generator of realistic driver-like C: IOCTL defines, structs, SAL-annotated dispatch routines with
 * an IOCTL switch, handlers with loops and branches, macros. The same seed always gives the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** A small seeded PRNG (mulberry32) so runs are comparable. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['METHOD_BUFFERED', 'METHOD_IN_DIRECT', 'METHOD_OUT_DIRECT', 'METHOD_NEITHER'];
const ACCESS = ['FILE_ANY_ACCESS', 'FILE_READ_ACCESS', 'FILE_WRITE_ACCESS', 'FILE_READ_ACCESS | FILE_WRITE_ACCESS'];

function handler(name: string, index: number, next: () => number): string[] {
  const safe = next() < 0.7;
  const lines = [
    `_Use_decl_annotations_`,
    `static NTSTATUS`,
    `${name}(`,
    `    _In_reads_bytes_(InputLength) PVOID Input,`,
    `    _In_ ULONG InputLength,`,
    `    _Out_writes_bytes_(OutputLength) PVOID Output,`,
    `    _In_ ULONG OutputLength,`,
    `    _Out_ PULONG_PTR Information`,
    `    )`,
    `{`,
    `    UCHAR local[${64 << (index % 4)}];`,
    `    PREQUEST_${index % 7} request = (PREQUEST_${index % 7})Input;`,
    `    ULONG i;`,
    `    NTSTATUS status = STATUS_SUCCESS;`,
    ``,
  ];
  if (safe) lines.push(`    if (InputLength < sizeof(*request) || request->Size > sizeof(local)) {`, `        return STATUS_INVALID_PARAMETER;`, `    }`);
  lines.push(`    RtlCopyMemory(local, request->Data, request->Size);`);
  const loops = 2 + Math.floor(next() * 6);
  for (let loop = 0; loop < loops; loop++) {
    lines.push(
      `    for (i = 0; i < sizeof(local) && i < OutputLength; i++) {`,
      `        if ((local[i] & 0x${(loop + 1).toString(16)}) != 0) {`,
      `            ((PUCHAR)Output)[i] = (UCHAR)(local[i] ^ ${loop});`,
      `        } else {`,
      `            KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "step %u\\n", i));`,
      `        }`,
      `    }`,
    );
  }
  if (next() < 0.2) lines.push(`    PVOID scratch = ExAllocatePoolWithTag(NonPagedPool, 128, 'hcrS');`, `    if (scratch != NULL) {`, `        ExFreePoolWithTag(scratch, 'hcrS');`, `    }`);
  lines.push(`    *Information = min(OutputLength, sizeof(local));`, `    return status;`, `}`, ``);
  return lines;
}

/** One file of about `targetLines` lines. */
export function generateFile(targetLines: number, seed: number): string {
  const next = random(seed);
  const lines = [
    '/*++ Generated benchmark driver source. Not a real driver. --*/',
    '#include <ntddk.h>',
    '#include <wdf.h>',
    '',
    '#define POOL_TAG_BENCH \'hcnB\'',
    '#define BENCH_CTL(f, m, a) CTL_CODE(FILE_DEVICE_UNKNOWN, (f), (m), (a))',
  ];
  const handlers = Math.max(1, Math.floor(targetLines / 60));
  for (let index = 0; index < handlers; index++) {
    lines.push(`#define IOCTL_BENCH_${index} BENCH_CTL(0x${(0x800 + index).toString(16)}, ${METHODS[Math.floor(next() * 4)]}, ${ACCESS[Math.floor(next() * 4)]})`);
  }
  for (let index = 0; index < 7; index++) {
    lines.push('', `typedef struct _REQUEST_${index} {`, '    ULONG Size;', '    ULONG Flags;', `    UCHAR Data[${16 * (index + 1)}];`, `} REQUEST_${index}, *PREQUEST_${index};`);
  }
  lines.push('', 'DRIVER_DISPATCH BenchDispatchDeviceControl;', '');
  let handlerIndex = 0;
  const names: string[] = [];
  while (lines.length < targetLines - 40 && handlerIndex < handlers) {
    const name = `BenchHandle${handlerIndex}`;
    names.push(name);
    lines.push(...handler(name, handlerIndex, next));
    handlerIndex++;
  }
  lines.push(
    '_Use_decl_annotations_',
    'NTSTATUS',
    'BenchDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
    '{',
    '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
    '    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;',
    '    ULONG inLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;',
    '    ULONG outLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;',
    '    NTSTATUS status;',
    '    UNREFERENCED_PARAMETER(DeviceObject);',
    '    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {',
  );
  names.forEach((name, index) => lines.push(`    case IOCTL_BENCH_${index}:`, `        status = ${name}(buffer, inLength, buffer, outLength, &Irp->IoStatus.Information);`, '        break;'));
  lines.push('    default:', '        status = STATUS_INVALID_DEVICE_REQUEST;', '        break;', '    }', '    Irp->IoStatus.Status = status;', '    IoCompleteRequest(Irp, IO_NO_INCREMENT);', '    return status;', '}', '');
  while (lines.length < targetLines) lines.push(`// padding line ${lines.length}`);
  return lines.join('\n');
}

/** Writes the single files (1k … 50k lines) and a 500-file tree below `root`; returns their paths. */
export function generateBenchTree(root: string): { single: Record<string, string>; tree: string } {
  mkdirSync(root, { recursive: true });
  const single: Record<string, string> = {};
  for (const size of [1000, 5000, 10000, 50000]) {
    const file = path.join(root, `single-${size / 1000}k.c`);
    writeFileSync(file, generateFile(size, size));
    single[`${size / 1000}k`] = file;
  }
  const tree = path.join(root, 'tree');
  for (let index = 0; index < 500; index++) {
    const folder = path.join(tree, `component${index % 25}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `source${index}.c`), generateFile(200 + ((index * 37) % 800), 1000 + index));
  }
  return { single, tree };
}

if (require.main === module) {
  const root = process.argv[2] ?? path.join(__dirname, '..', '..', 'bench', 'generated');
  const { tree } = generateBenchTree(root);
  console.log(`generated single files and a 500-file tree in ${tree}`);
}
