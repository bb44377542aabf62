#!/bin/bash
# test-native.sh - runs every guest program natively on this Linux host and checks stdout and exit status.
# Usage: ./test-native.sh [BIN_DIR]   (default target/bin; runs inside a fresh temp dir)
set -u

BIN=$(cd "${1:-target/bin}" && pwd) || exit 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2
ulimit -c 0
passed=0
failed=0

# expect NAME STATUS CMD...  (expected stdout on our stdin): runs CMD with stdin from /dev/null.
expect() {
    local name=$1 want=$2 got
    shift 2
    cat >expected.out
    { "$@" </dev/null >actual.out 2>actual.err; } 2>shell.err
    got=$?
    if [ "$got" -eq "$want" ] && cmp -s expected.out actual.out; then
        passed=$((passed + 1))
        echo "PASS  $name"
    else
        failed=$((failed + 1))
        echo "FAIL  $name: exit status $got (want $want)"
        diff expected.out actual.out | sed 's/^/      /' | head -40
        sed 's/^/      stderr: /' actual.err | head -10
    fi
}

# ok NAME CONDITION...: a plain shell-side check.
ok() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "PASS  $name"
    else
        failed=$((failed + 1))
        echo "FAIL  $name"
    fi
}

expect hello 0 "$BIN/hello" <<'EOF'
hello, world
EOF

expect args 0 env -i A=1 "B=two words" "$BIN/args" x "y z" <<EOF
argc=3
argv[0]=$BIN/args
argv[1]=x
argv[2]=y z
envp[0]=A=1
envp[1]=B=two words
EOF

expect "compute 3" 0 "$BIN/compute" 3 <<'EOF'
compute: 3 rounds, checksum 0x1f48977e0db956e1
EOF
expect "exitcode 42" 42 "$BIN/exitcode" 42 </dev/null
expect "exitcode 0" 0 "$BIN/exitcode" 0 </dev/null
expect "exitcode 255" 255 "$BIN/exitcode" 255 </dev/null
expect "exitcode (no arg)" 0 "$BIN/exitcode" </dev/null

expect anon 139 "$BIN/anon" <<'EOF'
anon: mapped 16 pages
anon: fresh pages read as zero
anon: wrote 16 pages
anon: verified 16 pages
anon: unmapped 16 pages
anon: touching unmapped page (expect SIGSEGV)
EOF

expect brk 0 "$BIN/brk" <<'EOF'
brk: grew heap by 8 pages
brk: wrote and verified 8 pages
brk: shrank to 4 pages, contents intact
brk: shrank to the initial break
brk: regrew 8 pages, all read as zero
brk: ok
EOF

seq 1 3000 | head -c 8192 >cow.dat
cp cow.dat cow.orig
expect "cow (default file)" 0 "$BIN/cow" <<'EOF'
cow: read 64 bytes of cow.dat (size 8192)
cow: wrote 16 bytes through the MAP_PRIVATE mapping
cow: file unchanged (pread)
cow: fresh shared mapping unchanged
cow: ok
EOF
ok "cow leaves the file unchanged" cmp -s cow.dat cow.orig
printf 'short file, 30 bytes long....\n' >small.dat
expect "cow small.dat" 0 "$BIN/cow" small.dat <<'EOF'
cow: read 30 bytes of small.dat (size 30)
cow: wrote 16 bytes through the MAP_PRIVATE mapping
cow: file unchanged (pread)
cow: fresh shared mapping unchanged
cow: ok
EOF

expect racecount 0 "$BIN/racecount" <<'EOF'
racecount: total 4 (expected 4)
racecount: ok
EOF

expect "msyncloop 100000" 0 "$BIN/msyncloop" ml.dat 100000 <<'EOF'
msyncloop: 100000 stores, then the file holds the last one
msyncloop: ok
EOF

expect threads 0 "$BIN/threads" <<'EOF'
threads: 4 threads x 10000 increments
threads: joined 4 threads
threads: per-thread TLS and tids ok
threads: total 40000 (expected 40000)
threads: ok
EOF
expect "threads 2 50000" 0 "$BIN/threads" 2 50000 <<'EOF'
threads: 2 threads x 50000 increments
threads: joined 2 threads
threads: per-thread TLS and tids ok
threads: total 100000 (expected 100000)
threads: ok
EOF
expect "threads 5 (rejected)" 2 "$BIN/threads" 5 <<'EOF'
usage: threads [THREADS 2..4] [ITERATIONS]
EOF

