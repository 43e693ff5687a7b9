#!/usr/bin/env bash
# The binary must need nothing but glibc: ldd lists only glibc's own libraries and the loader, and the
# newest glibc symbol version it needs is the one README.md states. Usage: portable_test.sh BINARY README
set -u
bin="$1"
readme="$2"
bad=$(ldd "$bin" | awk '{print $1}' | grep -vE '^(linux-vdso\.so\.1|linux-gate\.so\.1|/lib(64)?/ld-linux[-a-z0-9_.]*\.so\.[0-9]+|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|lib(c|m|dl|pthread|rt)\.so\.[0-9]+)$')
if [ -n "$bad" ]; then
  echo "FAIL: the binary links libraries other than glibc's:"; echo "$bad"; ldd "$bin"; exit 1
fi
need=$(objdump -T "$bin" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sort -t. -k2 -n -u | tail -1 | sed 's/GLIBC_//')
stated=$(grep -oE 'glibc [0-9]+\.[0-9]+ or newer' "$readme" | head -1 | grep -oE '[0-9]+\.[0-9]+')
if [ "$need" != "$stated" ]; then
  echo "FAIL: the binary needs glibc $need but README.md states '$stated'"; exit 1
fi
echo "portable: only glibc libraries; needs glibc $need or newer"
echo "2 passed, 0 failed"
