/**
 * The raw material of generated alerts: Defender-like detection templates, machines, domains and
 * users. Titles, categories and sources follow what Defender for Endpoint emits; all names,
 * hosts and people are invented.
 */

export interface DetectionTemplate {
  title: string;
  category: string;
  severity: 'Informational' | 'Low' | 'Medium' | 'High';
  description: string;
  /** `EDR` for behavioural detections, `WindowsDefenderAv` for antivirus, `CustomerTI` for indicators. */
  source: 'EDR' | 'WindowsDefenderAv' | 'CustomerTI';
  /** The IOA rule id; stable per template as it is per rule in Defender. */
  ioaDefinitionId: string;
  files: readonly { name: string; path: string; commandLine?: string }[];
  threat?: { category: string; family: string; name: string };
  /** Antivirus detections carry remediation results. */
  remediation?: readonly string[];
  /** Indicator alerts carry an IoC. */
  ioc?: 'Url' | 'IpAddress';
  actor?: string;
}

const SYSTEM32 = 'C:\\Windows\\System32';
const POWERSHELL_DIR = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0';

export const DETECTION_TEMPLATES: readonly DetectionTemplate[] = [
  {
    title: 'Suspicious PowerShell command line',
    category: 'Execution',
    severity: 'Medium',
    description:
      'A suspicious PowerShell activity was observed on the machine. This behavior may indicate that PowerShell was used during installation, exploration, or in some cases in lateral movement activities.',
    source: 'EDR',
    ioaDefinitionId: 'b5d5e4a8-8d1c-4d4b-9d0a-3f0c7b2a5e11',
    files: [
      {
        name: 'powershell.exe',
        path: POWERSHELL_DIR,
        commandLine:
          'powershell.exe -NoP -NonI -W Hidden -Enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
      },
      {
        name: 'powershell.exe',
        path: 'C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0',
        commandLine: 'powershell.exe -ExecutionPolicy Bypass -File C:\\Users\\Public\\update.ps1',
      },
    ],
  },
  {
    title: 'Ransomware behavior detected in the file system',
    category: 'Ransomware',
    severity: 'High',
    description: 'A process was observed encrypting files and dropping ransom notes, a behavior typical of ransomware.',
    source: 'EDR',
    ioaDefinitionId: '2c4e9d7a-1f3b-4e5a-8c6d-7b9a0e1f2d33',
    files: [
      { name: 'svchost32.exe', path: 'C:\\ProgramData\\Microsoft\\Crypto', commandLine: 'svchost32.exe -enc -path C:\\Shares' },
      { name: 'README_RESTORE.txt', path: 'C:\\Shares\\Finance' },
    ],
    threat: { category: 'Ransom', family: 'Ryuk', name: 'Ransom:Win32/Ryuk.AB' },
  },
  {
    title: 'Mimikatz credential theft tool',
    category: 'CredentialAccess',
    severity: 'High',
    description:
      'The Mimikatz credential theft tool was detected on the machine. Attackers use it to harvest plain-text passwords and password hashes from memory.',
    source: 'WindowsDefenderAv',
    ioaDefinitionId: '6a1f5b2c-9e8d-4c7b-a6f5-4e3d2c1b0a44',
    files: [
      {
        name: 'mimikatz.exe',
        path: 'C:\\Users\\Public\\Downloads',
        commandLine: 'mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit',
      },
      { name: 'mimilib.dll', path: 'C:\\Windows\\Temp' },
    ],
    threat: { category: 'Tool', family: 'Mimikatz', name: 'HackTool:Win32/Mimikatz.D' },
    remediation: ['quarantine', 'remove', 'block'],
  },
  {
    title: 'Suspicious File Activity',
    category: 'Malware',
    severity: 'High',
    description: 'A file with a known malicious reputation was created or modified.',
    source: 'EDR',
    ioaDefinitionId: 'b20af1d2-5990-4672-87f1-acc2a8ff7725',
    files: [
      { name: 'cmdParent.exe', path: 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty' },
      { name: 'invoice_0412.js', path: 'C:\\Users\\Public\\Documents' },
    ],
  },
  {
    title: "'Emotet' malware was detected",
    category: 'Malware',
    severity: 'Medium',
    description: 'Emotet is a banking trojan and loader that spreads through malicious documents.',
    source: 'WindowsDefenderAv',
    ioaDefinitionId: '8f7e6d5c-4b3a-4291-8e7f-6a5b4c3d2e55',
    files: [
      { name: 'Invoice_2291.doc', path: 'C:\\Users\\Public\\Downloads' },
      { name: 'kbdlayout.exe', path: 'C:\\Windows\\SysWOW64' },
    ],
    threat: { category: 'Trojan', family: 'Emotet', name: 'Trojan:Win32/Emotet.ARJ!MTB' },
    remediation: ['quarantine', 'clean', 'remove'],
  },
  {
    title: 'Suspicious service creation',
    category: 'LateralMovement',
    severity: 'Medium',
    description:
      'A service was created remotely with a binary in an unusual location, a common lateral movement technique (PsExec-like tools).',
    source: 'EDR',
    ioaDefinitionId: '3d2c1b0a-9f8e-47d6-b5a4-c3b2a1f0e966',
    files: [
      { name: 'PSEXESVC.exe', path: 'C:\\Windows', commandLine: 'C:\\Windows\\PSEXESVC.exe' },
      { name: 'sc.exe', path: SYSTEM32, commandLine: 'sc.exe \\\\srv-fs01 create updsvc binPath= C:\\Windows\\Temp\\upd.exe' },
    ],
  },
  {
    title: 'Possible lateral movement using remote WMI',
    category: 'LateralMovement',
    severity: 'Medium',
    description: 'A process was started remotely through Windows Management Instrumentation.',
    source: 'EDR',
    ioaDefinitionId: '0e1f2d3c-4b5a-4968-8776-5a4b3c2d1e77',
    files: [
      { name: 'wmiprvse.exe', path: `${SYSTEM32}\\wbem`, commandLine: 'wmic /node:10.1.4.22 process call create "cmd.exe /c whoami"' },
    ],
  },
  {
    title: 'Sensitive credential memory read',
    category: 'CredentialAccess',
    severity: 'High',
    description: 'A process read the memory of the LSASS process, which holds credentials.',
    source: 'EDR',
    ioaDefinitionId: '7a6b5c4d-3e2f-4109-8a7b-6c5d4e3f2a88',
    files: [
      {
        name: 'rundll32.exe',
        path: SYSTEM32,
        commandLine: 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Windows\\Temp\\l.dmp full',
      },
    ],
  },
  {
    title: 'Suspicious process injection observed',
    category: 'DefenseEvasion',
    severity: 'Medium',
    description: 'A process injected code into another process, a technique used to hide malicious activity.',
    source: 'EDR',
    ioaDefinitionId: '5e4d3c2b-1a0f-49e8-97c6-b5a4f3e2d199',
    files: [{ name: 'notepad.exe', path: SYSTEM32 }],
  },
  {
    title: 'Anomalous account lookups',
    category: 'Discovery',
    severity: 'Low',
    description: 'An unusual number of account enumeration queries were made from this machine.',
    source: 'EDR',
    ioaDefinitionId: '9c8b7a6f-5e4d-4c3b-a291-0f9e8d7c6baa',
    files: [{ name: 'net.exe', path: SYSTEM32, commandLine: 'net.exe user /domain' }],
  },
  {
    title: 'Suspicious scheduled task',
    category: 'Persistence',
    severity: 'Low',
    description: 'A scheduled task was created to run a script from a user-writable folder at every logon.',
    source: 'EDR',
    ioaDefinitionId: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4dbb',
    files: [
      { name: 'schtasks.exe', path: SYSTEM32, commandLine: 'schtasks.exe /Create /SC ONLOGON /TN Updater /TR C:\\Users\\Public\\u.vbs' },
    ],
  },
  {
    title: 'Connection to a custom network indicator',
    category: 'SuspiciousActivity',
    severity: 'Informational',
    description: "A connection was made to an address on your organization's custom indicator list.",
    source: 'CustomerTI',
    ioaDefinitionId: '4f5e6d7c-8b9a-4a0b-9c1d-2e3f4a5b6ccc',
    files: [{ name: 'chrome.exe', path: 'C:\\Program Files\\Google\\Chrome\\Application' }],
    ioc: 'Url',
  },
  {
    title: 'Communication with a known command-and-control server',
    category: 'CommandAndControl',
    severity: 'High',
    description: 'A process connected to an IP address associated with attacker infrastructure.',
    source: 'EDR',
    ioaDefinitionId: '6d7c8b9a-0a1b-4c2d-8e3f-4a5b6c7d8edd',
    files: [{ name: 'rundll32.exe', path: SYSTEM32, commandLine: 'rundll32.exe C:\\Users\\Public\\x.dll,Start' }],
    ioc: 'IpAddress',
    actor: 'STRONTIUM',
  },
  {
    title: 'Unexpected behavior observed by a process ran with no command line arguments',
    category: 'SuspiciousActivity',
    severity: 'Medium',
    description: 'A process that normally runs with command-line arguments ran without any and behaved unexpectedly.',
    source: 'EDR',
    ioaDefinitionId: '8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2ee',
    files: [{ name: 'dllhost.exe', path: SYSTEM32, commandLine: 'dllhost.exe' }],
  },
  {
    title: "'Bynoco' malware was prevented",
    category: 'Malware',
    severity: 'Informational',
    description: 'Bynoco is a family of tools often seen in Cobalt Strike intrusions; Microsoft Defender Antivirus blocked it.',
    source: 'WindowsDefenderAv',
    ioaDefinitionId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3cff',
    files: [{ name: 'beacon.exe', path: 'C:\\Users\\Public\\Music' }],
    threat: { category: 'Trojan', family: 'Bynoco', name: 'Trojan:Win64/Bynoco!pz' },
    remediation: ['block', 'quarantine'],
  },
];

export const DOMAINS = [
  { dns: 'contoso.local', netbios: 'CONTOSO' },
  { dns: 'corp.fabrikam.com', netbios: 'FABRIKAM' },
  { dns: 'emea.woodgrove.net', netbios: 'WOODGROVE' },
] as const;

export const MACHINE_PREFIXES = ['desktop-', 'lt-', 'ws-', 'srv-', 'vdi-'] as const;

export const USERS = [
  'jdoe',
  'asmith',
  'mgarcia',
  'lchen',
  'okafor',
  'pnovak',
  'svc_backup',
  'administrator',
  'kwilliams',
  'rpatel',
  'ejohansson',
  'tnguyen',
] as const;

/** Device groups as the `machinegroups=` query parameter filters them; '' = ungrouped. */
export const MACHINE_GROUPS = ['UKMachines', 'FranceMachines', 'Servers', 'Finance', ''] as const;

export const DEVICE_TAGS = ['', '', 'VIP', 'Kiosk', 'Lab'] as const;
export const CLOUD_TAGS = ['', '', 'Finance', 'Laptops', 'ProductionServers'] as const;

export const IOC_URLS = [
  'http://update-check.example-cdn.net/a.php',
  'https://login-microsoftonline.example.org/common',
  'http://198.51.100.23/dl/beacon.bin',
] as const;

export const IOC_IPS = ['198.51.100.23', '203.0.113.77', '192.0.2.140'] as const;
