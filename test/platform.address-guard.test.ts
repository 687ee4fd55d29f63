import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { environmentProblems } from '../worker/env';
import {
  AddressRefused,
  checkHostPort,
  checkUrl,
  classifyAddress,
  privateAddressesAllowed,
} from '../worker/platform/address-guard';

const strict = { allowPrivate: false };
const local = { allowPrivate: true };

async function refusal(check: Promise<unknown>): Promise<string> {
  try {
    await check;
  } catch (error) {
    if (error instanceof AddressRefused) return error.message;
    throw error;
  }
  throw new Error('the address was accepted');
}

describe('happy', () => {
  it('classifies addresses written every way they can be', () => {
    expect(classifyAddress('93.184.215.14')).toBe('public');
    expect(classifyAddress('2606:4700:4700::1111')).toBe('public');
    expect(classifyAddress('127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::1')).toBe('loopback');
    expect(classifyAddress('10.20.30.40')).toBe('private');
    expect(classifyAddress('172.31.255.255')).toBe('private');
    expect(classifyAddress('172.32.0.1')).toBe('public');
    expect(classifyAddress('192.168.1.1')).toBe('private');
    expect(classifyAddress('fd12:3456::1')).toBe('private');
    expect(classifyAddress('169.254.1.1')).toBe('link-local');
    expect(classifyAddress('fe80::1')).toBe('link-local');
    expect(classifyAddress('100.64.0.1')).toBe('cgnat');
    expect(classifyAddress('100.127.255.255')).toBe('cgnat');
    expect(classifyAddress('169.254.169.254')).toBe('metadata');
    expect(classifyAddress('fd00:ec2::254')).toBe('metadata');
    expect(classifyAddress('0.0.0.0')).toBe('unspecified');
    expect(classifyAddress('::')).toBe('unspecified');
    expect(classifyAddress('224.0.0.1')).toBe('multicast');
    expect(classifyAddress('255.255.255.255')).toBe('reserved');
    // IPv6 forms that carry an IPv4 address reach that address.
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('metadata');
    expect(classifyAddress('64:ff9b::10.0.0.1')).toBe('private');
    expect(classifyAddress('2002:c0a8:0101::1')).toBe('private');
  });

  it('accepts a public https URL, by literal and by resolution', async () => {
    await expect(checkUrl('https://93.184.215.14/hook', strict)).resolves.toEqual({
      host: '93.184.215.14',
      addresses: ['93.184.215.14'],
    });
    await expect(checkUrl('https://93-184-215-14.ip.nitilens.test/hook', strict)).resolves.toEqual({
      host: '93-184-215-14.ip.nitilens.test',
      addresses: ['93.184.215.14'],
    });
  });

  it('lets local development use http, loopback and private addresses, but never metadata or link-local', async () => {
    await expect(checkUrl('http://127.0.0.1:8080/hook', local)).resolves.toBeDefined();
    await expect(checkUrl('http://localhost:8080/hook', local)).resolves.toBeDefined();
    await expect(checkUrl('https://10-1-2-3.ip.nitilens.test/', local)).resolves.toBeDefined();
    expect(await refusal(checkUrl('http://169.254.169.254/latest/meta-data', local))).toContain('metadata');
    expect(await refusal(checkUrl('http://[fd00:ec2::254]/', local))).toContain('metadata');
    expect(await refusal(checkUrl('http://[fe80::1]/', local))).toContain('link-local');
    expect(await refusal(checkUrl('http://100.64.1.1/', local))).toContain('carrier-grade NAT');
  });

  it('checks host and port pairs the same way (database hosts)', async () => {
    await expect(checkHostPort('93.184.215.14', 5432, strict)).resolves.toBeDefined();
    await expect(checkHostPort('127.0.0.1', 5432, local)).resolves.toBeDefined();
    expect(await refusal(checkHostPort('127.0.0.1', 5432, strict))).toContain('loopback');
    expect(await refusal(checkHostPort('::1', 3306, strict))).toContain('loopback');
    expect(await refusal(checkHostPort('10-0-0-5.ip.nitilens.test', 5432, strict))).toContain('private');
    expect(await refusal(checkHostPort('db.example', 0, strict))).toContain('port');
  });
});

describe('security', () => {
  it('refuses http and every internal address in production settings', async () => {
    expect(await refusal(checkUrl('http://93.184.215.14/hook', strict))).toBe('must use https');
    expect(await refusal(checkUrl('ftp://93.184.215.14/', strict))).toBe('must use https');
    expect(await refusal(checkUrl('not a url', strict))).toBe('is not a valid URL');
    for (const host of ['127.0.0.1', '10.0.0.1', '[::1]', '[fc00::1]', '169.254.169.254', '100.100.100.200']) {
      await expect(checkUrl(`https://${host}/`, strict)).rejects.toBeInstanceOf(AddressRefused);
    }
  });

  it('sees through other spellings of an address', async () => {
    // The URL parser turns these into 127.0.0.1 and ::ffff:7f00:1; the guard checks what they are.
    for (const url of ['https://2130706433/', 'https://0x7f.1/', 'https://127.1/', 'https://[::ffff:127.0.0.1]/']) {
      expect(await refusal(checkUrl(url, strict))).toContain('loopback');
    }
    expect(await refusal(checkUrl('https://localhost./', strict))).toContain('loopback');
    expect(await refusal(checkUrl('https://api.localhost/', strict))).toContain('loopback');
    expect(await refusal(checkUrl('https://metadata.google.internal/', local))).toContain('metadata');
  });

  it('refuses a name that resolves to an internal address, and one that does not resolve', async () => {
    expect(await refusal(checkUrl('https://169-254-169-254.ip.nitilens.test/', local))).toContain(
      'cloud metadata address: 169-254-169-254.ip.nitilens.test (169.254.169.254)',
    );
    expect(await refusal(checkUrl('https://192-168-0-10.ip.nitilens.test/', strict))).toContain('private');
    const unresolved = await checkUrl('https://no-such-name.nitilens.test/', strict).catch((error) => error);
    expect(unresolved).toBeInstanceOf(AddressRefused);
    expect(unresolved.temporary).toBe(true);
  });
});

describe('configuration', () => {
  it('refuses ALERT_ALLOW_PRIVATE_URLS and CONNECTOR_ALLOW_PRIVATE_HOSTS in production, and malformed email and link settings', () => {
    expect(privateAddressesAllowed('true', 'development')).toBe(true);
    expect(privateAddressesAllowed('true', 'production')).toBe(false);
    expect(privateAddressesAllowed('yes', 'development')).toBe(false);
    expect(environmentProblems(env)).toEqual([]);
    expect(
      environmentProblems({
        ...env,
        APP_ENV: 'production',
        PASSWORD_COST: undefined,
        SMTP_URL: 'mail.example.com:587',
        SMTP_FROM: 'NitiLens',
        APP_BASE_URL: 'app.example.com',
      }),
    ).toEqual([
      'ALERT_ALLOW_PRIVATE_URLS=true is refused in production',
      'CONNECTOR_ALLOW_PRIVATE_HOSTS=true is refused in production',
      'SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port',
      'SMTP_FROM must be an email address (alerts@example.com)',
      'APP_BASE_URL must be an http(s) URL (https://app.example.com)',
    ]);
  });
});
