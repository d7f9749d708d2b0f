/*
 * Configuration: the original test1.ini, every validation message, the
 * cross-VM checks, anlasser.conf, conf_ini_set and the man page.
 *
 * Runs in a private temporary directory; file names in messages are
 * relative to it ("c12/v.ini:3: ...").
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_INIPARSER_INIPARSER_H
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif

#include "compat.h"
#include "conf.h"
#include "log.h"
#include "tap.h"
#include "util.h"
#include "xmalloc.h"

static const char test1_ini[] =
    "[VM]\n"
    "name = test1\n"
    "memory_mb = 1024\n"
    "cpu_sockets = 1\n"
    "cpu_cores = 2\n"
    "cpu_threads = 1\n"
    "storage_path = /tank/VMs/test1/test1.img\n"
    "uefi_vars_storage_path = /tank/VMs/test1/BHYVE_UEFI_VARS.fd\n"
    "tapdev = tap0\n"
    "bridge = bridge0\n"
    "mac = 02:00:00:00:02:01\n"
    "# See /usr/share/bhyve/kbdlayout for a list of valid layouts\n"
    "vnc_kbd_layout = de_noacc\n"
    "vnc_port = 5900\n"
    "# vnc_wait_connect = true\n"
    "# iso_path = /path/to/linux_iso.iso\n";

static int	ncase;

static void
put(const char *path, const char *text)
{
	char	dir[PATH_MAX], *slash;

	strlcpy(dir, path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) == -1)
			fatal("mkdir %s", dir);
	}
	if (write_file_atomic(path, text, strlen(text), 0644) == -1)
		fatal("write %s", path);
}

/* dir/file with len bytes of text. */
static void
put_in(const char *dir, const char *file, const char *text, size_t len)
{
	char	*path;

	xasprintf(&path, "%s/%s", dir, file);
	if (write_file_atomic(path, text, len, 0644) == -1)
		fatal("write %s", path);
	free(path);
}

static void
put_str(const char *dir, const char *file, const char *text)
{
	put_in(dir, file, text, strlen(text));
}

static char *
slurp(const char *path)
{
	char	*s;

	if ((s = read_file(path, 0, NULL)) == NULL)
		return (xstrdup("(unreadable)"));
	return (s);
}

/* A new, empty case directory "cN". */
static char *
newdir(void)
{
	char	*d;

	xasprintf(&d, "c%d", ++ncase);
	if (mkdir(d, 0755) == -1)
		fatal("mkdir %s", d);
	return (d);
}

/* What `--check` prints for dir, and its status. */
static char *
check(const char *dir, int *rc)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	*rc = conf_check(dir, f);
	fclose(f);
	return (buf);
}

