import { runRuleTests } from '../helpers/rule-tester';

const CREATE = (characteristics: string, name = '&name') => `NTSTATUS C(PDRIVER_OBJECT DriverObject) {\n    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\Device\\\\X");\n    PDEVICE_OBJECT device;\n    return IoCreateDevice(DriverObject, 0, ${name}, FILE_DEVICE_UNKNOWN, ${characteristics}, FALSE, &device);\n}`;

runRuleTests('device-not-secure-open', {
  valid: [
    CREATE('FILE_DEVICE_SECURE_OPEN'),
    { name: 'unnamed device (filter or PDO)', code: CREATE('0', 'NULL') },
    { name: 'characteristics from a variable are not judged', code: CREATE('characteristics') },
    CREATE('FILE_DEVICE_SECURE_OPEN | FILE_CHARACTERISTIC_PNP_DEVICE'),
  ],
  invalid: [
    { code: CREATE('0'), errors: [{ messageId: 'missing', line: 4, message: 'IoCreateDevice' }], output: CREATE('FILE_DEVICE_SECURE_OPEN') },
    { name: 'other flags kept', code: CREATE('FILE_CHARACTERISTIC_PNP_DEVICE'), errors: [{ messageId: 'missing' }], output: CREATE('FILE_CHARACTERISTIC_PNP_DEVICE | FILE_DEVICE_SECURE_OPEN') },
  ],
});
