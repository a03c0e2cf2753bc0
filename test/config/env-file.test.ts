/**
 * `--env-file` read whole: its lines checked (with the line number of each problem), its names
 * checked against the variables the tool reads, the process environment layered over it (proxy
 * variables in either case), and a NODE_EXTRA_CA_CERTS it names loaded as Node would have.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../src/context/environment.js';
import { layerEnvironment, parseEnvFile } from '../../src/config/env-file.js';
import { checkNames, KNOWN_VARIABLES } from '../../src/config/env-names.js';
import { readCaCertificates, readEnvFile } from '../../src/config/files.js';
import { UsageError } from '../../src/errors.js';
import { trustedCertificates } from '../../src/http/dispatcher.js';
import { TransportError } from '../../src/http/errors.js';
import { send } from '../../src/http/send.js';
import { closestName, editDistance } from '../../src/util/edit-distance.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { dispatcherPerTest } from '../helpers/dispatcher.js';
import { rejection } from '../helpers/rejection.js';
import { makeTestCert, type TestCert } from '../helpers/tls.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let cert: TestCert;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-env-file-'));
  cert = await makeTestCert();
});

/** The problems of a text, as `line: message`. */
const problemsOf = (text: string): string[] => parseEnvFile(text).problems.map((p) => `${p.line}: ${p.message}`);

describe('the lines of an env file', () => {
  it('reads KEY=VALUE, export, the three quotes, comments, blank lines, CRLF and a byte-order mark', () => {
    const text = [
      '\uFEFF# defender-alerts',
      'DEFENDER_API=graph',
      '',
      'export AZURE_TENANT_ID=contoso.onmicrosoft.com',
      '  AZURE_CLIENT_ID = 00000000-0000-4000-8000-0000000000c1  ',
      'AZURE_CLIENT_SECRET="a b#c" # the value',
      "DEFENDER_REGION='eu'",
      'DEFENDER_RESOURCE=`https://graph.windows.net`\r',
      'DEFENDER_LOG_LEVEL=warn # unquoted: up to the #',
      'DEFENDER_STATE_FILE=',
    ].join('\n');
    const parsed = parseEnvFile(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.values).toEqual({
      DEFENDER_API: 'graph',
      AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      AZURE_CLIENT_ID: '00000000-0000-4000-8000-0000000000c1',
      AZURE_CLIENT_SECRET: 'a b#c',
      DEFENDER_REGION: 'eu',
      DEFENDER_RESOURCE: 'https://graph.windows.net',
      DEFENDER_LOG_LEVEL: 'warn',
      DEFENDER_STATE_FILE: '',
    });
    expect(parsed.entries.map((e) => `${e.line} ${e.key}`)).toEqual([
      '2 DEFENDER_API',
      '4 AZURE_TENANT_ID',
      '5 AZURE_CLIENT_ID',
      '6 AZURE_CLIENT_SECRET',
      '7 DEFENDER_REGION',
      '8 DEFENDER_RESOURCE',
      '9 DEFENDER_LOG_LEVEL',
      '10 DEFENDER_STATE_FILE',
    ]);
  });

  it('gives each value as Node’s own parser does (util.parseEnv) when every line is valid', () => {
    const text = [
      'A=plain',
      'B = spaced out ',
      'C="double \\n newline"',
      "D='single \\n kept'",
      'E=`back`',
      'F="x" # comment',
      'G=a=b=c',
      'H="multi',
      'line"',
      'I=',
    ].join('\n');
    expect(parseEnvFile(text).values).toEqual(parseEnv(text));
  });

  it('keeps a quoted value that spans lines (a PEM in double quotes), and counts the lines after it', () => {
    const text = ['FIRST=1', 'PEM="-----BEGIN X-----', 'abc', '# not a comment here', '-----END X-----"', 'nonsense', 'LAST=2'].join('\n');
    const parsed = parseEnvFile(text);
    expect(parsed.values['PEM']).toBe('-----BEGIN X-----\nabc\n# not a comment here\n-----END X-----');
    expect(parsed.values['LAST']).toBe('2');
    expect(problemsOf(text)).toEqual(['6: expected KEY=VALUE, a # comment or a blank line']);
  });

  it('names the line of every line that is not KEY=VALUE, a comment or blank, and reads the rest', () => {
    const text = ['DEFENDER_API=graph', 'foo bar', 'AZURE_TENANT_ID=t', 'DEFENDER_REGION: eu', 'export', '1X=2', '=x'].join('\n');
    expect(problemsOf(text)).toEqual([
      '2: expected KEY=VALUE, a # comment or a blank line',
      '4: expected KEY=VALUE, a # comment or a blank line',
      '5: expected KEY=VALUE, a # comment or a blank line',
      '6: the name before "=" is not a variable name (letters, digits and _, not starting with a digit)',
      '7: the name before "=" is not a variable name (letters, digits and _, not starting with a digit)',
    ]);
    // Some Node 20 releases' parseEnv read 'foo bar\nAZURE_TENANT_ID' as one name and lost the setting.
    expect(parseEnvFile(text).values).toEqual({ DEFENDER_API: 'graph', AZURE_TENANT_ID: 't' });
  });

  it('refuses a quote that never closes, and text after a closing quote', () => {
    expect(problemsOf('A="open\nB=1')).toEqual(['1: the " that opens the value of A is never closed']);
    expect(parseEnvFile('A="open\nB=1').values).toEqual({ B: '1' });
    expect(problemsOf('A="say "hi""')).toEqual([
      '1: text follows the closing " of A\'s value: quote the whole value, with another kind of quotes if it holds a "',
    ]);
    expect(problemsOf("A='one\ntwo' three")).toEqual([
      "2: text follows the closing ' of A's value (opened on line 1): quote the whole value, with another kind of quotes if it holds a '",
    ]);
  });

  it('never quotes a bad line, which may be a secret pasted in the wrong place', () => {
    const secret = 'Q~8xYz.secret-value_0123456789abcdefghij';
    const messages = parseEnvFile(`AZURE_CLIENT_SECRET\n${secret}\n${secret}=`).problems.map((p) => p.message);
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain('secret-value');
  });
});