expect faultstorm 0 "$BIN/faultstorm" <<'EOF'
faultstorm: touched 10000 pages
EOF
expect "faultstorm 100" 0 "$BIN/faultstorm" 100 <<'EOF'
faultstorm: touched 100 pages
EOF

expect crunch 0 "$BIN/crunch" <<'EOF'
crunch: 1024 KiB -> 638722 bytes, checksum 0x774201db630ff573
EOF
expect "crunch 64 7" 0 "$BIN/crunch" 64 7 <<'EOF'
crunch: 64 KiB -> 45694 bytes, checksum 0x928fbdfe1d1c9f9b
EOF
expect "spin 1000" 0 "$BIN/spin" 1000 <<'EOF'
spin: counting to N
spin: 1000 iterations
EOF

expect segv 139 "$BIN/segv" <<'EOF'
segv: storing to NULL (expect SIGSEGV)
EOF

expect ud2 132 "$BIN/ud2" <<'EOF'
ud2: executing ud2 (expect SIGILL)
EOF

printf 'first file\n' >a.txt
seq 1 20000 >b.txt
expect "cat a.txt b.txt" 0 "$BIN/cat" a.txt b.txt < <(cat a.txt b.txt)
ok "cat stdin" cmp -s b.txt <("$BIN/cat" <b.txt)
expect "cat missing file" 1 "$BIN/cat" a.txt no-such-file <a.txt

expect cp 0 "$BIN/cp" b.txt b.copy <<EOF
cp: copied $(wc -c <b.txt) bytes
EOF
ok "cp copy is identical" cmp -s b.txt b.copy

expect writefsync 0 "$BIN/writefsync" w.dat <<'EOF'
fsync ok: 4096 bytes durable
fsync ok: 8192 bytes durable
fsync ok: 12288 bytes durable
fsync ok: 16384 bytes durable
fsync ok: 20480 bytes durable
fsync ok: 24576 bytes durable
fsync ok: 28672 bytes durable
fsync ok: 32768 bytes durable
writefsync: 8 blocks verified
EOF
ok "writefsync file size" [ "$(wc -c <w.dat)" -eq 32768 ]
expect "writefsync 2" 0 "$BIN/writefsync" w2.dat 2 <<'EOF'
fsync ok: 4096 bytes durable
fsync ok: 8192 bytes durable
writefsync: 2 blocks verified
EOF

expect mapwriter 0 "$BIN/mapwriter" m.dat <<'EOF'
mapwriter: stored 16384 bytes (header "pagelab mapwriter", then byte i = (i*7+3)&0xff)
mapwriter: msync ok
mapwriter: ok
EOF
ok "mapwriter header on disk" [ "$(head -c 17 m.dat)" = "pagelab mapwriter" ]
ok "mapwriter file size" [ "$(wc -c <m.dat)" -eq 16384 ]
expect mapreader 0 "$BIN/mapreader" m.dat <<'EOF'
mapreader: 16384 bytes verified
EOF
expect "mapwriter 10000" 0 "$BIN/mapwriter" m2.dat 10000 <<'EOF'
mapwriter: stored 10000 bytes (header "pagelab mapwriter", then byte i = (i*7+3)&0xff)
mapwriter: msync ok
mapwriter: ok
EOF
expect "mapreader 10000" 0 "$BIN/mapreader" m2.dat 10000 <<'EOF'
mapreader: 10000 bytes verified
EOF
printf 'Z' | dd of=m.dat bs=1 seek=5000 conv=notrunc status=none
expect "mapreader (corrupted)" 1 "$BIN/mapreader" m.dat <<'EOF'
mapreader: mismatch (mapping) at offset 5000: expected 0xbb found 0x5a
EOF

# The five seed-race scenarios (docs/races.md): natively they only check themselves.
expect race1fsync 0 "$BIN/race1fsync" r1.dat <<'EOF'
race1fsync: 6 rounds of write+fsync on 2 pages with the journal and flusher busy, file verified
EOF
expect race2mmap 0 "$BIN/race2mmap" r2.dat <<'EOF'
race2mmap: 4 rounds of write() + stores through a shared mapping + msync, file verified
EOF
expect race3msync 0 "$BIN/race3msync" r3.dat <<'EOF'
race3msync: 8 rounds of stores through a shared mapping against a concurrent msync, file verified
EOF
expect race4mprotect 0 "$BIN/race4mprotect" r4.dat <<'EOF'
race4mprotect: 8 rounds of mprotect flips on a dirty shared mapping against msync, file verified
EOF
expect race5mkwrite 0 "$BIN/race5mkwrite" r5.dat <<'EOF'
race5mkwrite: 6 rounds of page_mkwrite faults against msync and truncate/extend, file verified
EOF
expect isizegrow 0 "$BIN/isizegrow" ig.dat <<'EOF'
isizegrow: stored past the old EOF of a partial last page after ftruncate grew the file, file verified
EOF
expect fsx2 0 "$BIN/fsx2" f2.dat <<'EOF'
fsx2: 64 stores+msyncs against 64 pwrite/ftruncate/fsync ops, seed 1, final size 14947, file verified
EOF
expect "race5mkwrite usage" 2 "$BIN/race5mkwrite" <<'EOF'
usage: race5mkwrite FILE [ROUNDS 1..1000]
EOF

