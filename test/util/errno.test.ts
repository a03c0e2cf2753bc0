import { describe, expect, it } from 'vitest';
import { describeFileError, errnoCode, fileProblem } from '../../src/util/errno.js';

const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('the one errno wording table', () => {
  it('words every code that means "the path is wrong for us"', () => {
    expect(
      ['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EROFS', 'ENOSPC', 'EDQUOT'].map((c) =>
        fileProblem(err(c)),
      ),
    ).toEqual([
      'no such file',
      'permission denied',
      'permission denied',
      'it is a directory',
      'a part of the path is not a directory',
      'too many symbolic links',
      'the name is too long',
      'the file system is read-only',
      'no space left on the device',
      'the disk quota is used up',
    ]);
  });

  it('says "its directory does not exist" for a missing path when creating a file; the rest as when reading', () => {
    expect(fileProblem(err('ENOENT'), 'creating')).toBe('its directory does not exist');
    expect(fileProblem(err('EACCES'), 'creating')).toBe('permission denied');
    expect(fileProblem(err('ENOENT'), 'reading')).toBe('no such file');
  });

  it('has no words for an I/O error or a bug, so the caller lets those through', () => {
    expect(fileProblem(err('EIO'))).toBeUndefined();
    expect(fileProblem(new Error('no code'))).toBeUndefined();
    expect(fileProblem(undefined)).toBeUndefined();
    expect(fileProblem(Object.assign(new Error('x'), { code: 42 }))).toBeUndefined();
  });

  it('describeFileError falls back to the code, then to the error itself', () => {
    expect(describeFileError(err('EISDIR'))).toBe('it is a directory');
    expect(describeFileError(err('EIO'))).toBe('EIO');
    expect(describeFileError(new Error('odd'))).toBe('Error: odd');
    expect(describeFileError(err('ENOENT'), 'creating')).toBe('its directory does not exist');
  });

  it('errnoCode reads a string code only', () => {
    expect(errnoCode(err('ENOENT'))).toBe('ENOENT');
    expect(errnoCode(null)).toBeUndefined();
    expect(errnoCode({ code: 7 })).toBeUndefined();
  });
});
