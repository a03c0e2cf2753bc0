/**
 * Microsoft's published example answers of the SIEM alert-export API, reproduced verbatim
 * (field order, `null`s, spelling and all). The simulator serves them among its generated alerts,
 * with only `LastProcessedTimeUtc` moved into its time window, so every client is tested against
 * the exact payloads the documentation promised.
 */
import type { SiemAlert } from './alert-types.js';

/**
 * The 2017 "Windows Defender ATP" example: 33 fields, absent values as `null`, the
 * `IoaDefinitiondId` typo, `Source: "Windows Defender ATP"`, an AlertId without the `da` prefix
 * and a 64-hex-digit IocUniqueId. Source: MicrosoftDocs/windows-itpro-docs,
 * windows/keep-secure/pull-alerts-using-rest-api-windows-defender-advanced-threat-protection.md
 * ("Here is an example return value").
 */
export const MSDOCS_EXAMPLE_2017: Readonly<SiemAlert> = Object.freeze({
  AlertTime: '2017-01-23T07:32:54.1861171Z',
  ComputerDnsName: 'desktop-bvccckk',
  AlertTitle: 'Suspicious PowerShell commandline',
  Category: 'SuspiciousActivity',
  Severity: 'Medium',
  AlertId: '636207535742330111_-1114309685',
  Actor: null,
  LinkToWDATP: 'https://securitycenter.windows.com/alert/636207535742330111_-1114309685',
  IocName: null,
  IocValue: null,
  CreatorIocName: null,
  CreatorIocValue: null,
  Sha1: '69484ca722b4285a234896a2e31707cbedc59ef9',
  FileName: 'powershell.exe',
  FilePath: 'C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0',
  IpAddress: null,
  Url: null,
  IoaDefinitiondId: '7f1c3609-a3ff-40e2-995b-c01770161d68',
  UserName: null,
  AlertPart: 0,
  FullId: '636207535742330111_-1114309685:9DE735BA9FF87725E392C6DFBEB2AF279035CDE229FCC00D28C0F3242C5A50AF',
  LastProcessedTimeUtc: '2017-01-23T11:33:45.0760449Z',
  ThreatCategory: null,
  ThreatFamily: null,
  ThreatName: null,
  RemediationAction: null,
  RemediationIsSuccess: null,
  Source: 'Windows Defender ATP',
  Md5: null,
  Sha256: null,
  WasExecutingWhileDetected: null,
  FileHash: '69484ca722b4285a234896a2e31707cbedc59ef9',
  IocUniqueId: '9DE735BA9FF87725E392C6DFBEB2AF279035CDE229FCC00D28C0F3242C5A50AF',
});

/**
 * The 2020 Defender for Endpoint example: all 50 fields, absent strings as `""`, the two
 * booleans `null`, `Source: "EDR"`. Source: MicrosoftDocs/microsoft-365-docs,
 * microsoft-365/security/defender-endpoint/pull-alerts-using-rest-api.md (response example);
 * also test/fixtures/siem-api-alerts-msdocs.json.
 */
export const MSDOCS_EXAMPLE_2020: Readonly<SiemAlert> = Object.freeze({
  AlertTime: '2020-09-30T14:09:20.35743Z',
  ComputerDnsName: 'mymachine1.domain.com',
  AlertTitle: 'Suspicious File Activity',
  Category: 'Malware',
  Severity: 'High',
  AlertId: 'da637370718981685665_16349121',
  Actor: '',
  LinkToWDATP: 'https://securitycenter.windows.com/alert/da637370718981685665_16349121',
  IocName: '',
  IocValue: '',
  CreatorIocName: '',
  CreatorIocValue: '',
  Sha1: 'aabbccddee1122334455aabbccddee1122334455',
  FileName: 'cmdParent.exe',
  FilePath: 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty',
  IpAddress: '',
  Url: '',
  IoaDefinitionId: 'b20af1d2-5990-4672-87f1-acc2a8ff7725',
  UserName: '',
  AlertPart: 0,
  FullId: 'da637370718981685665_16349121:R4xEdgAvDb2LQl3BgHoA3NYqKmRSiIAG7dpxAJCYZhY=',
  LastProcessedTimeUtc: '2020-09-30T14:11:44.0779765Z',
  ThreatCategory: '',
  ThreatFamily: '',
  ThreatName: '',
  RemediationAction: '',
  RemediationIsSuccess: null,
  Source: 'EDR',
  Md5: '854b85cbff2752fcb88606bca76f83c6',
  Sha256: '',
  WasExecutingWhileDetected: null,
  UserDomain: '',
  LogOnUsers: '',
  MachineDomain: 'domain.com',
  MachineName: 'mymachine1',
  InternalIPv4List: '',
  InternalIPv6List: '',
  FileHash: 'aabbccddee1122334455aabbccddee1122334455',
  DeviceID: 'deadbeef000040830ee54503926f556dcaf82bb0',
  MachineGroup: '',
  Description: 'Test Alert',
  DeviceCreatedMachineTags: '',
  CloudCreatedMachineTags: '',
  CommandLine: '',
  IncidentLinkToWDATP: 'https://securitycenter.windows.com/incidents/byalert?alertId=da637370718981685665_16349121&source=SIEM',
  ReportID: 1053729833,
  LinkToMTP: 'https://security.microsoft.com/alert/da637370718981685665_16349121',
  IncidentLinkToMTP: 'https://security.microsoft.com/incidents/byalert?alertId=da637370718981685665_16349121&source=SIEM',
  ExternalId: '31DD0A845DDA4059FDEDE031014645350AECABD3',
  IocUniqueId: 'R4xEdgAvDb2LQl3BgHoA3NYqKmRSiIAG7dpxAJCYZhY=',
});