expect aptdb 0 "$BIN/aptdb" db.dat <<'EOF'
aptdb: created 256 records (16384 bytes), seed 1
aptdb: 16 batches of 8 updates, msync after each
aptdb: verified 256 records via the mapping
aptdb: verified 256 records via pread
aptdb: digest 0xcd485f4ab373e08f
aptdb: ok
EOF
ok "aptdb file size" [ "$(wc -c <db.dat)" -eq 16384 ]
expect "aptdb 64 100 42" 0 "$BIN/aptdb" db2.dat 64 100 42 <<'EOF'
aptdb: created 64 records (4096 bytes), seed 42
aptdb: 100 batches of 8 updates, msync after each
aptdb: verified 64 records via the mapping
aptdb: verified 64 records via pread
aptdb: digest 0x30c2998a58511a31
aptdb: ok
EOF

expect fsx 0 "$BIN/fsx" f.dat <<'EOF'
fsx: f.dat, 10000 ops, seed 1, maxlen 65536
fsx: 10000 ops ok (read 1975, write 1984, mapread 1993, mapwrite 2022, truncate 989, fsync 1037), final size 64592
EOF
expect "fsx -m -S 2 -N 5000" 0 "$BIN/fsx" f.dat -m -S 2 -N 5000 <<'EOF'
fsx: f.dat, 5000 ops, seed 2, maxlen 65536, mmap only
fsx: 5000 ops ok (read 0, write 0, mapread 2038, mapwrite 2018, truncate 459, fsync 485), final size 63897
EOF
expect "fsx -S 3 -l 5000 -N 3000" 0 "$BIN/fsx" f.dat -S 3 -l 5000 -N 3000 <<'EOF'
fsx: f.dat, 3000 ops, seed 3, maxlen 5000
fsx: 3000 ops ok (read 584, write 579, mapread 606, mapwrite 614, truncate 298, fsync 319), final size 4993
EOF
ok "fsx final file size" [ "$(wc -c <f.dat)" -eq 4993 ]

expect "rawsys r.dat" 0 "$BIN/rawsys" r.dat <<'EOF'
rawsys: hello from a MAP_SHARED page
rawsys: ok
EOF
ok "rawsys file size" [ "$(wc -c <r.dat)" -eq 8192 ]
expect "rawsys (default file)" 0 "$BIN/rawsys" <<'EOF'
rawsys: hello from a MAP_SHARED page
rawsys: ok
EOF
ok "rawsys default file exists" [ -f rawsys.dat ]

expect "nolibc a 'b c'" 0 "$BIN/nolibc" a "b c" <<'EOF'
nolibc: argc 3
nolibc: arg a
nolibc: arg b c
nolibc: uname sysname=Linux machine=x86_64
nolibc: mmap checksum 1566720
nolibc: brk grew and shrank by 2 pages
nolibc: writev of two buffers
nolibc: unknown syscall 999 returns -38
nolibc: write from a wild pointer returns -14
nolibc: ok
EOF

expect libctest 0 "$BIN/libctest" <<'EOF'
libctest: printf formats ok
libctest: string functions ok
libctest: strtol ok
libctest: malloc ok
libctest: puts ok
libctest: 4020 checks ok
EOF

expect "hang sleep 0" 0 "$BIN/hang" sleep 0 <<'EOF'
hang: slept 0 s
EOF

expect "orphan o.dat" 0 "$BIN/orphan" o.dat <<'EOF'
orphan: unlinked while mapped; exiting
EOF
ok "orphan's file is gone" [ ! -e o.dat ]

expect "yes | head -1" 0 bash -c "'$BIN/yes' hi | head -1; [ \${PIPESTATUS[0]} -eq 141 ]" <<'EOF'
hi
EOF

echo "test-native: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
