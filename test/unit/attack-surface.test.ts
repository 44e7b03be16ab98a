/**
 * The attack-surface model, fact by fact, against hand-written expectations: the bundled sample driver and small
 * WDM and KMDF drivers written for these tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { Analyzer, createAnalyzer, WorkspaceIndex } from '../../server/src/core';
import { buildAttackSurface, summaryLine, type AttackSurface, type DriverSurface } from '../../server/src/analysis/attack-surface';
import { indexText } from '../../server/src/analysis/workspace-index';
import { dataFlowDiagram, dataFlowSvg, diagramFiles, threatModelMarkdown } from '../../server/src/analysis/threat-model';

const ROOT = path.resolve(__dirname, '..', '..', '..');

let analyzer: Analyzer;

function surfaceOf(files: Record<string, string>, root = '/w'): AttackSurface {
  const workspace = new WorkspaceIndex();
  for (const [file, text] of Object.entries(files)) workspace.update(file, text);
  const inputs = Object.entries(files).map(([file, text]) => {
    const result = analyzer.analyze({ text, fileName: file }, { workspace });
    return { file, surface: result.surface, findings: result.findings };
  });
  return buildAttackSurface(inputs, root);
}

const only = (surface: AttackSurface): DriverSurface => {
  assert.equal(surface.drivers.length, 1, JSON.stringify(surface.drivers.map((driver) => driver.name)));
  return surface.drivers[0];
};

const ioctl = (driver: DriverSurface, name: string) => {
  const found = driver.ioctls.find((entry) => entry.name === name);
  assert.ok(found, `${name} not in ${driver.ioctls.map((entry) => entry.name).join(', ')}`);
  return found;
};

before(async () => {
  analyzer = await createAnalyzer();
});

describe('attack surface of the bundled sample driver', () => {
  let driver: DriverSurface;
  const folder = path.join(ROOT, 'examples', 'sample-driver').split(path.sep).join('/');
  before(() => {
    const files: Record<string, string> = {};
    for (const name of ['driver.c', 'public.h']) files[`${folder}/${name}`] = readFileSync(`${folder}/${name}`, 'utf8');
    driver = only(surfaceOf(files, path.join(ROOT, 'examples').split(path.sep).join('/')));
  });

  it('names the driver by its folder, finds DriverEntry and the model', () => {
    assert.equal(driver.name, 'sample-driver');
    assert.equal(driver.model, 'WDM');
    assert.equal(driver.driverEntry?.file, `${folder}/driver.c`);
    assert.deepEqual(driver.files, [`${folder}/driver.c`, `${folder}/public.h`]);
  });

  it('reads the device: name, link, type, characteristics, exclusive, security', () => {
    assert.equal(driver.devices.length, 1);
    const device = driver.devices[0];
    assert.equal(device.api, 'IoCreateDevice');
    assert.equal(device.name, '\\Device\\DriverGuardSample');
    assert.deepEqual(device.symbolicLinks, ['\\DosDevices\\DriverGuardSample']);
    assert.equal(device.deviceType, 'FILE_DEVICE_UNKNOWN');
    assert.equal(device.characteristics, '0');
    assert.equal(device.secureOpen, false);
    assert.equal(device.exclusive, false);
    assert.equal(device.security, 'default');
    assert.equal(device.function, 'DriverEntry');
    assert.equal(device.location.line, 120);
    assert.ok(device.findings.some((finding) => finding.ruleId === 'device-not-secure-open'));
  });

  it('lists the dispatch routines per IRP_MJ', () => {
    assert.deepEqual(driver.dispatch.map((entry) => [entry.major, entry.function, entry.location.line]), [
      ['IRP_MJ_CREATE', 'SampleCreateClose', 131],
      ['IRP_MJ_CLOSE', 'SampleCreateClose', 132],
      ['IRP_MJ_DEVICE_CONTROL', 'SampleDeviceControl', 133],
    ]);
  });

  it('decodes every IOCTL code: value, device type, function, method, access, definition', () => {
    assert.deepEqual(driver.ioctls.map((entry) => [entry.name, entry.value, entry.deviceType, entry.function, entry.method, entry.access, entry.definition?.line]), [
      ['IOCTL_SAMPLE_GET_STATS', 0x83376003, 0x8337, 0x800, 'METHOD_NEITHER', 'FILE_READ_ACCESS', 9],
      ['IOCTL_SAMPLE_SET_NAME', 0x8337a004, 0x8337, 0x801, 'METHOD_BUFFERED', 'FILE_WRITE_ACCESS', 10],
      ['IOCTL_SAMPLE_STORE', 0x8337a008, 0x8337, 0x802, 'METHOD_BUFFERED', 'FILE_WRITE_ACCESS', 11],
    ]);
  });

  it('marks GET_STATS declared but not handled, with its METHOD_NEITHER finding', () => {
    const stats = ioctl(driver, 'IOCTL_SAMPLE_GET_STATS');
    assert.equal(stats.declaredOnly, true);
    assert.equal(stats.undeclared, false);
    assert.deepEqual(stats.handlers, []);
    assert.ok(stats.findings.some((finding) => finding.ruleId === 'ioctl-method-neither'));
  });

  it('gives each handled IOCTL its handler, case line, buffers and length checks', () => {
    const setName = ioctl(driver, 'IOCTL_SAMPLE_SET_NAME');
    assert.equal(setName.declaredOnly, false);
    assert.equal(setName.handlers.length, 1);
    const [handler] = setName.handlers;
    assert.equal(handler.dispatcher, 'SampleDeviceControl');
    assert.equal(handler.function, 'SampleSetName');
    assert.equal(handler.caseLocation.line, 58);
    assert.equal(handler.location?.line, 26);
    assert.deepEqual(handler.reads, ['SystemBuffer']);
    assert.deepEqual(handler.writes, []);
    assert.deepEqual(handler.lengthChecks.map((check) => [check.text, check.location.line]), [['IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SAMPLE_NAME_REQUEST)', 30]]);
    assert.deepEqual(handler.findings, []);

    const store = ioctl(driver, 'IOCTL_SAMPLE_STORE').handlers[0];
    assert.equal(store.function, 'SampleStore');
    assert.equal(store.caseLocation.line, 61);
    assert.deepEqual(store.reads, ['SystemBuffer']);
    assert.deepEqual(store.lengthChecks, []);
    assert.deepEqual(store.findings.map((finding) => [finding.ruleId, finding.line]), [['user-length-copy-unchecked', 43]]);
  });

  it('sums it up in one line', () => {
    assert.equal(summaryLine(driver.summary), '1 device, 3 IOCTLs, 1 with default security, 1 without FILE_DEVICE_SECURE_OPEN');
    assert.equal(driver.summary.declaredOnly, 1);
    assert.equal(driver.summary.undeclared, 0);
  });
});

const WDM_HEADER = [
  '#pragma once',
  '#define WG_TYPE 0x9000',
  '#define IOCTL_WG_PEEK   CTL_CODE(WG_TYPE, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)',
  '#define IOCTL_WG_POKE   CTL_CODE(WG_TYPE, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS)',
  '#define IOCTL_WG_QUERY  CTL_CODE(WG_TYPE, 0x902, METHOD_OUT_DIRECT, FILE_READ_ACCESS)',
  '#define WG_NAME L"\\\\Device\\\\Widget"',
  '#define WG_LINK L"\\\\??\\\\Widget"',
  '#define WG_CHARACTERISTICS (FILE_DEVICE_SECURE_OPEN)',
  '',
].join('\r\n'); // CRLF, as many WDK headers are: the workspace index must still read its #defines

const WDM_DRIVER = `#include <ntddk.h>
#include "widget.h"

DRIVER_DISPATCH WgControl;
NTSTATUS WgQuery(PIRP Irp, PIO_STACK_LOCATION Stack);

NTSTATUS WgControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    PVOID input;

    if (inLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_WG_PEEK:
    case IOCTL_WG_POKE:
        input = stack->Parameters.DeviceIoControl.Type3InputBuffer;
        __try {
            ProbeForRead(input, inLength, 1);
            status = STATUS_SUCCESS;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            status = GetExceptionCode();
        }
        break;
    case IOCTL_WG_QUERY:
        status = WgQuery(Irp, stack);
        break;
    case 0x9000E00C:
        status = STATUS_NOT_SUPPORTED;
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    UNICODE_STRING link;
    PDEVICE_OBJECT device;
    NTSTATUS status;

    RtlInitUnicodeString(&name, WG_NAME);
    RtlInitUnicodeString(&link, WG_LINK);
    status = IoCreateDeviceSecure(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, WG_CHARACTERISTICS, TRUE,
                                  &SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX, NULL, &device);
    if (!NT_SUCCESS(status)) return status;
    status = IoCreateSymbolicLink(&link, &name);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = WgControl;
    return status;
}
`;

const WDM_HELPER = `#include <ntddk.h>
#include "widget.h"

NTSTATUS WgQuery(PIRP Irp, PIO_STACK_LOCATION Stack)
{
    PUCHAR out = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
    if (out == NULL || Stack->Parameters.DeviceIoControl.OutputBufferLength < 4) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    out[0] = 1;
    Irp->IoStatus.Information = 4;
    return STATUS_SUCCESS;
}
`;

describe('attack surface of a WDM driver in three files', () => {
  let driver: DriverSurface;
  before(() => {
    driver = only(surfaceOf({ '/w/widget/widget.h': WDM_HEADER, '/w/widget/control.c': WDM_DRIVER, '/w/widget/query.c': WDM_HELPER }));
  });

  it('reads a CRLF header\'s #defines into the workspace index', () => {
    assert.deepEqual(indexText(WDM_HEADER, 'widget.h').macros.map((macro) => macro.name), ['WG_TYPE', 'IOCTL_WG_PEEK', 'IOCTL_WG_POKE', 'IOCTL_WG_QUERY', 'WG_NAME', 'WG_LINK', 'WG_CHARACTERISTICS']);
  });

  it('resolves the device name and link through macros of the header, and its SDDL', () => {
    assert.equal(driver.name, 'widget');
    const [device] = driver.devices;
    assert.equal(device.api, 'IoCreateDeviceSecure');
    assert.equal(device.name, '\\Device\\Widget');
    assert.deepEqual(device.symbolicLinks, ['\\??\\Widget']);
    assert.equal(device.secureOpen, true, 'FILE_DEVICE_SECURE_OPEN through WG_CHARACTERISTICS');
    assert.equal(device.exclusive, true);
    assert.equal(device.security, 'sddl');
    assert.equal(device.sddlExpression, '&SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX');
    assert.equal(device.openTo, 'Everyone');
    assert.equal(driver.summary.openToAnyUser, 1);
  });

  it('gives fall-through cases the shared inline body, with the dispatcher\'s check before the switch', () => {
    for (const name of ['IOCTL_WG_PEEK', 'IOCTL_WG_POKE']) {
      const entry = ioctl(driver, name);
      assert.equal(entry.method, 'METHOD_NEITHER');
      assert.equal(entry.access, 'FILE_ANY_ACCESS');
      const [handler] = entry.handlers;
      assert.equal(handler.function, undefined, 'handled inline');
      assert.equal(handler.dispatcher, 'WgControl');
      assert.deepEqual(handler.reads, ['Type3InputBuffer']);
      assert.equal(handler.probes, 1);
      assert.deepEqual(handler.lengthChecks.map((check) => check.text), ['inLength < sizeof(ULONG)']);
    }
    assert.equal(ioctl(driver, 'IOCTL_WG_PEEK').handlers[0].caseLocation.line, 17);
    assert.equal(ioctl(driver, 'IOCTL_WG_POKE').handlers[0].caseLocation.line, 18);
  });

  it('follows a case to its handler in another file', () => {
    const [handler] = ioctl(driver, 'IOCTL_WG_QUERY').handlers;
    assert.equal(handler.function, 'WgQuery');
    assert.deepEqual(handler.location, { file: '/w/widget/query.c', line: 3 });
    assert.deepEqual(handler.reads, ['MdlAddress']);
    assert.deepEqual(handler.writes, ['Information']);
    assert.ok(handler.lengthChecks.some((check) => check.text.includes('OutputBufferLength < 4') && check.location.file === '/w/widget/query.c'));
    assert.ok(handler.resources.includes('memory mappings'));
  });

  it('lists a handled code that no file declares', () => {
    const literal = ioctl(driver, '0x9000E00C');
    assert.equal(literal.undeclared, true);
    assert.equal(literal.deviceType, 0x9000);
    assert.equal(literal.method, 'METHOD_BUFFERED');
    assert.equal(literal.access, 'FILE_READ_ACCESS | FILE_WRITE_ACCESS');
    assert.equal(literal.function, 0x803);
    assert.equal(driver.summary.undeclared, 1);
    assert.equal(driver.summary.declaredOnly, 0);
  });
});

const KMDF_DRIVER = `#include <ntddk.h>
#include <wdf.h>
#include <wdmsec.h>

#define IOCTL_GIZMO_SET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_GIZMO_GET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x811, METHOD_BUFFERED, FILE_READ_ACCESS)

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL GizmoIoDeviceControl;
EVT_WDF_IO_QUEUE_IO_READ GizmoIoRead;

VOID GizmoIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    PULONG value;
    NTSTATUS status;
    switch (IoControlCode) {
    case IOCTL_GIZMO_SET:
        status = WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), (PVOID *)&value, NULL);
        break;
    case IOCTL_GIZMO_GET:
        if (OutputBufferLength < sizeof(ULONG)) { status = STATUS_BUFFER_TOO_SMALL; break; }
        status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&value, NULL);
        if (NT_SUCCESS(status)) { *value = 7; WdfRequestCompleteWithInformation(Request, status, sizeof(ULONG)); return; }
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    WdfRequestComplete(Request, status);
}

VOID GizmoIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

NTSTATUS GizmoCreateControlDevice(WDFDRIVER Driver)
{
    PWDFDEVICE_INIT init;
    WDFDEVICE device;
    WDFQUEUE queue;
    WDF_IO_QUEUE_CONFIG config;
    NTSTATUS status;
    DECLARE_CONST_UNICODE_STRING(name, L"\\\\Device\\\\Gizmo");
    DECLARE_CONST_UNICODE_STRING(link, L"\\\\DosDevices\\\\Gizmo");

    init = WdfControlDeviceInitAllocate(Driver, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    if (init == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    WdfDeviceInitSetDeviceType(init, FILE_DEVICE_UNKNOWN);
    WdfDeviceInitSetCharacteristics(init, FILE_DEVICE_SECURE_OPEN, FALSE);
    WdfDeviceInitSetExclusive(init, FALSE);
    status = WdfDeviceInitAssignName(init, &name);
    status = WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status)) return status;
    status = WdfDeviceCreateSymbolicLink(device, &link);
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchSequential);
    config.EvtIoDeviceControl = GizmoIoDeviceControl;
    status = WdfIoQueueCreate(device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);
    WDF_IO_QUEUE_CONFIG_INIT(&config, WdfIoQueueDispatchParallel);
    config.EvtIoRead = GizmoIoRead;
    status = WdfIoQueueCreate(device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);
    status = WdfDeviceConfigureRequestDispatching(device, queue, WdfRequestTypeRead);
    WdfControlFinishInitializing(device);
    return status;
}
`;

describe('attack surface of a KMDF control device', () => {
  let driver: DriverSurface;
  before(() => {
    driver = only(surfaceOf({ '/w/gizmo/gizmo.c': KMDF_DRIVER }));
  });

  it('reads the device from the WdfDeviceInit* calls', () => {
    assert.equal(driver.model, 'KMDF');
    const [device] = driver.devices;
    assert.equal(device.api, 'WdfDeviceCreate');
    assert.equal(device.kmdf, true);
    assert.equal(device.control, true);
    assert.equal(device.name, '\\Device\\Gizmo');
    assert.deepEqual(device.symbolicLinks, ['\\DosDevices\\Gizmo']);
    assert.equal(device.deviceType, 'FILE_DEVICE_UNKNOWN');
    assert.equal(device.secureOpen, true);
    assert.equal(device.exclusive, false);
    assert.equal(device.sddl, 'D:P(A;;GA;;;SY)(A;;GA;;;BA)');
    assert.equal(device.openTo, undefined);
    assert.equal(driver.summary.openToAnyUser, 0);
  });

  it('reads the queues and their callbacks, one config variable serving both', () => {
    assert.deepEqual(driver.queues.map((queue) => [queue.config, queue.defaultQueue, queue.dispatchType, queue.callbacks, queue.requestTypes]), [
      ['config', true, 'WdfIoQueueDispatchSequential', [{ field: 'EvtIoDeviceControl', function: 'GizmoIoDeviceControl' }], []],
      ['config', false, 'WdfIoQueueDispatchParallel', [{ field: 'EvtIoRead', function: 'GizmoIoRead' }], ['WdfRequestTypeRead']],
    ]);
    assert.deepEqual(driver.dispatch.map((entry) => [entry.major, entry.function, entry.kmdf]), [['EvtIoDeviceControl', 'GizmoIoDeviceControl', true], ['EvtIoRead', 'GizmoIoRead', true]]);
  });

  it('counts the WDF minimum length as a length check and the completion information as a write', () => {
    const [set] = ioctl(driver, 'IOCTL_GIZMO_SET').handlers;
    assert.deepEqual(set.reads, ['WdfRequestRetrieveInputBuffer']);
    assert.deepEqual(set.lengthChecks.map((check) => check.text), ['WdfRequestRetrieveInputBuffer(minimum sizeof(ULONG))']);
    const [get] = ioctl(driver, 'IOCTL_GIZMO_GET').handlers;
    assert.deepEqual(get.writes, ['Information', 'WdfRequestRetrieveOutputBuffer']);
    assert.deepEqual(get.lengthChecks.map((check) => check.text), ['OutputBufferLength < sizeof(ULONG)', 'WdfRequestRetrieveOutputBuffer(minimum sizeof(ULONG))']);
  });
});

describe('drivers of a workspace', () => {
  it('keeps a file without driver facts out, and a user-mode tool out of the drivers', () => {
    assert.equal(analyzer.analyze({ text: 'int add(int a, int b) { return a + b; }\n', fileName: '/w/util.c' }).surface, undefined);
    const surface = surfaceOf({
      '/w/gizmo/gizmo.c': KMDF_DRIVER,
      '/w/tool/main.c': 'int main(void) { HANDLE h = CreateFileW(L"\\\\\\\\.\\\\Gizmo", 0, 0, NULL, OPEN_EXISTING, 0, NULL); return h != NULL; }\n',
    });
    assert.deepEqual(surface.drivers.map((driver) => driver.name), ['gizmo']);
  });

  it('puts a subfolder without DriverEntry into the driver of the folder above', () => {
    const surface = surfaceOf({
      '/w/pci/driver.c': 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = PciControl; return STATUS_SUCCESS; }\n',
      '/w/pci/hw/control.c': 'NTSTATUS PciControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) { switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) { case 0x22E004: return PciReset(Irp); } return STATUS_INVALID_DEVICE_REQUEST; }\nNTSTATUS PciReset(PIRP Irp) { return STATUS_SUCCESS; }\n',
    });
    const driver = only(surface);
    assert.equal(driver.name, 'pci');
    assert.deepEqual(driver.files, ['/w/pci/driver.c', '/w/pci/hw/control.c']);
    assert.equal(driver.ioctls[0].handlers[0].function, 'PciReset');
    assert.deepEqual(driver.ioctls[0].handlers[0].location, { file: '/w/pci/hw/control.c', line: 1 });
  });

  it('resolves a device name through the driver\'s own macro when several drivers define it', () => {
    const driver = (name: string) => `#include "names.h"
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    UNICODE_STRING link;
    PDEVICE_OBJECT device;
    RtlInitUnicodeString(&name, NT_DEVICE_NAME);
    RtlInitUnicodeString(&link, DOS_DEVICE_NAME);
    IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
    return IoCreateSymbolicLink(&link, &name);
}
`.replace('names.h', `${name}.h`);
    const header = (name: string) => `#define NT_DEVICE_NAME L"\\\\Device\\\\${name}"\n#define DOS_DEVICE_NAME L"\\\\DosDevices\\\\${name}"\n`;
    const surface = surfaceOf({ '/w/alpha/alpha.h': header('Alpha'), '/w/alpha/alpha.c': driver('alpha'), '/w/beta/beta.h': header('Beta'), '/w/beta/beta.c': driver('beta') });
    assert.deepEqual(surface.drivers.map((entry) => [entry.name, entry.devices[0].name, entry.devices[0].symbolicLinks]), [
      ['alpha', '\\Device\\Alpha', ['\\DosDevices\\Alpha']],
      ['beta', '\\Device\\Beta', ['\\DosDevices\\Beta']],
    ]);
  });

  it('a header two drivers share gives each only the codes it handles', () => {
    const header = '#define IOCTL_ONE CTL_CODE(0x8000, 0x801, METHOD_BUFFERED, FILE_READ_ACCESS)\n#define IOCTL_TWO CTL_CODE(0x8000, 0x802, METHOD_BUFFERED, FILE_READ_ACCESS)\n';
    const driver = (code: string) => `#include "../inc/codes.h"
NTSTATUS Control(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {
    case ${code}:
        return STATUS_SUCCESS;
    }
    return STATUS_INVALID_DEVICE_REQUEST;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Control; return STATUS_SUCCESS; }
`;
    const two = surfaceOf({ '/w/inc/codes.h': header, '/w/one/one.c': driver('IOCTL_ONE'), '/w/two/two.c': driver('IOCTL_TWO') });
    assert.deepEqual(two.drivers.map((entry) => [entry.name, entry.ioctls.map((ioctl) => [ioctl.name, ioctl.declaredOnly])]), [
      ['one', [['IOCTL_ONE', false]]],
      ['two', [['IOCTL_TWO', false]]],
    ]);
    // One driver using the shared header: the code it does not handle is declared but not handled.
    const one = surfaceOf({ '/w/inc/codes.h': header, '/w/one/one.c': driver('IOCTL_ONE') });
    assert.deepEqual(one.drivers[0].ioctls.map((ioctl) => [ioctl.name, ioctl.declaredOnly]), [['IOCTL_ONE', false], ['IOCTL_TWO', true]]);
  });

  it('gives one driver per folder and sums them', () => {
    const surface = surfaceOf({ '/w/gizmo/gizmo.c': KMDF_DRIVER, '/w/widget/widget.h': WDM_HEADER, '/w/widget/control.c': WDM_DRIVER, '/w/widget/query.c': WDM_HELPER });
    assert.deepEqual(surface.drivers.map((driver) => [driver.name, driver.model]), [['gizmo', 'KMDF'], ['widget', 'WDM']]);
    assert.equal(surface.summary.devices, 2);
    assert.equal(surface.summary.ioctls, 6);
    assert.equal(summaryLine(surface.summary), '2 devices, 6 IOCTLs, 1 open to any user, 2 METHOD_NEITHER, 2 FILE_ANY_ACCESS');
  });
});

describe('threat model document', () => {
  it('has the entry-point table, the data-flow diagram and STRIDE answers from the code', () => {
    const surface = surfaceOf({ '/w/widget/widget.h': WDM_HEADER, '/w/widget/control.c': WDM_DRIVER, '/w/widget/query.c': WDM_HELPER });
    const markdown = threatModelMarkdown(surface, { display: (file) => file.replace('/w/', '') });
    assert.match(markdown, /^# Threat model/);
    assert.match(markdown, /\| IOCTL_WG_PEEK \| 0x90002403 \| NEITHER \| FILE_ANY_ACCESS \| `WgControl \(inline\)` widget\/control\.c:18 \| Type3InputBuffer \| - \| 1 \|/);
    assert.match(markdown, /\| IOCTL_WG_QUERY \| 0x9000640A \| OUT_DIRECT \| FILE_READ_ACCESS \| `WgQuery` widget\/query\.c:4 \| MdlAddress \| Information \|/);
    assert.match(markdown, /```mermaid\nflowchart LR\n {2}subgraph user\["User mode \(untrusted\)"\]/);
    assert.match(markdown, /\*\*Elevation of privilege\*\* — .* \*Code:\* METHOD_NEITHER; FILE_ANY_ACCESS/);
    assert.match(markdown, /\*\*Spoofing\*\* — .*SDDL lets Everyone write/);
    assert.match(markdown, /\*\*Handled but not declared in these files\*\*: `0x9000E00C`/);
  });

  it('draws user process → I/O manager → device → handlers → kernel resources', () => {
    const surface = surfaceOf({ '/w/widget/widget.h': WDM_HEADER, '/w/widget/control.c': WDM_DRIVER, '/w/widget/query.c': WDM_HELPER });
    const diagram = dataFlowDiagram(surface.drivers[0]);
    assert.match(diagram, /app -- "CreateFile \\\?\?\\Widget<br\/>DeviceIoControl \/ ReadFile \/ WriteFile" --> io/);
    assert.match(diagram, /io -- "IRP" --> dev0/);
    assert.match(diagram, /dev0 -- "IOCTL_WG_QUERY<br\/>OUT_DIRECT, READ" --> h\d/);
    assert.match(diagram, /h\d\["WgQuery"\]/);
    assert.match(diagram, /r\d\[\("memory mappings"\)\]/);
  });

  it('draws the same flow as a standalone SVG the report embeds', () => {
    const surface = surfaceOf({ '/w/widget/widget.h': WDM_HEADER, '/w/widget/control.c': WDM_DRIVER, '/w/widget/query.c': WDM_HELPER });
    const svg = dataFlowSvg(surface.drivers[0]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.doesNotMatch(svg, /<script|href=|xlink/i, 'no script and no external reference');
    for (const text of ['trust boundary', 'User mode (untrusted)', 'I/O manager', '\\Device\\Widget', 'IOCTL_WG_PEEK', 'IOCTL_WG_QUERY', 'WgQuery', 'memory mappings']) assert.ok(svg.includes(text), text);
    const files = diagramFiles(surface, 'threat-model');
    assert.deepEqual([...files.values()], ['threat-model.widget.svg']);
    const markdown = threatModelMarkdown(surface, { diagramFile: (driver) => files.get(driver) });
    assert.match(markdown, /### Data flow\n\n!\[Data flow of widget\]\(threat-model\.widget\.svg\)\n\n<details><summary>Mermaid source<\/summary>\n\n```mermaid\n/);
  });
});