describe('the names of an env file', () => {
  const judged = (...keys: string[]) => checkNames(keys.map((key, i) => ({ key, line: i + 1 })));
  const problems = (...keys: string[]) => judged(...keys).problems.map((p) => p.message);
  const warnings = (...keys: string[]) => judged(...keys).warnings.map((w) => w.message);

  it('an unknown DEFENDER_ name is an error, with the name meant', () => {
    expect(problems('DEFENDER_APl')).toEqual(['unknown setting DEFENDER_APl — did you mean DEFENDER_API?']);
    expect(problems('DEFENDER_PAI', 'defender_region', 'DEFENDER_STATEFILE')).toEqual([
      'unknown setting DEFENDER_PAI — did you mean DEFENDER_API?',
      'unknown setting defender_region — did you mean DEFENDER_REGION?',
      'unknown setting DEFENDER_STATEFILE — did you mean DEFENDER_STATE_FILE?',
    ]);
  });

  it('suggests the Azure name, the variable of a flag, or says the flag has none', () => {
    expect(problems('DEFENDER_TENANT_ID', 'DEFENDER_TENANT', 'DEFENDER_STATE', 'DEFENDER_TIMEOUT')).toEqual([
      'unknown setting DEFENDER_TENANT_ID — did you mean AZURE_TENANT_ID?',
      'unknown setting DEFENDER_TENANT — did you mean AZURE_TENANT_ID?',
      'unknown setting DEFENDER_STATE — did you mean DEFENDER_STATE_FILE?',
      'unknown setting DEFENDER_TIMEOUT — --timeout has no environment variable; give it as a flag',
    ]);
    expect(problems('DEFENDER_XYZZY')).toEqual(['unknown setting DEFENDER_XYZZY; --help lists every setting with its variable']);
  });

  it('an AZURE_ name close to one of ours is an error; any other is a warning (the Azure SDKs and az share the prefix)', () => {
    expect(problems('AZURE_TENNANT_ID', 'azure_client_id', 'AZURE_CLIENT_SECRETS')).toEqual([
      'unknown setting AZURE_TENNANT_ID — did you mean AZURE_TENANT_ID?',
      'unknown setting azure_client_id — did you mean AZURE_CLIENT_ID?',
      'unknown setting AZURE_CLIENT_SECRETS — did you mean AZURE_CLIENT_SECRET?',
    ]);
    expect(judged('AZURE_FEDERATED_TOKEN_FILE', 'AZURE_SUBSCRIPTION_ID', 'AZURE_TENANT').problems).toEqual([]);
    expect(warnings('AZURE_FEDERATED_TOKEN_FILE', 'AZURE_TENANT')).toEqual([
      'AZURE_FEDERATED_TOKEN_FILE is not a defender-alerts setting; ignored',
      'AZURE_TENANT is not a defender-alerts setting (did you mean AZURE_TENANT_ID?); ignored',
    ]);
  });

  it('other names pass, but a near miss of NODE_EXTRA_CA_CERTS gets a warning', () => {
    expect(judged('PATH', 'FTP_PROXY', 'https_proxy', 'NO_PROXY', 'NODE_OPTIONS')).toEqual({ problems: [], warnings: [] });
    expect(warnings('NODE_EXTRA_CA_CERT', 'node_extra_ca_certs')).toEqual([
      'NODE_EXTRA_CA_CERT is ignored — did you mean NODE_EXTRA_CA_CERTS?',
      'node_extra_ca_certs is ignored — did you mean NODE_EXTRA_CA_CERTS?',
    ]);
  });

  it('knows every AZURE_/DEFENDER_ variable the code reads', () => {
    const sources = (d: string): string[] =>
      readdirSync(d).flatMap((name) => {
        const path = join(d, name);
        return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
      });
    const named = sources(join(root, 'src'))
      .filter((file) => !file.endsWith('env-names.ts'))
      .flatMap((file) => readFileSync(file, 'utf8').match(/\b(?:AZURE|DEFENDER)_[A-Z_]+\b/g) ?? []);
    expect(named.length).toBeGreaterThan(10);
    for (const name of new Set(named)) expect(KNOWN_VARIABLES.has(name), name).toBe(true);
  });

  it('passes every variable .env.example shows, commented out or not', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const shown = [...example.matchAll(/^#? ?([A-Za-z_]\w*)=/gm)].map((m) => m[1] ?? '');
    expect(shown).toContain('NODE_EXTRA_CA_CERTS');
    expect(judged(...shown)).toEqual({ problems: [], warnings: [] });
    expect(parseEnvFile(example).problems).toEqual([]); // a copy is a valid env file
  });
});

describe('the edit distance behind the suggestions', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one step each', () => {
    expect(editDistance('API', 'API')).toBe(0);
    expect(editDistance('APl', 'API')).toBe(1);
    expect(editDistance('PAI', 'API')).toBe(1);
    expect(editDistance('STATEFILE', 'STATE_FILE')).toBe(1);
    expect(editDistance('TENANTS', 'TENANT')).toBe(1);
    expect(editDistance('', 'ABC')).toBe(3);
    expect(editDistance('KITTEN', 'SITTING')).toBe(3);
  });

  it('picks the closest candidate within reach, the first of equals', () => {
    expect(closestName('APX', ['AUTH', 'API', 'APP'], 2)).toBe('API');
    expect(closestName('XYZZY', ['API'], 2)).toBeUndefined();
  });
});

