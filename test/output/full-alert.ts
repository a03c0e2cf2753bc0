/**
 * An alert in the SIEM layout with every one of the 50 fields filled, each with a value of its
 * own, so that a test can tell which field went where. Built on Microsoft's 2020 response example
 * (test/fixtures/siem-api-alerts-msdocs.json) with its empty fields given values in the style of
 * the example values of Microsoft's alert-fields table.
 */
import type { SiemField } from '../../src/alert/to-siem.js';

export type FullAlert = Record<SiemField, string | number | boolean | null>;

export function fullAlert(overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const alert: FullAlert = {
    AlertTime: '2020-09-30T14:09:20.35743Z',
    ComputerDnsName: 'mymachine1.domain.com',
    AlertTitle: 'Suspicious File Activity',
    Category: 'Malware',
    Severity: 'High',
    AlertId: 'da637370718981685665_16349121',
    Actor: 'BORON',
    LinkToWDATP: 'https://securitycenter.windows.com/alert/da637370718981685665_16349121',
    IocName: 'Ioc name',
    IocValue: 'Ioc value',
    CreatorIocName: 'Creator ioc name',
    CreatorIocValue: 'Creator ioc value',
    Sha1: 'aabbccddee1122334455aabbccddee1122334455',
    FileName: 'cmdParent.exe',
    FilePath: 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty',
    IpAddress: '218.90.204.141',
    Url: 'down.esales360.cn',
    IoaDefinitionId: 'b20af1d2-5990-4672-87f1-acc2a8ff7725',
    UserName: 'liz.bean',
    AlertPart: 0,
    FullId: 'da637370718981685665_16349121:R4xEdgAvDb2LQl3BgHoA3NYqKmRSiIAG7dpxAJCYZhY=',
    LastProcessedTimeUtc: '2020-09-30T14:11:44.0779765Z',
    ThreatCategory: 'HackTool',
    ThreatFamily: 'Mikatz',
    ThreatName: 'HackTool:Win32/Mikatz!dha',
    RemediationAction: 'quarantine',
    RemediationIsSuccess: true,
    Source: 'EDR',
    Md5: '854b85cbff2752fcb88606bca76f83c6',
    Sha256: 'ebf54f745dc81e1958f75e4ca91dd0ab989fc9787bb6b0bf993e2f5',
    WasExecutingWhileDetected: false,
    UserDomain: 'CONTOSO',
    LogOnUsers: 'contoso\\liz-bean; contoso\\jay-hardee',
    MachineDomain: 'domain.com',
    MachineName: 'mymachine1',
    InternalIPv4List: '192.168.1.7, 10.1.14.1',
    InternalIPv6List: 'fd30:0000:0000:0001:ff4e:003e:0009:000e',
    FileHash: 'aabbccddee1122334455aabbccddee1122334455',
    DeviceID: 'deadbeef000040830ee54503926f556dcaf82bb0',
    MachineGroup: 'Servers',
    Description: 'Test Alert',
    DeviceCreatedMachineTags: 'tag1',
    CloudCreatedMachineTags: 'tag2',
    CommandLine: 'cmd.exe /c qwerty',
    IncidentLinkToWDATP: 'https://securitycenter.windows.com/incidents/byalert?alertId=da637370718981685665_16349121&source=SIEM',
    ReportID: 1053729833,
    LinkToMTP: 'https://security.microsoft.com/alert/da637370718981685665_16349121',
    IncidentLinkToMTP: 'https://security.microsoft.com/incidents/byalert?alertId=da637370718981685665_16349121&source=SIEM',
    ExternalId: '31DD0A845DDA4059FDEDE031014645350AECABD3',
    IocUniqueId: 'R4xEdgAvDb2LQl3BgHoA3NYqKmRSiIAG7dpxAJCYZhY=',
  };
  return { ...alert, ...overrides };
}