/* expect: the lines --check prints, each without the "cN/" prefix. */
static void
expect_dir(const char *dir, const char *expect, const char *what)
{
	char	*out, *want, *w, *line, *save, *desc, *p;
	int	 rc;

	/* One line of TAP: the file's lines joined with " | ". */
	desc = xmalloc(strlen(what) * 3 + 1);
	for (p = desc; *what != '\0'; what++) {
		if (*what == '\n' && what[1] != '\0') {
			memcpy(p, " | ", 3);
			p += 3;
		} else if (*what != '\n' && *what != '\r')
			*p++ = *what;
	}
	*p = '\0';

	out = check(dir, &rc);
	want = xstrdup("");
	w = xstrdup(expect);
	for (line = strtok_r(w, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *n;

		xasprintf(&n, "%s%s/%s\n", want, dir, line);
		free(want);
		want = n;
	}
	free(w);
	is_str(out, want, "%s", desc);
	is_int(rc, 1, "%s: status 1", desc);
	free(out);
	free(want);
	free(desc);
}

/* Does text have a line starting with key? */
static int
has_line(const char *text, const char *key)
{
	const char	*p;

	for (p = text; (p = strstr(p, key)) != NULL; p++) {
		if (p == text || p[-1] == '\n')
			return (1);
	}
	return (0);
}

/*
 * A VM file v.ini: "[VM]", "name = v", then body (line 3 on), then the
 * required paths unless body sets them.
 */
static void
expect_vm(const char *body, const char *expect)
{
	char	*dir, *path, *text;

	dir = newdir();
	xasprintf(&text, "[VM]\nname = v\n%s%s%s", body,
	    has_line(body, "storage_path") ? "" : "storage_path = /d/v.img\n",
	    has_line(body, "uefi_vars_storage_path") ? "" :
	    "uefi_vars_storage_path = /d/v.fd\n");
	xasprintf(&path, "%s/v.ini", dir);
	put(path, text);
	expect_dir(dir, expect, body);
	free(text);
	free(path);
	free(dir);
}

/* A VM file with body that must load cleanly; returns it. */
static struct vm_conf *
load_vm(const char *file, const char *text)
{
	struct conf_problems	 ps;
	struct conf_problem	*p;
	struct vm_conf		*vm;
	char			*dir, *path, *s;

	dir = newdir();
	xasprintf(&path, "%s/%s", dir, file);
	put(path, text);
	conf_problems_init(&ps);
	vm = conf_load_vm(path, NULL, &ps);
	TAILQ_FOREACH(p, &ps, entry) {
		s = conf_problem_format(p);
		printf("# unexpected: %s\n", s);
		free(s);
	}
	conf_problems_clear(&ps);
	free(path);
	free(dir);
	return (vm);
}

static void
test_test1(void)
{
	struct vm_conf	*vm;

	vm = load_vm("test1.ini", test1_ini);
	ok(vm != NULL, "test1.ini loads unchanged");
	if (vm == NULL)
		return;
	is_str(vm->name, "test1", "test1: name");
	is_int(vm->memory_mb, 1024, "test1: memory_mb");
	is_int(vm->cpu_sockets, 1, "test1: cpu_sockets");
	is_int(vm->cpu_cores, 2, "test1: cpu_cores");
	is_int(vm->cpu_threads, 1, "test1: cpu_threads");
	is_int(vm_conf_vcpus(vm), 2, "test1: 2 vCPUs");
	is_int(vm->ndisks, 1, "test1: one disk");
	is_str(vm->disks[0], "/tank/VMs/test1/test1.img", "test1: disk 0");
	is_str(vm->uefi_vars, "/tank/VMs/test1/BHYVE_UEFI_VARS.fd",
	    "test1: uefi vars");
	is_int(vm->nnics, 1, "test1: one NIC");
	is_str(vm->nics[0].tapdev, "tap0", "test1: tapdev");
	is_str(vm->nics[0].bridge, "bridge0", "test1: bridge");
	is_str(vm->nics[0].mac, "02:00:00:00:02:01", "test1: mac");
	is_str(vm->vnc_kbd_layout, "de_noacc", "test1: vnc_kbd_layout");
	is_int(vm->vnc_port, 5900, "test1: vnc_port");
	is_int(vm->vnc_wait_connect, 0, "test1: vnc_wait_connect off");
	ok(vm->iso_path == NULL, "test1: no iso_path");
	/* The new keys take their defaults. */
	is_int(vm->vnc, 1, "test1: vnc on");
	is_str(vm->vnc_bind, "127.0.0.1", "test1: vnc_bind");
	is_int(vm->vnc_width, 1600, "test1: vnc width");
	is_int(vm->vnc_height, 900, "test1: vnc height");
	ok(vm->vnc_password == NULL, "test1: no vnc_password");
	is_int(vm->console, 1, "test1: console on");
	is_int(vm->shutdown_timeout, 300, "test1: shutdown_timeout");
	is_int(vm->autostart, 0, "test1: autostart off");
	is_int(vm->autostart_order, 100, "test1: autostart_order");
	is_int(vm->autostart_delay, 0, "test1: autostart_delay");
	is_int(vm->restart_on_crash, 0, "test1: restart_on_crash off");
	is_int(vm->disk_sector_size, 4096, "test1: disk_sector_size");
	vm_conf_free(vm);
}

static void
test_full(void)
{
	struct vm_conf	*vm;

	vm = load_vm("big.ini",
	    "[vm]\n"
	    "Name = big\n"
	    "memory_mb = 65536\n"
	    "cpu_sockets = 2\n"
	    "cpu_cores = 8\n"
	    "cpu_threads = 2\n"
	    "storage_path = /tank/big/disk0.img\n"
	    "disk1 = /dev/zvol/tank/big/disk1\n"
	    "disk2 = \"/tank/big/disk #2.img\"\n"
	    "uefi_vars_storage_path = /tank/big/vars.fd\n"
	    "bridge = bridge0\n"
	    "nic1_tapdev = tap17\n"
	    "nic1_mac = 02:AB:cd:00:00:01\n"
	    "nic2_bridge = bridge2 ; inline comment\n"
	    "vnc = yes\n"
	    "vnc_bind = ::1\n"
	    "vnc_resolution = 1920x1200\n"
	    "vnc_password = secret12\n"
	    "console = off\n"
	    "shutdown_timeout = 86400\n"
	    "autostart = Y\n"
	    "autostart_order = 0\n"
	    "autostart_delay = 3600\n"
	    "restart_on_crash = TRUE\n"
	    "disk_sector_size = 512\n"
	    "iso_path = /isos/install.iso\n"
	    "vnc_wait_connect = On\n");
	ok(vm != NULL, "every key at once loads");
	if (vm == NULL)
		return;
	is_int(vm_conf_vcpus(vm), 32, "2 x 8 x 2 = 32 vCPUs");
	is_int(vm->ndisks, 3, "three disks");
	is_str(vm->disks[2], "/tank/big/disk #2.img", "quoted value with #");
	is_int(vm->nnics, 3, "three NICs");
	ok(vm->nics[0].tapdev == NULL && vm->nics[0].mac == NULL,
	    "NIC 0: tap and MAC left to the agent");
	is_str(vm->nics[1].tapdev, "tap17", "nic1_tapdev");
	is_str(vm->nics[1].mac, "02:AB:cd:00:00:01", "nic1_mac as written");
	is_str(vm->nics[2].bridge, "bridge2", "inline ; comment stripped");
	is_str(vm->vnc_bind, "::1", "IPv6 vnc_bind");
	is_int(vm->vnc_width * 10000 + vm->vnc_height, 19201200,
	    "vnc_resolution 1920x1200");
	is_str(vm->vnc_password, "secret12", "8-character password");
	is_int(vm->console, 0, "console off");
	is_int(vm->autostart + vm->restart_on_crash + vm->vnc_wait_connect,
	    3, "Y, TRUE and On are true");
	is_int(vm->vnc_port, -1, "no vnc_port: -1");
	is_int(vm->disk_sector_size, 512, "disk_sector_size 512");
	vm_conf_free(vm);
}

static void
test_bools(void)
{
	static const char	*yes[] = { "y", "YES", "True", "on", "1" };
	static const char	*no[] = { "n", "No", "FALSE", "oFF", "0" };
	struct vm_conf		*vm;
	char			*text;
	size_t			 i;
	int			 good = 0;

	for (i = 0; i < nitems(yes); i++) {
		xasprintf(&text, "[VM]\nname = b\nstorage_path = /b\n"
		    "uefi_vars_storage_path = /v\nautostart = %s\n"
		    "console = %s\n", yes[i], no[i]);
		vm = load_vm("b.ini", text);
		if (vm != NULL && vm->autostart == 1 && vm->console == 0)
			good++;
		vm_conf_free(vm);
		free(text);
	}
	is_int(good, 5, "booleans y/yes/true/on/1 and n/no/false/off/0");
}

static void
test_values(void)
{
	expect_vm("memory_mb = 512M\n", "v.ini:3: memory_mb: 512M is not an "
	    "integer: the unit is MiB, write 512 (16..1048576 MiB)");
	expect_vm("memory_mb = 4G\n", "v.ini:3: memory_mb: 4G is not an "
	    "integer: the unit is MiB, write 4096 (16..1048576 MiB)");
	expect_vm("memory_mb = 8\n", "v.ini:3: memory_mb: 8 is out of range "
	    "(16..1048576 MiB)");
	expect_vm("memory_mb = 99999999999999999999\n", "v.ini:3: memory_mb: "
	    "99999999999999999999 is out of range (16..1048576 MiB)");
	expect_vm("memory_mb = lots\n", "v.ini:3: memory_mb: lots is not an "
	    "integer (16..1048576 MiB)");
	expect_vm("memory_mb = 1.5\n", "v.ini:3: memory_mb: 1.5 is not an "
	    "integer (16..1048576 MiB)");
	expect_vm("memory_mb = 3x\n", "v.ini:3: memory_mb: 3x is not an "
	    "integer (a whole number of MiB, 16..1048576)");
	expect_vm("cpu_cores = 0\n", "v.ini:3: cpu_cores: 0 is out of range "
	    "(1..32)");
	expect_vm("cpu_threads = -1\n", "v.ini:3: cpu_threads: -1 is out of "
	    "range (1..32)");
	expect_vm("cpu_sockets = 8\ncpu_cores = 8\ncpu_threads = 4\n",
	    "v.ini:3: cpu_sockets: 8 sockets x 8 cores x 4 threads = 256 "
	    "vCPUs, too many (at most 255)");
	expect_vm("cpu_cores = 16\ncpu_threads = 16\n",
	    "v.ini:3: cpu_cores: 1 sockets x 16 cores x 16 threads = 256 "
	    "vCPUs, too many (at most 255)");
	expect_vm("storage_path = tank/v.img\n", "v.ini:3: storage_path: "
	    "tank/v.img is not an absolute path (a path starting with /, "
	    "without commas)");
	expect_vm("storage_path = /a,b.img\n", "v.ini:3: storage_path: "
	    "/a,b.img contains a comma, which bhyve and QEMU options cannot "
	    "hold (a path starting with /, without commas)");
	expect_vm("uefi_vars_storage_path =\n", "v.ini:3: "
	    "uefi_vars_storage_path: empty value (a path starting with /, "
	    "without commas; required)");
	expect_vm("iso_path = \"\"\n", "v.ini:3: iso_path: empty value (a "
	    "path starting with /, without commas; to leave it unset, remove "
	    "the line)");
	expect_vm("iso_path = debian.iso\n", "v.ini:3: iso_path: debian.iso "
	    "is not an absolute path (a path starting with /, without "
	    "commas)");
	expect_vm("bridge = bridge0\nmac = 01:00:5e:00:00:01\n", "v.ini:4: "
	    "mac: 01:00:5e:00:00:01 is a multicast address: the first octet "
	    "must be even (six hex pairs like 02:00:00:00:02:01, unicast)");
	expect_vm("bridge = bridge0\nmac = 02:00:00:00:02\n", "v.ini:4: mac: "
	    "02:00:00:00:02 is not a MAC address (six hex pairs like "
	    "02:00:00:00:02:01, unicast)");
	expect_vm("bridge = bridge0\nmac = 02-00-00-00-02-01\n", "v.ini:4: "
	    "mac: 02-00-00-00-02-01 is not a MAC address (six hex pairs like "
	    "02:00:00:00:02:01, unicast)");
	expect_vm("bridge = bridge0\nmac = 00:00:00:00:00:00\n", "v.ini:4: "
	    "mac: 00:00:00:00:00:00 is not a usable address (six hex pairs "
	    "like 02:00:00:00:02:01, unicast)");
	expect_vm("tapdev = tap/0\n", "v.ini:3: tapdev: tap/0 is not an "
	    "interface name (1-15 of A-Z a-z 0-9 _ . -)");
	expect_vm("bridge = bridge0123456789ab\n", "v.ini:3: bridge: "
	    "bridge0123456789ab is not an interface name (1-15 of A-Z a-z "
	    "0-9 _ . -)");
	expect_vm("vnc_port = 80\n", "v.ini:3: vnc_port: 80 is out of range "
	    "(1024..65535)");
	expect_vm("vnc_bind = localhost\n", "v.ini:3: vnc_bind: localhost is "
	    "not a numeric IP address (a numeric IPv4 or IPv6 address such "
	    "as 127.0.0.1 or ::1)");
	expect_vm("vnc_resolution = 1600\n", "v.ini:3: vnc_resolution: 1600 "
	    "is not WIDTHxHEIGHT (WIDTHxHEIGHT from 640x480 to 1920x1200)");
	expect_vm("vnc_resolution = 3840x2160\n", "v.ini:3: vnc_resolution: "
	    "3840x2160 is out of range (WIDTHxHEIGHT from 640x480 to "
	    "1920x1200)");
	expect_vm("vnc_resolution = 640x400\n", "v.ini:3: vnc_resolution: "
	    "640x400 is out of range (WIDTHxHEIGHT from 640x480 to "
	    "1920x1200)");
	expect_vm("vnc_password = verysecret\n", "v.ini:3: vnc_password: the "
	    "value is 10 characters long (1..8 characters; bhyve uses only "
	    "the first 8)");
	expect_vm("vnc_wait_connect = maybe\n", "v.ini:3: vnc_wait_connect: "
	    "maybe is not a boolean (yes/no, true/false, on/off or 1/0)");
	expect_vm("vnc = 2\n", "v.ini:3: vnc: 2 is not a boolean (yes/no, "
	    "true/false, on/off or 1/0)");
	expect_vm("vnc_kbd_layout = ../../etc/passwd\n", "v.ini:3: "
	    "vnc_kbd_layout: ../../etc/passwd is not a plain file name (a "
	    "file name without /)");
	expect_vm("shutdown_timeout = 0\n", "v.ini:3: shutdown_timeout: 0 is "
	    "out of range (1..86400 seconds)");
	expect_vm("shutdown_timeout = 5m\n", "v.ini:3: shutdown_timeout: 5m "
	    "is not an integer: the unit is seconds, write 300 (1..86400 "
	    "seconds)");
	expect_vm("autostart_order = 10000\n", "v.ini:3: autostart_order: "
	    "10000 is out of range (0..9999)");
	expect_vm("autostart_delay = 2h\n", "v.ini:3: autostart_delay: 2h is "
	    "not an integer: the unit is seconds, write 7200 (0..3600 "
	    "seconds)");
	expect_vm("disk_sector_size = 1024\n", "v.ini:3: disk_sector_size: "
	    "1024 is not allowed (512 or 4096 bytes)");
	expect_vm("autostart = \x1b[31mred\n", "v.ini:3: autostart: ?[31mred "
	    "is not a boolean (yes/no, true/false, on/off or 1/0)");
}

static void
test_secret(void)
{
	char	*dir, *out;
	int	 rc;

	dir = newdir();
	put_str(dir, "v.ini", "[VM]\nname = v\nstorage_path = /a\n"
	    "uefi_vars_storage_path = /b\nvnc_password = hunter2hunter\n");
	out = check(dir, &rc);
	ok(strstr(out, "hunter2") == NULL, "a bad vnc_password is not shown");
	free(out);
	free(dir);
}

static void
test_keys(void)
{
	expect_vm("memroy_mb = 512\n", "v.ini:3: memroy_mb: unknown key (did "
	    "you mean memory_mb?)");
	expect_vm("memory = 512\n", "v.ini:3: memory: unknown key (did you "
	    "mean memory_mb?)");
	expect_vm("vnc_wait = yes\n", "v.ini:3: vnc_wait: unknown key (did "
	    "you mean vnc_wait_connect?)");
	expect_vm("dsik1 = /d/1.img\n", "v.ini:3: dsik1: unknown key (did "
	    "you mean disk1?)");
	expect_vm("nic1_brigde = bridge1\n", "v.ini:3: nic1_brigde: unknown "
	    "key (did you mean nic1_bridge?)");
	expect_vm("frobnicate = 1\n", "v.ini:3: frobnicate: unknown key (see "
	    "anlasser.ini(5) for the keys of a VM file)");
	expect_vm("disk8 = /d/8.img\n", "v.ini:3: disk8: unknown key (disk1 "
	    ".. disk7; number 0 is storage_path)");
	expect_vm("disk0 = /d/0.img\n", "v.ini:3: disk0: unknown key (disk1 "
	    ".. disk7; number 0 is storage_path)");
	expect_vm("nic9_mac = 02:00:00:00:00:09\n", "v.ini:3: nic9_mac: "
	    "unknown key (nic1_mac .. nic7_mac; number 0 is mac)");
	expect_vm("iso_dirs = /isos\n", "v.ini:3: iso_dirs: belongs in "
	    "anlasser.conf, section [agent], not in a VM file");
	expect_vm("memory_mb = 512\nmemory_mb = 1024\n", "v.ini:4: "
	    "memory_mb: set again (first set at line 3; each key may appear "
	    "once)");
	expect_vm("disk2 = /d/2.img\n", "v.ini:3: disk2: disk1 is not set "
	    "(number disks without gaps)");
	expect_vm("disk1 = /d/1.img\ndisk3 = /d/3.img\ndisk4 = /d/4.img\n",
	    "v.ini:4: disk3: disk2 is not set (number disks without gaps)");
	expect_vm("nic1_bridge = bridge0\n", "v.ini:3: nic1_bridge: NIC 0 is "
	    "not set (number NICs without gaps; NIC 0 is bridge, tapdev and "
	    "mac)");
	expect_vm("bridge = bridge0\nnic2_tapdev = tap9\n", "v.ini:4: "
	    "nic2_tapdev: NIC 1 is not set (number NICs without gaps)");
	expect_vm("disk1 = d1.img\ndisk2 = /d/2.img\n", "v.ini:3: disk1: "
	    "d1.img is not an absolute path (a path starting with /, without "
	    "commas)");
	expect_vm("bridge = bridge/0\nnic1_bridge = bridge1\n", "v.ini:3: "
	    "bridge: bridge/0 is not an interface name (1-15 of A-Z a-z 0-9 _ "
	    ". -)");
	expect_vm("mac = 02:00:00:00:02:01\n", "v.ini:3: mac: set without "
	    "bridge or tapdev (NIC 0 exists when bridge or tapdev is set)");
	expect_vm("tapdev = tap0\nnic1_mac = 02:00:00:00:02:02\n", "v.ini:4: "
	    "nic1_mac: set without nic1_bridge or nic1_tapdev (NIC 1 exists "
	    "when one of them is set)");
}

static void
test_names(void)
{
	struct {
		const char	*file, *name, *expect;
	} t[] = {
		{ "-web.ini", "-web", "-web.ini:2: name: -web must start with "
		  "a letter or digit (1-31 of A-Z a-z 0-9 _ -, starting with "
		  "a letter or digit)" },
		{ "_web.ini", "_web", "_web.ini:2: name: _web must start with "
		  "a letter or digit (1-31 of A-Z a-z 0-9 _ -, starting with "
		  "a letter or digit)" },
		{ "web.1.ini", "web.1", "web.1.ini:2: name: web.1 may contain "
		  "only letters, digits, _ and - (1-31 of A-Z a-z 0-9 _ -, "
		  "starting with a letter or digit)" },
		{ "w.ini", "w\xc3\xa9", "w.ini:2: name: w\xc3\xa9 may contain "
		  "only letters, digits, _ and - (1-31 of A-Z a-z 0-9 _ -, "
		  "starting with a letter or digit)" },
		{ "x.ini", "abcdefghijabcdefghijabcdefghij12", "x.ini:2: name: "
		  "abcdefghijabcdefghijabcdefghij12 is longer than 31 "
		  "characters (1-31 of A-Z a-z 0-9 _ -, starting with a letter "
		  "or digit)" },
		{ "a.ini", "b", "a.ini:2: name: b does not match the file name "
		  "(rename the file to b.ini or set name = a)" },
		{ "Web.ini", "web", "Web.ini:2: name: web does not match the "
		  "file name (rename the file to web.ini or set name = Web)" },
	};
	struct vm_conf	*vm;
	size_t		 i;
	char		*dir, *path, *text;

	for (i = 0; i < nitems(t); i++) {
		dir = newdir();
		xasprintf(&path, "%s/%s", dir, t[i].file);
		xasprintf(&text, "[VM]\nname = %s\nstorage_path = /d\n"
		    "uefi_vars_storage_path = /v\n", t[i].name);
		put(path, text);
		expect_dir(dir, t[i].expect, t[i].file);
		free(text);
		free(path);
		free(dir);
	}
	ok(vm_name_check("a") == NULL, "name a is valid");
	ok(vm_name_check("1web-01_x") == NULL, "name 1web-01_x is valid");
	ok(vm_name_check("abcdefghijabcdefghijabcdefghij1") == NULL,
	    "31 characters are valid");
	ok(vm_name_check("") != NULL && vm_name_check(NULL) != NULL,
	    "empty name is invalid");
	ok(vm_name_check("-rf") != NULL, "-rf is invalid");
	ok(vm_name_check("a b") != NULL && vm_name_check("a/b") != NULL &&
	    vm_name_check("..") != NULL, "space, / and .. are invalid");
	vm = load_vm("abcdefghijabcdefghijabcdefghij1.ini", "[VM]\nname = "
	    "abcdefghijabcdefghijabcdefghij1\nstorage_path = /d\n"
	    "uefi_vars_storage_path = /v\n");
	ok(vm != NULL, "a 31-character name loads");
	vm_conf_free(vm);
}

static char *
slurp_case(const char *dir, const char *file)
{
	char	*path, *s;

	xasprintf(&path, "%s/%s", dir, file);
	s = slurp(path);
	free(path);
	return (s);
}

static void
test_files(void)
{
	struct vm_conf	*vm;
	char		*dir, *big, *text, *path;
	size_t		 len;
	int		 i;

	dir = newdir();
	put_str(dir, "e.ini", "");
	expect_dir(dir, "e.ini: file is empty (a VM file needs [VM] with "
	    "name, storage_path and uefi_vars_storage_path)", "empty file");
	free(dir);

	dir = newdir();
	put_in(dir, "b.ini", "[VM]\nname = b\n\x7f" "ELF\0\0\1", 20);
	expect_dir(dir, "b.ini:3: file contains NUL bytes, not loaded (a "
	    "binary file? configuration files are text)", "binary file");
	free(dir);

	dir = newdir();
	text = "\xef\xbb\xbf[VM]\nname = bom\nstorage_path = /d\n"
	    "uefi_vars_storage_path = /v\nmemory_mb = 1G\n";
	put_in(dir, "bom.ini", text, strlen(text));
	expect_dir(dir, "bom.ini:1: file starts with a UTF-8 byte order mark "
	    "(save it without BOM: iniparser cannot read the first line)\n"
	    "bom.ini:5: memory_mb: 1G is not an integer: the unit is MiB, "
	    "write 1024 (16..1048576 MiB)", "BOM, and the rest still checked");
	free(dir);

	dir = newdir();
	len = 2 * 1024 * 1024;
	big = xmalloc(len);
	memset(big, '#', len);
	put_in(dir, "huge.ini", big, len);
	free(big);
	expect_dir(dir, "huge.ini: file is larger than 1 MiB, not loaded (a "
	    "VM file is a few hundred bytes)", "huge file");
	free(dir);

	/* iniparser reads lines of up to 1022 characters. */
	dir = newdir();
	xasprintf(&text, "[VM]\nname = l\nstorage_path = /%01006d\n"
	    "uefi_vars_storage_path = /v\n", 0);
	put_str(dir, "l.ini", text);
	free(text);
	vm = load_vm("l.ini", text = slurp_case(dir, "l.ini"));
	ok(vm != NULL && strlen(vm->disks[0]) == 1007,
	    "a line of 1022 characters loads");
	vm_conf_free(vm);
	free(text);
	free(dir);
	dir = newdir();
	xasprintf(&text, "[VM]\nname = l\nstorage_path = /%01007d\n"
	    "uefi_vars_storage_path = /v\n", 0);
	put_str(dir, "l.ini", text);
	free(text);
	expect_dir(dir, "l.ini:3: line is 1023 characters long (iniparser "
	    "reads at most 1022)\nl.ini: storage_path: missing (required: "
	    "disk 0: image file, zvol or disk device)", "line too long");
	free(dir);

	dir = newdir();
	xasprintf(&path, "%s/gone.ini", dir);
	if (symlink("/nonexistent/anlasser", path) == -1)
		fatal("symlink");
	free(path);
	xasprintf(&path, "%s/pipe.ini", dir);
	if (mkfifo(path, 0644) == -1)
		fatal("mkfifo");
	free(path);
	xasprintf(&path, "%s/sub.ini", dir);
	mkdir(path, 0755);
	free(path);
	put_str(dir, ".hidden.ini", "junk");
	put_str(dir, "README", "junk");
	put_str(dir, "x.ini.orig", "junk");
	expect_dir(dir, "gone.ini: cannot read: No such file or directory\n"
	    "pipe.ini: not a regular file\nsub.ini: not a regular file",
	    "unreadable entries; dotfiles and other names ignored");
	free(dir);

	dir = newdir();
	big = xstrdup("[VM]\n");
	for (i = 0; i < 1001; i++) {
		xasprintf(&text, "%sk%d = 1\n", big, i);
		free(big);
		big = text;
	}
	put_in(dir, "many.ini", big, strlen(big));
	free(big);
	expect_dir(dir, "many.ini: file has 1001 keys and 1 sections, not "
	    "loaded (at most 1000 and 100)", "too many keys");
	free(dir);

	/* Large broken files are handled in linear time. */
	dir = newdir();
	len = 1000000;
	big = xmalloc(len + 1);
	for (i = 0; i < (int)len; i += 4)
		memcpy(big + i, "[a]\n", 4);
	put_in(dir, "secs.ini", big, len);
	for (i = 0; i < (int)len; i += 2)
		memcpy(big + i, "x\n", 2);
	put_in(dir, "junk.ini", big, len);
	free(big);
	expect_dir(dir, "junk.ini:1: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:2: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:3: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:4: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:5: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:6: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:7: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:8: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:9: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:10: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:11: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:12: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:13: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:14: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:15: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:16: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:17: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:18: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:19: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini:20: syntax error: x (lines are key = value, "
	    "[section], # comment or empty)\n"
	    "junk.ini: 499980 more syntax errors not shown\n"
	    "junk.ini: no [VM] section (a VM file starts with a line [VM])\n"
	    "secs.ini: file has 0 keys and 250000 sections, not loaded (at "
	    "most 1000 and 100)", "a million bytes of junk");
	free(dir);

}

static void
test_missing_dir(void)
{
	char	*out;
	int	 rc;

	out = check("nosuchdir", &rc);
	is_str(out, "nosuchdir: cannot read the configuration directory: No "
	    "such file or directory\n", "missing directory is a problem");
	is_int(rc, 1, "missing directory: status 1");
	free(out);
}

static void
test_structure(void)
{
	char	*dir;

	dir = newdir();
	put_str(dir, "s.ini", "name = s\n");
	expect_dir(dir, "s.ini: no [VM] section (a VM file starts with a "
	    "line [VM])", "keys without [VM]");
	free(dir);

	dir = newdir();
	put_str(dir, "s.ini", "# just a comment\n\n");
	expect_dir(dir, "s.ini: no [VM] section (a VM file starts with a "
	    "line [VM])", "only comments");
	free(dir);

	expect_vm("storage_path = /d\nuefi_vars_storage_path = /v\n[extra]\n"
	    "foo = 1\n", "v.ini:5: [extra]: unknown section (a VM file has "
	    "only [VM])");
	expect_vm("[Vm]\nconsole = no\n", "v.ini:3: [Vm]: section repeated "
	    "(first at line 1; each section may appear once)");
	expect_vm("this is not ini\n", "v.ini:3: syntax error: this is not "
	    "ini (lines are key = value, [section], # comment or empty)");
	expect_vm("= 5\n", "v.ini:3: syntax error: = 5 (lines are key = "
	    "value, [section], # comment or empty)");
	expect_vm("[]\n", "v.ini:3: []: section without a name");

	dir = newdir();
	put_str(dir, "s.ini", "memory_mb = 512\n[VM]\nname = s\n"
	    "storage_path = /d\nuefi_vars_storage_path = /v\n");
	expect_dir(dir, "s.ini:1: memory_mb: outside any section (put it "
	    "below [VM])", "key before [VM]");
	free(dir);
}

static void
test_text(void)
{
	struct vm_conf	*vm;

	vm = load_vm("t.ini", "[VM]\r\nname = t\r\nstorage_path = /d/t.img\r\n"
	    "uefi_vars_storage_path = /d/t.fd\r\nmemory_mb = 2048\r\n");
	ok(vm != NULL && vm->memory_mb == 2048 &&
	    strcmp(vm->disks[0], "/d/t.img") == 0, "CRLF line ends");
	vm_conf_free(vm);

	vm = load_vm("t.ini", "  [ VM ]  \n\tname=t\nstorage_path="
	    "/d/long\\\n/path.img\nuefi_vars_storage_path = '/d/t #1.fd'\n"
	    "memory_mb = 512 # MiB\n; a comment\n");
	ok(vm != NULL && strcmp(vm->disks[0], "/d/long/path.img") == 0 &&
	    strcmp(vm->uefi_vars, "/d/t #1.fd") == 0 && vm->memory_mb == 512,
	    "blanks, continuation, quotes and inline comments");
	vm_conf_free(vm);

	/* A continuation counts lines as the user sees them. */
	expect_vm("storage_path = /d/a\\\n/b.img\nmemory_mb = x\n",
	    "v.ini:5: memory_mb: x is not an integer (16..1048576 MiB)");
}

/* What fn writes to stderr (the descriptor, as iniparser writes). */
static char *
stderr_of(void (*fn)(const char *), const char *arg)
{
	char	 path[] = "/tmp/test-conf-err.XXXXXX", *s;
	int	 fd, saved;

	fflush(stderr);
	if ((fd = mkstemp(path)) == -1 || (saved = dup(2)) == -1)
		fatal("stderr capture");
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	s = slurp(path);
	unlink(path);
	return (s);
}

static void
run_check(const char *dir)
{
	FILE	*f;

	if ((f = fopen("/dev/null", "w")) == NULL)
		fatal("/dev/null");
	conf_check(dir, f);
	fclose(f);
}

static void
run_iniparser(const char *path)
{
	dictionary	*d;

	if ((d = iniparser_load(path)) != NULL)
		iniparser_freedict(d);
}

static void
test_callback(void)
{
	char	*dir, *err, *path;

	dir = newdir();
	put_str(dir, "s.ini", "[VM]\nname = s\nstorage_path = /d\n"
	    "uefi_vars_storage_path = /v\nnot a key\n");
	err = stderr_of(run_check, dir);
	is_str(err, "", "iniparser's syntax errors are captured, not printed");
	free(err);
	xasprintf(&path, "%s/s.ini", dir);
	err = stderr_of(run_iniparser, path);
	ok(strstr(err, "syntax error") != NULL,
	    "iniparser's error callback is restored afterwards");
	free(err);
	free(path);
	free(dir);
}

static struct conf *
load_dir(const char *dir)
{
	struct conf_problems	 ps;
	struct conf		*conf;

	conf_problems_init(&ps);
	conf = conf_load_dir(dir, &ps);
	conf_problems_clear(&ps);
	return (conf);
}

static void
test_agent(void)
{
	struct agent_conf	 ac;
	struct conf		*conf;
	char			*dir;

	agent_conf_defaults(&ac);
	is_str(ac.driver, DEFAULT_DRIVER, "default driver by OS");
	is_str(ac.bhyve, "/usr/sbin/bhyve", "default bhyve");
	is_str(ac.bhyvectl, "/usr/sbin/bhyvectl", "default bhyvectl");
	is_str(ac.ifconfig, "/sbin/ifconfig", "default ifconfig");
#ifdef __FreeBSD__
	is_str(ac.qemu, "/usr/local/bin/qemu-system-x86_64", "default qemu");
#else
	is_str(ac.qemu, "/usr/bin/qemu-system-x86_64", "default qemu");
#endif
	is_str(ac.iso_dirs, "", "no ISO directories by default");
	is_int(ac.vnc_port_min, 5900, "vnc_ports low");
	is_int(ac.vnc_port_max, 5999, "vnc_ports high");
	ok(ac.socket_group == NULL && ac.readonly_group == NULL,
	    "no groups by default");
	is_str(ac.log_dir, "/var/log/anlasser", "default log_dir");
	is_int(ac.console_log_max_kb, 1024, "console_log_max_kb");
	is_int(ac.console_log_keep, 5, "console_log_keep");
	is_str(ac.qemu_accel, "auto", "qemu_accel auto");
	agent_conf_clear(&ac);
	ok(ac.driver == NULL, "agent_conf_clear");

	dir = newdir();
	put_str(dir, "anlasser.conf", "[agent]\ndriver = qemu\n");
	conf = load_dir(dir);
	ok(conf != NULL && conf->nvms == 0, "anlasser.conf alone loads");
	if (conf != NULL) {
		is_str(conf->agent.uefi_firmware,
		    "/usr/share/OVMF/OVMF_CODE_4M.fd", "qemu: OVMF code");
		is_str(conf->agent.uefi_vars_template,
		    "/usr/share/OVMF/OVMF_VARS_4M.fd", "qemu: OVMF vars");
	}
	conf_free(conf);
	free(dir);

	dir = newdir();
	put_str(dir, "anlasser.conf", "[agent]\ndriver = bhyve\n"
	    "uefi_vars_template = /fw/vars.fd\niso_dirs = /isos:/more/isos\n"
	    "socket_group = operator\nreadonly_group = vm-watch\n");
	conf = load_dir(dir);
	ok(conf != NULL, "anlasser.conf with bhyve loads");
	if (conf != NULL) {
		is_str(conf->agent.uefi_firmware,
		    "/usr/local/share/uefi-firmware/BHYVE_UEFI_CODE.fd",
		    "bhyve: firmware code");
		is_str(conf->agent.uefi_vars_template, "/fw/vars.fd",
		    "a firmware path given is kept");
		is_str(conf->agent.iso_dirs, "/isos:/more/isos", "iso_dirs");
		is_str(conf->agent.socket_group, "operator", "socket_group");
		is_str(conf->agent.readonly_group, "vm-watch",
		    "readonly_group");
	}
	conf_free(conf);
	free(dir);

	dir = newdir();
	put_str(dir, "anlasser.conf", "");
	conf = load_dir(dir);
	ok(conf != NULL, "an empty anlasser.conf is fine");
	conf_free(conf);
	free(dir);

	dir = newdir();
	put_str(dir, "anlasser.conf", "[agent]\ndriver = kvm\ndrivr = qemu\n"
	    "vnc_ports = 6000-5900\nvnc_ports2 = 1\niso_dirs = /isos:isos\n"
	    "console_log_max_kb = 1M\nconsole_log_keep = 101\n"
	    "socket_group = -wheel\nmemory_mb = 512\nqemu_accel = hvf\n"
	    "log_dir = var/log\n[VM]\n");
	expect_dir(dir, "anlasser.conf:2: driver: kvm is not allowed (bhyve "
	    "or qemu)\n"
	    "anlasser.conf:3: drivr: unknown key (did you mean driver?)\n"
	    "anlasser.conf:4: vnc_ports: 6000-5900 starts above its end "
	    "(LOW-HIGH within 1024..65535, e.g. 5900-5999)\n"
	    "anlasser.conf:5: vnc_ports2: unknown key (did you mean "
	    "vnc_ports?)\n"
	    "anlasser.conf:6: iso_dirs: /isos:isos has isos, which is not an "
	    "absolute directory (absolute directories separated by :)\n"
	    "anlasser.conf:7: console_log_max_kb: 1M is not an integer: the "
	    "unit is KiB, write 1024 (16..1048576 KiB)\n"
	    "anlasser.conf:8: console_log_keep: 101 is out of range "
	    "(0..100)\n"
	    "anlasser.conf:9: socket_group: -wheel is not a group name (a "
	    "group name: 1-32 of A-Z a-z 0-9 _ . -, not starting with -)\n"
	    "anlasser.conf:10: memory_mb: belongs in a VM file, not in "
	    "anlasser.conf\n"
	    "anlasser.conf:11: qemu_accel: hvf is not allowed (auto, kvm or "
	    "tcg)\n"
	    "anlasser.conf:12: log_dir: var/log is not an absolute path (a "
	    "path starting with /, without commas)\n"
	    "anlasser.conf:13: [VM]: unknown section (anlasser.conf has only "
	    "[agent])", "anlasser.conf problems");
	free(dir);

	dir = newdir();
	put_str(dir, "anlasser.conf", "driver = qemu\n");
	expect_dir(dir, "anlasser.conf: no [agent] section (put [agent] above "
	    "the keys)", "anlasser.conf without [agent]");
	free(dir);
}

/* Two VMs a and b; b's extra lines start at line 5. */
static void
expect_pair(const char *a, const char *b, const char *expect)
{
	char	*dir, *text;

	dir = newdir();
	xasprintf(&text, "[VM]\nname = a\nstorage_path = /d/a.img\n"
	    "uefi_vars_storage_path = /d/a.fd\n%s", a);
	put_in(dir, "a.ini", text, strlen(text));
	free(text);
	xasprintf(&text, "[VM]\nname = b\nstorage_path = /d/b.img\n"
	    "uefi_vars_storage_path = /d/b.fd\n%s", b);
	put_in(dir, "b.ini", text, strlen(text));
	free(text);
	expect_dir(dir, expect, b);
	free(dir);
}

static void
test_cross(void)
{
	struct conf	*conf;
	char		*dir, *text;

	expect_pair("bridge = bridge0\nmac = 02:00:00:00:02:01\n",
	    "bridge = bridge0\nmac = 02:00:00:00:02:01\n",
	    "b.ini:6: mac: 02:00:00:00:02:01 is also used by VM a (a.ini:6)");
	expect_pair("bridge = bridge0\nmac = 02:00:00:00:0a:01\n",
	    "bridge = bridge0\nnic1_bridge = b1\n"
	    "nic1_mac = 02:00:00:00:0A:01\n",
	    "b.ini:7: nic1_mac: 02:00:00:00:0A:01 is also used by VM a as mac "
	    "(a.ini:6)");
	expect_pair("disk1 = /d/shared.img\n", "disk1 = /d//shared.img\n",
	    "b.ini:5: disk1: /d//shared.img is also used by VM a (a.ini:5)");
	expect_pair("", "disk1 = /d/a.img\n",
	    "b.ini:5: disk1: /d/a.img is also used by VM a as storage_path "
	    "(a.ini:3)");
	expect_pair("", "disk1 = /d/b.img\n",
	    "b.ini:5: disk1: /d/b.img is also used by VM b as storage_path "
	    "(b.ini:3)");
	expect_pair("", "disk1 = /d/a.fd\n",
	    "b.ini:5: disk1: /d/a.fd is also used by VM a as "
	    "uefi_vars_storage_path (a.ini:4)");
	expect_pair("vnc_port = 5901\n", "vnc_port = 5901\n",
	    "b.ini:5: vnc_port: 5901 is also used by VM a (a.ini:5)");
	expect_pair("tapdev = tap3\n", "tapdev = tap9\nnic1_tapdev = tap3\n",
	    "b.ini:6: nic1_tapdev: tap3 is also used by VM a as tapdev "
	    "(a.ini:5)");

	/* No conflict: a VNC port of a VM without VNC, shared bridges. */
	dir = newdir();
	text = "[VM]\nname = a\nstorage_path = /d/a\n"
	    "uefi_vars_storage_path = /d/av\nvnc = no\nvnc_port = 5900\n"
	    "bridge = bridge0\n";
	put_in(dir, "a.ini", text, strlen(text));
	text = "[VM]\nname = b\nstorage_path = /d/b\n"
	    "uefi_vars_storage_path = /d/bv\nvnc_port = 5900\n"
	    "bridge = bridge0\n";
	put_in(dir, "b.ini", text, strlen(text));
	conf = load_dir(dir);
	ok(conf != NULL && conf->nvms == 2, "no conflict: vnc = no, bridges");
	if (conf != NULL) {
		ok(vm_conf_find(conf, "b") != NULL &&
		    vm_conf_find(conf, "c") == NULL, "vm_conf_find");
		ok(strcmp(TAILQ_FIRST(&conf->vms)->name, "a") == 0,
		    "VMs in file name order");
	}
	conf_free(conf);
	free(dir);
}

static void
test_check_output(void)
{
	char	*dir, *out, *want;
	int	 rc;

	dir = newdir();
	put_in(dir, "test1.ini", test1_ini, strlen(test1_ini));
	out = check(dir, &rc);
	xasprintf(&want, "%s: 1 VM, no problems\n", dir);
	is_str(out, want, "--check on test1");
	is_int(rc, 0, "--check clean: status 0");
	free(out);
	free(want);
	free(dir);

	dir = newdir();
	out = check(dir, &rc);
	xasprintf(&want, "%s: 0 VMs, no problems\n", dir);
	is_str(out, want, "--check on an empty directory");
	free(out);
	free(want);
	free(dir);
}

static void
test_many(void)
{
	struct timeval	 t0, t1;
	struct conf	*conf;
	char		*dir, *name, *text;
	double		 secs;
	int		 i;

	dir = newdir();
	for (i = 0; i < 1000; i++) {
		xasprintf(&name, "vm%04d.ini", i);
		xasprintf(&text, "[VM]\nname = vm%04d\nmemory_mb = 512\n"
		    "storage_path = /tank/vm%04d/disk0.img\n"
		    "disk1 = /tank/vm%04d/disk1.img\n"
		    "uefi_vars_storage_path = /tank/vm%04d/vars.fd\n"
		    "tapdev = tap%d\nbridge = bridge0\n"
		    "mac = 02:00:00:00:%02x:%02x\nvnc_port = %d\n"
		    "# a comment\nautostart = yes\n", i, i, i, i, i,
		    i / 256, i % 256, 6000 + i);
		put_in(dir, name, text, strlen(text));
		free(name);
		free(text);
	}
	gettimeofday(&t0, NULL);
	conf = load_dir(dir);
	gettimeofday(&t1, NULL);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
	ok(conf != NULL && conf->nvms == 1000, "1000 VM files load");
	/* A figure, not a pass/fail: timing belongs in tests/bench/. */
	printf("# 1000 VM files in %.3f s\n", secs);
	conf_free(conf);
	free(dir);
}

/* Every default in the tables is a valid value of its key. */
static void
test_defaults(void)
{
	char		*text, *t, *dir;
	struct conf	*conf;
	unsigned int	 i;

	text = xstrdup("[VM]\nname = d\nstorage_path = /d\n"
	    "uefi_vars_storage_path = /v\n");
	for (i = 0; i < conf_vm_nkeys; i++) {
		if (conf_vm_keys[i].def == NULL)
			continue;
		xasprintf(&t, "%s%s = %s\n", text, conf_vm_keys[i].name,
		    conf_vm_keys[i].def);
		free(text);
		text = t;
	}
	dir = newdir();
	put_in(dir, "d.ini", text, strlen(text));
	free(text);
	text = xstrdup("[agent]\n");
	for (i = 0; i < conf_agent_nkeys; i++) {
		if (conf_agent_keys[i].def == NULL)
			continue;
		xasprintf(&t, "%s%s = %s\n", text, conf_agent_keys[i].name,
		    conf_agent_keys[i].def);
		free(text);
		text = t;
	}
	put_in(dir, "anlasser.conf", text, strlen(text));
	free(text);
	conf = load_dir(dir);
	ok(conf != NULL, "every default written out loads");
	conf_free(conf);
	free(dir);

	for (i = 0; i < conf_vm_nkeys; i++) {
		if (conf_vm_keys[i].help == NULL ||
		    *conf_vm_keys[i].help == '\0')
			break;
	}
	ok(i == conf_vm_nkeys, "every VM key has help");
	for (i = 0; i < conf_agent_nkeys; i++) {
		if (conf_agent_keys[i].help == NULL ||
		    *conf_agent_keys[i].help == '\0')
			break;
	}
	ok(i == conf_agent_nkeys, "every agent key has help");
}

/* The keys of the original Anlasser are all there, flagged as such. */
static void
test_legacy(void)
{
	static const char	*legacy[] = { "name", "memory_mb",
				    "cpu_sockets", "cpu_cores", "cpu_threads",
				    "storage_path", "uefi_vars_storage_path",
				    "tapdev", "bridge", "mac", "vnc_kbd_layout",
				    "vnc_port", "vnc_wait_connect",
				    "iso_path" };
	unsigned int		 i, j, flagged = 0, found = 0;

	for (i = 0; i < conf_vm_nkeys; i++) {
		if (conf_vm_keys[i].flags & CONF_F_LEGACY)
			flagged++;
		for (j = 0; j < nitems(legacy); j++) {
			if (strcmp(conf_vm_keys[i].name, legacy[j]) == 0 &&
			    (conf_vm_keys[i].flags & CONF_F_LEGACY))
				found++;
		}
	}
	is_int(found, nitems(legacy), "every key of the original Anlasser");
	is_int(flagged, nitems(legacy), "no other key flagged legacy");
}

/* One key's value on its own, as create's firmware field uses it. */
static void
test_key_check(void)
{
	const struct conf_key	*k;
	char			*s;

	k = conf_vm_key("firmware");
	ok(k != NULL && strcmp(k->name, "firmware") == 0,
	    "conf_vm_key finds firmware");
	ok(conf_vm_key("disk%d") == NULL && conf_vm_key("disk1") == NULL,
	    "... but no indexed key");
	ok(conf_vm_key("driver") == NULL, "... nor a key of anlasser.conf");
	if (k == NULL)
		return;
	s = conf_key_allowed(k);
	is_str(s, "uefi or bios", "what firmware allows, from its range");
	free(s);
	ok(conf_key_check(k, "uefi") == NULL && conf_key_check(k, "bios") ==
	    NULL, "uefi and bios pass");
	s = conf_key_check(k, "efi");
	is_str(s, "efi is not allowed (uefi or bios)", "efi is refused");
	free(s);
	s = conf_key_check(k, "BIOS");
	is_str(s, "BIOS is not allowed (uefi or bios)", "... and BIOS");
	free(s);
	s = conf_key_check(k, "bios\nmemory_mb = 64");
	is_str(s, "bios?memory_mb = 64 is not allowed (uefi or bios)",
	    "... and a value with a second line, shown printable");
	free(s);
	s = conf_key_check(k, "");
	is_str(s, "empty value (uefi or bios)", "... and an empty one");
	free(s);
	ok(conf_firmware_bios("bios") && !conf_firmware_bios("uefi") &&
	    !conf_firmware_bios(NULL), "conf_firmware_bios: bios only");
}

/* ---------------------------------------------------------------- */
/* conf_ini_set */

static void
is_set(const char *file, const char *key, const char *value,
    const char *want, const char *desc)
{
	char	*cause = NULL, *got;

	if (conf_ini_set(file, key, value, &cause) == -1) {
		ok(0, "%s: %s", desc, cause);
		free(cause);
		return;
	}
	got = slurp(file);
	is_str(got, want, "%s", desc);
	free(got);
}

static void
test_ini_set(void)
{
	struct stat	 sb;
	char		*dir, *f, *want, *cause = NULL, *link, *s;

	dir = newdir();
	xasprintf(&f, "%s/test1.ini", dir);
	put(f, test1_ini);
	chmod(f, 0640);

	/* The commented-out key is replaced in place. */
	xasprintf(&want, "%.*siso_path = /isos/debian.iso\n",
	    (int)(strstr(test1_ini, "# iso_path") - test1_ini), test1_ini);
	is_set(f, "iso_path", "/isos/debian.iso", want,
	    "set replaces a commented-out key in place");
	free(want);
	stat(f, &sb);
	is_int(sb.st_mode & 07777, 0640, "set keeps the mode");

	xasprintf(&want, "%.*siso_path = /isos/other.iso\n",
	    (int)(strstr(test1_ini, "# iso_path") - test1_ini), test1_ini);
	is_set(f, "iso_path", "/isos/other.iso", want,
	    "set replaces the value of a key");
	free(want);

	xasprintf(&want, "%.*s# iso_path = /isos/other.iso\n",
	    (int)(strstr(test1_ini, "# iso_path") - test1_ini), test1_ini);
	is_set(f, "iso_path", NULL, want, "remove comments the key out");
	is_set(f, "iso_path", NULL, want, "remove of an absent key: no change");
	free(want);

	xasprintf(&want, "%.*siso_path = \"/isos/a #1; b.iso\"\n",
	    (int)(strstr(test1_ini, "# iso_path") - test1_ini), test1_ini);
	is_set(f, "iso_path", "/isos/a #1; b.iso", want,
	    "a value with # and ; is quoted");
	free(want);

	xasprintf(&want, "%.*siso_path = \"/isos/a #1; b.iso\"\nautostart = "
	    "yes\n", (int)(strstr(test1_ini, "# iso_path") - test1_ini),
	    test1_ini);
	is_set(f, "autostart", "yes", want,
	    "a new key goes to the end of [VM]");
	free(want);
	free(f);

	/* A following section; the new key stays inside [VM]. */
	xasprintf(&f, "%s/two.ini", dir);
	put(f, "; top\n[VM]\nname = two\n  mac   =  02:00:00:00:00:01   # NIC 0"
	    "\n\n[notes]\nx = y\n");
	is_set(f, "autostart", "no", "; top\n[VM]\nname = two\n  mac   =  "
	    "02:00:00:00:00:01   # NIC 0\nautostart = no\n\n[notes]\nx = y\n",
	    "append before the next section");
	is_set(f, "mac", "02:00:00:00:00:02", "; top\n[VM]\nname = two\n  mac "
	    "  =  02:00:00:00:00:02   # NIC 0\nautostart = no\n\n[notes]\n"
	    "x = y\n", "layout and inline comment of the line kept");
	is_set(f, "x", "1", "; top\n[VM]\nname = two\n  mac   =  "
	    "02:00:00:00:00:02   # NIC 0\nautostart = no\nx = 1\n\n[notes]\n"
	    "x = y\n", "a key of another section is not touched");
	free(f);

	/* Duplicates, CRLF, no final newline. */
	xasprintf(&f, "%s/dup.ini", dir);
	put(f, "[VM]\r\niso_path = /a\r\niso_path = /b\r\nname = dup");
	is_set(f, "iso_path", "/c", "[VM]\r\niso_path = /c\r\nname = dup",
	    "duplicates are removed, CRLF kept");
	is_set(f, "console", "off", "[VM]\r\niso_path = /c\r\nname = dup\r\n"
	    "console = off\r\n", "append after a last line without newline");
	free(f);

	/* Through a symlink: the target changes, the link stays. */
	xasprintf(&f, "%s/real.ini", dir);
	xasprintf(&link, "%s/link.ini", dir);
	put(f, "[VM]\nname = real\n");
	if (symlink("real.ini", link) == -1)
		fatal("symlink");
	is_set(link, "memory_mb", "2048", "[VM]\nname = real\nmemory_mb = "
	    "2048\n", "set through a symlink");
	s = slurp(f);
	is_str(s, "[VM]\nname = real\nmemory_mb = 2048\n",
	    "the symlink's target is written");
	free(s);
	lstat(link, &sb);
	ok(S_ISLNK(sb.st_mode), "the symlink stays a symlink");
	free(link);
	free(f);

	/* Errors. */
	xasprintf(&f, "%s/nosec.ini", dir);
	put(f, "name = x\n[other]\n");
	ok(conf_ini_set(f, "iso_path", "/x", &cause) == -1 && cause != NULL &&
	    strstr(cause, "no [VM] section") != NULL, "no [VM] section: error");
	free(cause);
	cause = NULL;
	ok(conf_ini_set(f, "iso_path", "a\nb", &cause) == -1 &&
	    cause != NULL, "a newline in the value: error");
	free(cause);
	cause = NULL;
	ok(conf_ini_set(f, "iso_path", "\"it's\"", &cause) == -1 &&
	    cause != NULL, "both quote characters: error");
	free(cause);
	cause = NULL;
	ok(conf_ini_set(f, "Bad Key", "1", &cause) == -1 && cause != NULL,
	    "a bad key name: error");
	free(cause);
	cause = NULL;
	ok(conf_ini_set("c-none/x.ini", "iso_path", "/x", &cause) == -1 &&
	    cause != NULL, "a missing file: error");
	free(cause);
	free(f);
	free(dir);
}

/* A value written by conf_ini_set reads back unchanged. */
static void
test_ini_roundtrip(void)
{
	static const char	*values[] = { "/isos/a b.iso", "/trailing ",
				    "/semi;colon", "/hash#", "/q\"uote",
				    "/back\\", "/it's #1", "/a'b\"c" };
	struct conf_problems	 ps;
	struct vm_conf		*vm;
	char			*dir, *f, *cause = NULL;
	size_t			 i;
	int			 good = 0;

	dir = newdir();
	xasprintf(&f, "%s/r.ini", dir);
	for (i = 0; i < nitems(values); i++) {
		put(f, "[VM]\nname = r\nstorage_path = /d\n"
		    "uefi_vars_storage_path = /v\n");
		if (conf_ini_set(f, "iso_path", values[i], &cause) == -1) {
			printf("# %s: %s\n", values[i], cause);
			free(cause);
			cause = NULL;
			continue;
		}
		conf_problems_init(&ps);
		vm = conf_load_vm(f, NULL, &ps);
		if (vm != NULL && vm->iso_path != NULL &&
		    strcmp(vm->iso_path, values[i]) == 0)
			good++;
		else
			printf("# %s did not read back\n", values[i]);
		vm_conf_free(vm);
		conf_problems_clear(&ps);
	}
	is_int(good, (int)nitems(values), "values written read back the same");
	free(f);
	free(dir);
}

/* ---------------------------------------------------------------- */
/* The man page documents every key. */

static int
man_has(const char *man, const char *name)
{
	char		 key[80], want[100];
	const char	*pct, *p;
	size_t		 len;

	if ((pct = strstr(name, "%d")) != NULL)
		snprintf(key, sizeof key, "%.*s1%s", (int)(pct - name), name,
		    pct + 2);
	else
		strlcpy(key, name, sizeof key);
	snprintf(want, sizeof want, "\n.It Cm %s", key);
	len = strlen(want);
	for (p = man; (p = strstr(p, want)) != NULL; p += len) {
		if (p[len] == '\n' || p[len] == ' ')
			return (1);
	}
	return (0);
}

static void
test_man(void)
{
	const char	*top = getenv("top_srcdir");
	char		*path, *man;
	unsigned int	 i, missing = 0;

	if (top == NULL)
		top = ".";
	xasprintf(&path, "%s/man/anlasser.ini.5", top);
	if ((man = read_file(path, 0, NULL)) == NULL) {
		ok(0, "read %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	for (i = 0; i < conf_vm_nkeys; i++) {
		if (!man_has(man, conf_vm_keys[i].name)) {
			printf("# VM key %s is not in %s\n",
			    conf_vm_keys[i].name, path);
			missing++;
		}
	}
	for (i = 0; i < conf_agent_nkeys; i++) {
		if (!man_has(man, conf_agent_keys[i].name)) {
			printf("# agent key %s is not in %s\n",
			    conf_agent_keys[i].name, path);
			missing++;
		}
	}
	is_int(missing, 0, "anlasser.ini(5) documents every key");
	free(man);
	free(path);
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return (0);
}

int
main(void)
{
	char	tmp[] = "/tmp/test-conf.XXXXXX";

	test_man();	/* before leaving the build directory */
	if (mkdtemp(tmp) == NULL || chdir(tmp) == -1)
		fatal("temporary directory");

	test_test1();
	test_full();
	test_bools();
	test_values();
	test_secret();
	test_keys();
	test_names();
	test_files();
	test_missing_dir();
	test_structure();
	test_callback();
	test_text();
	test_agent();
	test_cross();
	test_check_output();
	test_many();
	test_defaults();
	test_legacy();
	test_key_check();
	test_ini_set();
	test_ini_roundtrip();

	if (chdir("/") == 0)
		nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return (tap_done());
}