describe('readEnvFile', () => {
  it('reports every problem of the file at once, by line, naming the file', async () => {
    const path = join(dir, 'bad.env');
    await writeFile(path, ['# settings', 'AZURE_TENANT_ID=t', 'DEFENDER_APl=graph', 'foo bar'].join('\n'));
    const err = await rejection(readEnvFile(path));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      [
        `--env-file "${path}" (2 problems):`,
        '  line 3: unknown setting DEFENDER_APl — did you mean DEFENDER_API?',
        '  line 4: expected KEY=VALUE, a # comment or a blank line',
      ].join('\n'),
    );
    expect((err as UsageError).problems).toEqual([
      'line 3: unknown setting DEFENDER_APl — did you mean DEFENDER_API?',
      'line 4: expected KEY=VALUE, a # comment or a blank line',
    ]);
  });

  it('returns the values and adds the warnings, naming file and line', async () => {
    const path = join(dir, 'shared.env');
    await writeFile(path, 'AZURE_TENANT_ID=t\nAZURE_SUBSCRIPTION_ID=s\n');
    const warnings: string[] = [];
    await expect(readEnvFile(path, warnings)).resolves.toEqual({ AZURE_TENANT_ID: 't', AZURE_SUBSCRIPTION_ID: 's' });
    expect(warnings).toEqual([`--env-file "${path}" line 2: AZURE_SUBSCRIPTION_ID is not a defender-alerts setting; ignored`]);
  });
});

describe('the process environment over the env file', () => {
  it('wins for each variable', () => {
    expect(layerEnvironment({ A: 'file', B: 'file' }, { A: 'env', C: 'env' })).toEqual({ A: 'env', B: 'file', C: 'env' });
  });

  it('wins for a proxy variable in either case, though the lower-case form is read first', () => {
    const file = { https_proxy: 'http://file:1', no_proxy: 'file.example', HTTP_PROXY: 'http://file:2' };
    expect(layerEnvironment(file, { HTTPS_PROXY: 'http://env:1' })).toEqual({
      HTTPS_PROXY: 'http://env:1',
      no_proxy: 'file.example',
      HTTP_PROXY: 'http://file:2',
    });
    expect(layerEnvironment(file, { no_proxy: '' })['no_proxy']).toBe('');
  });

  it('leaves a NODE_EXTRA_CA_CERTS of the process environment to Node, which loaded it at start-up', async () => {
    const path = join(dir, 'ca.env');
    await writeFile(path, 'NODE_EXTRA_CA_CERTS=/from/the/file.pem\n');
    const fromFile = await loadEnvironment({ envFile: path }, { env: {} });
    expect(fromFile.extraCaFile).toBe('/from/the/file.pem');
    const fromEnv = await loadEnvironment({ envFile: path }, { env: { NODE_EXTRA_CA_CERTS: '/from/the/env.pem' } });
    expect(fromEnv.extraCaFile).toBeUndefined();
    expect(fromEnv.env['NODE_EXTRA_CA_CERTS']).toBe('/from/the/env.pem');
  });
});

describe('NODE_EXTRA_CA_CERTS from the env file', () => {
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const refusal = async (path: string): Promise<UsageError> => {
    const err = await rejection(readCaCertificates(path, '/etc/defender.env'));
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  };

  it('reads every certificate of a PEM bundle, text around them ignored', async () => {
    const other = await makeTestCert(['other.example']);
    const path = await write('bundle.pem', `# corporate CAs\n${cert.certPem}\n${other.certPem}`);
    const certificates = await readCaCertificates(path, '/etc/defender.env');
    expect(certificates.map((c) => c.trim())).toEqual([cert.certPem.trim(), other.certPem.trim()]);
  });

  it('a missing file, one without a certificate, and a broken certificate: exit 2 naming the file and the fix', async () => {
    const missing = await refusal(join(dir, 'nope.pem'));
    expect(missing.message).toBe(`cannot read NODE_EXTRA_CA_CERTS "${join(dir, 'nope.pem')}": no such file`);
    expect(missing.hint).toContain('NODE_EXTRA_CA_CERTS in --env-file "/etc/defender.env" must name a PEM file of CA certificates');
    const der = await write('ca.der', '\u0030\u0082\u0001\u000a garbage');
    expect((await refusal(der)).message).toBe(`NODE_EXTRA_CA_CERTS "${der}" holds no PEM certificate`);
    expect((await refusal(der)).hint).toContain('openssl x509 -inform der');
    const broken = await write(
      'broken.pem',
      `${cert.certPem}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`,
    );
    expect((await refusal(broken)).message).toBe(`certificate 2 of NODE_EXTRA_CA_CERTS "${broken}" is not a valid certificate`);
  });

  it('adds to Node’s default CA certificates rather than replacing them, as Node does', () => {
    const trusted = trustedCertificates([cert.certPem]);
    expect(trusted).toEqual(expect.arrayContaining([...rootCertificates]));
    expect(trusted.at(-1)).toBe(cert.certPem);
  });

  describe('given to the dispatcher', () => {
    let origin: URL;
    let close: () => Promise<void>;
    beforeAll(async () => {
      const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('trusted'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      close = () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
    });
    afterAll(async () => {
      await close();
    });
    const dispatcher = dispatcherPerTest();
    const get = async (opts: { extraCa?: string[]; env?: Record<string, string> }): Promise<string> => {
      const sent = await send({ method: 'GET', url: origin }, { dispatcher: dispatcher(opts) });
      const parts: Buffer[] = [];
      for await (const chunk of sent.body) parts.push(chunk);
      return Buffer.concat(parts).toString('utf8');
    };

    it('makes TLS trust the extra CA, direct and inside a proxy tunnel', async () => {
      const untrusted = await rejection(get({}));
      expect(untrusted).toBeInstanceOf(TransportError);
      expect((untrusted as TransportError).transportCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(await get({ extraCa: [cert.certPem] })).toBe('trusted');
      const proxy = await startConnectProxy();
      try {
        expect(await get({ extraCa: [cert.certPem], env: { HTTPS_PROXY: proxy.url } })).toBe('trusted');
        expect(proxy.connects).toEqual([origin.host]);
      } finally {
        await proxy.close();
      }
    });
  });
});
